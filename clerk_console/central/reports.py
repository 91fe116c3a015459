"""The numbers of a day, a week or a month (报表), counted in SQL on SQLite and PostgreSQL.

Tickets by line and hour; waits (issued → called) and service times (called → finished)
as p50/p90 per line, counter, clerk and item; cases by decision and item; handoffs decided
on time or late per department; ratings per clerk, counter, item and department with the
satisfaction rate and their follow-ups; the kiosk's estimated waits against the real ones.

Counting stays in the database: each figure is one grouped query over the period's rows,
read through an index on the day or the time. A percentile, which SQLite cannot take, comes
back as a histogram of 10-second buckets (a few hundred rows a key) and is read in Python.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Integer, and_, case, cast, func, literal_column, select
from sqlalchemy import Table as Table_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from clerk_console.central.handoffs import BackOffice
from clerk_console.central.models import (
    CaseItem,
    CaseRow,
    CentralModel,
    CounterRow,
    HandoffRow,
    LineRow,
    PlatformMeta,
    RatingDepartment,
    RatingFollowUpRow,
    RatingItem,
    RatingRow,
    StaffRow,
    TicketRow,
)
from clerk_console.domain.rating import LEVEL_CODES, Level
from clerk_console.domain.report import (
    BUCKET_SECONDS,
    Period,
    Report,
    Table,
    histograms,
    percentile,
    share,
)

DECISIONS = ("accepted", "deferred", "supplement", "rejected")
DECIDED = ("approved", "rejected")
TIMES = ("count", "wait_p50", "wait_p90", "service_p50", "service_p90")


class Dialect:
    """The few expressions SQLite and PostgreSQL spell differently: seconds between two
    times, a duration's bucket, and the hall's local hour and date of a time."""

    def __init__(self, s: Session, offset: timedelta) -> None:
        self.postgres = s.get_bind().dialect.name == "postgresql"
        self.minutes = int(offset.total_seconds() // 60)

    def seconds(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        if self.postgres:
            return func.extract("epoch", later - earlier)
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0

    def bucket(self, later: Any, earlier: Any) -> ColumnElement[int]:
        # Whole seconds first: julianday's arithmetic gives 1499.9999 for 25 minutes.
        seconds = func.round(self.seconds(later, earlier))
        if self.postgres:
            return cast(func.floor(seconds / BUCKET_SECONDS), Integer)
        return cast(seconds / BUCKET_SECONDS, Integer)  # durations are not negative here

    def _local(self, moment: Any) -> ColumnElement[Any]:
        # Stored in UTC; the hall's wall clock is a fixed offset from it (China keeps no DST).
        shift: ColumnElement[Any] = literal_column(f"interval '{self.minutes} minutes'")
        return func.timezone("UTC", moment) + shift

    def hour(self, moment: Any) -> ColumnElement[int]:
        if self.postgres:
            return cast(func.extract("hour", self._local(moment)), Integer)
        return cast(func.strftime("%H", moment, f"{self.minutes:+d} minutes"), Integer)

    def day(self, moment: Any) -> ColumnElement[Any]:
        if self.postgres:
            return cast(self._local(moment), Date)
        return func.date(moment, f"{self.minutes:+d} minutes")


def _table(name: str) -> Table_:
    return CentralModel.metadata.tables[name]


def period_report(s: Session, period: Period, office: BackOffice, now: datetime) -> Report:
    """The report of `period` as the platform's records hold it at `now`."""
    local_midnight = datetime.combine(period.start, time()).astimezone()
    offset = local_midnight.utcoffset() or timedelta(0)
    d = Dialect(s, offset)
    since = local_midnight.astimezone(UTC)
    until = datetime.combine(period.end, time()).astimezone().astimezone(UTC)
    # Open handoffs count past due as of the period's end (or today, for the period still
    # running); the period's follow-ups are shown as they stand today.
    today = office.local_day(now)
    as_of = min(period.end, today)
    hall = s.get(PlatformMeta, "hall_name")
    tables = (
        _line_tickets(s, period, d),
        _hour_tickets(s, period, d),
        _times(s, period, d, "counter", col(TicketRow.counter), _counter_names(s)),
        _times(s, period, d, "clerk", col(TicketRow.served_by), _clerk_names(s)),
        _item_times(s, period, d, office),
        _estimates(s, period, d),
        _case_decisions(s, since, until, office),
        _department_handoffs(s, since, until, as_of, d, office),
        _rating_levels(s, period),
        *_ratings(s, period, today, office),
        _follow_ups(s, period, today),
    )
    return Report(hall.value if hall else "", period, tables)


