"""The IAM policy grammar: JSON text parsed into frozen values a policy engine evaluates.

This module owns what a well-formed identity, resource or trust policy is, and the
conservative BlockPublicPolicy check on a parsed resource policy. It must not decide
whether a request is allowed (that is evaluation), read storage, or know which wire
error code a `MalformedPolicy` becomes.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Literal, NoReturn, TypeAlias

from strongroom.policy.errors import MalformedPolicy

PolicyKind: TypeAlias = Literal["identity", "resource", "trust"]

WILDCARD: Final = "*"
VERSIONS: Final = ("2012-10-17", "2008-10-17")
PRINCIPAL_KINDS: Final = ("AWS", "Service", "Federated", "CanonicalUser")

_TOP_LEVEL_KEYS: Final = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS: Final = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)

CONDITION_OPERATORS: Final = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    }
)
_QUALIFIERS: Final = ("ForAnyValue", "ForAllValues")
_IF_EXISTS: Final = "IfExists"

# Texts marked [AWS] are MalformedPolicyDocument messages seen from real IAM / S3;
# the others are ours, written in the same style.
_SYNTAX_ERRORS = "Syntax errors in policy."  # [AWS] IAM, for unparseable JSON
_PRINCIPAL_IN_IDENTITY = "Policy document should not specify a principal."  # [AWS] IAM
_MISSING_PRINCIPAL = "Missing required field Principal"  # [AWS] S3 bucket policies
_MISSING_ACTIONS = "Policy statement must contain actions."  # [AWS] IAM
_MISSING_RESOURCES = "Policy statement must contain resources."  # [AWS] IAM
_NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."  # [AWS]
_TWO_COLONS = "Actions/Condition can contain only one colon."  # [AWS] IAM
_SID_NOT_ALNUM = (  # [AWS] IAM
    "Statement IDs (SID) must be alpha-numeric. "
    "Check that your input satisfies the regular expression [0-9A-Za-z]*"
)
_SID_NOT_UNIQUE = "Statement IDs (SID) in a single policy must be unique."  # [AWS] IAM

_VENDOR = re.compile(r"[A-Za-z0-9.\-]+")
_ACTION_NAME = re.compile(r"[A-Za-z0-9*?]+")
_SID_IAM = re.compile(r"[0-9A-Za-z]*")
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_UNIQUE_ID = re.compile(r"A[A-Z0-9]{15,127}")  # AIDA… (user), AROA… (role), …


class Effect(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True)
class PrincipalMap(Mapping[str, tuple[str, ...]]):
    """A `{"AWS": [...], "Service": [...]}` principal, kinds in a canonical order.

    A read-only mapping kind -> values that is also hashable, so statements holding
    it stay usable as values (in sets, as the reason of a decision).
    """

    entries: tuple[tuple[str, tuple[str, ...]], ...]

    def __getitem__(self, kind: str) -> tuple[str, ...]:
        for entry_kind, values in self.entries:
            if entry_kind == kind:
                return values
        raise KeyError(kind)

    def __iter__(self) -> Iterator[str]:
        return (kind for kind, _ in self.entries)

    def __len__(self) -> int:
        return len(self.entries)


# `"*"` (everyone, including anonymous callers) or a map of principal kinds.
Principal: TypeAlias = Literal["*"] | PrincipalMap


@dataclass(frozen=True)
class Condition:
    """One test of a condition block: `operator` as written, one key, its values.

    Values are kept as the strings IAM compares: JSON booleans become `true`/`false`
    and numbers keep their literal text.
    """

    operator: str
    key: str
    values: tuple[str, ...]

    @property
    def qualifier(self) -> str | None:
        """`ForAnyValue`, `ForAllValues` or None."""
        return _split_operator(self.operator)[0]

    @property
    def if_exists(self) -> bool:
        return _split_operator(self.operator)[2]

    @property
    def base(self) -> str:
        """The operator without set qualifier and IfExists, e.g. `StringLike`."""
        return _split_operator(self.operator)[1]


@dataclass(frozen=True)
class Statement:
    """One statement; exactly one of each Action/NotAction and Resource/NotResource
    pair is set (trust policies have neither resource field), and at most one of
    Principal/NotPrincipal (none in identity policies)."""

    sid: str | None
    effect: Effect
    principal: Principal | None
    not_principal: Principal | None
    action: tuple[str, ...] | None
    not_action: tuple[str, ...] | None
    resource: tuple[str, ...] | None
    not_resource: tuple[str, ...] | None
    condition: tuple[Condition, ...]


@dataclass(frozen=True)
class PolicyDocument:
    kind: PolicyKind
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]


# --- parsing ---------------------------------------------------------------------


class _Number:
    """A JSON number, kept as its literal text so that it is not mistaken for a string."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _reject_constant(name: str) -> NoReturn:
    raise MalformedPolicy(_SYNTAX_ERRORS)


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedPolicy(f"Has duplicate field {key}.")
        result[key] = value
    return result


