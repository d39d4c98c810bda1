"""Temporary credentials over time: they work until they expire, then say so, then go."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from strongroom.auth.errors import ExpiredToken, UnrecognizedClient
from strongroom.auth.sessions import SessionSpec
from strongroom.core.clock import ManualClock
from strongroom.core.config import ServerConfig
from strongroom.server.compose import build
from tests.conftest import REGIONS, _drop_pg_database, _fresh_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request):
    clock = ManualClock()
    database = store = None
    if request.param == "postgresql":
        database, store = _fresh_pg_database()
    application = build(ServerConfig(data_dir=Path(tempfile.mkdtemp()), store=store,
                                     regions=REGIONS, account_id="123456789012"), clock=clock)
    yield application, clock
    application.store.close()
    if database:
        _drop_pg_database(database)


def _spec(duration: int = 900) -> SessionSpec:
    return SessionSpec(
        account_id="123456789012", kind="AssumedRole", principal_name="app",
        principal_id="AROAEXAMPLEEXAMPLE1", principal_arn=(
            "arn:aws:sts::123456789012:assumed-role/app/s1"),
        role_arn="arn:aws:iam::123456789012:role/app", session_name="s1", duration=duration,
        session_policies=None, tags={"team": "blue"}, transitive_tag_keys=(),
        source_identity=None)


def test_a_session_works_until_it_expires_then_is_purged(app):
    application, clock = app
    creds = application.sessions.issue(_spec(900))
    principal, secret = application.sessions.lookup(creds.access_key_id, creds.session_token)
    assert secret == creds.secret_access_key
    assert principal.arn.endswith(":assumed-role/app/s1")
    assert principal.user_id == "AROAEXAMPLEEXAMPLE1:s1"
    assert principal.tags == {"team": "blue"}
    clock.advance(901)
    with pytest.raises(ExpiredToken):
        application.sessions.lookup(creds.access_key_id, creds.session_token)
    assert application.sessions.purge_expired() == 1
    with pytest.raises(UnrecognizedClient):
        application.sessions.lookup(creds.access_key_id, creds.session_token)


def test_a_session_needs_its_own_token(app):
    application, _ = app
    creds = application.sessions.issue(_spec())
    other = application.sessions.issue(_spec())
    for token in (None, "", other.session_token, creds.session_token + "x"):
        with pytest.raises(UnrecognizedClient):
            application.sessions.lookup(creds.access_key_id, token)


def test_cached_sessions_still_check_token_and_expiry(app):
    application, clock = app
    authenticator = application.json11._authenticator  # the one every request goes through
    creds = application.sessions.issue(_spec(900))
    first = authenticator._session(creds.access_key_id, creds.session_token)
    assert authenticator._session(creds.access_key_id, creds.session_token) == first
    with pytest.raises(UnrecognizedClient):
        authenticator._session(creds.access_key_id, "forged")
    clock.advance(900)
    with pytest.raises(ExpiredToken):
        authenticator._session(creds.access_key_id, creds.session_token)
