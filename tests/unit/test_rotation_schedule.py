"""Rotation rules: Secrets Manager's validation and the rotation windows they give."""

from __future__ import annotations

import calendar
import itertools
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st

from strongroom.protocol.errors import INVALID_PARAMETER_TEXTS, to_wire
from strongroom.secrets.errors import InvalidParameter
from strongroom.secrets.schedule import (
    RotationRules,
    Window,
    next_rotation_date,
    next_window,
    parse_rules,
    reported_days,
)

HOUR = 3600
DAY = 86400


def ts(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[misc]


def at(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def windows(expression: str, after: float, count: int, duration: str | None = None) -> list[Window]:
    """`count` successive windows of a schedule, each looked up after the previous opened."""
    rules = parse_rules(None, expression, duration)
    found = []
    for _ in range(count):
        window = next_window(rules, after=after, last_rotated=None)
        found.append(window)
        after = window.start + 1
    return found


def starts(expression: str, after: float, count: int) -> list[datetime]:
    return [at(w.start) for w in windows(expression, after, count)]


# --- the reference's examples (rotation.md §2) --------------------------------------


def test_hour_increments_reset_daily_at_4_and_16():
    """cron(0 4/12 * * ? *) opens at 04:00 and 16:00 every day."""
    assert [(s.day, s.hour) for s in starts("cron(0 4/12 * * ? *)", ts(2024, 3, 9, 5), 4)] == [
        (9, 16), (10, 4), (10, 16), (11, 4)]


@pytest.mark.parametrize(("expression", "hours"), [
    ("cron(0 /8 * * ? *)", [0, 8, 16]),
    ("cron(0 8/8 * * ? *)", [8, 16]),
    ("cron(0 2/10 * * ? *)", [2, 12, 22]),
    ("cron(0 0/4 * * ? *)", [0, 4, 8, 12, 16, 20]),
    ("cron(0 1,9,17 * * ? *)", [1, 9, 17]),
])
def test_several_windows_a_day_open_on_their_hours(expression, hours):
    """Hour lists and increments give those start hours on every day."""
    found = starts(expression, ts(2024, 5, 1), 2 * len(hours))
    assert [s.hour for s in found] == hours * 2
    assert [s.day for s in found] == [1] * len(hours) + [2] * len(hours)


def test_daily_cron_opens_at_ten():
    """cron(0 10 * * ? *) opens at 10:00 each day and stays open until midnight."""
    found = windows("cron(0 10 * * ? *)", ts(2024, 5, 1, 11), 2)
    assert [at(w.start) for w in found] == [datetime(2024, 5, 2, 10, tzinfo=UTC),
                                            datetime(2024, 5, 3, 10, tzinfo=UTC)]
    assert found[0].end == ts(2024, 5, 3)


def test_saturday_evenings():
    """cron(0 18 ? * SAT *) opens at 18:00 on Saturdays only."""
    found = starts("cron(0 18 ? * SAT *)", ts(2024, 5, 1), 5)
    assert all(s.weekday() == calendar.SATURDAY and s.hour == 18 for s in found)
    assert [s.date() for s in found] == [date(2024, 5, 4) + timedelta(weeks=n) for n in range(5)]


def test_first_of_each_month():
    """cron(0 8 1 * ? *) opens at 08:00 on the first of each month."""
    found = starts("cron(0 8 1 * ? *)", ts(2024, 11, 15), 3)
    assert found == [datetime(2024, 12, 1, 8, tzinfo=UTC), datetime(2025, 1, 1, 8, tzinfo=UTC),
                     datetime(2025, 2, 1, 8, tzinfo=UTC)]


def test_first_sunday_of_every_third_month():
    """cron(0 1 ? 1/3 SUN#1 *) opens at 01:00 on the first Sunday of Jan, Apr, Jul and Oct."""
    found = starts("cron(0 1 ? 1/3 SUN#1 *)", ts(2024, 1, 8), 5)
    assert [s.date() for s in found] == [date(2024, 4, 7), date(2024, 7, 7), date(2024, 10, 6),
                                         date(2025, 1, 5), date(2025, 4, 6)]
    assert all(s.hour == 1 and s.weekday() == calendar.SUNDAY and s.day <= 7 for s in found)


def test_last_day_of_each_month_in_leap_and_other_years():
    """cron(0 17 L * ? *) opens at 17:00 on each month's last day, Feb 28 or 29 alike."""
    found = starts("cron(0 17 L * ? *)", ts(2023, 1, 1), 36)
    expected = [datetime(y, m, calendar.monthrange(y, m)[1], 17, tzinfo=UTC)
                for y in (2023, 2024, 2025) for m in range(1, 13)]
    assert found == expected
    assert datetime(2024, 2, 29, 17, tzinfo=UTC) in found
    assert datetime(2023, 2, 28, 17, tzinfo=UTC) in found


def test_weekdays_skip_the_weekend():
    """cron(0 8 ? * MON-FRI *) opens at 08:00 Monday to Friday and never on weekends."""
    found = starts("cron(0 8 ? * MON-FRI *)", ts(2024, 6, 1), 20)  # a Saturday
    assert found[0] == datetime(2024, 6, 3, 8, tzinfo=UTC)
    assert all(s.weekday() < calendar.SATURDAY and s.hour == 8 for s in found)
    assert len({s.date() for s in found}) == 20
    assert found[-1].date() == date(2024, 6, 28)


def test_first_and_fifteenth_with_a_two_hour_window():
    """The DescribeSecret example: cron(0 16 1,15 * ? *) with 2h, reported as 14 days."""
    rules = parse_rules(None, "cron(0 16 1,15 * ? *)", "2h")
    window = next_window(rules, after=ts(2024, 2, 2), last_rotated=None)
    assert window == Window(ts(2024, 2, 15, 16), ts(2024, 2, 15, 18))
    assert reported_days(rules) == 14


def test_first_sunday_at_midnight():
    """cron(0 0 ? * SUN#1 *) opens at midnight on each month's first Sunday."""
    found = starts("cron(0 0 ? * SUN#1 *)", ts(2024, 1, 1), 12)
    assert all(s.weekday() == calendar.SUNDAY and s.day <= 7 and s.hour == 0 for s in found)
    assert [s.month for s in found] == list(range(1, 13))


def test_last_sunday_and_third_tuesday():
    """SUNL is the month's last Sunday; TUE#3 its third Tuesday."""
    last = starts("cron(0 10 ? * SUNL *)", ts(2024, 1, 1), 12)
    assert all(s.weekday() == calendar.SUNDAY and (s + timedelta(weeks=1)).month != s.month
               for s in last)
    third = starts("cron(0 10 ? * TUE#3 *)", ts(2024, 1, 1), 12)
    assert all(s.weekday() == calendar.TUESDAY and 15 <= s.day <= 21 for s in third)
    assert [s.month for s in last] == [s.month for s in third] == list(range(1, 13))


def test_numeric_weekdays_count_from_sunday():
    """Day-of-week 1 is Sunday and 7 Saturday, as in AWS cron."""
    assert starts("cron(0 3 ? * 1 *)", ts(2024, 6, 1), 1)[0].weekday() == calendar.SUNDAY
    assert starts("cron(0 3 ? * 7 *)", ts(2024, 6, 2), 1)[0].weekday() == calendar.SATURDAY


def test_every_seventh_day_of_the_month():
    """cron(0 8 1/7 * ? *) opens on the 1st, 8th, 15th, 22nd and 29th."""
    found = starts("cron(0 8 1/7 * ? *)", ts(2024, 3, 1), 5)
    assert [s.day for s in found] == [1, 8, 15, 22, 29]


@pytest.mark.parametrize(("expression", "days"), [
    ("rate(4 hours)", 1), ("rate(1 day)", 1), ("rate(10 days)", 10),
    ("cron(0 10 * * ? *)", 1), ("cron(0 18 ? * SAT *)", 7), ("cron(0 8 1 * ? *)", 28),
    ("cron(0 17 L * ? *)", 28), ("cron(0 1 ? 1/3 SUN#1 *)", 84), ("cron(0 4/12 * * ? *)", 1),
])
def test_reported_days_follow_the_schedule(expression, days):
    """DescribeSecret's AutomaticallyAfterDays is derived from the schedule."""
    assert reported_days(parse_rules(None, expression, None)) == days


def test_reported_days_for_a_day_count_is_that_count():
    """AutomaticallyAfterDays is reported as given."""
    assert reported_days(parse_rules(30, None, None)) == 30


# --- windows --------------------------------------------------------------------------


def test_hourly_rate_windows_last_an_hour_every_n_hours_from_midnight():
    """rate(6 hours) opens at 00, 06, 12 and 18 for one hour each."""
    found = windows("rate(6 hours)", ts(2024, 5, 1, 0, 30), 4)
    assert [(at(w.start).hour, w.end - w.start) for w in found] == [
        (6, HOUR), (12, HOUR), (18, HOUR), (0, HOUR)]


def test_hourly_rate_windows_stay_n_hours_apart_across_midnight():
    """rate(10 hours) windows keep a 10-hour step rather than restarting each midnight."""
    found = windows("rate(10 hours)", ts(2024, 5, 1), 6)
    assert {b.start - a.start for a, b in itertools.pairwise(found)} == {10 * HOUR}


def test_day_rate_counts_from_the_last_rotation():
    """rate(10 days) opens 10, 20, 30 ... days after the day of the last rotation."""
    rules = parse_rules(None, "rate(10 days)", None)
    last = ts(2024, 1, 1, 13, 45)
    assert next_window(rules, after=last, last_rotated=last) == Window(ts(2024, 1, 11),
                                                                       ts(2024, 1, 12))
    late = next_window(rules, after=ts(2024, 1, 25, 9), last_rotated=last)
    assert late == Window(ts(2024, 1, 31), ts(2024, 2, 1))


def test_automatic_days_use_the_whole_day_after_the_last_rotation():
    """AutomaticallyAfterDays=30 gives the whole UTC day 30 days after the last rotation."""
    rules = parse_rules(30, None, None)
    window = next_window(rules, after=ts(2024, 1, 1, 20), last_rotated=ts(2024, 1, 1, 13))
    assert window == Window(ts(2024, 1, 31), ts(2024, 2, 1))
    assert at(next_rotation_date(window)) == datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC)


def test_automatic_days_may_lie_in_the_past_after_missed_rotations():
    """The window follows the last rotation even when `after` is already later."""
    rules = parse_rules(1, None, None)
    window = next_window(rules, after=ts(2024, 3, 1), last_rotated=ts(2024, 1, 1, 8))
    assert window.start == ts(2024, 1, 2)


def test_automatic_days_count_from_after_when_never_rotated():
    """Without a last rotation, the count starts from the day of `after`."""
    window = next_window(parse_rules(7, None, "4h"), after=ts(2024, 1, 1, 8), last_rotated=None)
    assert window == Window(ts(2024, 1, 8), ts(2024, 1, 8, 4))


def test_duration_shortens_a_daily_window():
    """Duration 3h turns the rest-of-day window into three hours."""
    window = windows("cron(0 10 * * ? *)", ts(2024, 5, 1), 1, "3h")[0]
    assert window == Window(ts(2024, 5, 1, 10), ts(2024, 5, 1, 13))
    assert at(next_rotation_date(window)) == datetime(2024, 5, 1, 12, 59, 59, tzinfo=UTC)


def test_a_window_opening_exactly_at_after_is_returned():
    """`after` is inclusive: a window starting at that instant is the next one."""
    assert starts("cron(0 10 * * ? *)", ts(2024, 5, 1, 10), 1)[0] == datetime(
        2024, 5, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(("days", "expression", "duration"), [
    (None, "rate(1 day)", "24h"), (None, "rate(4 hours)", "4h"), (None, "cron(0 20 * * ? *)", "4h"),
    (None, "cron(0 4/12 * * ? *)", "8h"), (1000, None, None), (1, None, "1h"),
    (None, "rate(999 days)", None), (None, "rate(23 hours)", "23h")
])
def test_boundary_rules_are_accepted(days, expression, duration):
    """Limits themselves are allowed: 4 hours, 24h windows ending at midnight, 1000 days."""
    assert parse_rules(days, expression, duration) == RotationRules(days, expression, duration)


def test_names_are_case_insensitive():
    """Month and weekday names may be written in any case."""
    assert starts("cron(0 9 ? jan mon *)", ts(2024, 1, 1), 1) == [datetime(2024, 1, 1, 9,
                                                                            tzinfo=UTC)]


# --- refusals -------------------------------------------------------------------------

REFUSED = [
    (30, "rate(10 days)", None, "rotation_both_schedules"),
    (None, None, "3h", "rotation_duration_alone"),
    (None, None, None, "rotation_no_schedule"),
    (0, None, None, "rotation_days_out_of_range"),
    (1001, None, None, "rotation_days_out_of_range"),
    (None, "", None, "schedule_malformed"),
    (None, "every day", None, "schedule_malformed"),
    (None, "rate(10)", None, "schedule_malformed"),
    (None, "rate(ten days)", None, "schedule_malformed"),
    (None, "rate(-1 days)", None, "schedule_malformed"),
    (None, "cron(0 10 * * ?)", None, "schedule_malformed"),
    (None, "cron(0 10 * * ? * *)", None, "schedule_malformed"),
    (None, "cron(0 24 * * ? *)", None, "schedule_malformed"),
    (None, "cron(0 10 32 * ? *)", None, "schedule_malformed"),
    (None, "cron(0 10 0 * ? *)", None, "schedule_malformed"),
    (None, "cron(0 10 * 13 ? *)", None, "schedule_malformed"),
    (None, "cron(0 10 ? * 8 *)", None, "schedule_malformed"),
    (None, "cron(0 10 ? * FOO *)", None, "schedule_malformed"),
    (None, "cron(0 10 ? * MON#6 *)", None, "schedule_malformed"),
    (None, "cron(0 10 15W * ? *)", None, "schedule_malformed"),
    (None, "cron(0 10 20-10 * ? *)", None, "schedule_malformed"),
    (None, "cron(0 10 1/0 * ? *)", None, "schedule_malformed"),
    (None, "cron(0 10 ? * ? *)", None, "schedule_malformed"),
    (None, "rate(30 minutes)", None, "schedule_rate_unit_unknown"),
    (None, "rate(2 weeks)", None, "schedule_rate_unit_unknown"),
    (None, "rate(3 hours)", None, "schedule_rate_hours_out_of_range"),
    (None, "rate(1 hour)", None, "schedule_rate_hours_out_of_range"),
    (None, "rate(24 hours)", None, "schedule_rate_hours_out_of_range"),
    (None, "rate(0 days)", None, "schedule_rate_days_out_of_range"),
    (None, "rate(1000 days)", None, "schedule_rate_days_out_of_range"),
    (None, "cron(30 10 * * ? *)", None, "schedule_cron_minutes_not_zero"),
    (None, "cron(*/5 10 * * ? *)", None, "schedule_cron_minutes_not_zero"),
    (None, "cron(0 10 * * ? 2025)", None, "schedule_cron_year_not_any"),
    (None, "cron(0 10 1 * MON *)", None, "schedule_cron_both_day_fields"),
    (None, "cron(0 10 * * * *)", None, "schedule_cron_both_day_fields"),
    (None, "cron(0 2/2 * * ? *)", None, "schedule_cron_too_frequent"),
    (None, "cron(0 1,3 * * ? *)", None, "schedule_cron_too_frequent"),
    (None, "cron(0 * * * ? *)", None, "schedule_cron_too_frequent"),
    (None, "cron(0 8-10 * * ? *)", None, "schedule_cron_too_frequent"),
    (None, "cron(0 0,22 * * ? *)", None, "schedule_cron_too_frequent"),  # 22:00 -> 00:00
    (None, "cron(0 10 30 2 ? *)", None, "schedule_cron_never_fires"),
    (None, "cron(0 10 31 APR,JUN ? *)", None, "schedule_cron_never_fires"),
    (None, "rate(1 day)", "3", "duration_malformed"),
    (None, "rate(1 day)", "3 h", "duration_malformed"),
    (None, "rate(1 day)", "3H", "duration_malformed"),
    (None, "rate(1 day)", "h", "duration_malformed"),
    (None, "rate(1 day)", "0h", "duration_too_short"),
    (None, "rate(1 day)", "25h", "duration_too_long"),
    (30, None, "48h", "duration_too_long"),
    (None, "rate(4 hours)", "5h", "duration_exceeds_interval"),
    (None, "cron(0 0,6 * * ? *)", "7h", "duration_exceeds_interval"),
    (None, "cron(0 4/12 * * ? *)", "13h", "duration_exceeds_interval"),
    (None, "cron(0 22 * * ? *)", "3h", "duration_past_midnight"),
    (None, "cron(0 4/12 * * ? *)", "9h", "duration_past_midnight"),
]


@pytest.mark.parametrize(("days", "expression", "duration", "reason"), REFUSED)
def test_invalid_rules_are_refused_with_their_reason(days, expression, duration, reason):
    """Each invalid rule set is refused as InvalidParameterException with its own reason."""
    with pytest.raises(InvalidParameter) as caught:
        parse_rules(days, expression, duration)
    assert caught.value.reason == reason
    wire = to_wire(caught.value, "req-1")
    assert wire.code == "InvalidParameterException"
    assert wire.message != reason
    assert "{" not in wire.message


def test_every_refusal_reason_has_a_text():
    """Every reason the schedule raises has an AWS-style text in the wire table."""
    assert {row[3] for row in REFUSED} <= set(INVALID_PARAMETER_TEXTS)


def test_both_schedules_text_is_aws_own():
    """Giving both schedules answers with the text real AWS sends."""
    with pytest.raises(InvalidParameter) as caught:
        parse_rules(30, "rate(10 days)", None)
    assert to_wire(caught.value, "r").message == (
        "You cannot specify both rotation frequency and schedule expression together.")


def test_stored_rules_that_went_bad_are_refused_when_used():
    """Rules read back from storage are checked again before computing a window."""
    with pytest.raises(InvalidParameter):
        next_window(RotationRules(schedule_expression="rate(1 hour)"), after=0.0,
                    last_rotated=None)


# --- storage form ---------------------------------------------------------------------


@pytest.mark.parametrize("rules", [
    RotationRules(automatically_after_days=30),
    RotationRules(schedule_expression="cron(0 16 1,15 * ? *)", duration="2h"),
    RotationRules(automatically_after_days=1, duration="3h"),
])
def test_rules_round_trip_through_json(rules):
    """Stored rules read back equal, and only the members that are set are written."""
    text = rules.to_json()
    assert RotationRules.from_json(text) == rules
    assert "null" not in text
    assert text == RotationRules.from_json(text).to_json()


@pytest.mark.parametrize("text", [
    "[]", '{"automatically_after_days": "30"}', '{"automatically_after_days": true}',
    '{"schedule_expression": 5}', '{"other": 1}',
])
def test_malformed_stored_rules_are_refused(text):
    """A corrupt stored record is a ValueError, not a user's InvalidParameter."""
    with pytest.raises(ValueError, match="malformed"):
        RotationRules.from_json(text)


# --- properties -----------------------------------------------------------------------

EARLIEST, LATEST = ts(1990, 1, 1), ts(2090, 1, 1)
MOMENTS = st.floats(min_value=EARLIEST, max_value=LATEST, allow_nan=False)
DAY_FIELDS = [("*", "?"), ("?", "*"), ("1", "?"), ("L", "?"), ("1,15", "?"), ("1/7", "?"),
              ("31", "?"), ("29", "?"), ("10-20/5", "?"), ("?", "MON-FRI"), ("?", "SAT"),
              ("?", "SUN#1"), ("?", "TUE#3"), ("?", "FRI#5"), ("?", "SUNL"), ("?", "2,4,6"),
              ("?", "5L"), ("?", "L")]
MONTH_FIELDS = ["*", "1/3", "FEB", "JAN,APR,JUL,OCT", "6-8", "2", "DEC"]


@st.composite
def cron_hours(draw: st.DrawFn) -> list[int]:
    """Start hours at least four apart, the wrap past midnight included."""
    hours = [draw(st.integers(0, 23))]
    while draw(st.booleans()):
        following = hours[-1] + draw(st.integers(4, 12))
        if following > 23:
            break
        hours.append(following)
    while len(hours) > 1 and 24 - hours[-1] + hours[0] < 4:
        hours.pop()
    return hours


@st.composite
def valid_rules(draw: st.DrawFn) -> RotationRules:
    kind = draw(st.sampled_from(["days", "rate_hours", "rate_days", "cron"]))
    if kind == "days":
        return parse_rules(draw(st.integers(1, 1000)), None, _maybe(draw, 24))
    if kind == "rate_hours":
        n = draw(st.integers(4, 23))
        return parse_rules(None, f"rate({n} hours)", _maybe(draw, n))
    if kind == "rate_days":
        n = draw(st.integers(1, 999))
        return parse_rules(None, f"rate({n} {'day' if n == 1 else 'days'})", _maybe(draw, 24))
    hours = draw(cron_hours())
    month_day, weekday = draw(st.sampled_from(DAY_FIELDS))
    month = draw(st.sampled_from(MONTH_FIELDS))
    gaps = [b - a for a, b in itertools.pairwise(hours)] + [24 - hours[-1]]
    expression = f"cron(0 {','.join(map(str, hours))} {month_day} {month} {weekday} *)"
    try:
        return parse_rules(None, expression, _maybe(draw, min(gaps)))
    except InvalidParameter as refused:
        if refused.reason != "schedule_cron_never_fires":
            raise
        reject()


def _maybe(draw: st.DrawFn, longest: int) -> str | None:
    return draw(st.none() | st.integers(1, longest).map(lambda h: f"{h}h"))


def _several_a_day(rules: RotationRules) -> bool:
    expression = rules.schedule_expression or ""
    return "hour" in expression or (expression.startswith("cron(") and "," in
                                    expression.split()[1])


@settings(deadline=None)
@given(rules=valid_rules(), after=MOMENTS, back=st.none() | st.floats(0, 400 * DAY))
def test_window_invariants(rules, after, back):
    """Windows open on the hour, have positive length, honour Duration and fit their day."""
    last_rotated = None if back is None else after - back
    window = next_window(rules, after=after, last_rotated=last_rotated)
    assert window == next_window(rules, after=after, last_rotated=last_rotated)
    assert window.end > window.start
    assert window.start % HOUR == 0
    if rules.schedule_expression is not None:
        assert window.start >= after
    if rules.duration is not None:
        assert window.end - window.start == int(rules.duration[:-1]) * HOUR
    elif _several_a_day(rules):
        assert window.end - window.start == HOUR
    if not _several_a_day(rules):
        assert window.start // DAY == (window.end - 1) // DAY
    assert window.start <= next_rotation_date(window) < window.end


@settings(deadline=None)
@given(rules=valid_rules(), after=MOMENTS, back=st.none() | st.floats(0, 400 * DAY))
def test_successive_windows_increase_and_keep_four_hours_apart(rules, after, back):
    """Each next window opens after the previous one closed and at least 4 hours later."""
    assume(rules.schedule_expression is not None)
    last_rotated = None if back is None else after - back
    window = next_window(rules, after=after, last_rotated=last_rotated)
    for _ in range(4):
        following = next_window(rules, after=window.start + 1, last_rotated=last_rotated)
        assert following.start >= window.end
        assert following.start - window.start >= 4 * HOUR
        window = following


@settings(deadline=None)
@given(days=st.integers(1, 1000), last_rotated=MOMENTS, later=st.floats(0, 2000 * DAY),
       hours=st.none() | st.integers(1, 24))
def test_automatic_days_window_is_the_day_n_days_after_the_last_rotation(
        days, last_rotated, later, hours):
    """AutomaticallyAfterDays=N gives the UTC day of the last rotation plus N days."""
    rules = parse_rules(days, None, None if hours is None else f"{hours}h")
    window = next_window(rules, after=last_rotated + later, last_rotated=last_rotated)
    # floor: fromtimestamp rounds to the microsecond, which can carry into the next day
    rotated_day = datetime.fromtimestamp(math.floor(last_rotated), UTC).date()
    assert at(window.start) == datetime.combine(rotated_day + timedelta(days=days),
                                                datetime.min.time(), UTC)
    assert window.end - window.start == (DAY if hours is None else hours * HOUR)