def parse_policy(text: str, *, kind: PolicyKind) -> PolicyDocument:
    """Parse and check a policy of the given kind; raise MalformedPolicy(detail) if it is
    not well-formed. Refuses duplicate keys anywhere in the document."""
    try:
        raw = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_int=_Number,
            parse_float=_Number,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError) as exc:
        raise MalformedPolicy(_SYNTAX_ERRORS) from exc
    if not isinstance(raw, dict):
        raise MalformedPolicy("Policy document must be a JSON object.")
    _refuse_unknown(raw, _TOP_LEVEL_KEYS)

    version = _optional_string(raw, "Version")
    if version is not None and version not in VERSIONS:
        raise MalformedPolicy("Policy document version must be 2012-10-17 or 2008-10-17.")
    policy_id = _optional_string(raw, "Id")

    if "Statement" not in raw:
        raise MalformedPolicy("Missing required field Statement")
    body = raw["Statement"]
    items = [body] if isinstance(body, dict) else body
    if not isinstance(items, list) or not items:
        raise MalformedPolicy("Statement must be an object or a non-empty list of objects.")
    statements = tuple(_parse_statement(item, kind) for item in items)
    if kind != "resource":
        _check_iam_sids(statements)
    return PolicyDocument(kind=kind, version=version, id=policy_id, statements=statements)


def _parse_statement(item: object, kind: PolicyKind) -> Statement:
    if not isinstance(item, dict):
        raise MalformedPolicy("Statement must be an object or a non-empty list of objects.")
    _refuse_unknown(item, _STATEMENT_KEYS)
    principal, not_principal = _parse_principals(item, kind)
    action, not_action = _parse_actions(item)
    resource, not_resource = _parse_resources(item, kind)
    return Statement(
        sid=_optional_string(item, "Sid"),
        effect=_parse_effect(item),
        principal=principal,
        not_principal=not_principal,
        action=action,
        not_action=not_action,
        resource=resource,
        not_resource=not_resource,
        condition=_parse_condition(item.get("Condition")),
    )


def _refuse_unknown(obj: dict[str, object], allowed: frozenset[str]) -> None:
    for key in obj:
        if key not in allowed:
            raise MalformedPolicy(f"Has prohibited field {key}.")


def _optional_string(obj: dict[str, object], field: str) -> str | None:
    value = obj.get(field)
    if value is None and field not in obj:
        return None
    if not isinstance(value, str):
        raise MalformedPolicy(f"Field {field} must be a string.")
    return value


def _parse_effect(item: dict[str, object]) -> Effect:
    if "Effect" not in item:
        raise MalformedPolicy("Missing required field Effect")
    value = item["Effect"]
    # Case-sensitive: IAM's legacy parser refuses `allow`.
    if value == "Allow":
        return Effect.ALLOW
    if value == "Deny":
        return Effect.DENY
    raise MalformedPolicy(f"Invalid effect: {_show(value)}")


def _either(item: dict[str, object], field: str) -> str | None:
    """Which of `field` / `Not<field>` the statement uses; both at once is refused."""
    has, has_not = field in item, f"Not{field}" in item
    if has and has_not:
        raise MalformedPolicy(f"Statement cannot contain both {field} and Not{field}.")
    if has:
        return field
    return f"Not{field}" if has_not else None


