"""IAM on the wire: request members in, response members out (botocore `iam` names).

One small function per operation maps validated parameters onto `IamService`
and its values onto the output shape; the query adapter renders the XML.
Timestamps are epoch floats. Policy documents leave URL-encoded, as IAM sends
them (botocore decodes every policyDocumentType member). Members without a
value are left out, and so are those AWS leaves out of an answer (CreateRole
has no MaxSessionDuration, list entries carry no tags).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from strongroom.core.types import RequestContext, Tag
from strongroom.iam.errors import EntityKind
from strongroom.iam.model import AccessKey, Group, ManagedPolicy, Page, PolicyVersion, Role, User
from strongroom.iam.service import IamService

Params = dict[str, Any]
Wire = dict[str, Any]
Handler = Callable[[IamService, RequestContext, Params], Wire]

# Recorded from AWS (LocalStack parity snapshots, 2026-02); the botocore model's enum
# says "PermissionsBoundaryPolicy", but AWS answers "Policy".
BOUNDARY_TYPE = "Policy"


def _compact(**members: Any) -> Wire:
    return {k: v for k, v in members.items() if v is not None}


def _document(text: str) -> str:
    return quote(text, safe="")


def _tags_in(items: Iterable[dict[str, str]] | None) -> list[Tag]:
    return [Tag(t.get("Key", ""), t.get("Value", "")) for t in items or ()]


def _tags_out(tags: Iterable[Tag]) -> list[Wire]:
    return [{"Key": t.key, "Value": t.value} for t in tags]


def _boundary(arn: str | None) -> Wire | None:
    if arn is None:
        return None
    return {"PermissionsBoundaryType": BOUNDARY_TYPE, "PermissionsBoundaryArn": arn}


def _page(member: str, page: Page[Any], items: list[Any]) -> Wire:
    return _compact(**{member: items}, IsTruncated=page.truncated, Marker=page.marker)


def _paging(p: Params) -> dict[str, Any]:
    return {"marker": p.get("Marker"), "max_items": p.get("MaxItems")}


def _user(u: User) -> Wire:
    return _compact(Path=u.path, UserName=u.name, UserId=u.user_id, Arn=u.arn,
                    CreateDate=u.created, PermissionsBoundary=_boundary(u.boundary_arn),
                    Tags=_tags_out(u.tags) or None)


def _role(r: Role, *, detail: bool = True, listed: bool = False) -> Wire:
    out = _compact(Path=r.path, RoleName=r.name, RoleId=r.role_id, Arn=r.arn,
                   CreateDate=r.created, AssumeRolePolicyDocument=_document(r.trust_policy),
                   Description=r.description)
    if detail or listed:
        out["MaxSessionDuration"] = r.max_session_duration
    if not listed:
        out.update(_compact(PermissionsBoundary=_boundary(r.boundary_arn),
                            Tags=_tags_out(r.tags) or None))
    if detail:
        out["RoleLastUsed"] = _compact(LastUsedDate=r.last_used, Region=r.last_used_region)
    return out


def _group(g: Group) -> Wire:
    return {"Path": g.path, "GroupName": g.name, "GroupId": g.group_id, "Arn": g.arn,
            "CreateDate": g.created}


def _policy(p: ManagedPolicy, *, detail: bool = False, tags: bool = False) -> Wire:
    out = _compact(PolicyName=p.name, PolicyId=p.policy_id, Arn=p.arn, Path=p.path,
                   DefaultVersionId=p.default_version, AttachmentCount=p.attachment_count,
                   PermissionsBoundaryUsageCount=p.boundary_usage_count,
                   IsAttachable=p.attachable,
                   Description=p.description if detail else None,
                   CreateDate=p.created, UpdateDate=p.updated)
    if detail or (tags and p.tags):
        out["Tags"] = _tags_out(p.tags)
    return out


def _version(v: PolicyVersion) -> Wire:
    return _compact(Document=_document(v.document) if v.document is not None else None,
                    VersionId=v.version_id, IsDefaultVersion=v.is_default, CreateDate=v.created)


def _key(k: AccessKey) -> Wire:
    return {"UserName": k.user_name, "AccessKeyId": k.access_key_id, "Status": k.status,
            "CreateDate": k.created}


# --- users and access keys ----------------------------------------------------------


def create_user(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    return {"User": _user(api.create_user(
        ctx, p["UserName"], path=p.get("Path"), boundary_arn=p.get("PermissionsBoundary"),
        tags=_tags_in(p.get("Tags"))))}


def get_user(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    return {"User": _user(api.get_user(ctx, p.get("UserName")))}


def list_users(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    page = api.list_users(ctx, path_prefix=p.get("PathPrefix"), **_paging(p))
    return _page("Users", page, [_user(u) for u in page.items])


def update_user(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.update_user(ctx, p["UserName"], new_name=p.get("NewUserName"),
                    new_path=p.get("NewPath"))
    return {}


def delete_user(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.delete_user(ctx, p["UserName"])
    return {}


def create_access_key(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    key = api.create_access_key(ctx, p.get("UserName"))
    return {"AccessKey": {"UserName": key.user_name, "AccessKeyId": key.access_key_id,
                          "Status": key.status, "SecretAccessKey": key.secret_access_key,
                          "CreateDate": key.created}}


def list_access_keys(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    page = api.list_access_keys(ctx, p.get("UserName"), **_paging(p))
    return _page("AccessKeyMetadata", page, [_key(k) for k in page.items])


def update_access_key(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.update_access_key(ctx, p["AccessKeyId"], p["Status"], p.get("UserName"))
    return {}


def delete_access_key(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.delete_access_key(ctx, p["AccessKeyId"], p.get("UserName"))
    return {}


def get_access_key_last_used(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    used = api.get_access_key_last_used(ctx, p["AccessKeyId"])
    # A key never used reports "N/A" for both (recorded from AWS, 2026-02).
    return {"UserName": used.user_name, "AccessKeyLastUsed": _compact(
        LastUsedDate=used.last_used, ServiceName=used.service or "N/A",
        Region=used.region or "N/A")}


# --- roles ----------------------------------------------------------------------------


def create_role(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    role = api.create_role(
        ctx, p["RoleName"], p["AssumeRolePolicyDocument"], path=p.get("Path"),
        description=p.get("Description"), max_session_duration=p.get("MaxSessionDuration"),
        boundary_arn=p.get("PermissionsBoundary"), tags=_tags_in(p.get("Tags")))
    return {"Role": _role(role, detail=False)}


def get_role(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    return {"Role": _role(api.get_role(ctx, p["RoleName"]))}


def list_roles(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    page = api.list_roles(ctx, path_prefix=p.get("PathPrefix"), **_paging(p))
    return _page("Roles", page, [_role(r, detail=False, listed=True) for r in page.items])


def update_role(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.update_role(ctx, p["RoleName"], description=p.get("Description"),
                    max_session_duration=p.get("MaxSessionDuration"))
    return {}


def update_assume_role_policy(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.update_trust_policy(ctx, p["RoleName"], p["PolicyDocument"])
    return {}


def delete_role(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.delete_role(ctx, p["RoleName"])
    return {}


# --- groups ---------------------------------------------------------------------------


def create_group(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    return {"Group": _group(api.create_group(ctx, p["GroupName"], path=p.get("Path")))}


def get_group(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    group, page = api.get_group(ctx, p["GroupName"], **_paging(p))
    return {"Group": _group(group), **_page("Users", page, [_user(u) for u in page.items])}


def list_groups(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    page = api.list_groups(ctx, path_prefix=p.get("PathPrefix"), **_paging(p))
    return _page("Groups", page, [_group(g) for g in page.items])


def delete_group(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.delete_group(ctx, p["GroupName"])
    return {}


def add_user_to_group(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.add_user_to_group(ctx, p["GroupName"], p["UserName"])
    return {}


def remove_user_from_group(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.remove_user_from_group(ctx, p["GroupName"], p["UserName"])
    return {}


def list_groups_for_user(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    page = api.list_groups_for_user(ctx, p["UserName"], **_paging(p))
    return _page("Groups", page, [_group(g) for g in page.items])


# --- inline policies and attachments, for users, roles and groups ----------------------

_OWNER = {EntityKind.USER: "UserName", EntityKind.ROLE: "RoleName",
          EntityKind.GROUP: "GroupName"}


def _inline_ops(kind: EntityKind) -> dict[str, Handler]:
    member, word = _OWNER[kind], kind.value.capitalize()

    def put(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        api.put_inline_policy(ctx, kind, p[member], p["PolicyName"], p["PolicyDocument"])
        return {}

    def get(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        owner, document = api.get_inline_policy(ctx, kind, p[member], p["PolicyName"])
        return {member: owner, "PolicyName": p["PolicyName"],
                "PolicyDocument": _document(document)}

    def listing(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        page = api.list_inline_policies(ctx, kind, p[member], **_paging(p))
        return _page("PolicyNames", page, list(page.items))

    def delete(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        api.delete_inline_policy(ctx, kind, p[member], p["PolicyName"])
        return {}

    return {f"Put{word}Policy": put, f"Get{word}Policy": get,
            f"List{word}Policies": listing, f"Delete{word}Policy": delete}


def _attachment_ops(kind: EntityKind) -> dict[str, Handler]:
    member, word = _OWNER[kind], kind.value.capitalize()

    def attach(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        api.attach_policy(ctx, kind, p[member], p["PolicyArn"])
        return {}

    def detach(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        api.detach_policy(ctx, kind, p[member], p["PolicyArn"])
        return {}

    def listing(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        page = api.list_attached_policies(ctx, kind, p[member],
                                          path_prefix=p.get("PathPrefix"), **_paging(p))
        return _page("AttachedPolicies", page,
                     [{"PolicyName": a.name, "PolicyArn": a.arn} for a in page.items])

    return {f"Attach{word}Policy": attach, f"Detach{word}Policy": detach,
            f"ListAttached{word}Policies": listing}


# --- managed policies -------------------------------------------------------------------


def create_policy(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    policy = api.create_policy(ctx, p["PolicyName"], p["PolicyDocument"], path=p.get("Path"),
                               description=p.get("Description"), tags=_tags_in(p.get("Tags")))
    return {"Policy": _policy(policy, tags=True)}


def get_policy(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    return {"Policy": _policy(api.get_policy(ctx, p["PolicyArn"]), detail=True)}


def list_policies(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    page = api.list_policies(ctx, scope=p.get("Scope"), only_attached=bool(p.get("OnlyAttached")),
                             path_prefix=p.get("PathPrefix"), usage=p.get("PolicyUsageFilter"),
                             **_paging(p))
    return _page("Policies", page, [_policy(x) for x in page.items])


def delete_policy(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.delete_policy(ctx, p["PolicyArn"])
    return {}


def create_policy_version(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    version = api.create_policy_version(ctx, p["PolicyArn"], p["PolicyDocument"],
                                        set_as_default=bool(p.get("SetAsDefault")))
    return {"PolicyVersion": _version(version)}


def get_policy_version(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    return {"PolicyVersion": _version(api.get_policy_version(ctx, p["PolicyArn"],
                                                             p["VersionId"]))}


def list_policy_versions(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    page = api.list_policy_versions(ctx, p["PolicyArn"], **_paging(p))
    return _page("Versions", page, [_version(v) for v in page.items])


def delete_policy_version(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.delete_policy_version(ctx, p["PolicyArn"], p["VersionId"])
    return {}


def set_default_policy_version(api: IamService, ctx: RequestContext, p: Params) -> Wire:
    api.set_default_policy_version(ctx, p["PolicyArn"], p["VersionId"])
    return {}


# --- tags and permissions boundaries of users and roles ---------------------------------


def _tag_and_boundary_ops(kind: EntityKind) -> dict[str, Handler]:
    member, word = _OWNER[kind], kind.value.capitalize()
    user = kind is EntityKind.USER

    def tag(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        (api.tag_user if user else api.tag_role)(ctx, p[member], _tags_in(p.get("Tags")))
        return {}

    def untag(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        (api.untag_user if user else api.untag_role)(ctx, p[member], p.get("TagKeys") or [])
        return {}

    def listing(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        page = (api.list_user_tags if user else api.list_role_tags)(ctx, p[member],
                                                                   **_paging(p))
        return _page("Tags", page, _tags_out(page.items))

    def put_boundary(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        (api.put_user_boundary if user else api.put_role_boundary)(
            ctx, p[member], p["PermissionsBoundary"])
        return {}

    def delete_boundary(api: IamService, ctx: RequestContext, p: Params) -> Wire:
        (api.delete_user_boundary if user else api.delete_role_boundary)(ctx, p[member])
        return {}

    return {f"Tag{word}": tag, f"Untag{word}": untag, f"List{word}Tags": listing,
            f"Put{word}PermissionsBoundary": put_boundary,
            f"Delete{word}PermissionsBoundary": delete_boundary}


OPERATIONS: dict[str, Handler] = {
    "CreateUser": create_user,
    "GetUser": get_user,
    "ListUsers": list_users,
    "UpdateUser": update_user,
    "DeleteUser": delete_user,
    "CreateAccessKey": create_access_key,
    "ListAccessKeys": list_access_keys,
    "UpdateAccessKey": update_access_key,
    "DeleteAccessKey": delete_access_key,
    "GetAccessKeyLastUsed": get_access_key_last_used,
    "CreateRole": create_role,
    "GetRole": get_role,
    "ListRoles": list_roles,
    "UpdateRole": update_role,
    "UpdateAssumeRolePolicy": update_assume_role_policy,
    "DeleteRole": delete_role,
    "CreateGroup": create_group,
    "GetGroup": get_group,
    "ListGroups": list_groups,
    "DeleteGroup": delete_group,
    "AddUserToGroup": add_user_to_group,
    "RemoveUserFromGroup": remove_user_from_group,
    "ListGroupsForUser": list_groups_for_user,
    "CreatePolicy": create_policy,
    "GetPolicy": get_policy,
    "ListPolicies": list_policies,
    "DeletePolicy": delete_policy,
    "CreatePolicyVersion": create_policy_version,
    "GetPolicyVersion": get_policy_version,
    "ListPolicyVersions": list_policy_versions,
    "DeletePolicyVersion": delete_policy_version,
    "SetDefaultPolicyVersion": set_default_policy_version,
    **_inline_ops(EntityKind.USER), **_inline_ops(EntityKind.ROLE),
    **_inline_ops(EntityKind.GROUP),
    **_attachment_ops(EntityKind.USER), **_attachment_ops(EntityKind.ROLE),
    **_attachment_ops(EntityKind.GROUP),
    **_tag_and_boundary_ops(EntityKind.USER), **_tag_and_boundary_ops(EntityKind.ROLE),
}
