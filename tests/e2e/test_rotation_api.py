"""RotateSecret and CancelRotateSecret on the wire: AWS's errors and DescribeSecret fields.

The rotations themselves, with functions deployed through the Lambda API, are in
test_rotation_e2e.py.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import aws_error

NO_SUCH_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:nothing-here"


def test_a_secret_never_configured_shows_no_rotation_fields(sm):
    sm.create_secret(Name="plain", SecretString="v")
    described = sm.describe_secret(SecretId="plain")
    for member in ("RotationEnabled", "RotationLambdaARN", "RotationRules", "LastRotatedDate",
                   "NextRotationDate"):
        assert member not in described
    listed = sm.list_secrets()["SecretList"][0]
    assert "RotationEnabled" not in listed


def test_rotate_secret_without_a_function(sm):
    sm.create_secret(Name="nofn", SecretString="v")
    assert aws_error(sm.rotate_secret, SecretId="nofn") == (
        "InvalidRequestException",
        "No Lambda rotation function ARN is associated with this secret.", 400)


def test_rotate_secret_with_a_function_secrets_manager_may_not_invoke(sm):
    sm.create_secret(Name="denied", SecretString="v")
    assert aws_error(sm.rotate_secret, SecretId="denied", RotationLambdaARN=NO_SUCH_FUNCTION) == (
        "AccessDeniedException",
        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function "
        "policy grants access to the principal secretsmanager.amazonaws.com.", 400)
    assert "RotationEnabled" not in sm.describe_secret(SecretId="denied")


@pytest.mark.parametrize("rules", [
    {"AutomaticallyAfterDays": 10, "ScheduleExpression": "rate(10 days)"},
    {"ScheduleExpression": "rate(2 hours)"},
    {"ScheduleExpression": "cron(30 10 * * ? *)"},
    {"ScheduleExpression": "cron(0 10 * * * *)"},
    {"ScheduleExpression": "every tuesday"},
    {"ScheduleExpression": "cron(0 22 * * ? *)", "Duration": "4h"},
])
def test_rotate_secret_refuses_bad_schedules_before_anything_else(sm, rules):
    sm.create_secret(Name="sched", SecretString="v")
    code, _, status = aws_error(sm.rotate_secret, SecretId="sched",
                                RotationLambdaARN=NO_SUCH_FUNCTION, RotationRules=rules)
    assert (code, status) == ("InvalidParameterException", 400)


def test_rotation_rules_out_of_the_model_range_are_a_validation_error(sm):
    sm.create_secret(Name="range", SecretString="v")
    code, _, status = aws_error(sm.rotate_secret, SecretId="range",
                                RotationRules={"AutomaticallyAfterDays": 1001})
    assert (code, status) == ("ValidationException", 400)


def test_cancel_rotate_secret_on_a_secret_never_rotated(sm):
    sm.create_secret(Name="never", SecretString="v")
    code, _, status = aws_error(sm.cancel_rotate_secret, SecretId="never")
    assert (code, status) == ("InvalidRequestException", 400)


def test_rotation_calls_on_a_missing_secret(sm):
    assert aws_error(sm.rotate_secret, SecretId="missing")[0] == "ResourceNotFoundException"
    assert aws_error(sm.cancel_rotate_secret, SecretId="missing")[0] == \
        "ResourceNotFoundException"


def test_rotation_calls_on_a_deleted_secret(sm):
    sm.create_secret(Name="gone", SecretString="v")
    sm.delete_secret(SecretId="gone")
    assert aws_error(sm.rotate_secret, SecretId="gone",
                     RotationLambdaARN=NO_SUCH_FUNCTION)[0] == "InvalidRequestException"