def _strings(value: object, field: str) -> tuple[str, ...]:
    """A string or a list of strings, as a tuple."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MalformedPolicy(f"Field {field} must be a string or a list of strings.")


def _parse_actions(
    item: dict[str, object],
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    field = _either(item, "Action")
    if field is None:
        raise MalformedPolicy(_MISSING_ACTIONS)
    actions = _strings(item[field], field)
    if not actions:
        raise MalformedPolicy(_MISSING_ACTIONS)
    for action in actions:
        _check_action(action)
    return (actions, None) if field == "Action" else (None, actions)


def _check_action(action: str) -> None:
    if action == WILDCARD:
        return
    parts = action.split(":")
    if len(parts) == 1:
        raise MalformedPolicy(_NO_VENDOR)
    if len(parts) > 2:
        raise MalformedPolicy(_TWO_COLONS)
    vendor, name = parts
    if not _VENDOR.fullmatch(vendor):
        raise MalformedPolicy(f"Vendor {vendor} is not valid")  # [AWS] IAM
    if not _ACTION_NAME.fullmatch(name):
        raise MalformedPolicy(f"Action {action} is not valid.")


def _parse_resources(
    item: dict[str, object], kind: PolicyKind
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    field = _either(item, "Resource")
    if kind == "trust":
        # A role's trust policy is about the role itself; IAM refuses a resource.
        if field is not None:
            raise MalformedPolicy(f"Has prohibited field {field}.")  # [AWS] IAM
        return None, None
    # Identity and resource policies both need Resource or NotResource: the IAM
    # grammar and Access Analyzer's MISSING_RESOURCE check exempt only trust policies.
    # Secrets Manager's own examples always carry `"Resource": "*"`.
    if field is None:
        raise MalformedPolicy(_MISSING_RESOURCES)
    resources = _strings(item[field], field)
    if not resources:
        raise MalformedPolicy(_MISSING_RESOURCES)
    for resource in resources:
        if resource != WILDCARD and not resource.startswith("arn:"):
            raise MalformedPolicy(f'Resource {resource} must be in ARN format or "*".')  # [AWS]
    return (resources, None) if field == "Resource" else (None, resources)


def _parse_principals(
    item: dict[str, object], kind: PolicyKind
) -> tuple[Principal | None, Principal | None]:
    field = _either(item, "Principal")
    if kind == "identity":
        if field is not None:
            raise MalformedPolicy(_PRINCIPAL_IN_IDENTITY)
        return None, None
    if field is None:
        raise MalformedPolicy(_MISSING_PRINCIPAL)
    if kind == "trust" and field == "NotPrincipal":
        # NotPrincipal belongs to resource policies only (IAM user guide).
        raise MalformedPolicy("Has prohibited field NotPrincipal.")
    principal = _parse_principal(item[field])
    return (principal, None) if field == "Principal" else (None, principal)


def _parse_principal(value: object) -> Principal:
    if value == WILDCARD:
        return WILDCARD
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy(f"Invalid principal in policy: {_show(value)}")
    by_kind: dict[str, tuple[str, ...]] = {}
    for kind, raw in value.items():
        if kind not in PRINCIPAL_KINDS:
            raise MalformedPolicy(f'Invalid principal in policy: "{kind}":{_show(raw)}')
        values = _principal_values(kind, raw)
        for one in values:
            if not _valid_principal_value(kind, one):
                raise MalformedPolicy(f'Invalid principal in policy: "{kind}":"{one}"')  # [AWS]
        by_kind[kind] = values
    return PrincipalMap(tuple((k, by_kind[k]) for k in PRINCIPAL_KINDS if k in by_kind))


def _principal_values(kind: str, raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and raw and all(isinstance(v, str) for v in raw):
        return tuple(raw)
    raise MalformedPolicy(f'Invalid principal in policy: "{kind}":{_show(raw)}')


def _valid_principal_value(kind: str, value: str) -> bool:
    if not value:
        return False
    if kind != "AWS":
        # Service names, identity providers and canonical user ids are opaque here.
        return not value.isspace()
    if value == WILDCARD or _ACCOUNT_ID.fullmatch(value) or _UNIQUE_ID.fullmatch(value):
        return True
    # ARNs of a root, user, role, assumed-role or federated session. Wildcards are
    # not allowed inside a principal ARN (use aws:PrincipalArn with ArnLike).
    return value.startswith("arn:") and "*" not in value and "?" not in value


def _split_operator(operator: str) -> tuple[str | None, str, bool]:
    qualifier = None
    head, sep, rest = operator.partition(":")
    if sep:
        qualifier, operator = head, rest
    if_exists = operator.endswith(_IF_EXISTS)
    base = operator[: -len(_IF_EXISTS)] if if_exists else operator
    return qualifier, base, if_exists


def _check_operator(operator: str) -> None:
    qualifier, base, if_exists = _split_operator(operator)
    known = base in CONDITION_OPERATORS and (qualifier is None or qualifier in _QUALIFIERS)
    if not known or (if_exists and base == "Null"):
        raise MalformedPolicy(f"Invalid condition operator {operator}.")


def _parse_condition(block: object) -> tuple[Condition, ...]:
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise MalformedPolicy("Condition must map operators to key/value objects.")
    conditions = []
    for operator, tests in block.items():
        _check_operator(operator)
        if not isinstance(tests, dict):
            raise MalformedPolicy(f"Condition operator {operator} must map keys to values.")
        for key, raw in tests.items():
            vendor, colon, name = key.partition(":")
            if not colon or not vendor or not name:
                raise MalformedPolicy(_NO_VENDOR)
            conditions.append(Condition(operator, key, _condition_values(key, raw)))
    return tuple(conditions)


def _condition_values(key: str, raw: object) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    values = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, str):
            values.append(item)
        elif isinstance(item, _Number):
            values.append(item.text)
        else:
            raise MalformedPolicy(
                f"Condition key {key} must have a string, boolean or number value, "
                "or a list of them."
            )
    return tuple(values)


def _check_iam_sids(statements: tuple[Statement, ...]) -> None:
    """IAM's own rules for identity and trust policies; resource policies of other
    services (Secrets Manager among them) accept any Sid string."""
    seen: set[str] = set()
    for statement in statements:
        sid = statement.sid
        if sid is None:
            continue
        if not _SID_IAM.fullmatch(sid):
            raise MalformedPolicy(_SID_NOT_ALNUM)
        if sid and sid in seen:
            raise MalformedPolicy(_SID_NOT_UNIQUE)
        seen.add(sid)


def _show(value: object) -> str:
    """A short JSON rendering of a refused value for a detail message."""
    if isinstance(value, _Number):
        return value.text
    text = json.dumps(value, default=lambda number: number.text)
    return text if len(text) <= 80 else text[:77] + "..."


# --- BlockPublicPolicy -------------------------------------------------------------

# Condition keys that tie the caller to named accounts, principals, organizations,
# sources or network endpoints (lower-case: key names are case-insensitive).
_PINNING_KEYS: Final = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOwner",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:userid",
    )
)
_PINNING_OPERATORS: Final = frozenset(
    {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}
)


def grants_public_access(doc: PolicyDocument, account_id: str) -> bool:
    """Whether a resource policy may allow anyone at all, the way BlockPublicPolicy
    refuses it. A conservative stand-in for AWS's Zelkova reasoning: it may call a
    policy public that AWS would accept, never the other way round.

    Public means an Allow statement whose principal is everyone (`"*"`, or `"*"` under
    any principal kind) or that uses NotPrincipal, unless one of its conditions pins
    the caller to specific accounts, principals, organizations, sources or VPC
    endpoints. Deny statements are ignored (they never add access), and principals of
    other accounts are not public. `account_id` (the secret's owner) is part of the
    signature for a sharper check; this approximation does not need it.
    """
    del account_id
    return any(_is_public(s) for s in doc.statements if s.effect is Effect.ALLOW)


def _is_public(statement: Statement) -> bool:
    if statement.not_principal is not None:
        # Allow with NotPrincipal grants everyone but the listed principals.
        open_to_anyone = True
    elif statement.principal is None:
        open_to_anyone = False
    else:
        open_to_anyone = _names_everyone(statement.principal)
    return open_to_anyone and not any(_pins_caller(c) for c in statement.condition)


def _names_everyone(principal: Principal) -> bool:
    if principal == WILDCARD:
        return True
    return isinstance(principal, PrincipalMap) and any(
        WILDCARD in values for values in principal.values()
    )


def _pins_caller(condition: Condition) -> bool:
    """A condition that only callers from a fixed set can satisfy.

    `…IfExists` and `ForAllValues:` pass when the key is absent, so they pin nothing;
    values with wildcards or policy variables (`${aws:PrincipalAccount}`) can match
    anyone.
    """
    qualifier, base, if_exists = _split_operator(condition.operator)
    return (
        not if_exists
        and qualifier != "ForAllValues"
        and base in _PINNING_OPERATORS
        and condition.key.lower() in _PINNING_KEYS
        and bool(condition.values)
        and not any(_is_open_value(v) for v in condition.values)
    )


def _is_open_value(value: str) -> bool:
    return not value or "*" in value or "?" in value or "${" in value
