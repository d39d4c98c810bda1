"""Every error the domain raises on purpose has a row in the wire table."""

from __future__ import annotations

import inspect

from strongroom.audit import errors as audit_errors
from strongroom.audit import lookup as audit_lookup
from strongroom.auth import errors as auth_errors
from strongroom.core import errors as core_errors
from strongroom.iam import errors as iam_errors
from strongroom.keys import service as key_service
from strongroom.kms import errors as kms_errors
from strongroom.lambdas import errors as lambda_errors
from strongroom.lambdas import logs as lambda_logs
from strongroom.policy import errors as policy_errors
from strongroom.protocol.errors import TABLE, to_wire
from strongroom.secrets import errors as secrets_errors

BASES = {core_errors.StrongroomError, secrets_errors.SecretsError,
         auth_errors.AuthenticationError, iam_errors.IamError, kms_errors.KmsError}
INTERNAL = {core_errors.StrongroomError}


def _domain_errors():
    for module in (audit_errors, audit_lookup, auth_errors, core_errors, iam_errors,
                   key_service, kms_errors, lambda_errors, lambda_logs, policy_errors,
                   secrets_errors):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, core_errors.StrongroomError) and cls.__module__ == module.__name__:
                yield cls


def test_every_domain_error_has_a_row():
    missing = [cls.__name__ for cls in _domain_errors()
               if cls not in BASES and not any(c in TABLE for c in cls.__mro__[:-3])]
    assert missing == []


def test_unmapped_errors_become_internal_failure_with_only_the_request_id():
    wire = to_wire(RuntimeError("password=hunter2"), "req-1")
    assert (wire.code, wire.status) == ("InternalFailure", 500)
    assert "hunter2" not in wire.message
    assert "req-1" in wire.message
