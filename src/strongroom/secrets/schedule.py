"""Rotation schedules: what RotationRules mean and when the next rotation window is.

This module owns the three ways Secrets Manager states a schedule (AutomaticallyAfterDays,
`rate()` and its restricted `cron()`), validates them as the service does, and turns rules
plus a moment into the next rotation window. It is pure: it never reads the clock (times
are float epoch seconds, UTC), stores nothing and knows no wire field names.

Choices where AWS documents nothing (rotation.md §2, UNCONFIRMED there):
- `rate(N hours)` windows start every N hours counted from midnight UTC of 1970-01-01, so
  consecutive windows are always exactly N hours apart; when N divides 24 this is "every N
  hours from each midnight", as AWS's guide says. The hours do not reset at midnight (that
  would put windows of `rate(7 hours)` only 3 hours apart), so such a window may run past
  midnight; only Duration <= N is checked for hourly rates, as the guide states.
- `rate(N days)` counts N-day steps from the UTC day of the last rotation (of `after` when
  never rotated) and returns the first step whose window starts at or after `after`.
  AutomaticallyAfterDays is exactly day(last rotation) + N, even when that is already past
  (AWS then reports a NextRotationDate in the past).
- `cron()` spacing: every two consecutive start hours, including last-of-day to
  first-of-next-day, must be at least 4 hours apart, even when the day fields make
  consecutive days impossible (conservative).
- `<DAY>L` (last such weekday of the month) and `L` alone (Saturday, as in EventBridge) are
  read in the day-of-week field; day-of-month takes `L` for its last day. `W` is refused
  (Secrets Manager's guide lists no `W`). Names are case-insensitive; ranges do not wrap.
"""

from __future__ import annotations

import calendar
import itertools
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from strongroom.secrets.errors import InvalidParameter