def _in(period: Period) -> ColumnElement[bool]:
    return and_(col(TicketRow.day) >= period.start, col(TicketRow.day) < period.end)


def _waited() -> tuple[Any, Any]:
    return col(TicketRow.called_at), col(TicketRow.issued_at)


def _served() -> tuple[Any, Any]:
    return col(TicketRow.finished_at), col(TicketRow.called_at)


def _grouped(s: Session, key: Any, bucket: Any, *where: Any, join: Any = None) -> dict[Any, Any]:
    query = select(key, bucket, func.count())
    if join is not None:
        query = query.select_from(join)
    rows = s.execute(query.where(*where).group_by(key, bucket)).all()
    return histograms((r[0], r[1], r[2]) for r in rows)


def _p(h: dict[int, int] | None, q: float) -> int | None:
    return percentile(h, q) if h else None


def _line_names(s: Session) -> dict[str, str]:
    return {
        prefix: name for prefix, name in s.execute(select(col(LineRow.prefix), col(LineRow.name)))
    }


def _line_tickets(s: Session, period: Period, d: Dialect) -> Table:
    """Per line: issued, served, no-shows, waits and service times (p50/p90)."""
    status = col(TicketRow.status)
    line = col(TicketRow.line)
    counts = s.execute(
        select(
            line,
            func.count(),
            func.sum(case((status == "finished", 1), else_=0)),
            func.sum(case((status == "no_show", 1), else_=0)),
        )
        .where(_in(period))
        .group_by(line)
    ).all()
    waits = _grouped(
        s, line, d.bucket(*_waited()), _in(period), col(TicketRow.called_at).isnot(None)
    )
    services = _grouped(s, line, d.bucket(*_served()), _in(period), status == "finished")
    names = _line_names(s)
    rows = [
        (
            prefix,
            names.get(prefix, ""),
            int(issued),
            int(served or 0),
            int(gone or 0),
            _p(waits.get(prefix), 0.5),
            _p(waits.get(prefix), 0.9),
            _p(services.get(prefix), 0.5),
            _p(services.get(prefix), 0.9),
        )
        for prefix, issued, served, gone in sorted(counts)
    ]
    return Table(
        "line_tickets",
        ("line", "name", "issued", "served", "no_show", *TIMES[1:]),
        tuple(rows),
    )


def _hour_tickets(s: Session, period: Period, d: Dialect) -> Table:
    """Per hour of the day (the hall's clock): issued (arrivals), served and no-shows in it,
    and the waits of the tickets issued in it."""
    status = col(TicketRow.status)
    issued_hour = d.hour(col(TicketRow.issued_at))
    finished_hour = d.hour(col(TicketRow.finished_at))
    issued = dict(
        s.execute(select(issued_hour, func.count()).where(_in(period)).group_by(issued_hour)).all()
    )
    done = s.execute(
        select(finished_hour, status, func.count())
        .where(_in(period), status.in_(("finished", "no_show")))
        .group_by(finished_hour, status)
    ).all()
    served = {h: n for h, st, n in done if st == "finished"}
    gone = {h: n for h, st, n in done if st == "no_show"}
    waits = _grouped(
        s, issued_hour, d.bucket(*_waited()), _in(period), col(TicketRow.called_at).isnot(None)
    )
    hours = sorted({*issued, *served, *gone})
    rows = [
        (
            f"{int(h):02d}:00",
            int(issued.get(h, 0)),
            int(served.get(h, 0)),
            int(gone.get(h, 0)),
            _p(waits.get(h), 0.5),
            _p(waits.get(h), 0.9),
        )
        for h in hours
    ]
    return Table(
        "hour_tickets", ("hour", "issued", "served", "no_show", "wait_p50", "wait_p90"), tuple(rows)
    )


