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
    lines = _lines(c, now, day, d, recent_service(s, day) or rules.average_service, counters)
    at_hand = _at_hand(c, counters)
    per_counter = _counters(c, now, day, d, counters, at_hand, local_day(now))
    today = local_day(now)
    handoffs = _handoffs(c, today)
    follow_ups = _follow_ups(c, today)
    estimates = _estimate_error(c, day, d)
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


def _lines(
    s: Connection,
    now: datetime,
    day: Any,
    d: Dialect,
    pace: timedelta,
    counters: list[Any],
) -> list[dict[str, Any]]:
    status = col(TicketRow.status)
    called = col(TicketRow.called_at)
    wait = d.seconds(called, col(TicketRow.issued_at))
    hour_ago = now - timedelta(hours=1)
    line = col(TicketRow.line)
    figures = {
        row[0]: row[1:]
        for row in s.execute(
            select(
                line,
                func.sum(case((status == "waiting", 1), else_=0)),
                func.min(case((status == "waiting", col(TicketRow.issued_at)))),
                func.sum(case((status == "finished", 1), else_=0)),
                func.sum(case((status == "no_show", 1), else_=0)),
                func.avg(case((called.isnot(None), wait))),
                func.avg(case((called >= hour_ago, wait))),
                func.min(case((status == "waiting", col(TicketRow.number)))),
            )
            .where(col(TicketRow.day) == day)
            .group_by(line)
        ).all()
    }
    oldest = _oldest_waiting(s, day)
    open_by_line: dict[str, int] = {}
    for c in counters:
        if c.status == "open":
            for prefix in c.lines.split(","):
                open_by_line[prefix] = open_by_line.get(prefix, 0) + 1
    out = []
    for row in s.execute(select(_table("line")).order_by(col(LineRow.prefix))):
        waiting, first_issued, served, gone, average, last_hour, _ = figures.get(
            row.prefix, (0, None, 0, 0, None, None, None)
        )
        waiting = int(waiting or 0)
        longest = int((now - aware(_moment(first_issued))).total_seconds()) if first_issued else 0
        estimate = estimated_wait(waiting, pace, open_by_line.get(row.prefix, 0))
        out.append(
            {
                "prefix": row.prefix,
                "name": row.name,
                "waiting": waiting,
                "longest_wait_seconds": max(longest, 0),
                "longest_ticket": oldest.get(row.prefix),
                "average_wait_seconds": _seconds(average),
                "hour_wait_seconds": _seconds(last_hour),
                "served": int(served or 0),
                "no_shows": int(gone or 0),
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
    day: Any,
    d: Dialect,
    counters: list[Any],
    at_hand: dict[int, Any],
    rating_day: Any,
) -> list[dict[str, Any]]:
    counter = col(TicketRow.counter)
    finished = col(TicketRow.status) == "finished"
    service = d.seconds(col(TicketRow.finished_at), col(TicketRow.called_at))
    done = {
        row[0]: row[1:]
        for row in s.execute(
            select(
                counter,
                func.sum(case((finished, 1), else_=0)),
                func.avg(case((finished, service))),
                func.max(col(TicketRow.finished_at)),
            )
            .where(
                col(TicketRow.day) == day,
                counter.isnot(None),
                col(TicketRow.finished_at).isnot(None),
            )
            .group_by(counter)
        ).all()
    }
    idle = _idle(s, day, d)
    # Tickets sent to one counter (a transfer, a supervisor's move) wait for it alone.
    target = col(TicketRow.target_counter)
    targeted = dict(
        s.execute(
            select(target, func.count())
            .where(
                col(TicketRow.day) == day, col(TicketRow.status) == "waiting", target.isnot(None)
            )
            .group_by(target)
        ).all()
    )
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
        served, average, last_done = done.get(c.number, (0, None, None))
        idle_seconds = idle.get(c.number, 0.0)
        if c.status != "closed" and c.current_ticket is None and last_done is not None:
            # Empty-handed since the last ticket left, paused or not (a pause is idle time
            # here, as in the gaps above): the figure grows steadily, it never jumps.
            idle_seconds += max((now - aware(_moment(last_done))).total_seconds(), 0)
        ticket = at_hand.get(c.current_ticket or -1)
        count, liked = rated.get(c.number, (0, 0))
        out.append(
            {
                **counter_view(c),
                "ticket": ticket_view(ticket) if ticket else None,
                "at_hand_seconds": int((now - aware(ticket.called_at)).total_seconds())
                if ticket and ticket.called_at
                else None,
                "served": int(served or 0),
                "average_service_seconds": _seconds(average),
                "idle_seconds": int(idle_seconds),
                "waiting_for_it": int(targeted.get(c.number, 0)),
                "ratings": int(count or 0),
                "good_ratings": int(liked or 0),
                "printer": {
                    "state": c.printer_state,
                    "message": c.printer_message,
                    "since": _iso(c.printer_since),
                },
            }
        )
    return out


def _idle(s: Connection, day: Any, d: Dialect) -> dict[int, float]:
    """Per counter, today's time between one ticket leaving it and the next being called
    (pauses included: the counter row keeps no history of its states)."""
    previous = func.lag(col(TicketRow.finished_at)).over(
        partition_by=col(TicketRow.counter), order_by=col(TicketRow.called_at)
    )
    spans = (
        select(
            col(TicketRow.counter).label("counter"),
            d.seconds(col(TicketRow.called_at), previous).label("gap"),
        )
        .where(
            col(TicketRow.day) == day,
            col(TicketRow.counter).isnot(None),
            # The ticket at hand too: the gap before it was called is idle time already.
            col(TicketRow.called_at).isnot(None),
        )
        .subquery()
    )
    rows = s.execute(
        select(spans.c.counter, func.sum(case((spans.c.gap > 0, spans.c.gap), else_=0))).group_by(
            spans.c.counter
        )
    ).all()
    return {int(n): float(gap or 0) for n, gap in rows}


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


def _estimate_error(s: Connection, day: Any, d: Dialect) -> dict[str, Any]:
    """Today's slips against what followed: how many were called, the mean size of the
    error and its mean sign (positive: people waited longer than promised), in seconds."""
    error = d.seconds(col(TicketRow.called_at), col(TicketRow.issued_at)) - col(
        TicketRow.estimated_wait_seconds
    )
    n, size, bias = s.execute(
        select(func.count(), func.avg(func.abs(error)), func.avg(error)).where(
            col(TicketRow.day) == day,
            col(TicketRow.called_at).isnot(None),
            col(TicketRow.estimated_wait_seconds).isnot(None),
        )
    ).one()
    return {
        "tickets": int(n or 0),
        "mean_error_seconds": round(float(size)) if size is not None else None,
        "mean_bias_seconds": round(float(bias)) if bias is not None else None,
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
