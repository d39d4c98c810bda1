"""CloudTrail eventIDs: UUIDs, unique, and in the order they were made (so that storing a
record appends to the index that finds it by its eventID)."""

from __future__ import annotations

import time
import uuid

from strongroom.audit.records import new_event_id


def test_event_ids_are_version_7_uuids_in_their_canonical_form():
    for _ in range(100):
        text = new_event_id()
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_event_ids_are_unique():
    ids = [new_event_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)


def test_event_ids_sort_in_the_order_they_were_made_across_milliseconds():
    made = []
    for _ in range(5):
        made.append(new_event_id())
        time.sleep(0.002)
    assert sorted(made) == made


def test_event_ids_carry_the_unix_time_in_milliseconds():
    before = time.time_ns() // 1_000_000
    stamp = uuid.UUID(new_event_id()).int >> 80
    after = time.time_ns() // 1_000_000
    assert before <= stamp <= after
