"""The rotation state machine and scheduler, with a clock we control.

The function here is a Python callable that does what AWS's rotation templates do,
called in-process through the same FunctionInvoker interface the Lambda-compatible
function service implements (that path, with real subprocess functions, is covered
end to end in test_rotation_e2e.py). Each test checks what a user of Secrets Manager
would see: labels, DescribeSecret's rotation fields, and the service events.
"""

from __future__ import annotations

import json
import tempfile
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from strongroom.core.clock import ManualClock
from strongroom.core.config import ServerConfig
from strongroom.core.types import RequestContext
from strongroom.rotation.engine import EngineSettings, RotationEngine
from strongroom.secrets.errors import (
    FunctionNotInvokable,
    InvalidParameter,
    InvalidRequest,
    VersionIdNotFound,
    VersionStageNotFound,
)
from strongroom.secrets.functions import InvocationResult
from strongroom.secrets.model import SecretValue
from strongroom.secrets.rotation import RotationService
from strongroom.secrets.schedule import parse_rules
from strongroom.server.compose import build
from tests.conftest import REGIONS, _drop_pg_database, _fresh_pg_database
from tests.e2e.helpers import service_events

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:rotator"
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC).timestamp()  # a Monday morning


class TemplateFunction:
    """Behaves like AWS's generic rotation template, calling the service directly."""

    def __init__(self, app: Any, ctx: RequestContext) -> None:
        self.app = app
        self.ctx = ctx
        self.calls: list[tuple[str, str]] = []
        self.fail_at: str | None = None
        self.hook: Callable[[str], None] | None = None

    def __call__(self, event: Mapping[str, object]) -> None:
        step, arn = str(event["Step"]), str(event["SecretId"])
        token = str(event["ClientRequestToken"])
        self.calls.append((step, token))
        if self.hook is not None:
            self.hook(step)
        if step == self.fail_at:
            raise RuntimeError(f"boom at {step}")
        secrets = self.app.secrets
        versions = secrets.describe_secret(self.ctx, arn).stages_by_version
        assert token in versions, "the placeholder must exist before the first step"
        if "AWSCURRENT" in versions[token]:
            return
        assert "AWSPENDING" in versions[token]
        if step == "createSecret":
            try:
                secrets.get_secret_value(self.ctx, arn, version_id=token,
                                         version_stage="AWSPENDING")
            except VersionIdNotFound:  # the placeholder has no value yet
                pass
            else:
                return
            current = json.loads(secrets.get_secret_value(self.ctx, arn).value.string)
            current["password"] = uuid.uuid4().hex
            secrets.put_secret_value(self.ctx, arn, token=token,
                                     value=SecretValue.of_string(json.dumps(current)),
                                     stages=["AWSPENDING"],
                                     rotation_token=str(event["RotationToken"]))
        elif step == "finishSecret":
            current = next(v for v, s in versions.items() if "AWSCURRENT" in s)
            secrets.update_version_stage(self.ctx, arn, stage="AWSCURRENT", move_to=token,
                                         remove_from=current)


class InProcessFunctions:
    def __init__(self) -> None:
        self.functions: dict[str, Callable[[Mapping[str, object]], None]] = {}
        self.allowed = True

    def may_invoke(self, function_arn: str, **_: str) -> bool:
        return self.allowed and function_arn in self.functions

    def invoke_for_service(self, function_arn: str, event: Mapping[str, object],
                           **_: str) -> InvocationResult:
        try:
            self.functions[function_arn](event)
        except Exception as exc:
            return InvocationResult(ok=False, error=f"{type(exc).__name__}: {exc}")
        return InvocationResult(ok=True, payload=b"null")


class Rig:
    def __init__(self, app: Any, clock: ManualClock) -> None:
        self.app = app
        self.clock = clock
        principal, _ = app.identities.lookup(app.first_start.credentials.access_key_id)
        self.ctx = RequestContext(principal=principal, region="us-east-1", request_id="r")
        self.functions = InProcessFunctions()
        self.function = TemplateFunction(app, self.ctx)
        self.functions.functions[FUNCTION] = self.function
        self.rotations = RotationService(app.secrets, self.functions)
        self.engine = self.new_engine()

    def new_engine(self) -> RotationEngine:
        return RotationEngine(self.app.store, self.app.secrets, self.functions, self.clock,
                              EngineSettings(lease_seconds=30, max_attempts=3, retry_delay=60))

    def secret(self, name: str = "db") -> str:
        value = json.dumps({"username": "app", "password": "first"})
        return self.app.secrets.create_secret(self.ctx, name=name, token=str(uuid.uuid4()),
                                              value=SecretValue.of_string(value)).arn

    def rotate(self, secret: str, *, rules: Any = None, immediately: bool | None = None,
               token: str | None = None) -> Any:
        return self.rotations.rotate_secret(self.ctx, secret, token=token, function_arn=FUNCTION,
                                            rules=rules, rotate_immediately=immediately)

    def describe(self, secret: str) -> Any:
        return self.app.secrets.describe_secret(self.ctx, secret)

    def password(self, secret: str, stage: str = "AWSCURRENT") -> str:
        value = self.app.secrets.get_secret_value(self.ctx, secret, version_stage=stage)
        return json.loads(value.value.string)["password"]

    def events(self, secret_arn: str) -> list[tuple[str, str | None]]:
        return service_events(self.app.store, self.app.first_start.account_id, secret_arn)