def _counter_names(s: Session) -> Any:
    names = {n: name for n, name in s.execute(select(col(CounterRow.number), col(CounterRow.name)))}
    return lambda keys: {k: names.get(k, "") for k in keys}


def _clerk_names(s: Session) -> Any:
    names = {u: n for u, n in s.execute(select(col(StaffRow.username), col(StaffRow.name)))}
    return lambda keys: {k: names.get(k, "") for k in keys}


def _times(s: Session, period: Period, d: Dialect, key_name: str, key: Any, named: Any) -> Table:
    """Per counter or clerk: tickets served, waits and service times (p50/p90)."""
    status = col(TicketRow.status)
    served = dict(
        s.execute(
            select(key, func.count())
            .where(_in(period), status == "finished", key.isnot(None))
            .group_by(key)
        ).all()
    )
    waits = _grouped(
        s,
        key,
        d.bucket(*_waited()),
        _in(period),
        col(TicketRow.called_at).isnot(None),
        key.isnot(None),
    )
    services = _grouped(
        s, key, d.bucket(*_served()), _in(period), status == "finished", key.isnot(None)
    )
    keys = sorted({*served, *waits})
    names = named(keys)
    rows = [
        (
            k,
            names.get(k, ""),
            int(served.get(k, 0)),
            _p(waits.get(k), 0.5),
            _p(waits.get(k), 0.9),
            _p(services.get(k), 0.5),
            _p(services.get(k), 0.9),
        )
        for k in keys
    ]
    return Table(f"{key_name}_times", (key_name, "name", "served", *TIMES[1:]), tuple(rows))


def _item_times(s: Session, period: Period, d: Dialect, office: BackOffice) -> Table:
    """Per item: the tickets its cases were taken in on, their waits and service times."""
    item = col(CaseItem.item)
    joined = (
        _table("ticket")
        .join(_table("intake_case"), col(CaseRow.ticket_id) == col(TicketRow.id))
        .join(_table("case_item"), col(CaseItem.case_number) == col(CaseRow.number))
    )
    status = col(TicketRow.status)
    counted = dict(
        s.execute(
            select(item, func.count(func.distinct(col(TicketRow.id))))
            .select_from(joined)
            .where(_in(period))
            .group_by(item)
        ).all()
    )
    waits = _grouped(
        s,
        item,
        d.bucket(*_waited()),
        _in(period),
        col(TicketRow.called_at).isnot(None),
        join=joined,
    )
    services = _grouped(
        s, item, d.bucket(*_served()), _in(period), status == "finished", join=joined
    )
    rows = [
        (
            code,
            _item_name(office, code),
            int(counted[code]),
            _p(waits.get(code), 0.5),
            _p(waits.get(code), 0.9),
            _p(services.get(code), 0.5),
            _p(services.get(code), 0.9),
        )
        for code in sorted(counted)
    ]
    return Table("item_times", ("item", "name", "tickets", *TIMES[1:]), tuple(rows))


def _item_name(office: BackOffice, code: str) -> str:
    spec = office.catalog.items.get(code)
    return spec.name if spec else ""


def _department_name(office: BackOffice, code: str) -> str:
    spec = office.catalog.departments.get(code)
    return spec.name if spec else ""