HOUR = 3600
DAY = 24 * HOUR
MIN_INTERVAL_HOURS = 4  # "You can rotate a secret as often as every four hours." [UG-SCHED]
MAX_AFTER_DAYS = 1000  # RotationRulesType.AutomaticallyAfterDays range [MODEL]
MAX_RATE_DAYS = 999  # "The maximum rotation period is 999 days." [UG-SCHED]
MAX_RATE_HOURS = 23
MAX_DURATION_HOURS = 24

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MONTHS = {name.upper(): n for n, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_RATE = re.compile(r"rate\((?P<value>[0-9]+) (?P<unit>[A-Za-z]+)\)")
_CRON = re.compile(r"cron\((?P<body>[^()]*)\)")
_DURATION = re.compile(r"(?P<hours>[0-9]+)h")
_TOKEN = re.compile(
    r"(?:(?P<all>\*)|(?P<first>[0-9A-Z]+)(?:-(?P<last>[0-9A-Z]+))?)?(?:/(?P<step>[0-9]+))?"
)
# The weekday cycle 1901-2099 repeats every 28 years; scanning one cycle shows every gap.
_CYCLE = (date(2001, 1, 1), date(2028, 12, 31))
_SEARCH_YEARS = 400  # one Gregorian cycle: a schedule that ever fires, fires within it


@dataclass(frozen=True)
class RotationRules:
    """The rules as the caller gave them; only `parse_rules` should build new ones."""

    automatically_after_days: int | None = None
    schedule_expression: str | None = None
    duration: str | None = None  # as given, e.g. "3h"

    def to_json(self) -> str:
        """Stable text for storage: sorted keys, only the members that are set."""
        members = {
            "automatically_after_days": self.automatically_after_days,
            "schedule_expression": self.schedule_expression,
            "duration": self.duration,
        }
        present = {key: value for key, value in members.items() if value is not None}
        return json.dumps(present, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> RotationRules:
        """Read what `to_json` wrote; anything else is a corrupt record, not a user error."""
        members = json.loads(text)
        if not isinstance(members, dict) or not set(members) <= {
            "automatically_after_days", "schedule_expression", "duration"
        }:
            raise ValueError("stored rotation rules are malformed")
        days = members.get("automatically_after_days")
        expression = members.get("schedule_expression")
        duration = members.get("duration")
        if (
            (days is not None and (isinstance(days, bool) or not isinstance(days, int)))
            or (expression is not None and not isinstance(expression, str))
            or (duration is not None and not isinstance(duration, str))
        ):
            raise ValueError("stored rotation rules are malformed")
        return cls(days, expression, duration)


@dataclass(frozen=True)
class Window:
    """A rotation window in epoch seconds: rotation may happen at any moment inside it."""

    start: float  # inclusive
    end: float  # exclusive


# --- compiled schedules ------------------------------------------------------------


@dataclass(frozen=True)
class _EveryDays:
    days: int
    strict: bool  # AutomaticallyAfterDays: never skip forward to `after`


@dataclass(frozen=True)
class _EveryHours:
    hours: int


@dataclass(frozen=True)
class _DayRule:
    """Which dates a cron expression fires on (month aside); weekdays are 1=SUN..7=SAT."""

    by_month_day: bool
    month_days: frozenset[int] = frozenset()
    last_month_day: bool = False
    weekdays: frozenset[int] = frozenset()
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()
    last_weekdays: frozenset[int] = frozenset()

    def matches(self, day: date) -> bool:
        length = calendar.monthrange(day.year, day.month)[1]
        if self.by_month_day:
            return day.day in self.month_days or (self.last_month_day and day.day == length)
        weekday = day.isoweekday() % 7 + 1
        return (
            weekday in self.weekdays
            or (weekday, (day.day - 1) // 7 + 1) in self.nth_weekdays
            or (weekday in self.last_weekdays and day.day + 7 > length)
        )


@dataclass(frozen=True)
class _Cron:
    hours: tuple[int, ...]  # sorted start hours of each firing day
    days: _DayRule
    months: frozenset[int]


_Schedule = _EveryDays | _EveryHours | _Cron


@dataclass(frozen=True)
class _Plan:
    schedule: _Schedule
    duration_hours: int | None


def _several_a_day(schedule: _Schedule) -> bool:
    """Schedules "in hours" get a one-hour default window, the rest one to the day's end."""
    return isinstance(schedule, _EveryHours) or (
        isinstance(schedule, _Cron) and len(schedule.hours) > 1
    )


# --- validation --------------------------------------------------------------------


def parse_rules(
    automatically_after_days: int | None,
    schedule_expression: str | None,
    duration: str | None,
) -> RotationRules:
    """Validate as Secrets Manager does and return the rules; raises InvalidParameter."""
    rules = RotationRules(automatically_after_days, schedule_expression, duration)
    _compile(rules)
    return rules


@lru_cache(maxsize=256)
def _compile(rules: RotationRules) -> _Plan:
    """One place turns rules into a plan, so stored rules are checked the same way."""
    days, expression = rules.automatically_after_days, rules.schedule_expression
    if days is not None and expression is not None:
        raise InvalidParameter("rotation_both_schedules")
    if days is None and expression is None:
        raise InvalidParameter(
            "rotation_duration_alone" if rules.duration is not None else "rotation_no_schedule"
        )
    if days is not None:
        if not 1 <= days <= MAX_AFTER_DAYS:
            raise InvalidParameter("rotation_days_out_of_range")
        schedule: _Schedule = _EveryDays(days, strict=True)
    else:
        schedule = _parse_expression(expression or "")
    hours = None if rules.duration is None else _parse_duration(rules.duration)
    if hours is not None:
        _check_duration_fits(schedule, hours)
    return _Plan(schedule, hours)


def _parse_expression(expression: str) -> _Schedule:
    if expression.startswith("rate("):
        return _parse_rate(expression)
    match = _CRON.fullmatch(expression)
    if match is None:
        raise InvalidParameter("schedule_malformed")
    return _parse_cron(match["body"].split())


def _parse_rate(expression: str) -> _Schedule:
    match = _RATE.fullmatch(expression)
    if match is None:
        raise InvalidParameter("schedule_malformed")
    value, unit = int(match["value"]), match["unit"]
    if unit in ("hour", "hours"):
        if not MIN_INTERVAL_HOURS <= value <= MAX_RATE_HOURS:
            raise InvalidParameter("schedule_rate_hours_out_of_range")
        return _EveryHours(value)
    if unit in ("day", "days"):
        if not 1 <= value <= MAX_RATE_DAYS:
            raise InvalidParameter("schedule_rate_days_out_of_range")
        return _EveryDays(value, strict=False)
    raise InvalidParameter("schedule_rate_unit_unknown", unit=unit)


def _parse_cron(fields: list[str]) -> _Cron:
    if len(fields) != 6:
        raise InvalidParameter("schedule_malformed")
    minutes, hours_field, month_day, month, weekday, year = (f.upper() for f in fields)
    if minutes != "0":
        raise InvalidParameter("schedule_cron_minutes_not_zero")
    if year != "*":
        raise InvalidParameter("schedule_cron_year_not_any")
    if month_day != "?" and weekday != "?":
        raise InvalidParameter("schedule_cron_both_day_fields")
    if month_day == "?" and weekday == "?":
        raise InvalidParameter("schedule_malformed")
    hours = tuple(sorted(_parse_values(hours_field, 0, 23, {})))
    _check_spacing(hours)
    months = _parse_values(month, 1, 12, _MONTHS)
    days = _parse_weekdays(weekday) if month_day == "?" else _parse_month_days(month_day)
    cron = _Cron(hours, days, months)
    if not _fires_ever(cron):
        raise InvalidParameter("schedule_cron_never_fires")
    return cron


def _check_spacing(hours: tuple[int, ...]) -> None:
    """Consecutive starts, the last of a day to the first of the next included."""
    if len(hours) < 2:
        return
    gaps = [b - a for a, b in itertools.pairwise(hours)]
    gaps.append(24 - hours[-1] + hours[0])
    if min(gaps) < MIN_INTERVAL_HOURS:
        raise InvalidParameter("schedule_cron_too_frequent")


def _parse_month_days(field: str) -> _DayRule:
    items = field.split(",")
    values: set[int] = set()
    for item in items:
        if item != "L":
            values |= _parse_token(item, 1, 31, {})
    return _DayRule(by_month_day=True, month_days=frozenset(values), last_month_day="L" in items)


def _parse_weekdays(field: str) -> _DayRule:
    plain: set[int] = set()
    nth: set[tuple[int, int]] = set()
    last: set[int] = set()
    for item in field.split(","):
        if item == "L":
            plain.add(7)  # "the last day of the week": Saturday, as in EventBridge
        elif item.endswith("L"):
            last.add(_value(item[:-1], 1, 7, _WEEKDAYS))
        elif "#" in item:
            day, _, n = item.partition("#")
            nth.add((_value(day, 1, 7, _WEEKDAYS), _value(n, 1, 5, {})))
        else:
            plain |= _parse_token(item, 1, 7, _WEEKDAYS)
    return _DayRule(
        by_month_day=False,
        weekdays=frozenset(plain),
        nth_weekdays=frozenset(nth),
        last_weekdays=frozenset(last),
    )


def _parse_values(field: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for token in field.split(","):
        values |= _parse_token(token, low, high, names)
    return frozenset(values)


def _parse_token(token: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    """`*`, `a`, `a-b`, each optionally `/step`; a bare `/step` starts at the field's low."""
    match = _TOKEN.fullmatch(token)
    if match is None or not (match["all"] or match["first"] or match["step"]):
        raise InvalidParameter("schedule_malformed")
    if match["first"] is None:
        first, last = low, high
    else:
        first = _value(match["first"], low, high, names)
        last = (
            _value(match["last"], low, high, names) if match["last"]
            else high if match["step"] else first
        )
    step = int(match["step"]) if match["step"] else 1
    if first > last or step < 1:
        raise InvalidParameter("schedule_malformed")
    return set(range(first, last + 1, step))


def _value(text: str, low: int, high: int, names: dict[str, int]) -> int:
    value = int(text) if text.isdigit() else names.get(text)
    if value is None or not low <= value <= high:
        raise InvalidParameter("schedule_malformed")
    return value


def _fires_ever(cron: _Cron) -> bool:
    """Weekday rules fire in every month over the years; day numbers need a long month."""
    if not cron.months:
        return False
    rule = cron.days
    if not rule.by_month_day or rule.last_month_day:
        return True
    longest = {month: calendar.monthrange(2000, month)[1] for month in cron.months}
    return any(day <= length for day in rule.month_days for length in longest.values())


def _parse_duration(duration: str) -> int:
    match = _DURATION.fullmatch(duration)
    if match is None:
        raise InvalidParameter("duration_malformed", duration=duration)
    hours = int(match["hours"])
    if hours < 1:
        raise InvalidParameter("duration_too_short")
    if hours > MAX_DURATION_HOURS:
        raise InvalidParameter("duration_too_long")
    return hours


def _check_duration_fits(schedule: _Schedule, hours: int) -> None:
    """The window may not reach the next window, nor (for cron) the next UTC day."""
    if isinstance(schedule, _EveryHours) and hours > schedule.hours:
        raise InvalidParameter("duration_exceeds_interval")
    if isinstance(schedule, _Cron):
        starts = schedule.hours
        if any(b - a < hours for a, b in itertools.pairwise(starts)):
            raise InvalidParameter("duration_exceeds_interval")
        if starts[-1] + hours > 24:
            raise InvalidParameter("duration_past_midnight")
    # Day schedules open at midnight, so any Duration up to 24h stays inside the day.


# --- windows -----------------------------------------------------------------------


def next_window(rules: RotationRules, *, after: float, last_rotated: float | None) -> Window:
    """The next rotation window (see the module docstring for anchoring).

    AutomaticallyAfterDays: the UTC day of (last_rotated or after) + N days. rate()/cron():
    the first window starting at or after `after`, so a window already open at `after` is
    not returned. Default length: one hour for schedules firing several times a day,
    otherwise to the end of the UTC day; Duration overrides it.
    """
    plan = _compile(rules)
    start = _next_start(plan.schedule, after, last_rotated)
    if plan.duration_hours is not None:
        end = start + plan.duration_hours * HOUR
    elif _several_a_day(plan.schedule):
        end = start + HOUR
    else:
        end = (start // DAY + 1) * DAY
    return Window(float(start), float(end))


def next_rotation_date(window: Window) -> float:
    """NextRotationDate: the latest moment of the window (AWS shows 23:59:59 for a day)."""
    return window.end - 1


def _next_start(schedule: _Schedule, after: float, last_rotated: float | None) -> int:
    if isinstance(schedule, _EveryHours):
        period = schedule.hours * HOUR
        return math.ceil(after / period) * period
    if isinstance(schedule, _EveryDays):
        anchor = math.floor((after if last_rotated is None else last_rotated) / DAY) * DAY
        period = schedule.days * DAY
        steps = 1 if schedule.strict else max(1, math.ceil((after - anchor) / period))
        return anchor + steps * period
    return _next_cron_start(schedule, after)


def _next_cron_start(cron: _Cron, after: float) -> int:
    day = math.floor(after / DAY)
    limit = day + _SEARCH_YEARS * 366
    while day < limit:
        today = date.fromordinal(_EPOCH_ORDINAL + day)
        if today.month not in cron.months:
            day += calendar.monthrange(today.year, today.month)[1] - today.day + 1
            continue
        if cron.days.matches(today):
            for hour in cron.hours:
                start = day * DAY + hour * HOUR
                if start >= after:
                    return start
        day += 1
    raise RuntimeError("a validated cron schedule never fired")  # unreachable: _fires_ever


# --- reporting ---------------------------------------------------------------------


def reported_days(rules: RotationRules) -> int | None:
    """The AutomaticallyAfterDays DescribeSecret shows beside a ScheduleExpression.

    AWS: "calculated from the rotation schedule after every successful rotation"
    [MODEL]; its example pairs cron(0 16 1,15 * ? *) with 14, and it reports 1 for
    rate(10 hours) (terraform-provider-aws#31915, 2023). Ours: N for AutomaticallyAfterDays
    and rate(N days); 1 for anything firing several times a day; for other cron schedules
    the shortest gap in days between consecutive firing days over one 28-year weekday
    cycle (2001-2028), or None when it fires fewer than twice in that cycle.
    """
    schedule = _compile(rules).schedule
    if isinstance(schedule, _EveryDays):
        return schedule.days
    if _several_a_day(schedule) or not isinstance(schedule, _Cron):
        return 1
    return _shortest_gap_days(schedule)


@lru_cache(maxsize=256)
def _shortest_gap_days(cron: _Cron) -> int | None:
    first, last = _CYCLE
    day, end = first.toordinal(), last.toordinal()
    previous: int | None = None
    shortest: int | None = None
    while day <= end:
        today = date.fromordinal(day)
        if today.month not in cron.months:
            day += calendar.monthrange(today.year, today.month)[1] - today.day + 1
            continue
        if cron.days.matches(today):
            if previous is not None:
                gap = day - previous
                shortest = gap if shortest is None else min(shortest, gap)
                if shortest == 1:
                    return 1
            previous = day
        day += 1
    return shortest
