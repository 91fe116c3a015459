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

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Engine,
    Float,
    Integer,
    Row,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
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
    percentile,
    share,
)

DECISIONS = ("accepted", "deferred", "supplement", "rejected")
DECIDED = ("approved", "rejected")
TIMES = ("count", "wait_p50", "wait_p90", "service_p50", "service_p90")


class Dialect:
    """The few expressions SQLite and PostgreSQL spell differently: seconds between two
    times, a duration's bucket, and the hall's local hour and date of a time."""

    def __init__(self, s: Session | Connection, offset: timedelta) -> None:
        bind = s.get_bind() if isinstance(s, Session) else s
        self.postgres = bind.dialect.name == "postgresql"
        self.minutes = int(offset.total_seconds() // 60)

    def seconds(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        if self.postgres:
            # date_part is double precision; EXTRACT answers numeric, five times slower here.
            return func.date_part("epoch", later - earlier)
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
    # Core rows straight from the connection: the ORM's result machinery doubled the time.
    c = s.connection()
    bind = s.get_bind()
    if isinstance(bind, Engine) and d.postgres:
        # The tickets' figures, the longest part, in two halves on two more connections
        # while this one counts the cases, handoffs and ratings: a month on PostgreSQL in
        # two thirds of the time. (Each its own snapshot: a ticket finished meanwhile may
        # count in one half and not the other; a closed period does not change.) Not on
        # SQLite, whose transactions take its one writer's lock from their start here.
        # (Halving the days instead was slower: each half still joins every case since.)
        def half(n: int) -> Figures:
            with bind.connect() as other:
                return Figures(other, period, since, d, n)

        with ThreadPoolExecutor(max_workers=2) as pool:
            halves = [pool.submit(half, 0), pool.submit(half, 1)]
            rest = _others(c, period, since, until, as_of, today, d, office)
            figures = halves[0].result().merge(halves[1].result())
    else:
        figures = Figures(c, period, since, d)
        rest = _others(c, period, since, until, as_of, today, d, office)
    tables = (
        _line_tickets(c, figures),
        _hour_tickets(figures),
        _times(figures, "counter", _counter_names(c), int),
        _times(figures, "clerk", _clerk_names(c)),
        _item_times(figures, office),
        _estimates(figures),
        *rest,
    )
    return Report(hall.value if hall else "", period, tables)


def _others(
    c: Connection,
    period: Period,
    since: datetime,
    until: datetime,
    as_of: date,
    today: date,
    d: Dialect,
    office: BackOffice,
) -> tuple[Table, ...]:
    """The tables of cases, handoffs and ratings."""
    rated = _rating_figures(c, period, today)  # follow-ups as they stand today
    return (
        _case_decisions(c, since, until, office),
        _department_handoffs(c, since, until, as_of, d, office),
        _rating_levels(rated),
        *_ratings(c, rated, office),
        _follow_ups(rated),
    )


def _in(period: Period) -> ColumnElement[bool]:
    return and_(col(TicketRow.day) >= period.start, col(TicketRow.day) < period.end)


def _p(h: dict[int, int] | None, q: float) -> int | None:
    return percentile(h, q) if h else None


class Figures:
    """Every ticket figure of a period from one statement: the period's tickets read once
    into a materialized CTE (what each contributes: its line, counter, clerk, hours, wait
    and service buckets, its estimate's error), then counted by each key with UNION ALL.
    Rows come back as (kind, key, tag, bucket, n, a, b); `kind` says which count it is."""

    def __init__(
        self, s: Connection, period: Period, since: datetime, d: Dialect, half: int | None = None
    ) -> None:
        ticket = _table("ticket")
        issued, called, finished = ticket.c.issued_at, ticket.c.called_at, ticket.c.finished_at
        status = ticket.c.status
        estimate = ticket.c.estimated_wait_seconds
        t = (
            select(
                ticket.c.id.label("id"),
                ticket.c.line.label("line"),
                cast(ticket.c.counter, String).label("counter"),
                ticket.c.served_by.label("clerk"),
                status.label("status"),
                cast(d.hour(issued), String).label("ih"),
                cast(d.hour(finished), String).label("fh"),
                case((called.isnot(None), d.bucket(called, issued))).label("wb"),
                case((status == "finished", d.bucket(finished, called))).label("sb"),
                case(
                    (
                        and_(called.isnot(None), estimate.isnot(None)),
                        d.seconds(called, issued) - estimate,
                    )
                ).label("err"),
            )
            .where(ticket.c.day >= period.start, ticket.c.day < period.end)
            .cte("t")
            .prefix_with("MATERIALIZED")
        )
        cases = _table("intake_case")
        items = _table("case_item")
        # A case comes after its ticket: bounding its time lets the join start from the
        # period's cases (ix_case_received) instead of every case ever taken in.
        # The period's tickets with their cases' items, joined once (three counts read it).
        with_items = (
            select(t.c.id.label("id"), items.c.item.label("item"), t.c.wb, t.c.sb)
            .select_from(
                t.join(cases, and_(cases.c.ticket_id == t.c.id, cases.c.received_at >= since)).join(
                    items, items.c.case_number == cases.c.number
                )
            )
            .cte("ti")
            .prefix_with("MATERIALIZED")
        )
        text_null = cast(null(), String)
        int_null = cast(null(), Integer)
        float_null = cast(null(), Float)

        def part(
            kind: str,
            key: Any,
            *,
            tag: Any = None,
            bucket: Any = None,
            n: Any = None,
            a: Any = None,
            b: Any = None,
            where: tuple[Any, ...] = (),
            source: Any = t,
        ) -> Select[Any]:
            groups = [key] + [x for x in (tag, bucket) if x is not None]
            return (
                select(
                    literal(kind).label("kind"),
                    cast(key, String).label("key"),
                    (text_null if tag is None else cast(tag, String)).label("tag"),
                    (int_null if bucket is None else bucket).label("bucket"),
                    (func.count() if n is None else n).label("n"),
                    (float_null if a is None else cast(a, Float)).label("a"),
                    (float_null if b is None else cast(b, Float)).label("b"),
                )
                .select_from(source)
                .where(*where)
                .group_by(*groups)
            )

        parts = [
            part("status:line", t.c.line, tag=t.c.status),
            part("issued:hour", t.c.ih),
            part("done:hour", t.c.fh, tag=t.c.status, where=(t.c.fh.isnot(None),)),
            part(
                "estimate:line",
                t.c.line,
                a=func.sum(func.abs(t.c.err)),  # sums, not means: two halves add up
                b=func.sum(t.c.err),
                where=(t.c.err.isnot(None),),
            ),
            part(
                "tickets:item",
                with_items.c.item,
                n=func.count(func.distinct(with_items.c.id)),
                source=with_items,
            ),
        ]

        def sets(
            prefix: str,
            keys: tuple[tuple[str, Any], ...],
            bucket: Any = None,
            where: tuple[Any, ...] = (),
        ) -> list[Select[Any]]:
            """One count a key of `keys` (by `bucket` too, if given). (PostgreSQL's
            GROUPING SETS counted them in one pass, but slower: its sorts cost more than
            reading the materialized tickets again.)"""
            return [
                part(f"{prefix}:{name}", key, bucket=bucket, where=(*where, key.isnot(None)))
                for name, key in keys
            ]

        people = (("counter", t.c.counter), ("clerk", t.c.clerk))
        parts += sets("served", people, where=(t.c.status == "finished",))
        parts += sets(
            "wait",
            (("line", t.c.line), ("hour", t.c.ih), *people),
            bucket=t.c.wb,
            where=(t.c.wb.isnot(None),),
        )
        later = sets(
            "service", (("line", t.c.line), *people), bucket=t.c.sb, where=(t.c.sb.isnot(None),)
        )
        item = with_items.c.item
        for name, bucket in (("wait", with_items.c.wb), ("service", with_items.c.sb)):
            later.append(
                part(
                    f"{name}:item",
                    item,
                    bucket=bucket,
                    where=(bucket.isnot(None),),
                    source=with_items,
                )
            )
        # Two halves of about equal work, for two connections at once (`period_report`).
        chosen = {None: parts + later, 0: parts, 1: later}[half]
        self.rows: dict[str, list[Row[Any]]] = {}
        for row in s.execute(union_all(*chosen)):
            if row.key is not None:  # a grouping set's own NULL key: not a figure
                self.rows.setdefault(row.kind, []).append(row)

    def merge(self, other: Figures) -> Figures:
        """The figures of two parts of a period as one (every figure is a count or a sum,
        so they add up)."""
        for kind, rows in other.rows.items():
            self.rows.setdefault(kind, []).extend(rows)
        return self

    def counts(self, kind: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for r in self.rows.get(kind, []):
            found[r.key] = found.get(r.key, 0) + int(r.n)
        return found

    def tagged(self, kind: str) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for r in self.rows.get(kind, []):
            tags = found.setdefault(r.key, {})
            tags[r.tag] = tags.get(r.tag, 0) + int(r.n)
        return found

    def histograms(self, kind: str) -> dict[str, dict[int, int]]:
        found: dict[str, dict[int, int]] = {}
        for r in self.rows.get(kind, []):
            counts = found.setdefault(r.key, {})
            counts[int(r.bucket)] = counts.get(int(r.bucket), 0) + int(r.n)
        return found


def _line_names(s: Connection) -> dict[str, str]:
    return {
        prefix: name for prefix, name in s.execute(select(col(LineRow.prefix), col(LineRow.name)))
    }


def _line_tickets(s: Connection, f: Figures) -> Table:
    """Per line: issued, served, no-shows, waits and service times (p50/p90)."""
    by_status = f.tagged("status:line")
    waits, services = f.histograms("wait:line"), f.histograms("service:line")
    names = _line_names(s)
    rows = [
        (
            prefix,
            names.get(prefix, ""),
            sum(by_status[prefix].values()),
            by_status[prefix].get("finished", 0),
            by_status[prefix].get("no_show", 0),
            _p(waits.get(prefix), 0.5),
            _p(waits.get(prefix), 0.9),
            _p(services.get(prefix), 0.5),
            _p(services.get(prefix), 0.9),
        )
        for prefix in sorted(by_status)
    ]
    return Table(
        "line_tickets",
        ("line", "name", "issued", "served", "no_show", *TIMES[1:]),
        tuple(rows),
    )


def _hour_tickets(f: Figures) -> Table:
    """Per hour of the day (the hall's clock): issued (arrivals), served and no-shows in it,
    and the waits of the tickets issued in it."""
    issued = f.counts("issued:hour")
    done = f.tagged("done:hour")
    waits = f.histograms("wait:hour")
    rows = [
        (
            f"{int(h):02d}:00",
            issued.get(h, 0),
            done.get(h, {}).get("finished", 0),
            done.get(h, {}).get("no_show", 0),
            _p(waits.get(h), 0.5),
            _p(waits.get(h), 0.9),
        )
        for h in sorted({*issued, *done}, key=int)
    ]
    return Table(
        "hour_tickets", ("hour", "issued", "served", "no_show", "wait_p50", "wait_p90"), tuple(rows)
    )


def _counter_names(s: Connection) -> Any:
    names = {n: name for n, name in s.execute(select(col(CounterRow.number), col(CounterRow.name)))}
    return lambda keys: {k: names.get(k, "") for k in keys}


def _clerk_names(s: Connection) -> Any:
    names = {u: n for u, n in s.execute(select(col(StaffRow.username), col(StaffRow.name)))}
    return lambda keys: {k: names.get(k, "") for k in keys}


def _times(f: Figures, key_name: str, named: Any, as_key: Any = str) -> Table:
    """Per counter or clerk: tickets served, waits and service times (p50/p90)."""
    served = f.counts(f"served:{key_name}")
    waits, services = f.histograms(f"wait:{key_name}"), f.histograms(f"service:{key_name}")
    keys = sorted({*served, *waits}, key=as_key)
    names = named([as_key(k) for k in keys])
    rows = [
        (
            as_key(k),
            names.get(as_key(k), ""),
            served.get(k, 0),
            _p(waits.get(k), 0.5),
            _p(waits.get(k), 0.9),
            _p(services.get(k), 0.5),
            _p(services.get(k), 0.9),
        )
        for k in keys
    ]
    return Table(f"{key_name}_times", (key_name, "name", "served", *TIMES[1:]), tuple(rows))


def _item_times(f: Figures, office: BackOffice) -> Table:
    """Per item: the tickets its cases were taken in on, their waits and service times."""
    counted = f.counts("tickets:item")
    waits, services = f.histograms("wait:item"), f.histograms("service:item")
    rows = [
        (
            code,
            _item_name(office, code),
            counted[code],
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


def _estimates(f: Figures) -> Table:
    """Per line: how far the slips' estimated waits were from the waits that followed (the
    mean of the error's size, and its mean sign: positive means people waited longer)."""
    sums: dict[str, tuple[int, float, float]] = {}
    for r in f.rows.get("estimate:line", []):
        n, size, sign = sums.get(r.key, (0, 0.0, 0.0))
        sums[r.key] = (n + int(r.n), size + float(r.a), sign + float(r.b))
    return Table(
        "estimates",
        ("line", "tickets", "mean_error", "mean_bias"),
        tuple((k, n, round(a / n), round(b / n)) for k, (n, a, b) in sorted(sums.items())),
    )


def _case_decisions(s: Connection, since: datetime, until: datetime, office: BackOffice) -> Table:
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
    s: Connection, since: datetime, until: datetime, as_of: date, d: Dialect, office: BackOffice
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


def _rating_figures(s: Connection, period: Period, as_of: date) -> dict[str, list[Row[Any]]]:
    """Every rating figure of a period from one statement, as `Figures` does for tickets:
    the period's ratings with their follow-ups read once, then counted by clerk, counter,
    item and department, by level, and the follow-ups by where they stand."""
    rating, follow = _table("rating"), _table("rating_follow_up")
    done = follow.c.closed_at.isnot(None)
    r = (
        select(
            rating.c.id.label("id"),
            rating.c.level.label("level"),
            cast(rating.c.counter, String).label("counter"),
            rating.c.clerk.label("clerk"),
            rating.c.counted.label("counted"),
            follow.c.status.label("fstatus"),
            case((follow.c.rating_id.isnot(None), 1), else_=0).label("fu"),
            case((done, 1), else_=0).label("fu_done"),
            case(
                (and_(follow.c.rating_id.isnot(None), ~done, follow.c.due_on < as_of), 1), else_=0
            ).label("fu_late"),
        )
        .select_from(rating.outerjoin(follow, follow.c.rating_id == rating.c.id))
        .where(rating.c.day >= period.start, rating.c.day < period.end)
        .cte("r")
        .prefix_with("MATERIALIZED")
    )
    items, departments = _table("rating_item"), _table("rating_department")
    by_item = r.join(items, items.c.rating_id == r.c.id)
    by_department = r.join(departments, departments.c.rating_id == r.c.id)
    text_null = cast(null(), String)
    keys = (
        ("clerk", r.c.clerk, r),
        ("counter", r.c.counter, r),
        ("item", items.c.item, by_item),
        ("department", departments.c.department, by_department),
    )
    parts = [
        select(
            literal("level:all").label("kind"),
            literal("*").label("key"),
            cast(r.c.level, String).label("tag"),
            func.count().label("n"),
            func.count().label("a"),
            func.count().label("b"),
        )
        .where(r.c.counted)
        .group_by(r.c.level),
        select(
            literal("follow_ups").label("kind"),
            r.c.fstatus.label("key"),
            text_null.label("tag"),
            func.count().label("n"),
            func.sum(r.c.fu_late).label("a"),
            func.count().label("b"),
        )
        .where(r.c.fu == 1)
        .group_by(r.c.fstatus),
    ]
    for name, key, source in keys:
        parts.append(
            select(
                literal(f"level:{name}").label("kind"),
                cast(key, String).label("key"),
                cast(r.c.level, String).label("tag"),
                func.count().label("n"),
                func.count().label("a"),
                func.count().label("b"),
            )
            .select_from(source)
            .where(r.c.counted, key.isnot(None))
            .group_by(key, r.c.level)
        )
        parts.append(
            select(
                literal(f"follow:{name}").label("kind"),
                cast(key, String).label("key"),
                text_null.label("tag"),
                func.sum(r.c.fu).label("n"),
                func.sum(r.c.fu_done).label("a"),
                func.sum(r.c.fu_late).label("b"),
            )
            .select_from(source)
            .where(key.isnot(None), r.c.fu == 1)
            .group_by(key)
        )
    found: dict[str, list[Row[Any]]] = {}
    for row in s.execute(union_all(*parts)):
        found.setdefault(row.kind, []).append(row)
    return found


def _rating_levels(figures: dict[str, list[Row[Any]]]) -> Table:
    """Ratings by level (the chart's bars); those whose appeal was granted are left out."""
    counts = {int(row.tag): int(row.n) for row in figures.get("level:all", [])}
    return Table(
        "rating_levels",
        ("level", "ratings"),
        tuple((level.code, counts.get(int(level), 0)) for level in Level),
    )


def _ratings(s: Connection, figures: dict[str, list[Row[Any]]], office: BackOffice) -> list[Table]:
    """Ratings per clerk, counter, item and department: how many at each level, the
    satisfaction rate (满意度), and the bad ratings' follow-ups (opened, done, overdue)."""
    by = (
        ("clerk", _clerk_names(s), str),
        ("counter", _counter_names(s), int),
        ("item", lambda keys: {k: _item_name(office, k) for k in keys}, str),
        ("department", lambda keys: {k: _department_name(office, k) for k in keys}, str),
    )
    tables = []
    for name, named, as_key in by:
        per: dict[Any, dict[int, int]] = {}
        for row in figures.get(f"level:{name}", []):
            per.setdefault(as_key(row.key), {})[int(row.tag)] = int(row.n)
        follow_by = {
            as_key(row.key): (int(row.n or 0), int(row.a or 0), int(row.b or 0))
            for row in figures.get(f"follow:{name}", [])
        }
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


def _follow_ups(figures: dict[str, list[Row[Any]]]) -> Table:
    """The follow-ups of the period's bad ratings, by where they stand today; how many are
    past their due day and not done."""
    rows = sorted(figures.get("follow_ups", []), key=lambda row: row.key)
    return Table(
        "follow_ups",
        ("status", "follow_ups", "overdue"),
        tuple((row.key, int(row.n), int(row.a or 0)) for row in rows),
    )