def _estimates(s: Session, period: Period, d: Dialect) -> Table:
    """Per line: how far the slips' estimated waits were from the waits that followed (the
    mean of the error's size, and its mean sign: positive means people waited longer)."""
    line = col(TicketRow.line)
    error = d.seconds(*_waited()) - col(TicketRow.estimated_wait_seconds)
    rows = s.execute(
        select(line, func.count(), func.avg(func.abs(error)), func.avg(error))
        .where(
            _in(period),
            col(TicketRow.called_at).isnot(None),
            col(TicketRow.estimated_wait_seconds).isnot(None),
        )
        .group_by(line)
    ).all()
    return Table(
        "estimates",
        ("line", "tickets", "mean_error", "mean_bias"),
        tuple((p, int(n), round(float(e)), round(float(b))) for p, n, e, b in sorted(rows)),
    )


def _case_decisions(s: Session, since: datetime, until: datetime, office: BackOffice) -> Table:
    """Cases taken in, per item and decision; the first row is every case (a case of
    several items counts once there, and once under each of its items)."""
    status = col(CaseRow.status)
    received = and_(col(CaseRow.received_at) >= since, col(CaseRow.received_at) < until)
    totals = dict(s.execute(select(status, func.count()).where(received).group_by(status)).all())
    item = col(CaseItem.item)
    per_item = s.execute(
        select(item, status, func.count())
        .select_from(_table("intake_case").join(_table("case_item")))
        .where(received)
        .group_by(item, status)
    ).all()
    by_item: dict[str, dict[str, int]] = {}
    for code, st, n in per_item:
        by_item.setdefault(code, {})[st] = int(n)

    def row(code: str, name: str, counts: dict[str, int]) -> tuple[Any, ...]:
        return (code, name, *(int(counts.get(x, 0)) for x in DECISIONS), sum(counts.values()))

    rows = [row("*", "", {k: int(v) for k, v in totals.items()})]
    rows += [row(code, _item_name(office, code), by_item[code]) for code in sorted(by_item)]
    return Table("case_decisions", ("item", "name", *DECISIONS, "total"), tuple(rows))


def _department_handoffs(
    s: Session, since: datetime, until: datetime, as_of: date, d: Dialect, office: BackOffice
) -> Table:
    """Per department: handoffs decided in the period on time (by their due day) or late,
    the on-time rate, and those still open past due as of the period's end."""
    department = col(HandoffRow.department)
    decided_day = d.day(col(HandoffRow.decided_at))
    late = and_(col(HandoffRow.due_on).isnot(None), decided_day > col(HandoffRow.due_on))
    decided = s.execute(
        select(department, func.count(), func.sum(case((late, 1), else_=0)))
        .where(
            col(HandoffRow.status).in_(DECIDED),
            col(HandoffRow.decided_at) >= since,
            col(HandoffRow.decided_at) < until,
        )
        .group_by(department)
    ).all()
    overdue = dict(
        s.execute(
            select(department, func.count())
            .where(col(HandoffRow.status) == "open", col(HandoffRow.due_on) < as_of)
            .group_by(department)
        ).all()
    )
    counts = {dep: (int(n), int(lates or 0)) for dep, n, lates in decided}
    rows = []
    for dep in sorted({*counts, *overdue}):
        n, lates = counts.get(dep, (0, 0))
        rows.append(
            (
                dep,
                _department_name(office, dep),
                n,
                n - lates,
                lates,
                share(n - lates, n),
                int(overdue.get(dep, 0)),
            )
        )
    return Table(
        "department_handoffs",
        ("department", "name", "decided", "on_time", "late", "on_time_rate", "open_overdue"),
        tuple(rows),
    )


def _rated(period: Period) -> ColumnElement[bool]:
    return and_(col(RatingRow.day) >= period.start, col(RatingRow.day) < period.end)


