"""IAM identifiers: names, paths, unique ids, ARNs and access-key credentials.

IAM is global, so its ARNs carry no region. Unique ids are a four-letter
prefix naming the kind (AIDA user, AROA role, AGPA group, ANPA policy) and 17
upper-case letters or digits. This module only builds and checks strings; it
must not read the store or know wire error codes.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets as random_source
import string

from strongroom.core.errors import ValidationFailed

PARTITION = "aws"
AWS_ACCOUNT = "aws"  # the owner of AWS managed policies in their ARNs
USER_PREFIX, ROLE_PREFIX, GROUP_PREFIX, POLICY_PREFIX = "AIDA", "AROA", "AGPA", "ANPA"
ACCESS_KEY_PREFIX = "AKIA"

_ID_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
# Java's \w (the botocore patterns) is ASCII-only; so is ours.
_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
_NAME_PATTERN = "[\\w+=,.@-]+"
_PATH = re.compile(r"/|/[\x21-\x7e]+/")
_PATH_PATTERN = "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
_POLICY_PATH = re.compile(r"(/[A-Za-z0-9.,+@=_-]+)*/")
_POLICY_PATH_PATTERN = "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/"
_POLICY_ARN = re.compile(
    r"arn:aws:iam::(?P<account>[0-9]{12}|aws):policy(?P<path>/(?:[\x21-\x7e]*/)?)"
    r"(?P<name>[\w+=,.@-]+)", re.ASCII)


def new_unique_id(prefix: str) -> str:
    return prefix + "".join(random_source.choice(_ID_ALPHABET) for _ in range(17))


def fixed_unique_id(prefix: str, seed: str) -> str:
    """A stable id for something every node must name alike (AWS managed policies)."""
    digest = base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()
    return prefix + digest[:17]


def new_access_key_id() -> str:
    return ACCESS_KEY_PREFIX + "".join(random_source.choice(_ID_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    return "".join(random_source.choice(_SECRET_ALPHABET) for _ in range(40))


def access_key_purpose(access_key_id: str) -> str:
    """The root-key wrapping label of an access key's secret (bound as associated data)."""
    return f"access-key:{access_key_id}"


def iam_arn(account_id: str, kind: str, path: str, name: str) -> str:
    """`kind` is user, role, group or policy; `path` starts and ends with "/"."""
    return f"arn:{PARTITION}:iam::{account_id}:{kind}{path}{name}"


def check_name(name: str, member: str, maximum: int) -> None:
    if not 1 <= len(name) <= maximum:
        raise ValidationFailed(
            member, f"Member must have length less than or equal to {maximum}", name[:200])
    if not _NAME.fullmatch(name):
        raise ValidationFailed(
            member, f"Member must satisfy regular expression pattern: {_NAME_PATTERN}", name)


def check_path(path: str, member: str = "path") -> None:
    if len(path) > 512:
        raise ValidationFailed(member, "Member must have length less than or equal to 512",
                               path[:200])
    if not _PATH.fullmatch(path):
        raise ValidationFailed(
            member, f"Member must satisfy regular expression pattern: {_PATH_PATTERN}", path)


def check_policy_path(path: str, member: str = "path") -> None:
    if len(path) > 512:
        raise ValidationFailed(member, "Member must have length less than or equal to 512",
                               path[:200])
    if not _POLICY_PATH.fullmatch(path):
        raise ValidationFailed(
            member, f"Member must satisfy regular expression pattern: {_POLICY_PATH_PATTERN}",
            path)


def parse_policy_arn(arn: str) -> tuple[str, str, str] | None:
    """(account or "aws", path, name) of a managed policy ARN, or None if it is not one."""
    match = _POLICY_ARN.fullmatch(arn)
    if match is None:
        return None
    return match["account"], match["path"], match["name"]


def path_matches(path: str, prefix: str | None) -> bool:
    return prefix is None or path.startswith(prefix)
