"""How staging labels move between versions, as pure functions on a label map.

A label map is `{label: version_id}`: by construction a label sits on at most one
version. These functions return a new map; the service writes the difference.
They raise the domain errors AWS gives for impossible moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from strongroom.secrets.errors import InvalidParameter, LimitExceeded
from strongroom.secrets.model import MAX_LABELS_PER_VERSION, Stage

LabelMap = dict[str, str]


def labels_of(labels: Mapping[str, str], version_id: str) -> tuple[str, ...]:
    return tuple(sorted(label for label, v in labels.items() if v == version_id))


def by_version(labels: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for label, version_id in labels.items():
        grouped.setdefault(version_id, []).append(label)
    return {v: tuple(sorted(ls)) for v, ls in grouped.items()}


def _move_current(labels: LabelMap, version_id: str) -> None:
    """AWSCURRENT to `version_id`; the version losing it becomes AWSPREVIOUS."""
    old = labels.get(Stage.CURRENT)
    labels[Stage.CURRENT] = version_id
    if old is not None and old != version_id:
        labels[Stage.PREVIOUS] = old
    elif labels.get(Stage.PREVIOUS) == version_id:
        del labels[Stage.PREVIOUS]


def promote(labels: Mapping[str, str], version_id: str) -> LabelMap:
    """A new value without explicit labels becomes AWSCURRENT."""
    result = dict(labels)
    _move_current(result, version_id)
    return _checked(result, version_id)


def attach(labels: Mapping[str, str], version_id: str, stages: Iterable[str]) -> LabelMap:
    """PutSecretValue with VersionStages: exactly these labels move to the version."""
    result = dict(labels)
    for stage in dict.fromkeys(stages):
        if stage == Stage.CURRENT:
            _move_current(result, version_id)
        else:
            result[stage] = version_id
    return _checked(result, version_id)


def move(
    labels: Mapping[str, str],
    stage: str,
    *,
    move_to: str | None,
    remove_from: str | None,
) -> LabelMap:
    """UpdateSecretVersionStage semantics."""
    result = dict(labels)
    holder = result.get(stage)
    if remove_from is not None and holder != remove_from:
        raise InvalidParameter("stage_not_on_remove_from", stage=stage, version_id=remove_from)
    if move_to is None:
        if remove_from is not None:
            del result[stage]
        return result
    if holder is not None and holder != move_to and remove_from is None:
        raise InvalidParameter("remove_from_required", stage=stage, version_id=holder)
    if stage == Stage.CURRENT:
        _move_current(result, move_to)
    else:
        result[stage] = move_to
    return _checked(result, move_to)


def _checked(labels: LabelMap, version_id: str) -> LabelMap:
    if sum(1 for v in labels.values() if v == version_id) > MAX_LABELS_PER_VERSION:
        raise LimitExceeded("labels", MAX_LABELS_PER_VERSION)
    return labels
