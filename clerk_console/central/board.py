"""The supervisor's live hall board (大厅管理): per line and per counter the figures of now
and of the day, the kiosk's estimates checked against the waits that followed, and the
alerts that say where the hall hurts, each with its threshold from the platform's settings
and whether, and by whom, it was acknowledged.

It is read again on every change in the hall (a supervisor's board follows the feed), so
each figure is one grouped query over today's rows, the same few queries however many
counters the hall has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, and_, case, func, select
from sqlmodel import Session, col

from clerk_console.central.models import (
    AlertAck,
    CentralModel,
    CounterRow,
    HandoffRow,
    LineRow,
    RatingFollowUpRow,
    RatingRow,
    TicketRow,
)
from clerk_console.central.queue import (
    QueueRules,
    _iso,
    aware,
    counter_view,
    recent_service,
    ticket_view,
)
from clerk_console.central.reports import Dialect
from clerk_console.domain.queue import estimated_wait


@dataclass(frozen=True)
class Thresholds:
    """When the board raises an alert (the platform's `alert_*` settings); 0 turns the
    counted ones off."""

    wait: timedelta = timedelta(minutes=30)
    service: timedelta = timedelta(minutes=20)
    handoffs: int = 1  # handoffs due today or overdue, at least
    follow_ups: int = 1  # bad ratings waiting for their follow-up, at least


def board_view(
    s: Session, now: datetime, rules: QueueRules, limits: Thresholds, local_day: Any
) -> dict[str, Any]:
    """The board at `now`: lines, counters, the estimates' error, alerts."""
    day = now.date()  # a ticket's day is the platform clock's
    d = Dialect(s, timedelta(0))
    c = s.connection()  # Core rows: the ORM's machinery was most of a refresh's time
    counters = list(c.execute(select(_table("counter")).order_by(col(CounterRow.number))))
    by_line, by_counter = _today(c, now, day, d)
    pace = recent_service(s, day) or rules.average_service
    lines = _lines(c, now, day, by_line, pace, counters)
    at_hand = _at_hand(c, counters)
    per_counter = _counters(c, now, by_counter, counters, at_hand, local_day(now))
    today = local_day(now)
    handoffs = _handoffs(c, today)
    follow_ups = _follow_ups(c, today)
    estimates = _estimate_error(by_line)
    view: dict[str, Any] = {
        "at": now.isoformat(),
        "lines": lines,
        "counters": per_counter,
        "finished_today": sum(line["served"] for line in lines),
        "estimates": estimates,
        "handoffs": handoffs,
        "follow_ups": follow_ups,
        "thresholds": {
            "wait_minutes": int(limits.wait.total_seconds() // 60),
            "service_minutes": int(limits.service.total_seconds() // 60),
            "handoffs": limits.handoffs,
            "follow_ups": limits.follow_ups,
        },
    }
    view["alerts"] = _acknowledged(c, alerts(view, now, limits, today.isoformat()))
    return view


@dataclass
class _Sums:
    """Today's tickets of a line, or of a counter, summed (one grouped query feeds both)."""

    waiting: int = 0
    first_waiting: datetime | None = None
    finished: int = 0
    no_shows: int = 0
    wait_sum: float = 0.0
    waits: int = 0
    hour_wait_sum: float = 0.0
    hour_waits: int = 0
    service_sum: float = 0.0
    error_size: float = 0.0
    error_sign: float = 0.0
    errors: int = 0
    busy: float = 0.0  # seconds at the counter, called to gone (finished or no-show)
    first_called: datetime | None = None
    last_done: datetime | None = None
    targeted: int = 0  # waiting tickets sent to this counter alone


def _earliest(a: datetime | None, b: Any) -> datetime | None:
    if b is None:
        return a
    moment = aware(_moment(b))
    return moment if a is None or moment < a else a


def _latest(a: datetime | None, b: Any) -> datetime | None:
    if b is None:
        return a
    moment = aware(_moment(b))
    return moment if a is None or moment > a else a


def _today(
    s: Connection, now: datetime, day: Any, d: Dialect
) -> tuple[dict[str, _Sums], dict[int, _Sums]]:
    """Today's tickets in one pass, grouped by line, counter and target counter (a few
    hundred rows however busy the day), summed here per line and per counter."""
    t = _table("ticket")
    status, called, issued, finished = t.c.status, t.c.called_at, t.c.issued_at, t.c.finished_at
    wait = d.seconds(called, issued)
    gone = and_(called.isnot(None), finished.isnot(None))
    error = wait - t.c.estimated_wait_seconds
    has_error = and_(called.isnot(None), t.c.estimated_wait_seconds.isnot(None))
    hour_ago = now - timedelta(hours=1)

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    rows = s.execute(
        select(
            t.c.line,
            t.c.counter,
            count(status == "waiting"),
            func.min(case((status == "waiting", issued))),
            count(status == "finished"),
            count(status == "no_show"),
            func.sum(case((called.isnot(None), wait))),
            count(called.isnot(None)),
            func.sum(case((called >= hour_ago, wait))),
            count(called >= hour_ago),
            func.sum(case((status == "finished", d.seconds(finished, called)))),
            func.sum(case((has_error, func.abs(error)))),
            func.sum(case((has_error, error))),
            count(has_error),
            func.sum(case((gone, d.seconds(finished, called)))),
            func.min(case((gone, called))),
            func.max(case((gone, finished))),
        )
        .where(t.c.day == day)
        .group_by(t.c.line, t.c.counter)
    ).all()
    lines: dict[str, _Sums] = {}
    counters: dict[int, _Sums] = {}
    for row in rows:
        line, counter = row[0], row[1]
        n = [x or 0 for x in row[2:]]
        for key, table in ((line, lines), (counter, counters)):
            if key is None:
                continue
            sums = table.setdefault(key, _Sums())
            sums.waiting += int(n[0])
            sums.first_waiting = _earliest(sums.first_waiting, row[3])
            sums.finished += int(n[2])
            sums.no_shows += int(n[3])
            sums.wait_sum += float(n[4])
            sums.waits += int(n[5])
            sums.hour_wait_sum += float(n[6])
            sums.hour_waits += int(n[7])
            sums.service_sum += float(n[8])
            sums.error_size += float(n[9])
            sums.error_sign += float(n[10])
            sums.errors += int(n[11])
            sums.busy += float(n[12])
            sums.first_called = _earliest(sums.first_called, row[15])
            sums.last_done = _latest(sums.last_done, row[16])
    # Tickets sent to one counter alone (moved or transferred there): few, by an index.
    target = t.c.target_counter
    for counter, n in s.execute(
        select(target, func.count())
        .where(t.c.day == day, status == "waiting", target.isnot(None))
        .group_by(target)
    ):
        counters.setdefault(counter, _Sums()).targeted += int(n)
    return lines, counters


def _mean(total: float, n: int) -> int:
    return round(total / n) if n else 0


def _lines(
    s: Connection,
    now: datetime,
    day: Any,
    today: dict[str, _Sums],
    pace: timedelta,
    counters: list[Any],
) -> list[dict[str, Any]]:
    oldest = _oldest_waiting(s, day)
    open_by_line: dict[str, int] = {}
    for c in counters:
        if c.status == "open":
            for prefix in c.lines.split(","):
                open_by_line[prefix] = open_by_line.get(prefix, 0) + 1
    out = []
    for row in s.execute(select(_table("line")).order_by(col(LineRow.prefix))):
        sums = today.get(row.prefix, _Sums())
        first = sums.first_waiting
        longest = int((now - first).total_seconds()) if first and sums.waiting else 0
        estimate = estimated_wait(sums.waiting, pace, open_by_line.get(row.prefix, 0))
        out.append(
            {
                "prefix": row.prefix,
                "name": row.name,
                "waiting": sums.waiting,
                "longest_wait_seconds": max(longest, 0),
                "longest_ticket": oldest.get(row.prefix),
                "average_wait_seconds": _mean(sums.wait_sum, sums.waits),
                "hour_wait_seconds": _mean(sums.hour_wait_sum, sums.hour_waits),
                "served": sums.finished,
                "no_shows": sums.no_shows,
                "open_counters": open_by_line.get(row.prefix, 0),
                "estimated_wait_seconds": int(estimate.total_seconds()),
            }
        )
    return out


def _seconds(average: Any) -> int:
    """A mean duration in whole seconds (SQLite's time arithmetic leaves 999.99…)."""
    return round(float(average)) if average is not None else 0


def _table(name: str) -> Table:
    return CentralModel.metadata.tables[name]


def _moment(value: Any) -> datetime:
    # SQLite answers MIN() over a time column as its stored text.
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _oldest_waiting(s: Connection, day: Any) -> dict[str, str]:
    """Each line's longest-waiting ticket (the wait alert names it)."""
    first = (
        select(col(TicketRow.line), func.min(col(TicketRow.issued_at)).label("issued"))
        .where(col(TicketRow.day) == day, col(TicketRow.status) == "waiting")
        .group_by(col(TicketRow.line))
        .subquery()
    )
    rows = s.execute(
        select(col(TicketRow.line), func.min(col(TicketRow.number)))
        .where(
            col(TicketRow.day) == day,
            col(TicketRow.status) == "waiting",
            and_(col(TicketRow.line) == first.c.line, col(TicketRow.issued_at) == first.c.issued),
        )
        .group_by(col(TicketRow.line))
    ).all()
    return {prefix: number for prefix, number in rows}


def _at_hand(s: Connection, counters: list[Any]) -> dict[int, Any]:
    ids = [c.current_ticket for c in counters if c.current_ticket is not None]
    if not ids:
        return {}
    found = s.execute(select(_table("ticket")).where(col(TicketRow.id).in_(ids)))
    return {t.id: t for t in found}


def _counters(
    s: Connection,
    now: datetime,
    today: dict[int, _Sums],
    counters: list[Any],
    at_hand: dict[int, Any],
    rating_day: Any,
) -> list[dict[str, Any]]:
    good = col(RatingRow.level) <= 3
    rated = {
        row[0]: row[1:]
        for row in s.execute(
            select(col(RatingRow.counter), func.count(), func.sum(case((good, 1), else_=0)))
            .where(col(RatingRow.day) == rating_day, col(RatingRow.counted))
            .group_by(col(RatingRow.counter))
        ).all()
    }
    out = []
    for c in counters:
        sums = today.get(c.number, _Sums())
        ticket = at_hand.get(c.current_ticket or -1)
        out.append(
            {
                **counter_view(c),
                "ticket": ticket_view(ticket) if ticket else None,
                "at_hand_seconds": int((now - aware(ticket.called_at)).total_seconds())
                if ticket and ticket.called_at
                else None,
                "served": sums.finished,
                "average_service_seconds": _mean(sums.service_sum, sums.finished),
                "idle_seconds": _idle(c, sums, ticket, now),
                "waiting_for_it": sums.targeted,
                "ratings": int(rated.get(c.number, (0, 0))[0] or 0),
                "good_ratings": int(rated.get(c.number, (0, 0))[1] or 0),
                "printer": {
                    "state": c.printer_state,
                    "message": c.printer_message,
                    "since": _iso(c.printer_since),
                },
            }
        )
    return out


def _idle(c: Any, sums: _Sums, ticket: Any, now: datetime) -> int:
    """Today's time between one ticket leaving the counter and the next being called:
    from its first call to its last ticket gone, what was not spent on tickets; then the
    wait before the ticket at hand, or, empty-handed and not closed, since the last one
    left (a pause is idle time too: the counter row keeps no history of its states)."""
    if sums.last_done is None or sums.first_called is None:
        return 0
    gaps = max((sums.last_done - sums.first_called).total_seconds() - sums.busy, 0.0)
    if ticket is not None and ticket.called_at is not None:
        gaps += max((aware(ticket.called_at) - sums.last_done).total_seconds(), 0.0)
    elif c.status != "closed":
        gaps += max((now - sums.last_done).total_seconds(), 0.0)
    return int(gaps)


def _handoffs(s: Connection, today: Any) -> dict[str, int]:
    due = col(HandoffRow.due_on)
    row = s.execute(
        select(
            func.sum(case((due == today, 1), else_=0)),
            func.sum(case((due < today, 1), else_=0)),
        ).where(col(HandoffRow.status) == "open", due.isnot(None))
    ).one()
    return {"due_today": int(row[0] or 0), "overdue": int(row[1] or 0)}


def _follow_ups(s: Connection, today: Any) -> dict[str, int]:
    waiting = col(RatingFollowUpRow.closed_at).is_(None)
    row = s.execute(
        select(
            func.count(),
            func.sum(case((col(RatingFollowUpRow.due_on) < today, 1), else_=0)),
        ).where(waiting)
    ).one()
    return {"open": int(row[0] or 0), "overdue": int(row[1] or 0)}


def _estimate_error(today: dict[str, _Sums]) -> dict[str, Any]:
    """Today's slips against what followed: how many were called, the mean size of the
    error and its mean sign (positive: people waited longer than promised), in seconds."""
    n = sum(x.errors for x in today.values())
    return {
        "tickets": n,
        "mean_error_seconds": _mean(sum(x.error_size for x in today.values()), n) if n else None,
        "mean_bias_seconds": _mean(sum(x.error_sign for x in today.values()), n) if n else None,
    }


def alerts(
    view: dict[str, Any], now: datetime, limits: Thresholds, day: str
) -> list[dict[str, Any]]:
    """The alerts a board's figures raise. Each has a key naming its occurrence (the
    ticket waiting, the counter's change, the day's count): acknowledged, it stays quiet
    until another occurrence comes."""
    found: list[dict[str, Any]] = []
    waiting = {line["prefix"]: line for line in view["lines"]}
    for line in view["lines"]:
        if line["waiting"] and line["longest_wait_seconds"] > limits.wait.total_seconds():
            found.append(
                _alert(
                    f"wait:{day}:{line['longest_ticket']}",
                    "wait",
                    line=line["prefix"],
                    ticket=line["longest_ticket"],
                    minutes=line["longest_wait_seconds"] // 60,
                    waiting=line["waiting"],
                )
            )
    for c in view["counters"]:
        if c["ticket"] and (c["at_hand_seconds"] or 0) > limits.service.total_seconds():
            found.append(
                _alert(
                    f"service:{day}:{c['ticket']['number']}",
                    "service",
                    counter=c["number"],
                    ticket=c["ticket"]["number"],
                    minutes=c["at_hand_seconds"] // 60,
                )
            )
        if c["status"] in ("paused", "closed"):
            lines = [waiting[p] for p in c["lines"] if p in waiting and waiting[p]["waiting"]]
            if c["status"] == "closed":
                # A closed counter matters only where no open counter serves the people.
                lines = [line for line in lines if not line["open_counters"]]
            if lines:
                found.append(
                    _alert(
                        f"counter:{c['number']}:{c['status']}:{c['updated_at']}",
                        f"counter_{c['status']}",
                        counter=c["number"],
                        lines="".join(line["prefix"] for line in lines),
                        waiting=sum(line["waiting"] for line in lines),
                    )
                )
            if c.get("waiting_for_it"):
                # Sent to this counter alone: nobody else will call them.
                found.append(
                    _alert(
                        f"stranded:{day}:{c['number']}:{c['status']}:{c['waiting_for_it']}",
                        "stranded",
                        counter=c["number"],
                        status=c["status"],
                        waiting=c["waiting_for_it"],
                    )
                )
        if c["printer"]["state"] == "fault":
            found.append(
                _alert(
                    f"printer:{c['number']}:{c['printer']['since']}",
                    "printer",
                    counter=c["number"],
                    message=c["printer"]["message"],
                )
            )
    due, late = view["handoffs"]["due_today"], view["handoffs"]["overdue"]
    if limits.handoffs and due + late >= limits.handoffs:
        found.append(
            _alert(f"handoffs:{day}:{due}:{late}", "handoffs", due_today=due, overdue=late)
        )
    waiting_follow_ups, overdue = view["follow_ups"]["open"], view["follow_ups"]["overdue"]
    if limits.follow_ups and waiting_follow_ups >= limits.follow_ups:
        found.append(
            _alert(
                f"follow_ups:{day}:{waiting_follow_ups}:{overdue}",
                "follow_ups",
                open=waiting_follow_ups,
                overdue=overdue,
            )
        )
    return found


# Red: people are waiting on it now; yellow: the day's work behind its promise.
SEVERITY = {
    "wait": "high",
    "service": "high",
    "counter_paused": "high",
    "counter_closed": "high",
    "printer": "high",
    "stranded": "high",
    "handoffs": "medium",
    "follow_ups": "medium",
}


def _alert(key: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"key": key, "kind": kind, "severity": SEVERITY[kind], "params": params}


def _acknowledged(s: Connection, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alerts with who acknowledged them, when; the unacknowledged first."""
    keys = [a["key"] for a in found]
    acks: dict[str, Any] = {}
    if keys:
        rows = s.execute(select(_table("alert_ack")).where(col(AlertAck.key).in_(keys)))
        acks = {a.key: a for a in rows}
    for a in found:
        ack = acks.get(a["key"])
        a["acknowledged"] = (
            {"by": ack.username, "at": _iso(ack.at), "note": ack.note} if ack else None
        )
    return sorted(found, key=lambda a: (a["acknowledged"] is not None, a["severity"] != "high"))


def acknowledge(s: Session, key: str, username: str, note: str, now: datetime) -> AlertAck:
    """Record that `username` saw the alert `key` (once: a second acknowledgement keeps the
    first)."""
    known = s.get(AlertAck, key)
    if known is not None:
        return known
    ack = AlertAck(key=key, username=username, at=now, note=note)
    s.add(ack)
    return ack
