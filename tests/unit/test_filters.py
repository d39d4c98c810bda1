"""ListSecrets filter matching: per-key rules, negation, combination and word splitting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.secrets.errors import InvalidParameter
from strongroom.secrets.filters import FILTER_KEYS, Filter, Searchable, matches, split_words


def secret(
    name: str = "prod/db/credsDatabase",
    description: str = "Primary Postgres login",
    tags: tuple[tuple[str, str], ...] = (("Environment", "Production"), ("team", "payments")),
    primary_region: str = "",
    owning_service: str = "",
) -> Searchable:
    return Searchable(
        name=name,
        description=description,
        tags=tags,
        primary_region=primary_region,
        owning_service=owning_service,
    )


def f(key: str, *values: str) -> Filter:
    return Filter(key=key, values=values)


# --- keys ------------------------------------------------------------------------


def test_filter_keys_are_the_model_enum() -> None:
    """The filter keys are exactly the seven the service model lists."""
    assert {
        "description",
        "name",
        "tag-key",
        "tag-value",
        "primary-region",
        "owning-service",
        "all",
    } == FILTER_KEYS


@pytest.mark.parametrize(
    ("value", "expected"),
    [("prod", True), ("prod/db/creds", True), ("db", False), ("Prod", False), ("", True)],
)
def test_name_is_a_case_sensitive_prefix(value: str, expected: bool) -> None:
    """The name filter matches secrets whose name starts with the value, case counting."""
    assert matches([f("name", value)], secret()) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("primary", True),
        ("postgres", True),  # a word inside the description, any case
        ("LOG", True),
        ("primary login", True),
        ("secondary", False),
        ("gres", False),  # not the start of a word
    ],
)
def test_description_matches_words_ignoring_case(value: str, expected: bool) -> None:
    """Description matches word starts, not only the string's start (observed by moto)."""
    assert matches([f("description", value)], secret()) is expected


def test_description_filter_does_not_match_a_secret_without_description() -> None:
    """A secret with no description never matches a positive description filter."""
    assert not matches([f("description", "primary")], secret(description=""))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Env", True), ("team", True), ("env", False), ("Production", False)],
)
def test_tag_key_is_a_case_sensitive_prefix_of_any_key(value: str, expected: bool) -> None:
    """tag-key matches when any tag key starts with the value, case counting."""
    assert matches([f("tag-key", value)], secret()) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Prod", True), ("pay", True), ("prod", False), ("Environment", False)],
)
def test_tag_value_is_a_case_sensitive_prefix_of_any_value(value: str, expected: bool) -> None:
    """tag-value matches when any tag value starts with the value, case counting."""
    assert matches([f("tag-value", value)], secret()) is expected


def test_tag_filters_do_not_match_an_untagged_secret() -> None:
    """A secret without tags never matches a positive tag filter."""
    assert not matches([f("tag-key", "")], secret(tags=()))
    assert not matches([f("tag-value", "")], secret(tags=()))


def test_primary_region_is_a_prefix() -> None:
    """primary-region matches a prefix of the primary Region and nothing when absent."""
    replica = secret(primary_region="eu-west-1")
    assert matches([f("primary-region", "eu-")], replica)
    assert not matches([f("primary-region", "us-")], replica)
    assert not matches([f("primary-region", "eu-")], secret(primary_region=""))


def test_owning_service_is_a_case_sensitive_prefix() -> None:
    """owning-service matches a prefix of the managing service's name."""
    managed = secret(owning_service="appflow")
    assert matches([f("owning-service", "app")], managed)
    assert not matches([f("owning-service", "App")], managed)
    assert not matches([f("owning-service", "rds")], managed)
    assert not matches([f("owning-service", "app")], secret())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("creds", True),  # word of the name
        ("database", True),  # camel-case word of the name, any case
        ("postgres", True),  # description
        ("environment", True),  # tag key
        ("produc", True),  # tag value prefix
        ("PAYMENTS", True),
        ("prod db", True),  # two words, both in the name
        ("login payments", False),  # words spread over two attributes
        ("gres", False),  # not the start of a word
        ("/", False),  # no word at all
    ],
)
def test_all_splits_words_and_searches_every_attribute(value: str, expected: bool) -> None:
    """The all filter matches words of the name, description, tag keys and tag values."""
    assert matches([f("all", value)], secret()) is expected


def test_camel_case_splits_both_sides() -> None:
    """`PostgreSQL` is the words `Postgre` and `SQL`, so `sql` and `PostgreSQL` match it."""
    described = secret(description="PostgreSQL")
    assert matches([f("all", "sql")], described)
    assert matches([f("all", "PostgreSQL")], described)
    assert not matches([f("all", "postgresql")], described)


def test_all_does_not_search_region_or_service() -> None:
    """The all filter looks at name, description and tags only."""
    managed = secret(primary_region="eu-west-1", owning_service="appflow")
    assert not matches([f("all", "appflow")], managed)
    assert not matches([f("all", "eu")], managed)


def test_unknown_key_is_refused() -> None:
    """A key outside the model's enum is an invalid parameter, not a silent miss."""
    with pytest.raises(InvalidParameter) as caught:
        matches([f("Name", "x")], secret())
    assert caught.value.reason == "filter_key_unknown"
    assert caught.value.facts == {"key": "Name"}