@pytest.fixture(params=["sqlite", "postgresql"])
def rig(request):
    clock = ManualClock(START)
    database = store = None
    if request.param == "postgresql":
        database, store = _fresh_pg_database()
    config = ServerConfig(data_dir=Path(tempfile.mkdtemp()), store=store, regions=REGIONS,
                          account_id="123456789012")
    application = build(config, clock=clock)
    yield Rig(application, clock)
    application.store.close()
    if database:
        _drop_pg_database(database)


def test_rotate_immediately_runs_four_steps_and_moves_the_labels(rig):
    arn = rig.secret()
    result = rig.rotate(arn, rules=parse_rules(30, None, None))
    token = result.version_id
    described = rig.describe(arn)
    assert described.stages_by_version[token] == ("AWSPENDING",)  # the value-less placeholder
    with pytest.raises(VersionStageNotFound):
        rig.app.secrets.get_secret_value(rig.ctx, arn, version_stage="AWSPENDING")
    assert rig.engine.run_pending() == 1
    assert [s for s, _ in rig.function.calls] == ["createSecret", "setSecret", "testSecret",
                                                  "finishSecret"]
    assert {t for _, t in rig.function.calls} == {token}
    described = rig.describe(arn)
    assert described.stages_by_version[token] == ("AWSCURRENT",)  # AWSPENDING removed
    assert "AWSPREVIOUS" in next(s for v, s in described.stages_by_version.items() if v != token)
    assert rig.password(arn) != "first"
    assert rig.password(arn, "AWSPREVIOUS") == "first"
    assert described.rotation_enabled is True
    assert described.last_rotated == START
    # 30 days after the rotation, the whole UTC day: AWS reports the window's last second
    assert described.next_rotation_date == datetime(2026, 4, 1, 23, 59, 59, tzinfo=UTC).timestamp()
    assert [e for e, _ in rig.events(arn)] == ["RotationStarted", "RotationSucceeded"]


def test_scheduled_rotation_starts_when_its_window_opens(rig):
    arn = rig.secret()
    rig.rotate(arn, rules=parse_rules(None, "cron(0 10 * * ? *)", "2h"))
    rig.engine.run_pending()
    first = rig.password(arn)
    # rotated at 09:30 on Monday: the next window is today's, 10:00 to 12:00
    assert rig.describe(arn).next_rotation_date == datetime(
        2026, 3, 2, 11, 59, 59, tzinfo=UTC).timestamp()
    rig.clock.advance(29 * 60)  # 09:59: before the window
    assert rig.engine.run_pending() == 0
    rig.clock.advance(60)  # 10:00 sharp
    assert rig.engine.run_pending() == 1
    assert rig.password(arn) != first
    assert rig.describe(arn).last_rotated == datetime(2026, 3, 2, 10, tzinfo=UTC).timestamp()
    assert rig.describe(arn).next_rotation_date == datetime(
        2026, 3, 3, 11, 59, 59, tzinfo=UTC).timestamp()


def test_rotate_immediately_false_tests_the_function_and_waits_for_the_window(rig):
    arn = rig.secret()
    result = rig.rotate(arn, rules=parse_rules(1, None, None), immediately=False)
    assert result.version_id is None
    rig.engine.run_pending()
    assert [s for s, _ in rig.function.calls] == ["testSecret"]
    assert rig.password(arn) == "first"
    described = rig.describe(arn)
    assert all("AWSPENDING" not in s for s in described.stages_by_version.values())
    assert len(described.stages_by_version) == 1  # the test's version is gone again
    assert [e for e, _ in rig.events(arn)] == ["TestRotationStarted", "TestRotationSucceeded"]
    rig.clock.advance(86400 - 9 * 3600)  # the next UTC day, 00:30
    assert rig.engine.run_pending() == 1
    assert rig.password(arn) != "first"


