"""Wildcard matching of actions, resources, ARNs and principals against a request.

This module owns what `*` and `?` mean in Action, Resource and the Like/Arn
condition operators, how a Resource or ARN is compared segment by segment, and
how far a Principal element reaches the caller (directly, through the caller's
role or user, or only through its account). It must not decide allow or deny,
read policy documents whole, or resolve policy variables (patterns arrive here
already resolved into `Pattern` tokens).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Literal, TypeAlias

from strongroom.policy.document import WILDCARD, Principal, PrincipalMap

ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")
_ACCOUNT_ROOT: Final = re.compile(r"arn:[^:]+:iam::([0-9]{12}):root")
_FEDERATED: Final = re.compile(r"arn:([^:]+):sts::([0-9]{12}):federated-user/(.+)")
_ARN_SEGMENTS: Final = 6  # arn:partition:service:region:account:resource


class Wild(enum.Enum):
    """A wildcard inside a pattern: `*` (any run, including empty) or `?` (one char)."""

    STAR = "*"
    ONE = "?"


# A resolved pattern: literal text runs and wildcards, in order. Literal text never
# holds a wildcard meaning, so `${*}` (a literal star) stays a plain "*" string.
Pattern: TypeAlias = tuple[str | Wild, ...]


def plain_pattern(text: str) -> Pattern:
    """The pattern for text where every `*` and `?` is a wildcard (no variables)."""
    return _plain_pattern(text)


@lru_cache(maxsize=8192)
def _plain_pattern(text: str) -> Pattern:
    tokens: list[str | Wild] = []
    literal: list[str] = []
    for char in text:
        if char in "*?":
            if literal:
                tokens.append("".join(literal))
                literal = []
            tokens.append(Wild.STAR if char == "*" else Wild.ONE)
        else:
            literal.append(char)
    if literal:
        tokens.append("".join(literal))
    return tuple(tokens)


@lru_cache(maxsize=8192)
def _regex(pattern: Pattern, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for token in pattern:
        if token is Wild.STAR:
            parts.append(".*")
        elif token is Wild.ONE:
            parts.append(".")
        else:
            parts.append(re.escape(token))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def like(pattern: Pattern, value: str, *, ignore_case: bool = False) -> bool:
    """Whether the whole of `value` matches the pattern (StringLike semantics)."""
    return _regex(pattern, ignore_case).fullmatch(value) is not None


def glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """`like` for a pattern written as text, every `*`/`?` a wildcard."""
    return like(_plain_pattern(pattern), value, ignore_case=ignore_case)


# --- actions -----------------------------------------------------------------------


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """Whether any Action pattern names the action; case-insensitive, as IAM is."""
    return any(glob(p, action, ignore_case=True) for p in patterns)


# --- ARNs and resources -----------------------------------------------------------


def split_pattern(pattern: Pattern, parts: int = _ARN_SEGMENTS) -> list[Pattern] | None:
    """The pattern cut at its first `parts - 1` literal colons, or None if it has fewer.

    The last piece keeps any further colons: the resource part of an ARN may hold
    them (`arn:aws:secretsmanager:r:a:secret:name`).
    """
    pieces: list[Pattern] = []
    current: list[str | Wild] = []
    for token in pattern:
        if isinstance(token, Wild) or len(pieces) == parts - 1:
            current.append(token)
            continue
        text = token
        while len(pieces) < parts - 1 and ":" in text:
            head, _, text = text.partition(":")
            if head:
                current.append(head)
            pieces.append(tuple(current))
            current = []
        if text:
            current.append(text)
    if len(pieces) != parts - 1:
        return None
    pieces.append(tuple(current))
    return pieces


def arn_like(pattern: Pattern, value: str) -> bool:
    """ArnLike/ArnEquals: each of the six colon-separated segments matched on its own,
    so a wildcard never spans a colon before the resource part. Case-sensitive.

    A pattern that is only `*` matches any value (it names every ARN).
    """
    if pattern == (Wild.STAR,):
        return True
    return _segments_match(pattern, value)


def _segments_match(pattern: Pattern, value: str) -> bool:
    compiled = _arn_regex(pattern)
    return compiled is not None and compiled.fullmatch(value) is not None


@lru_cache(maxsize=8192)
def _arn_regex(pattern: Pattern) -> re.Pattern[str] | None:
    """One regex for a six-segment pattern: wildcards of the first five segments stop at
    colons, those of the resource part do not. None if the pattern has fewer segments."""
    segments = split_pattern(pattern)
    if segments is None:
        return None
    last = len(segments) - 1
    parts = []
    for index, segment in enumerate(segments):
        star, one = (".*", ".") if index == last else ("[^:]*", "[^:]")
        parts.append(
            "".join(
                star if t is Wild.STAR else one if t is Wild.ONE else re.escape(t) for t in segment
            )
        )
    return re.compile(":".join(parts), re.DOTALL)


def resource_matches(pattern: Pattern, resource: str) -> bool:
    """One Resource entry against the request's resource ARN.

    `*` matches everything, including the `*` of actions without a resource type;
    any other entry is compared segment-wise like ArnLike (case-sensitive), so it
    never matches the `*` resource of ListSecrets or GetRandomPassword.
    """
    if pattern == (Wild.STAR,):
        return True
    return _segments_match(pattern, resource)


# --- principals -------------------------------------------------------------------


class Reach(enum.IntEnum):
    """How far a Principal element reaches the caller, weakest first.

    ACCOUNT: it names the caller's account, delegating to that account's IAM
    policies. VIA_PARENT: it names the role of a role session, or the IAM user
    behind a federated-user session; the grant is still bounded by the caller's
    permissions boundary and session policies. DIRECT: it names the caller itself
    (user, session, service) or everyone.
    """

    NONE = 0
    ACCOUNT = 1
    VIA_PARENT = 2
    DIRECT = 3


def account_of_principal(value: str) -> str | None:
    """The account a principal value names as a whole (`123…` or `arn:…:root`)."""
    if ACCOUNT_ID.fullmatch(value):
        return value
    found = _ACCOUNT_ROOT.fullmatch(value)
    return found.group(1) if found else None


CallerKind: TypeAlias = Literal[
    "root", "user", "assumed-role", "federated-user", "service", "anonymous"
]


@dataclass(frozen=True)
class CallerFacts:
    """Who is calling, as policies see it.

    `arn` is the caller's own ARN: an IAM user, the account root, an assumed-role
    session (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`), a federated-user
    session, or a service principal name such as `secretsmanager.amazonaws.com`
    (empty for anonymous callers). `role_arn` is the role of a role session (with
    its path); `user_id` is `aws:userid` (`AIDA…`, or `AROA…:<session>`); `tags`
    are the principal's tags (`aws:PrincipalTag/<key>`), session tags merged in.
    """

    arn: str
    account: str
    user_id: str = ""
    role_arn: str | None = None
    session_name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> CallerKind:
        """What the ARN names, as `aws:PrincipalType` distinguishes callers."""
        arn = self.arn
        if not arn.startswith("arn:"):
            return "service" if arn.endswith(".amazonaws.com") else "anonymous"
        resource = arn.split(":", 5)[-1]
        if ":sts::" in arn:
            if resource.startswith("assumed-role/"):
                return "assumed-role"
            if resource.startswith("federated-user/"):
                return "federated-user"
        if resource == "root":
            return "root"
        return "user"

    @property
    def parent_arn(self) -> str | None:
        """The role of a role session, or the IAM user behind a federated user."""
        if self.role_arn is not None:
            return self.role_arn
        found = _FEDERATED.fullmatch(self.arn)
        if found is None:
            return None
        partition, account, name = found.groups()
        return f"arn:{partition}:iam::{account}:user/{name}"

    @property
    def parent_id(self) -> str | None:
        """The role's unique id (`AROA…`) of a role session, from `aws:userid`."""
        head, sep, _ = self.user_id.partition(":")
        return head if sep and self.kind == "assumed-role" else None


def principal_reach(principal: Principal, caller: CallerFacts) -> Reach:
    """How far a Principal element reaches the caller (the strongest of its values).

    Principal ARNs are compared exactly (IAM: "the user name part of the ARN is case
    sensitive"); wildcards inside them are not allowed, so none are expanded. A role
    ARN reaches its sessions only VIA_PARENT; an account id or root ARN reaches every
    principal of that account at ACCOUNT level (DIRECT for the root user itself).
    `Federated` and `CanonicalUser` never match: strongroom has no such callers.
    """
    if principal == WILDCARD:
        return Reach.DIRECT
    if not isinstance(principal, PrincipalMap):
        return Reach.NONE
    best = Reach.NONE
    for kind, values in principal.entries:
        if kind == "AWS":
            best = max(best, max(_aws_reach(v, caller) for v in values))
        elif kind == "Service" and caller.kind == "service":
            wanted = caller.arn.lower()
            if any(v.lower() == wanted for v in values):
                best = Reach.DIRECT
    return best


def _aws_reach(value: str, caller: CallerFacts) -> Reach:
    if value == WILDCARD:
        # `{"AWS": "*"}` is everyone, like `"*"` (IAM user guide, "All principals");
        # service principals are not AWS identities.
        return Reach.NONE if caller.kind == "service" else Reach.DIRECT
    if caller.kind in ("service", "anonymous"):
        return Reach.NONE
    if value in (caller.arn, caller.user_id) and value:
        return Reach.DIRECT
    account = account_of_principal(value)
    if account is not None:
        if account != caller.account:
            return Reach.NONE
        return Reach.DIRECT if caller.kind == "root" else Reach.ACCOUNT
    if value in (caller.parent_arn, caller.parent_id):
        return Reach.VIA_PARENT
    return Reach.NONE


def not_principal_applies(principal: Principal, caller: CallerFacts, *, deny: bool) -> bool:
    """Whether a NotPrincipal element lets its statement apply to the caller.

    AWS may check a caller as its account, then its role (or federating user), then
    itself; the IAM user guide therefore asks a Deny with NotPrincipal to list the
    account and role too, or the account "might" be denied. We take the strict reading
    both ways: a Deny applies unless every identity in the caller's chain is listed,
    and an Allow applies only if none of them is listed.
    """
    chain = _identity_chain(caller)
    listed = [_listed(principal, identity, caller) for identity in chain]
    return not all(listed) if deny else not any(listed)


def _identity_chain(caller: CallerFacts) -> list[str]:
    if caller.kind in ("service", "anonymous"):
        return [caller.arn]
    chain = ["account"]
    if caller.parent_arn is not None:
        chain.append("parent")
    if caller.kind != "root":
        chain.append("self")
    return chain


def _listed(principal: Principal, identity: str, caller: CallerFacts) -> bool:
    if principal == WILDCARD:
        return True
    if not isinstance(principal, PrincipalMap):
        return False
    for kind, values in principal.entries:
        if kind == "Service" and caller.kind == "service":
            return any(v.lower() == caller.arn.lower() for v in values)
        if kind != "AWS":
            continue
        for value in values:
            if value == WILDCARD and caller.kind != "service":
                return True
            if identity == "account" and account_of_principal(value) == caller.account:
                return True
            if identity == "parent" and value in (caller.parent_arn, caller.parent_id):
                return True
            if identity == "self" and value in (caller.arn, caller.user_id):
                return True
    return False