# --- negation --------------------------------------------------------------------


def test_negated_name_matches_names_without_the_prefix() -> None:
    """`!prod` keeps every secret whose name does not start with `prod`."""
    assert not matches([f("name", "!prod")], secret())
    assert matches([f("name", "!dev")], secret())


def test_negated_tag_key_needs_every_key_to_miss() -> None:
    """A negated tag value passes only if no tag key matches it."""
    assert not matches([f("tag-key", "!team")], secret())
    assert matches([f("tag-key", "!owner")], secret())


def test_negation_passes_a_secret_without_the_attribute() -> None:
    """A secret without tags or description passes a negated filter on them."""
    bare = secret(description="", tags=())
    assert matches([f("tag-key", "!team")], bare)
    assert matches([f("description", "!primary")], bare)


def test_negated_all_excludes_secrets_with_the_word() -> None:
    """`!payments` with the all filter drops secrets tagged with payments."""
    assert not matches([f("all", "!payments")], secret())
    assert matches([f("all", "!billing")], secret())


def test_negated_description_ignores_case() -> None:
    """Negation keeps the key's own case rule."""
    assert not matches([f("description", "!POSTGRES")], secret())


# --- combination -----------------------------------------------------------------


def test_no_filters_match_everything() -> None:
    """An empty filter list keeps every secret."""
    assert matches([], secret())


def test_values_of_one_filter_are_ored() -> None:
    """A secret matches a filter when any one of its values matches."""
    assert matches([f("name", "dev", "prod")], secret())
    assert not matches([f("name", "dev", "test")], secret())


def test_filters_are_anded() -> None:
    """A secret must match every filter."""
    assert matches([f("name", "prod"), f("tag-key", "team")], secret())
    assert not matches([f("name", "prod"), f("tag-key", "owner")], secret())


def test_negated_and_plain_values_in_one_filter_are_ored() -> None:
    """`["dev", "!test"]` keeps secrets named dev* or not named test*."""
    assert matches([f("name", "dev", "!test")], secret())
    assert not matches([f("name", "dev", "!prod")], secret())


def test_filter_without_values_matches_nothing() -> None:
    """A filter with no values cannot be satisfied."""
    assert not matches([f("name")], secret())


# --- word splitting --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("credsDatabase#892", ["creds", "Database", "892"]),  # the User Guide's example
        ("MyTest", ["My", "Test"]),
        ("prod/db-main_v2", ["prod", "db", "main", "v", "2"]),
        ("HTTPServer", ["HTTPServer"]),
        ("abc123def", ["abc", "123", "def"]),
        ("", []),
        ("/-_+=.@!", []),
        ("  spaced  out ", ["spaced", "out"]),
    ],
)
def test_split_words(text: str, words: list[str]) -> None:
    """Words break at punctuation, letter/digit changes and lower-to-upper changes."""
    assert split_words(text) == words


# --- properties ------------------------------------------------------------------

names = st.text(alphabet="abcAB01/-_", min_size=1, max_size=12)
values = st.text(alphabet="abcAB01/-_", max_size=6)
searchables = st.builds(
    Searchable,
    name=names,
    description=st.text(alphabet="abc AB01", max_size=12),
    tags=st.lists(st.tuples(names, values), max_size=3).map(tuple),
    primary_region=st.sampled_from(["", "us-east-1", "eu-west-1"]),
    owning_service=st.sampled_from(["", "rds", "appflow"]),
)
filters = st.builds(
    Filter,
    key=st.sampled_from(sorted(FILTER_KEYS)),
    values=st.lists(values, min_size=1, max_size=3).map(tuple),
)


@given(st.lists(filters, max_size=3), searchables)
def test_property_filters_combine_as_and(fs: list[Filter], s: Searchable) -> None:
    """A list of filters matches exactly when each filter matches on its own."""
    assert matches(fs, s) == all(matches([one], s) for one in fs)


@given(filters, searchables)
def test_property_values_combine_as_or(one: Filter, s: Searchable) -> None:
    """A filter matches exactly when one of its values matches on its own."""
    singles = [Filter(one.key, (v,)) for v in one.values]
    assert matches([one], s) == any(matches([single], s) for single in singles)


@given(filters, searchables)
def test_property_negation_is_the_complement(one: Filter, s: Searchable) -> None:
    """`!v` matches exactly the secrets that `v` does not."""
    for value in one.values:
        if value.startswith("!"):
            continue
        plain = matches([Filter(one.key, (value,))], s)
        negated = matches([Filter(one.key, ("!" + value,))], s)
        assert plain != negated


@given(names)
def test_property_a_name_matches_itself(name: str) -> None:
    """Every secret matches a name filter holding its own name."""
    assert matches([f("name", name)], secret(name=name))


@given(st.text(max_size=30))
def test_property_words_are_alphanumeric_and_in_order(text: str) -> None:
    """Split words are non-empty ASCII letter or digit runs appearing in the text in order."""
    words = split_words(text)
    position = 0
    for word in words:
        assert word
        assert word.isascii()
        assert word.isalnum()
        assert word.isalpha() or word.isdigit()
        found = text.find(word, position)
        assert found >= position
        position = found + len(word)
