"""Typed failures of the Secrets Manager domain.

Each class names one situation AWS distinguishes and carries the facts its
message needs. The wire table in `strongroom.protocol.errors` turns them into
AWS codes and texts; nothing here knows HTTP. None may carry a secret value.
"""

from __future__ import annotations

from strongroom.core.errors import StrongroomError


class SecretsError(StrongroomError):
    """Base of every Secrets Manager domain error."""


# --- not found -----------------------------------------------------------------


class SecretNotFound(SecretsError):
    def __init__(self, secret_id: str) -> None:
        super().__init__("secret not found")
        self.secret_id = secret_id


class VersionStageNotFound(SecretsError):
    def __init__(self, stage: str) -> None:
        super().__init__(f"no value for staging label {stage}")
        self.stage = stage


class VersionIdNotFound(SecretsError):
    def __init__(self, version_id: str) -> None:
        super().__init__(f"no value for version {version_id}")
        self.version_id = version_id


class PolicyNameNotFound(SecretsError):
    def __init__(self, policy_name: str) -> None:
        super().__init__(f"no resource policy named {policy_name}")
        self.policy_name = policy_name


# --- exists --------------------------------------------------------------------


class SecretExists(SecretsError):
    def __init__(self, name: str) -> None:
        super().__init__(f"secret {name} exists")
        self.name = name


class TokenInUse(SecretsError):
    """A ClientRequestToken already names a version holding another value."""

    def __init__(self, token: str, arn: str) -> None:
        super().__init__(f"token {token} in use for {arn}")
        self.token = token
        self.arn = arn


# --- invalid request (valid parameters, wrong state) ----------------------------


class NameScheduledForDeletion(SecretsError):
    def __init__(self, name: str) -> None:
        super().__init__(f"name {name} scheduled for deletion")
        self.name = name


class SecretMarkedForDeletion(SecretsError):
    def __init__(self, arn: str) -> None:
        super().__init__(f"{arn} is marked for deletion")
        self.arn = arn


class SecretAlreadyMarkedDeleted(SecretsError):
    def __init__(self, arn: str) -> None:
        super().__init__(f"{arn} is already marked deleted")
        self.arn = arn


class ClientRequestTokenMissing(SecretsError):
    def __init__(self) -> None:
        super().__init__("ClientRequestToken missing")


class StageNotOnVersion(SecretsError):
    """GetSecretValue named both a VersionId and a VersionStage that disagree."""

    def __init__(self, version_id: str, stage: str) -> None:
        super().__init__(f"{stage} is not on {version_id}")
        self.version_id = version_id
        self.stage = stage


class OperationNotAvailable(SecretsError):
    """An operation that belongs to a later piece of work (rotation, replication)."""

    def __init__(self, operation: str) -> None:
        super().__init__(f"{operation} is not available")
        self.operation = operation


# --- invalid parameter ---------------------------------------------------------


class InvalidName(SecretsError):
    def __init__(self) -> None:
        super().__init__("invalid secret name")


class InvalidParameter(SecretsError):
    """A parameter is wrong in a way AWS reports as InvalidParameterException.

    `reason` is one of the keys of `strongroom.protocol.errors.INVALID_PARAMETER_TEXTS`;
    `facts` fill that text's placeholders.
    """

    def __init__(self, reason: str, **facts: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.facts = facts


class InvalidRequest(SecretsError):
    """A valid parameter that the secret's state forbids (InvalidRequestException).

    `reason` is a key of `strongroom.protocol.errors.INVALID_REQUEST_TEXTS`.
    """

    def __init__(self, reason: str, **facts: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.facts = facts


class LimitExceeded(SecretsError):
    """A quota would be exceeded; `limit` names it (`versions`, `labels`, `tags`)."""

    def __init__(self, limit: str, maximum: int) -> None:
        super().__init__(f"{limit} limit {maximum} exceeded")
        self.limit = limit
        self.maximum = maximum


class InvalidNextToken(SecretsError):
    def __init__(self) -> None:
        super().__init__("invalid NextToken")


class KmsAccessDenied(SecretsError):
    """The caller may not use the secret's KMS key (kms:Decrypt / kms:GenerateDataKey)."""

    def __init__(self) -> None:
        super().__init__("access to KMS is not allowed")


class PublicPolicy(SecretsError):
    """BlockPublicPolicy refused a resource policy that grants broad access."""

    def __init__(self) -> None:
        super().__init__("resource policy grants public access")


class FunctionNotInvokable(SecretsError):
    """RotateSecret found a rotation function that Secrets Manager may not invoke (it does
    not exist, or its resource policy does not let secretsmanager.amazonaws.com in)."""

    def __init__(self, function_arn: str) -> None:
        super().__init__(f"cannot invoke {function_arn}")
        self.function_arn = function_arn
