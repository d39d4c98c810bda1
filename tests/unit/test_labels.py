"""Staging labels: the moves AWS makes, and the invariants no sequence of moves breaks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.secrets import labels
from strongroom.secrets.errors import InvalidParameter, LimitExceeded

C, P, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"


def test_first_value_becomes_current():
    assert labels.promote({}, "v1") == {C: "v1"}


def test_new_value_pushes_current_to_previous():
    assert labels.promote({C: "v1"}, "v2") == {C: "v2", P: "v1"}
    assert labels.promote({C: "v2", P: "v1"}, "v3") == {C: "v3", P: "v2"}


def test_custom_labels_do_not_touch_current():
    state = labels.attach({C: "v1"}, "v2", ["one", "two", "three"])
    state = labels.attach(state, "v3", ["one", "two", "four"])
    assert labels.by_version(state) == {"v1": (C,), "v2": ("three",),
                                        "v3": ("four", "one", "two")}


def test_attaching_current_moves_previous_too():
    assert labels.attach({C: "v1"}, "v2", [C]) == {C: "v2", P: "v1"}


def test_moving_current_needs_remove_from():
    with pytest.raises(InvalidParameter) as info:
        labels.move({C: "v1"}, C, move_to="v2", remove_from=None)
    assert info.value.facts["version_id"] == "v1"
    assert labels.move({C: "v1"}, C, move_to="v2", remove_from="v1") == {C: "v2", P: "v1"}


def test_remove_from_must_hold_the_label():
    with pytest.raises(InvalidParameter):
        labels.move({C: "v1"}, "blue", move_to=None, remove_from="v1")


def test_label_only_removal():
    assert labels.move({C: "v1", "blue": "v1"}, "blue", move_to=None, remove_from="v1") == {
        C: "v1"}


def test_twenty_one_labels_on_a_version_is_too_many():
    state = labels.attach({}, "v1", [f"l{i}" for i in range(20)])
    with pytest.raises(LimitExceeded):
        labels.attach(state, "v1", ["one-more"])


versions = st.sampled_from(["v1", "v2", "v3", "v4"])
stage_names = st.sampled_from([C, P, PENDING, "blue", "green"])
steps = st.one_of(
    st.tuples(st.just("promote"), versions),
    st.tuples(st.just("attach"), versions, st.lists(stage_names, min_size=1, max_size=3)),
    st.tuples(st.just("move"), stage_names, st.none() | versions, st.none() | versions),
)


@given(st.lists(steps, max_size=30))
def test_any_sequence_keeps_current_and_no_dangling_labels(sequence):
    """Once a secret has AWSCURRENT it keeps exactly one; labels only name real versions."""
    state: dict[str, str] = {}
    created: set[str] = set()
    for step in sequence:
        had_current = C in state
        try:
            if step[0] == "promote":
                state = labels.promote(state, step[1])
                created.add(step[1])
            elif step[0] == "attach":
                state = labels.attach(state, step[1], step[2])
                created.add(step[1])
            else:
                _, stage, move_to, remove_from = step
                if stage == C and move_to is None:
                    continue  # the service never detaches AWSCURRENT without a target
                if move_to is not None and move_to not in created:
                    continue  # the service refuses unknown versions before moving labels
                state = labels.move(state, stage, move_to=move_to, remove_from=remove_from)
        except (InvalidParameter, LimitExceeded):
            continue
        assert set(state.values()) <= created
        if had_current:
            assert C in state
        grouped = labels.by_version(state)
        assert sum(len(v) for v in grouped.values()) == len(state)
