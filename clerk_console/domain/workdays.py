"""Working days: promised dates, paused clocks and time states (限时办结).

Statutory holidays and make-up working days (调休) come from the `chinesecalendar` package for
the years it covers. For any other year the calendar falls back to Monday–Friday and says so,
so the screen can warn that a date is provisional. A hall's own holiday list and extra
working days apply in every year, on top of either.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

import chinese_calendar

_COVERED = frozenset(d.year for d in chinese_calendar.holidays) | frozenset(
    d.year for d in chinese_calendar.workdays
)


@dataclass(frozen=True, slots=True)
class Pause:
    """An interval when the clock stood still (sent back for supplement)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a pause cannot end before it starts")

    def touches(self, day: date) -> bool:
        """Whether the clock stood still at any moment of `day`."""
        return self.start.date() <= day <= self.end.date()


@dataclass(frozen=True, slots=True)
class DueDate:
    """A due date and the years for which it relied on the Monday–Friday fallback."""

    day: date
    fallback_years: frozenset[int] = frozenset()

    @property
    def provisional(self) -> bool:
        """True when a year had no statutory calendar, so holidays may be missing."""
        return bool(self.fallback_years)


class TimeState(StrEnum):
    """A handoff's deadline state."""

    NORMAL = "normal"
    WARNING = "warning"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class WorkCalendar:
    """Decides which days are working days."""

    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> WorkCalendar:
        """A calendar with the hall's own holidays and extra working days."""
        return cls(frozenset(holidays), frozenset(workdays))

    @staticmethod
    def covers(year: int) -> bool:
        """Whether the statutory calendar knows `year`."""
        return year in _COVERED

    def is_workday(self, day: date) -> bool:
        """Whether `day` is a working day for this hall."""
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        if day.year in _COVERED:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def due_date(self, accepted: datetime, days: int, pauses: Sequence[Pause] = ()) -> DueDate:
        """The day by which `days` working days after `accepted` have run.

        The day of acceptance does not count (受理之日起 counts from the next day); 0 days is
        the same day. A working day on which the clock stood still at any moment does not
        count, so a case sent back on Tuesday and resumed on Thursday does not count Tuesday,
        Wednesday or Thursday: a pause never eats into the department's time.
        """
        if days < 0:
            raise ValueError("days cannot be negative")
        day = accepted.date()
        fallback: set[int] = set()
        if days == 0:
            if day.year not in _COVERED:
                fallback.add(day.year)
            return DueDate(day, frozenset(fallback))
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if day.year not in _COVERED:
                fallback.add(day.year)
            if self.is_workday(day) and not any(p.touches(day) for p in pauses):
                counted += 1
        return DueDate(day, frozenset(fallback))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if `end` is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def time_state(self, due: date, today: date, warning_days: int = 1) -> TimeState:
        """Normal, warning (at most `warning_days` working days left) or overdue."""
        if today > due:
            return TimeState.OVERDUE
        if self.working_days_between(today, due) <= warning_days:
            return TimeState.WARNING
        return TimeState.NORMAL
