"""ListSecrets and BatchGetSecretValue: filters, sorting, pages, per-secret errors."""

from __future__ import annotations

from tests.e2e.helpers import aws_error


def _make(sm, names, **kwargs):
    for name in names:
        sm.create_secret(Name=name, SecretString=f"value-of-{name}", **kwargs)


def test_list_filters_by_name_prefix_and_tags(sm):
    _make(sm, ["prod/a", "prod/b", "dev/a"])
    sm.tag_resource(SecretId="prod/a", Tags=[{"Key": "team", "Value": "pay"}])
    names = lambda resp: sorted(s["Name"] for s in resp["SecretList"])  # noqa: E731
    assert names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["prod/"]}])) == [
        "prod/a", "prod/b"]
    assert names(sm.list_secrets(Filters=[{"Key": "tag-key", "Values": ["team"]}])) == ["prod/a"]
    assert names(sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["pay"]}])) == [
        "prod/a"]
    assert names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["!prod"]}])) == ["dev/a"]


def test_list_entries_have_versions_and_no_values(sm):
    version = sm.create_secret(Name="x", SecretString="hidden")["VersionId"]
    entry = sm.list_secrets()["SecretList"][0]
    assert entry["SecretVersionsToStages"] == {version: ["AWSCURRENT"]}
    assert "hidden" not in repr(entry)


def test_list_sorts_and_pages(sm):
    names = [f"s{i:02d}" for i in range(7)]
    _make(sm, reversed(names))
    seen, token = [], None
    while True:
        kwargs = {"MaxResults": 3, "SortBy": "name", "SortOrder": "asc"}
        if token:
            kwargs["NextToken"] = token
        resp = sm.list_secrets(**kwargs)
        seen += [s["Name"] for s in resp["SecretList"]]
        token = resp.get("NextToken")
        if not token:
            break
    assert seen == names
    desc = sm.list_secrets(SortBy="name", SortOrder="desc")["SecretList"]
    assert [s["Name"] for s in desc] == list(reversed(names))


def test_list_with_a_forged_token_fails(sm):
    code, _, _ = aws_error(sm.list_secrets, NextToken="bm90LWEtdG9rZW4=")
    assert code == "InvalidNextTokenException"


def test_paginator_walks_all_secrets(sm):
    _make(sm, [f"p{i}" for i in range(5)])
    pages = sm.get_paginator("list_secrets").paginate(PaginationConfig={"PageSize": 2})
    assert sorted(s["Name"] for page in pages for s in page["SecretList"]) == [
        f"p{i}" for i in range(5)]


def test_batch_get_by_ids_reports_missing_ones(sm):
    _make(sm, ["b1", "b2"])
    resp = sm.batch_get_secret_value(SecretIdList=["b1", "b2", "missing"])
    assert sorted(v["SecretString"] for v in resp["SecretValues"]) == [
        "value-of-b1", "value-of-b2"]
    assert resp["Errors"] == [{
        "SecretId": "missing", "ErrorCode": "ResourceNotFoundException",
        "Message": "Secrets Manager can't find the specified secret.",
    }]


def test_batch_get_by_filter_pages(sm):
    _make(sm, ["app/1", "app/2", "app/3", "other"])
    seen, token = [], None
    while True:
        kwargs = {"Filters": [{"Key": "name", "Values": ["app/"]}], "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        resp = sm.batch_get_secret_value(**kwargs)
        seen += [v["Name"] for v in resp["SecretValues"]]
        token = resp.get("NextToken")
        if not token:
            break
    assert sorted(seen) == ["app/1", "app/2", "app/3"]


def test_batch_get_needs_ids_or_filters_not_both(sm):
    code, _, _ = aws_error(sm.batch_get_secret_value, SecretIdList=["a"],
                           Filters=[{"Key": "name", "Values": ["a"]}])
    assert code == "InvalidParameterException"
    code, _, _ = aws_error(sm.batch_get_secret_value)
    assert code == "InvalidParameterException"


def test_batch_get_reports_deleted_secret_per_secret(sm):
    _make(sm, ["live", "gone"])
    sm.delete_secret(SecretId="gone")
    resp = sm.batch_get_secret_value(SecretIdList=["live", "gone"])
    assert [v["Name"] for v in resp["SecretValues"]] == ["live"]
    assert resp["Errors"][0]["ErrorCode"] == "InvalidRequestException"