@pytest.mark.parametrize("step", ["createSecret", "setSecret", "testSecret", "finishSecret"])
def test_a_failing_step_leaves_the_old_value_and_retries(rig, step):
    arn = rig.secret()
    rig.function.fail_at = step
    token = rig.rotate(arn).version_id
    rig.engine.run_pending()
    assert rig.password(arn) == "first"  # readers never see a half-done rotation
    assert "AWSPENDING" in rig.describe(arn).stages_by_version[token]
    events = rig.events(arn)
    assert events[-1] == ("RotationFailed",
                          f"Error when executing lambda {FUNCTION} during {step} step")
    with pytest.raises(InvalidRequest) as refused:
        rig.rotate(arn)
    assert refused.value.reason == "rotation_in_progress"
    rig.function.fail_at = None
    rig.clock.advance(61)  # the retry's back-off
    assert rig.engine.run_pending() == 1
    assert rig.password(arn) != "first"
    assert rig.describe(arn).stages_by_version[token] == ("AWSCURRENT",)
    assert rig.events(arn)[-1][0] == "RotationSucceeded"


def test_after_the_last_attempt_the_rotation_waits_for_its_next_window(rig):
    arn = rig.secret()
    rig.function.fail_at = "setSecret"
    rig.rotate(arn, rules=parse_rules(None, "cron(0 10 * * ? *)", "2h"))
    for _ in range(3):
        rig.engine.run_pending()
        rig.clock.advance(300)
    assert [e for e, _ in rig.events(arn)].count("RotationFailed") == 3
    assert rig.engine.run_pending() == 0  # out of attempts: it waits
    with pytest.raises(InvalidRequest):  # AWS: "... That rotation will be reattempted."
        rig.rotate(arn)
    rig.function.fail_at = None
    assert rig.describe(arn).next_rotation_date == datetime(
        2026, 3, 2, 11, 59, 59, tzinfo=UTC).timestamp()
    rig.clock.advance(900)  # 10:00, the window opens
    assert rig.engine.run_pending() == 1
    assert rig.password(arn) != "first"


def test_a_failed_rotation_without_a_schedule_is_retried_daily(rig):
    arn = rig.secret()
    rig.function.fail_at = "setSecret"
    rig.rotate(arn)
    for _ in range(3):
        rig.engine.run_pending()
        rig.clock.advance(300)
    rig.function.fail_at = None
    assert rig.engine.run_pending() == 0
    rig.clock.advance(86400)
    assert rig.engine.run_pending() == 1
    assert rig.password(arn) != "first"


def test_a_new_current_value_abandons_the_rotation(rig):
    arn = rig.secret()
    rig.function.fail_at = "setSecret"
    token = rig.rotate(arn).version_id
    rig.engine.run_pending()
    rig.app.secrets.put_secret_value(rig.ctx, arn, token=str(uuid.uuid4()),
                                     value=SecretValue.of_string('{"password": "manual"}'))
    assert "AWSPENDING" not in rig.describe(arn).stages_by_version.get(token, ())
    assert rig.events(arn)[-1][0] == "RotationAbandoned"
    rig.clock.advance(3600)
    assert rig.engine.run_pending() == 0
    rig.function.fail_at = None
    rig.rotate(arn)  # a new rotation may start at once
    rig.engine.run_pending()
    assert rig.password(arn) not in ("first", "manual")


def test_cancel_stops_rotation_and_leaves_the_pending_version(rig):
    arn = rig.secret()
    rig.function.fail_at = "testSecret"
    token = rig.rotate(arn, rules=parse_rules(7, None, None)).version_id
    rig.engine.run_pending()
    cancelled = rig.rotations.cancel_rotate_secret(rig.ctx, arn)
    assert cancelled.version_id == token
    described = rig.describe(arn)
    assert described.rotation_enabled is False
    assert described.rotation_lambda_arn == FUNCTION  # kept, as AWS keeps it
    assert described.rotation_rules is not None
    assert described.next_rotation_date is None
    assert "AWSPENDING" in described.stages_by_version[token]
    rig.function.fail_at = None
    rig.clock.advance(30 * 86400)
    assert rig.engine.run_pending() == 0
    with pytest.raises(InvalidRequest):  # the caller must clear AWSPENDING first
        rig.rotate(arn)
    rig.app.secrets.update_version_stage(rig.ctx, arn, stage="AWSPENDING", move_to=None,
                                         remove_from=token)
    rig.rotate(arn)
    rig.engine.run_pending()
    assert rig.describe(arn).rotation_enabled is True


