"""The numbers of a day, a week or a month (报表): the period a report covers, percentiles
from the platform's duration histograms, and the report as tables of plain values.

The platform counts in SQL; what it cannot say portably in SQL (a percentile on SQLite) it
answers as a histogram of whole buckets, and the percentile is read from that here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

BUCKET_SECONDS = 30
"""Durations are counted in 10-second buckets: a percentile is exact to 10 seconds, and a
month of tickets groups into a few hundred rows per line, counter or clerk."""


class PeriodKind(StrEnum):
    """What a report covers."""

    DAY = "day"
    WEEK = "week"  # Monday to Sunday
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Period:
    """The days a report covers: `start` up to, not including, `end`."""

    kind: PeriodKind
    start: date
    end: date

    @classmethod
    def of(cls, kind: PeriodKind | str, day: date) -> Period:
        """The day, the week (Monday first) or the month that holds `day`."""
        kind = PeriodKind(kind)
        if kind is PeriodKind.DAY:
            return cls(kind, day, day + timedelta(days=1))
        if kind is PeriodKind.WEEK:
            monday = day - timedelta(days=day.weekday())
            return cls(kind, monday, monday + timedelta(days=7))
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(kind, first, following)

    @property
    def last(self) -> date:
        """The last day it covers."""
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def label(self) -> str:
        """2026-11-23, 2026-11-23..2026-11-29, 2026-11."""
        if self.kind is PeriodKind.DAY:
            return self.start.isoformat()
        if self.kind is PeriodKind.MONTH:
            return self.start.strftime("%Y-%m")
        return f"{self.start.isoformat()}..{self.last.isoformat()}"


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank percentile (share 0.5 is the median, 0.9 the 90th) of durations
    counted per bucket (bucket number → how many), in seconds: the bucket's lower bound.
    None for no durations."""
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = -(-total * share // 1)  # ceil(total × share): the nearest rank
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket * BUCKET_SECONDS
    raise AssertionError("unreachable")  # seen reaches total ≥ rank


def bucket_of(seconds: float) -> int:
    """The bucket a duration falls in (negative durations, a clock's step back, count as 0)."""
    return max(0, int(seconds // BUCKET_SECONDS))


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to share."""
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class Table:
    """One table of a report: its key (the message catalogue's `report.table_<key>`), its
    columns (`report.col_<column>`) and its rows of plain values (str, int, float, None)."""

    key: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Table:
        return cls(
            str(data["key"]),
            tuple(str(c) for c in data["columns"]),
            tuple(tuple(r) for r in data["rows"]),
        )

    def column(self, name: str) -> list[Any]:
        """The values of one column, top to bottom."""
        at = self.columns.index(name)
        return [row[at] for row in self.rows]

    def row(self, first: Any) -> dict[str, Any]:
        """The row whose first value is `first`, by column; KeyError if none."""
        for values in self.rows:
            if values[0] == first:
                return dict(zip(self.columns, values, strict=True))
        raise KeyError(first)


@dataclass(frozen=True, slots=True)
class Report:
    """A hall's report of a period: its tables in the order they are shown."""

    hall: str
    period: Period
    tables: tuple[Table, ...] = field(default=())

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hall": self.hall,
            "period": {
                "kind": self.period.kind.value,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "label": self.period.label(),
            },
            "tables": [t.as_dict() for t in self.tables],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        p = data["period"]
        period = Period(
            PeriodKind(p["kind"]), date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
        )
        return cls(str(data["hall"]), period, tuple(Table.from_dict(t) for t in data["tables"]))


def histograms(rows: Iterable[Sequence[Any]]) -> dict[Any, dict[int, int]]:
    """(key, bucket, count) rows as one histogram a key."""
    found: dict[Any, dict[int, int]] = {}
    for key, bucket, count in rows:
        found.setdefault(key, {})[int(bucket)] = int(count)
    return found
