"""Secret names, ARNs and how a SecretId is resolved to one of them.

AWS ARNs end in a hyphen and six random characters; a SecretId may be the name,
the full ARN, or the ARN without that suffix (a partial ARN).
"""

from __future__ import annotations

import re
import secrets as random_source
import string

from strongroom.secrets.errors import InvalidName
from strongroom.secrets.model import SecretRef

_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]+")
_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
_SUFFIX_ALPHABET = string.ascii_letters + string.digits
PARTITION = "aws"


def validate_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise InvalidName()


def new_arn(region: str, account_id: str, name: str) -> str:
    suffix = "".join(random_source.choice(_SUFFIX_ALPHABET) for _ in range(6))
    return f"{arn_prefix(region, account_id)}{name}-{suffix}"


def arn_prefix(region: str, account_id: str) -> str:
    return f"arn:{PARTITION}:secretsmanager:{region}:{account_id}:secret:"


def unsuffixed_arn(region: str, account_id: str, name: str) -> str:
    """The ARN a policy sees for a secret that does not exist (no random suffix)."""
    return f"{arn_prefix(region, account_id)}{name}"


def parse_secret_id(secret_id: str) -> SecretRef:
    """Classify a SecretId. Names are checked for valid characters, as AWS does."""
    if not secret_id.startswith("arn:"):
        validate_name(secret_id)
        return SecretRef(secret_id, name=secret_id)
    parts = secret_id.split(":", 6)
    if len(parts) != 7 or parts[2] != "secretsmanager" or parts[5] != "secret" or not parts[6]:
        return SecretRef(secret_id)  # names nothing; lookups will not find it
    region, account_id, tail = parts[3], parts[4], parts[6]
    if _SUFFIX.search(tail):
        # AWS takes the last seven characters as the random suffix whenever they look
        # like one, so a partial ARN of a name ending in "-xxxxxx" never resolves.
        return SecretRef(secret_id, arn=secret_id, account_id=account_id, region=region)
    return SecretRef(secret_id, name=tail, account_id=account_id, region=region)