def test_rotate_secret_refusals(rig):
    arn = rig.secret()
    with pytest.raises(InvalidRequest) as no_function:
        rig.rotations.rotate_secret(rig.ctx, arn, token=None, function_arn=None, rules=None,
                                    rotate_immediately=None)
    assert no_function.value.reason == "no_rotation_lambda"
    with pytest.raises(InvalidRequest) as never:
        rig.rotations.cancel_rotate_secret(rig.ctx, arn)
    assert never.value.reason == "rotation_not_configured"
    rig.functions.allowed = False
    with pytest.raises(FunctionNotInvokable):
        rig.rotate(arn)
    with pytest.raises(InvalidParameter):
        rig.rotate(arn, rules=parse_rules(None, "rate(1 hour)", None))
    assert rig.describe(arn).rotation_enabled is None  # nothing was changed


def test_retried_rotate_secret_with_the_same_token_starts_nothing_new(rig):
    arn = rig.secret()
    token = str(uuid.uuid4())
    assert rig.rotate(arn, token=token).version_id == token
    assert rig.rotate(arn, token=token).version_id == token
    assert rig.engine.run_pending() == 1
    assert len(rig.function.calls) == 4


def test_wrong_rotation_token_is_refused(rig):
    arn = rig.secret()
    token = rig.rotate(arn).version_id
    with pytest.raises(InvalidRequest) as refused:
        rig.app.secrets.put_secret_value(rig.ctx, arn, token=token,
                                         value=SecretValue.of_string("x"),
                                         stages=["AWSPENDING"], rotation_token="not-it")
    assert refused.value.reason == "rotation_token_invalid"


def test_a_worker_that_dies_mid_rotation_is_resumed_after_its_lease(rig):
    arn = rig.secret()
    token = rig.rotate(arn).version_id
    dying = rig.engine
    original = rig.functions.invoke_for_service

    def crash(function_arn: str, event: Mapping[str, object], **kw: str) -> InvocationResult:
        if event["Step"] == "testSecret":  # the worker's process ends inside this call
            raise RuntimeError("worker died")
        return original(function_arn, event, **kw)

    [row] = dying.claim(4)
    rig.functions.invoke_for_service = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        dying.run(row)
    rig.functions.invoke_for_service = original  # type: ignore[method-assign]
    survivor = rig.new_engine()
    assert survivor.claim(4) == []  # the lease still holds
    rig.clock.advance(31)
    [taken] = survivor.claim(4)
    assert taken.step == "testSecret"  # resumes at the step reached
    survivor.run(taken)
    assert [s for s, _ in rig.function.calls] == ["createSecret", "setSecret", "testSecret",
                                                  "finishSecret"]
    assert rig.describe(arn).stages_by_version[token] == ("AWSCURRENT",)


def test_two_engines_never_run_the_same_rotation(rig):
    arns = [rig.secret(f"s{i}") for i in range(12)]
    for arn in arns:
        rig.rotate(arn)
    engines = [rig.new_engine(), rig.new_engine()]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(engine: RotationEngine) -> None:
        try:
            barrier.wait()
            engine.run_pending()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    steps = rig.function.calls
    assert len(steps) == len(set(steps)) == 4 * len(arns)  # each step of each rotation once
    for arn in arns:
        assert rig.events(arn)[-1][0] == "RotationSucceeded"


def test_a_secret_scheduled_for_deletion_keeps_its_rotation_waiting(rig):
    arn = rig.secret()
    token = rig.rotate(arn, rules=parse_rules(1, None, None)).version_id
    rig.app.secrets.delete_secret(rig.ctx, arn, recovery_window_days=7)
    rig.clock.advance(3 * 86400)
    assert rig.engine.run_pending() == 0
    assert rig.function.calls == []
    rig.app.secrets.restore_secret(rig.ctx, arn)
    assert rig.engine.run_pending() == 1
    assert rig.describe(arn).stages_by_version[token] == ("AWSCURRENT",)


def test_a_window_that_cannot_start_is_skipped_without_holding_up_others(rig):
    full, other = rig.secret("full"), rig.secret("other")

    def put(n: int) -> None:
        for i in range(n):
            rig.app.secrets.put_secret_value(rig.ctx, full, token=str(uuid.uuid4()),
                                             value=SecretValue.of_string(json.dumps(
                                                 {"password": str(i)})))

    put(98)  # 99 versions: room for the test rotation's placeholder
    rules = parse_rules(1, None, None)
    for arn in (full, other):
        rig.rotate(arn, rules=rules, immediately=False)
    rig.engine.run_pending()  # the two rotation tests, whose placeholders go again
    put(1)  # 100 versions younger than a day: no room for a rotation's placeholder
    rig.clock.advance(14.5 * 3600 + 1)  # 00:00 the next UTC day: both windows open
    assert rig.engine.run_pending() == 1
    assert rig.password(other) != "first"
    assert rig.events(full)[-1] == ("RotationFailed", "The rotation could not start.")
    assert rig.describe(full).next_rotation_date > rig.clock.now()
