"""Working days around 国庆 and 春节 2026 (statutory calendar) and in 2027 (fallback)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clerk_console.domain.workdays import Pause, TimeState, WorkCalendar

CAL = WorkCalendar()


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day) + timedelta(hours=hour)


@pytest.mark.parametrize(
    ("accepted", "days", "due"),
    [
        # 国庆 2026: Oct 1–7 off, Sun Sep 20 and Sat Oct 10 are make-up working days.
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-18", 1, "2026-09-20"),
        # 春节 2026: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 are working days.
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2026-02-27", 1, "2026-02-28"),
        # An instant item is due the same day.
        ("2026-10-03", 0, "2026-10-03"),
        # An ordinary week: Friday + 1 is Monday.
        ("2026-11-20", 1, "2026-11-23"),
    ],
)
def test_due_dates_follow_the_statutory_calendar(accepted: str, days: int, due: str) -> None:
    result = CAL.due_date(at(accepted), days)
    assert result.day == date.fromisoformat(due)
    assert not result.provisional


def test_a_year_without_statutory_data_falls_back_and_says_so() -> None:
    assert not WorkCalendar.covers(2027)
    result = CAL.due_date(at("2027-03-05"), 1)  # a Friday
    assert result.day == date(2027, 3, 8)
    assert result.provisional and result.fallback_years == {2027}


def test_the_halls_own_holidays_apply_in_fallback_years() -> None:
    cal = WorkCalendar.of(holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 2)])
    # Thu Dec 31 2026 + 2: Jan 1 is the hall's holiday, Sat Jan 2 its working day.
    result = cal.due_date(at("2026-12-31"), 2)
    assert result.day == date(2027, 1, 4)
    result = cal.due_date(at("2026-12-31"), 1)
    assert result.day == date(2027, 1, 2)
    assert result.fallback_years == {2027}


def test_a_pause_moves_the_due_date_by_the_working_days_it_touched() -> None:
    accepted = at("2026-11-02")  # Monday
    plain = CAL.due_date(accepted, 5).day
    assert plain == date(2026, 11, 9)
    # Sent back Tuesday 10:00, resumed Thursday 15:00: Tue, Wed, Thu do not count.
    pause = Pause(at("2026-11-03", 10), at("2026-11-05", 15))
    assert CAL.due_date(accepted, 5, [pause]).day == date(2026, 11, 12)


def test_a_pause_over_national_day_counts_only_working_days() -> None:
    accepted = at("2026-09-28")  # Monday
    pause = Pause(at("2026-09-30", 9), at("2026-10-09", 9))
    # Counted days: Sep 29, then Oct 10 (make-up Saturday), Oct 12, 13, 14.
    assert CAL.due_date(accepted, 5, [pause]).day == date(2026, 10, 14)


def test_time_states() -> None:
    due = date(2026, 11, 25)  # Wednesday
    assert CAL.time_state(due, date(2026, 11, 20)) is TimeState.NORMAL
    assert CAL.time_state(due, date(2026, 11, 24)) is TimeState.WARNING
    assert CAL.time_state(due, date(2026, 11, 25)) is TimeState.WARNING
    assert CAL.time_state(due, date(2026, 11, 26)) is TimeState.OVERDUE


def test_a_pause_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError):
        Pause(at("2026-11-05"), at("2026-11-04"))


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1))


@given(moments, st.integers(min_value=1, max_value=40))
def test_a_due_date_is_a_working_day_after_acceptance(accepted: datetime, days: int) -> None:
    due = CAL.due_date(accepted, days).day
    assert due > accepted.date()
    assert CAL.is_workday(due)
    assert CAL.working_days_between(accepted.date(), due) == days


@given(moments, st.integers(min_value=1, max_value=20), st.integers(0, 10), st.integers(0, 10))
def test_a_pause_never_brings_a_due_date_forward(
    accepted: datetime, days: int, start: int, length: int
) -> None:
    pause = Pause(accepted + timedelta(days=start), accepted + timedelta(days=start + length))
    assert CAL.due_date(accepted, days, [pause]).day >= CAL.due_date(accepted, days).day