def _rating_levels(s: Session, period: Period) -> Table:
    """Ratings by level (the chart's bars); those whose appeal was granted are left out."""
    counts = dict(
        s.execute(
            select(col(RatingRow.level), func.count())
            .where(_rated(period), col(RatingRow.counted))
            .group_by(col(RatingRow.level))
        ).all()
    )
    return Table(
        "rating_levels",
        ("level", "ratings"),
        tuple((level.code, int(counts.get(int(level), 0))) for level in Level),
    )


def _ratings(s: Session, period: Period, as_of: date, office: BackOffice) -> list[Table]:
    """Ratings per clerk, counter, item and department: how many at each level, the
    satisfaction rate (满意度), and the bad ratings' follow-ups (opened, done, overdue)."""
    rating = _table("rating")
    follow = _table("rating_follow_up")
    clerks = _clerk_names(s)
    by = (
        ("clerk", col(RatingRow.clerk), rating, clerks),
        ("counter", col(RatingRow.counter), rating, _counter_names(s)),
        (
            "item",
            col(RatingItem.item),
            rating.join(_table("rating_item")),
            lambda keys: {k: _item_name(office, k) for k in keys},
        ),
        (
            "department",
            col(RatingDepartment.department),
            rating.join(_table("rating_department")),
            lambda keys: {k: _department_name(office, k) for k in keys},
        ),
    )
    done = col(RatingFollowUpRow.closed_at).isnot(None)
    overdue = and_(~done, col(RatingFollowUpRow.due_on) < as_of)
    tables = []
    for name, key, source, named in by:
        levels = s.execute(
            select(key, col(RatingRow.level), func.count())
            .select_from(source)
            .where(_rated(period), col(RatingRow.counted), key.isnot(None))
            .group_by(key, col(RatingRow.level))
        ).all()
        follow_ups = s.execute(
            select(
                key,
                func.count(),
                func.sum(case((done, 1), else_=0)),
                func.sum(case((overdue, 1), else_=0)),
            )
            .select_from(source.join(follow))
            .where(_rated(period), key.isnot(None))
            .group_by(key)
        ).all()
        per: dict[Any, dict[int, int]] = {}
        for k, level, n in levels:
            per.setdefault(k, {})[int(level)] = int(n)
        follow_by = {k: (int(n), int(c or 0), int(o or 0)) for k, n, c, o in follow_ups}
        keys = sorted({*per, *follow_by})
        names = named(keys)
        rows = []
        for k in keys:
            counts = per.get(k, {})
            total = sum(counts.values())
            good = sum(n for level, n in counts.items() if Level(level).good)
            opened, closed, late = follow_by.get(k, (0, 0, 0))
            rows.append(
                (
                    k,
                    names.get(k, ""),
                    *(counts.get(int(lv), 0) for lv in Level),
                    total,
                    share(good, total),
                    opened,
                    closed,
                    late,
                )
            )
        tables.append(
            Table(
                f"ratings_{name}",
                (
                    name,
                    "name",
                    *LEVEL_CODES,
                    "total",
                    "satisfaction",
                    "follow_ups",
                    "follow_ups_done",
                    "follow_ups_overdue",
                ),
                tuple(rows),
            )
        )
    return tables


def _follow_ups(s: Session, period: Period, as_of: date) -> Table:
    """The follow-ups of the period's bad ratings, by where they stand today; how many are
    past their due day and not done."""
    status = col(RatingFollowUpRow.status)
    done = col(RatingFollowUpRow.closed_at).isnot(None)
    rows = s.execute(
        select(
            status,
            func.count(),
            func.sum(case((and_(~done, col(RatingFollowUpRow.due_on) < as_of), 1), else_=0)),
        )
        .select_from(_table("rating_follow_up").join(_table("rating")))
        .where(_rated(period))
        .group_by(status)
    ).all()
    return Table(
        "follow_ups",
        ("status", "follow_ups", "overdue"),
        tuple((st, int(n), int(o or 0)) for st, n, o in sorted(rows)),
    )
