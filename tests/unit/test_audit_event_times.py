"""CloudTrail eventTimes: UTC to the second with a Z, whatever order records are made in
(the formatted second is remembered, and must never leak into another second)."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from strongroom.audit.records import event_time

EPOCHS = st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False)  # to 2100


def _expected(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


@given(st.lists(EPOCHS, min_size=1, max_size=20))
def test_every_event_time_is_its_own_second_in_utc(epochs):
    for epoch in epochs:
        assert event_time(epoch) == _expected(epoch)


def test_the_same_second_and_the_next_are_told_apart():
    assert event_time(1_700_000_000.999) == "2023-11-14T22:13:20Z"
    assert event_time(1_700_000_001.0) == "2023-11-14T22:13:21Z"
    assert event_time(1_700_000_000.0) == "2023-11-14T22:13:20Z"
