"""Service-level behaviour that needs a clock we control or many writers at once."""

from __future__ import annotations

import tempfile
import threading
import uuid
from pathlib import Path

import pytest

from strongroom.core.clock import ManualClock
from strongroom.core.config import ServerConfig
from strongroom.core.types import RequestContext
from strongroom.secrets.errors import LimitExceeded, SecretNotFound
from strongroom.secrets.model import SecretValue
from strongroom.server.compose import build
from tests.conftest import REGIONS, _drop_pg_database, _fresh_pg_database
from tests.e2e.helpers import race


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request):
    clock = ManualClock()
    database = store = None
    if request.param == "postgresql":
        database, store = _fresh_pg_database()
    config = ServerConfig(data_dir=Path(tempfile.mkdtemp()), store=store, regions=REGIONS,
                          account_id="123456789012")
    application = build(config, clock=clock)
    application.clock = clock
    yield application
    application.store.close()
    if database:
        _drop_pg_database(database)


def ctx(app) -> RequestContext:
    """The first account's administrator, as its access key authenticates it."""
    principal, _ = app.identities.lookup(app.first_start.credentials.access_key_id)
    return RequestContext(principal=principal, region="us-east-1", request_id="r")


def test_purge_deletes_a_secret_only_after_its_window(app):
    c = ctx(app)
    app.secrets.create_secret(c, name="old", token=str(uuid.uuid4()),
                              value=SecretValue.of_string("v"))
    app.secrets.delete_secret(c, "old", recovery_window_days=7)
    app.clock.advance(6 * 86400)
    assert app.secrets.purge_due() == 0
    app.secrets.describe_secret(c, "old")
    app.clock.advance(86400 + 1)
    assert app.secrets.purge_due() == 1
    with pytest.raises(SecretNotFound):
        app.secrets.describe_secret(c, "old")
    app.secrets.create_secret(c, name="old", token=str(uuid.uuid4()),
                              value=SecretValue.of_string("new"))


def test_restored_secret_is_not_purged(app):
    c = ctx(app)
    app.secrets.create_secret(c, name="keep", token=str(uuid.uuid4()),
                              value=SecretValue.of_string("v"))
    app.secrets.delete_secret(c, "keep", recovery_window_days=7)
    app.secrets.restore_secret(c, "keep")
    app.clock.advance(40 * 86400)
    assert app.secrets.purge_due() == 0
    assert app.secrets.get_secret_value(c, "keep").value.string == "v"


def test_old_unlabelled_versions_make_room_but_recent_ones_hit_the_quota(app):
    c = ctx(app)
    app.secrets.create_secret(c, name="many", token=str(uuid.uuid4()),
                              value=SecretValue.of_string("0"))
    for i in range(1, 100):
        app.secrets.put_secret_value(c, "many", token=str(uuid.uuid4()),
                                     value=SecretValue.of_string(str(i)))
    with pytest.raises(LimitExceeded):
        app.secrets.put_secret_value(c, "many", token=str(uuid.uuid4()),
                                     value=SecretValue.of_string("too soon"))
    app.clock.advance(25 * 3600)
    app.secrets.put_secret_value(c, "many", token=str(uuid.uuid4()),
                                 value=SecretValue.of_string("later"))
    _, versions = app.secrets.list_secret_version_ids(c, "many", include_deprecated=True)
    assert len(versions) == 100
    assert app.secrets.get_secret_value(c, "many").value.string == "later"


def test_concurrent_writers_keep_exactly_one_current(app):
    c = ctx(app)
    app.secrets.create_secret(c, name="race", token=str(uuid.uuid4()),
                              value=SecretValue.of_string("start"))
    errors = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                app.secrets.put_secret_value(c, "race", token=str(uuid.uuid4()),
                                             value=SecretValue.of_string(f"{n}-{i}"))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    described = app.secrets.describe_secret(c, "race")
    holders = [v for v, stages in described.stages_by_version.items() if "AWSCURRENT" in stages]
    previous = [v for v, stages in described.stages_by_version.items()
                if "AWSPREVIOUS" in stages]
    assert len(holders) == 1
    assert len(previous) == 1
    _, versions = app.secrets.list_secret_version_ids(c, "race", include_deprecated=True)
    assert len(versions) == 61


def test_concurrent_creates_of_one_name_make_one_secret(app):
    c = ctx(app)
    outcomes = race(8, lambda: app.secrets.create_secret(
        c, name="once", token=str(uuid.uuid4()), value=SecretValue.of_string("v")))
    assert outcomes.count("created") == 1
    assert set(outcomes) == {"created", "SecretExists"}


def test_deleting_a_customer_key_shreds_the_secrets_under_it(app):
    """After its window a deleted key's material is purged; its secrets can never be
    read again, though they still exist."""
    from strongroom.keys.service import DecryptFailed

    c = ctx(app)
    key = app.kms.create_key(c)
    app.secrets.create_secret(c, name="shredded", token=str(uuid.uuid4()),
                              value=SecretValue.of_string("gone soon"), kms_key_id=key.arn)
    assert app.secrets.get_secret_value(c, "shredded").value.string == "gone soon"
    app.kms.schedule_key_deletion(c, key.arn, window_days=7)
    app.clock.advance(7 * 86400 + 1)
    assert app.kms.purge_due() == 1
    with pytest.raises(DecryptFailed):
        app.secrets.get_secret_value(c, "shredded")
    assert app.secrets.describe_secret(c, "shredded").kms_key_id == key.arn


def _service_events(app, arn):
    from tests.e2e.helpers import service_events

    return [name for name, _ in service_events(app.store, "123456789012", arn)]


def test_version_deletion_events_follow_delete_restore_and_purge(app):
    c = ctx(app)
    arn = app.secrets.create_secret(c, name="evented", token=str(uuid.uuid4()),
                                    value=SecretValue.of_string("v1")).arn
    app.secrets.put_secret_value(c, "evented", token=str(uuid.uuid4()),
                                 value=SecretValue.of_string("v2"))
    app.secrets.delete_secret(c, "evented", recovery_window_days=7)
    assert _service_events(app, arn) == ["StartSecretVersionDelete"] * 2
    app.secrets.restore_secret(c, "evented")
    assert _service_events(app, arn)[2:] == ["CancelSecretVersionDelete"] * 2
    app.secrets.delete_secret(c, "evented", recovery_window_days=7)
    app.clock.advance(7 * 86400 + 1)
    assert app.secrets.purge_due() == 1
    assert _service_events(app, arn)[4:] == ["StartSecretVersionDelete"] * 2 + [
        "EndSecretVersionDelete"] * 2
