"""The hall queue: issuing, calling and finishing tickets, and the counters' states.

Each function runs inside the caller's transaction (`Session.begin()`), records a ticket
event and a change for the feed, and raises `PlatformError` (nothing changed) when the
request does not fit the current state.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Row, and_, bindparam, case, func, insert, or_, text, update
from sqlalchemy import select as sql_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import Session, col, select

from clerk_console.central.errors import (
    PlatformError,
    bad_request,
    conflict,
    forbidden,
    not_found,
)
from clerk_console.central.models import (
    AppointmentRow,
    CentralModel,
    ChangeRow,
    CounterRow,
    LineRow,
    PlatformMeta,
    TicketRow,
)
from clerk_console.domain.identifiers import check_mobile, mask_mobile
from clerk_console.domain.queue import estimated_wait, format_ticket, parse_ticket

OUTCOMES = ("accepted", "supplement", "rejected", "consulted", "delivered", "other")
"""Why a ticket was finished; a finish must name one."""

ACTIVE = ("called", "serving")


def aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes for timezone-aware columns; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return aware(value).isoformat() if value else None


@dataclass(frozen=True)
class Actor:
    """Who is asking: the logged-in user and the counter of the login, if any."""

    username: str
    role: str
    department: str | None = None
    counter: int | None = None


@dataclass(frozen=True)
class QueueRules:
    """The platform's queue settings."""

    appointment_early: timedelta = timedelta(minutes=15)
    appointment_late: timedelta = timedelta(minutes=30)
    average_service: timedelta = timedelta(minutes=8)


def ticket_view(t: TicketRow | Row[Any]) -> dict[str, Any]:
    """A ticket as the API and the feed show it."""
    return {
        "id": t.id,
        "number": t.number,
        "line": t.line,
        "status": t.status,
        "priority": t.priority,
        "appointment_at": _iso(t.appointment_at),
        "target_counter": t.target_counter,
        "issued_at": _iso(t.issued_at),
        "called_at": _iso(t.called_at),
        "finished_at": _iso(t.finished_at),
        "counter": t.counter,
        "served_by": t.served_by,
        "recalls": t.recalls,
        "outcome": t.outcome,
        "walk_in": t.walk_in,
    }


def counter_view(c: CounterRow | Row[Any]) -> dict[str, Any]:
    """A counter as the API and the feed show it."""
    return {
        "number": c.number,
        "name": c.name,
        "lines": c.lines.split(","),
        "status": c.status,
        "clerk": c.clerk,
        "current_ticket": c.current_ticket,
        "updated_at": _iso(c.updated_at),
    }


def emit(s: Session, topic: str, payload: dict[str, Any], now: datetime) -> None:
    """Add a change to the feed, in the same transaction as the change itself."""
    s.add(ChangeRow(**change_columns(topic, payload, now)))


def change_columns(topic: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A change's columns (for several written in one statement)."""
    return {"at": now, "topic": topic, "payload_json": _json(payload)}


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _counter_changed(s: Session, c: CounterRow, now: datetime) -> None:
    c.updated_at = now
    s.add(c)
    emit(s, "counter", counter_view(c), now)


_EVENT_SQL = (
    "INSERT INTO ticket_event (ticket_id, at, kind, counter, username, detail_json)"
    " VALUES (:ticket_id, :at, :kind, :counter, :username, :detail_json)"
)
_FEED_SQL = "INSERT INTO change (at, topic, payload_json) VALUES (:at, 'ticket', :ticket_feed)"
_COUNTER_SQL = (
    "UPDATE counter SET current_ticket = :at_hand, updated_at = :at WHERE number = :number"
)
# PostgreSQL: the event, the counter and both feed rows in one statement (data-modifying
# CTEs), as plain text, which SQLAlchemy caches without rebuilding it.
_PG_WRITE = text(f"WITH e AS ({_EVENT_SQL}) {_FEED_SQL}")
_PG_WRITE_WITH_COUNTER = text(
    f"WITH e AS ({_EVENT_SQL}), c AS ({_COUNTER_SQL}) {_FEED_SQL}, (:at, 'counter', :counter_feed)"
)


def _write(
    s: Session,
    now: datetime,
    t: Row[Any],
    kind: str,
    actor: Actor | None,
    counter_no: int | None = None,
    *,
    counter: Row[Any] | None = None,
    at_hand: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a ticket's change: its event and its feed row, and, when `counter` is given,
    that counter's new ticket at hand (`at_hand`) with the counter's feed row.

    On PostgreSQL this is one statement: calling and finishing are the hall's hot path, and
    each round trip to the database costs more than the SQL."""
    values: dict[str, Any] = {
        "ticket_id": t.id,
        "at": now,
        "kind": kind,
        "counter": counter_no if counter_no is not None else (actor.counter if actor else None),
        "username": actor.username if actor else None,
        "detail_json": _json(detail or {}),
        "ticket_feed": _json({"event": kind, "ticket": ticket_view(t)}),
    }
    if counter is not None:
        view = counter_view(counter) | {"current_ticket": at_hand, "updated_at": _iso(now)}
        values |= {"number": counter.number, "at_hand": at_hand, "counter_feed": _json(view)}
    if _on_postgres(s):
        s.execute(_PG_WRITE if counter is None else _PG_WRITE_WITH_COUNTER, values)
        return
    # SQLite is in-process: separate statements cost little, and its datetimes need the
    # column types' conversion.
    s.execute(insert(TICKET_EVENT).values({k: values[k] for k in _EVENT_COLUMNS}))
    feed = [{"at": now, "topic": "ticket", "payload_json": values["ticket_feed"]}]
    if counter is not None:
        s.execute(
            update(COUNTER)
            .where(COUNTER.c.number == counter.number)
            .values(current_ticket=at_hand, updated_at=now)
        )
        feed.append({"at": now, "topic": "counter", "payload_json": values["counter_feed"]})
    s.execute(insert(CHANGE), feed)


_EVENT_COLUMNS = ("ticket_id", "at", "kind", "counter", "username", "detail_json")


# --- lookups ----------------------------------------------------------------------------

TICKET = CentralModel.metadata.tables["ticket"]
COUNTER = CentralModel.metadata.tables["counter"]
TICKET_EVENT = CentralModel.metadata.tables["ticket_event"]
CHANGE = CentralModel.metadata.tables["change"]

# Built once: the hot path should not rebuild the same statement on every call.
_LOCK_COUNTER = sql_select(COUNTER).where(COUNTER.c.number == bindparam("number")).with_for_update()
_TICKET_BY_ID = sql_select(TICKET).where(TICKET.c.id == bindparam("id"))


def get_line(s: Session, prefix: str) -> LineRow:
    """The line, or 404."""
    line = s.get(LineRow, prefix)
    if line is None:
        raise not_found("unknown_line", f"no line {prefix!r}")
    return line


def get_counter(s: Session, number: int, lock: bool = False) -> CounterRow:
    """The counter (locked for update when `lock`), or 404."""
    query = select(CounterRow).where(CounterRow.number == number)
    if lock:
        query = query.with_for_update()
    counter = s.exec(query).first()
    if counter is None:
        raise not_found("unknown_counter", f"no counter {number}")
    return counter


def _lock_counter(s: Session, number: int) -> Row[Any]:
    """The counter's row, locked until the transaction ends, or 404."""
    counter = s.execute(_LOCK_COUNTER, {"number": number}).first()
    if counter is None:
        raise not_found("unknown_counter", f"no counter {number}")
    return counter


def ticket_by_id(s: Session, ticket_id: int) -> Row[Any]:
    """A ticket by its id (one a key recorded)."""
    ticket = s.execute(sql_select(TICKET).where(TICKET.c.id == ticket_id)).first()
    if ticket is None:
        raise not_found("unknown_ticket", f"no ticket {ticket_id}")
    return ticket


def find_ticket(s: Session, number: str, day: date, lock: bool = False) -> Row[Any]:
    """Today's ticket with this number (B017), or 404."""
    parsed = parse_ticket(number)
    if parsed is None:
        raise bad_request("bad_ticket_number", f"{number!r} is not a ticket number like B017")
    canonical = format_ticket(*parsed)  # b17 / B0017 -> B017
    query = sql_select(TICKET).where(TICKET.c.number == canonical, TICKET.c.day == day)
    if lock:
        query = query.with_for_update()
    ticket = s.execute(query).first()
    if ticket is None:
        raise not_found("unknown_ticket", f"no ticket {number} today")
    return ticket


def _set(s: Session, ticket_id: int, **values: Any) -> Row[Any]:
    """Change a ticket; its row as it now is."""
    statement = _update_ticket(tuple(sorted(values)))
    params = {f"new_{name}": value for name, value in values.items()}
    return s.execute(statement, {"ticket_id": ticket_id, **params}).one()


@cache
def _update_ticket(columns: tuple[str, ...]) -> UpdateBase:
    # Built once per set of columns: building a statement costs more than running it.
    return (
        update(TICKET)
        .where(TICKET.c.id == bindparam("ticket_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
        .returning(*TICKET.c)
    )


def own_counter(actor: Actor, number: int) -> None:
    """Clerks act only on the counter they are logged in to; supervisors anywhere."""
    if actor.role in ("supervisor", "admin"):
        return
    if actor.counter != number:
        raise forbidden("not_your_counter", f"you are logged in to counter {actor.counter}")


def _holding(counter: Row[Any]) -> int:
    """The id of the ticket at hand at a locked counter (or 409). The counter's lock guards
    its ticket: no other request changes a ticket at hand."""
    if counter.current_ticket is None:
        raise conflict("no_current_ticket", f"counter {counter.number} has no ticket at hand")
    return int(counter.current_ticket)


def _at_hand(s: Session, counter_no: int, actor: Actor) -> tuple[Row[Any], Row[Any]]:
    """The actor's counter, locked, and the ticket at hand there (or 409)."""
    own_counter(actor, counter_no)
    counter = _lock_counter(s, counter_no)
    return counter, s.execute(_TICKET_BY_ID, {"id": _holding(counter)}).one()


def _replace(row: Row[Any], **changes: Any) -> Row[Any]:
    """A row as it is after `changes`, without reading it again."""
    return cast(Row[Any], SimpleNamespace(**(row._asdict() | changes)))


def _ready_to_call(counter: Row[Any]) -> None:
    if counter.status != "open":
        raise conflict(f"counter_{counter.status}", f"counter {counter.number} is {counter.status}")
    if counter.current_ticket is not None:
        raise conflict(
            "counter_busy", f"counter {counter.number} has a ticket at hand; finish it first"
        )


# --- issuing ----------------------------------------------------------------------------


def _next_number(s: Session, line: str, day: date) -> int:
    """Take the next number of a line for a day from its counter row, in this transaction."""
    dialect = s.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = CentralModel.metadata.tables["line_day_counter"]
    statement = (
        insert_(table)
        .values(line=line, day=day, last=1)
        .on_conflict_do_update(index_elements=["line", "day"], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    return int(s.execute(statement).scalar_one())


def issue_ticket(
    s: Session,
    line: str,
    actor: Actor | None,
    now: datetime,
    rules: QueueRules,
    *,
    priority: bool = False,
    appointment_at: datetime | None = None,
    on_time_until: datetime | None = None,
    walk_in: bool = False,
) -> Row[Any]:
    """A new ticket in `line`, numbered from the line's counter row for today. A ticket with
    an appointment is called first from a little before `appointment_at`; one that comes
    later than `on_time_until` (the booked window's end; else the appointment time) plus the
    allowed lateness queues as usual."""
    get_line(s, line)
    late = False
    if appointment_at and now > (on_time_until or appointment_at) + rules.appointment_late:
        appointment_at, late = None, True  # too late for the booking: queue as usual
    day = now.date()
    seq = _next_number(s, line, day)
    if seq > MAX_SEQ:
        raise _line_full(line)
    statement = insert(TICKET).values(
        number=format_ticket(line, seq),
        line=line,
        day=day,
        seq=seq,
        status="waiting",
        priority=priority,
        appointment_at=appointment_at,
        issued_at=now,
        recalls=0,
        walk_in=walk_in,
    )
    ticket = s.execute(statement.returning(*TICKET.c)).one()
    _write(s, now, ticket, "issued", actor, detail={"priority": priority, "appointment_late": late})
    return ticket


MAX_SEQ = 9999
"""A line's numbers of a day run B001 … B9999."""


def _line_full(line: str) -> PlatformError:
    return conflict("line_full", f"line {line} has given out all {MAX_SEQ} numbers today")


@dataclass(frozen=True)
class Slip:
    """What a ticket slip says: the ticket, the people ahead in its line, the recent pace
    and the open counters that serve the line (the wait is estimated from these)."""

    ticket: dict[str, Any]
    waiting_ahead: int
    pace: timedelta | None
    open_counters: int
    hall_name: str
    replayed: bool = False
    """The press had been answered before (its key was known): the same ticket again."""

    def estimate(self, rules: QueueRules) -> timedelta:
        """The wait the slip promises."""
        return estimated_wait(
            self.waiting_ahead, self.pace or rules.average_service, self.open_counters
        )

    def view(self, rules: QueueRules) -> dict[str, Any]:
        """The slip as the API answers it (IssuedOut)."""
        return {
            "ticket": self.ticket,
            "waiting_ahead": self.waiting_ahead,
            "estimated_wait_seconds": int(self.estimate(rules).total_seconds()),
            "hall_name": self.hall_name,
        }


def promise_wait(s: Session, ticket_id: int, estimate: timedelta) -> None:
    """Keep the wait a ticket's slip promised (the board checks estimates against waits)."""
    s.execute(
        update(TICKET)
        .where(TICKET.c.id == ticket_id)
        .values(estimated_wait_seconds=int(estimate.total_seconds()))
    )


def read_slip(s: Session, ticket: Row[Any], day: date, replayed: bool = False) -> Slip:
    """A ticket's slip from the line's own count and the recent pace (never the whole hall's
    view: issuing costs the same at nine o'clock and at noon)."""
    hall = s.get(PlatformMeta, "hall_name")
    return Slip(
        ticket=ticket_view(ticket),
        waiting_ahead=waiting_ahead(s, ticket),
        pace=recent_service(s, day),
        open_counters=open_counters_for(s, ticket.line),
        hall_name=hall.value if hall else "",
        replayed=replayed,
    )


# --- appointments -------------------------------------------------------------------------


def appointment_view(a: AppointmentRow) -> dict[str, Any]:
    """An appointment as the API shows it (the mobile masked)."""
    return {
        "code": a.code,
        "line": a.line,
        "day": a.day.isoformat(),
        "starts_at": aware(a.starts_at).isoformat(),
        "ends_at": aware(a.ends_at).isoformat(),
        "name": a.name,
        "mobile": mask_mobile(a.mobile) if a.mobile else "",
        "status": a.status,
        "ticket_id": a.ticket_id,
    }


def appointments_of(s: Session, day: date) -> list[AppointmentRow]:
    """A day's bookings, earliest first."""
    query = select(AppointmentRow).where(AppointmentRow.day == day)
    return list(s.exec(query.order_by(col(AppointmentRow.starts_at), col(AppointmentRow.code))))


def book_appointment(
    s: Session,
    line: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    *,
    name: str = "",
    mobile: str = "",
    code: str | None = None,
) -> AppointmentRow:
    """Book a time window in a line; the booking code is what the applicant brings."""
    get_line(s, line)
    if ends_at <= starts_at:
        raise bad_request("appointment_window", "the window must end after it starts")
    if ends_at < now:
        raise bad_request("appointment_past", "the window is already over")
    if mobile and not check_mobile(mobile).ok:
        raise bad_request("bad_mobile", f"{mobile!r} is not a mobile number")
    if code is not None and s.get(AppointmentRow, code) is not None:
        raise conflict("appointment_exists", f"booking code {code} is taken")
    while code is None:
        candidate = f"{secrets.randbelow(10**8):08d}"  # 8 digits: typed at a kiosk, not guessed
        if s.get(AppointmentRow, candidate) is None:
            code = candidate
    booking = AppointmentRow(
        code=code,
        line=line,
        day=starts_at.astimezone(UTC).date(),
        starts_at=starts_at,
        ends_at=ends_at,
        name=name,
        mobile=mobile,
        created_at=now,
    )
    s.add(booking)
    s.flush()
    emit(s, "appointment", {"event": "booked", "appointment": appointment_view(booking)}, now)
    return booking


def check_in(
    s: Session, code: str, actor: Actor | None, now: datetime, rules: QueueRules
) -> tuple[Row[Any], AppointmentRow, bool]:
    """The applicant has come for a booking: its ticket, the booking, and whether they came
    in time (early is fine: the ticket is called first once the window is near)."""
    booking = s.exec(
        select(AppointmentRow).where(AppointmentRow.code == code.strip()).with_for_update()
    ).first()
    if booking is None:
        raise not_found("unknown_appointment", f"no booking with code {code}")
    if booking.status == "checked_in":
        raise conflict("already_checked_in", f"booking {code} has already been checked in")
    if booking.status == "cancelled":
        raise conflict("appointment_cancelled", f"booking {code} was cancelled")
    if booking.day != now.date():
        raise conflict("appointment_not_today", f"booking {code} is for {booking.day}")
    starts_at, ends_at = aware(booking.starts_at), aware(booking.ends_at)
    ticket = issue_ticket(
        s, booking.line, actor, now, rules, appointment_at=starts_at, on_time_until=ends_at
    )
    booking.status, booking.ticket_id, booking.checked_in_at = "checked_in", ticket.id, now
    s.add(booking)
    emit(s, "appointment", {"event": "checked_in", "appointment": appointment_view(booking)}, now)
    return ticket, booking, ticket.appointment_at is not None


# --- calling ------------------------------------------------------------------------------


def _called(counter_no: int, actor: Actor, now: datetime) -> dict[str, Any]:
    """What a ticket becomes when a counter calls it."""
    return {
        "status": "called",
        "counter": counter_no,
        "served_by": actor.username,
        "called_at": now,
        "target_counter": None,
    }


def call_next(
    s: Session,
    counter_no: int,
    actor: Actor,
    now: datetime,
    rules: QueueRules,
    *,
    finish: str | None = None,
    expect: str | None = None,
) -> Row[Any]:
    """Claim the next ticket for a counter: one atomic claim, never two counters for one.

    With `finish` (an outcome), the ticket at hand is finished first, in the same
    transaction: if nothing is waiting, neither happens. `expect` names the ticket being
    finished: sent again after its answer was lost, the request answers the ticket it
    called the first time instead of finishing that one unseen (see `_expected`)."""
    own_counter(actor, counter_no)
    if finish is not None:
        _check_outcome(finish)
    if _on_postgres(s):
        return _counter_step(
            s, counter_no, actor, now, rules, finish=finish, call=True, expect=expect
        )
    counter = _lock_counter(s, counter_no)
    if finish is not None and expect is not None:
        replay = _expected(s, counter, expect, now, call=True)
        if replay is not None:
            return replay
    if finish is not None:
        _finish(s, counter, finish, actor, now)
        counter = _replace(counter, current_ticket=None)
    _ready_to_call(counter)
    values = {
        "today": now.date(),
        "due_before": now + rules.appointment_early,
        "counter_no": counter_no,
        "username": actor.username,
        "now": now,
    }
    ticket = s.execute(_claim(tuple(counter.lines.split(","))), values).first()
    if ticket is not None:
        _write(s, now, ticket, "called", actor, counter_no, counter=counter, at_hand=ticket.id)
        return ticket
    raise conflict("nothing_waiting", f"no ticket waiting for counter {counter_no}")


@cache
def _claim(lines: tuple[str, ...]) -> UpdateBase:
    """The claim of a counter serving `lines` (most preferred first), built once.

    Two indexed kinds of step instead of one sort of every waiting ticket: first the few
    urgent tickets (green channel, due appointments) of the counter's lines, by line
    preference; then each line in preference order, longest wait first. COALESCE runs the
    steps in order and stops at the first that finds a ticket, so the claim is one UPDATE.
    SKIP LOCKED lets counters calling at the same moment pass each other's claims
    (PostgreSQL; SQLite serialises writers)."""
    waiting_here = and_(
        TICKET.c.day == bindparam("today"),
        TICKET.c.status == "waiting",
        or_(TICKET.c.target_counter.is_(None), TICKET.c.target_counter == bindparam("counter_no")),
    )
    rank = case({line: i for i, line in enumerate(lines)}, value=TICKET.c.line)
    urgent = and_(
        # Spelt as the partial index ix_ticket_urgent is, so that the database uses it.
        or_(TICKET.c.priority, TICKET.c.appointment_at.is_not(None)),
        or_(TICKET.c.priority, TICKET.c.appointment_at <= bindparam("due_before")),
    )
    steps = [
        sql_select(TICKET.c.id)
        .where(waiting_here, TICKET.c.line.in_(lines), urgent)
        .order_by(rank, TICKET.c.issued_at, TICKET.c.id)
    ] + [
        sql_select(TICKET.c.id)
        .where(waiting_here, TICKET.c.line == line)
        .order_by(TICKET.c.issued_at, TICKET.c.id)
        for line in lines
    ]
    picks = [step.limit(1).with_for_update(skip_locked=True).scalar_subquery() for step in steps]
    called: dict[str, Any] = {
        "status": "called",
        "target_counter": None,
        "counter": bindparam("counter_no"),
        "served_by": bindparam("username"),
        "called_at": bindparam("now"),
    }  # as `_called` says
    return (
        update(TICKET)
        .where(TICKET.c.id == func.coalesce(*picks))
        .values(called)
        .returning(*TICKET.c)
    )


def _on_postgres(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


_COUNTER_STEP = text(
    "SELECT * FROM clerk_counter_step("
    ":counter_no, :username, :now, :due_before, :finish, :call, :expect)"
)
_SQLSTATE_STATUS = {"CC400": 400, "CC404": 404, "CC409": 409}


def _counter_step(
    s: Session,
    counter_no: int,
    actor: Actor,
    now: datetime,
    rules: QueueRules,
    *,
    finish: str | None,
    call: bool,
    expect: str | None = None,
) -> Row[Any]:
    """Finish and/or call next on PostgreSQL: one round trip to the database function that
    does what `_finish`, `_claim` and `_write` do (migrations 0004, 0014)."""
    values = {
        "counter_no": counter_no,
        "username": actor.username,
        "now": now,
        "due_before": now + rules.appointment_early,
        "finish": finish,
        "call": call,
        "expect": expect,
    }
    try:
        return s.execute(_COUNTER_STEP, values).one()
    except DBAPIError as exc:
        diag = getattr(exc.orig, "diag", None)
        status = _SQLSTATE_STATUS.get(getattr(exc.orig, "sqlstate", None) or "")
        if status is None or diag is None:
            raise
        raise PlatformError(status, diag.message_primary, diag.message_detail) from None


def _hand_to(
    s: Session, ticket_id: int, counter: Row[Any], actor: Actor, now: datetime, kind: str
) -> Row[Any]:
    t = _set(s, ticket_id, **_called(counter.number, actor, now))
    _write(s, now, t, kind, actor, counter.number, counter=counter, at_hand=t.id)
    return t


def call_ticket(s: Session, counter_no: int, number: str, actor: Actor, now: datetime) -> Row[Any]:
    """Call one waiting (or parked) ticket by number, if it is for this counter's lines."""
    own_counter(actor, counter_no)
    counter = _lock_counter(s, counter_no)
    _ready_to_call(counter)
    t = find_ticket(s, number, now.date(), lock=True)
    if t.line not in counter.lines.split(","):
        raise conflict("not_this_counters_line", f"{t.number} is not for counter {counter_no}")
    if t.status == "parked" and t.counter == counter_no:
        return _hand_to(s, t.id, counter, actor, now, "called_back")
    if t.status != "waiting":
        raise conflict("ticket_not_waiting", f"{t.number} is {t.status}")
    if t.target_counter is not None and t.target_counter != counter_no:
        raise conflict(
            "ticket_for_other_counter", f"{t.number} waits for counter {t.target_counter}"
        )
    return _hand_to(s, t.id, counter, actor, now, "called")


def _must_be_called(t: Row[Any]) -> None:
    if t.status != "called":
        raise conflict("ticket_not_called", f"{t.number} is {t.status}")


def recall(s: Session, counter_no: int, actor: Actor, now: datetime) -> Row[Any]:
    """Announce the ticket at hand again (counted)."""
    _counter, t = _at_hand(s, counter_no, actor)
    _must_be_called(t)
    t = _set(s, t.id, recalls=t.recalls + 1)
    _write(s, now, t, "recalled", actor, counter_no, detail={"recalls": t.recalls})
    return t


def serve(s: Session, counter_no: int, actor: Actor, now: datetime) -> Row[Any]:
    """The applicant has arrived at the counter: service starts."""
    _counter, t = _at_hand(s, counter_no, actor)
    _must_be_called(t)
    t = _set(s, t.id, status="serving")
    _write(s, now, t, "serving", actor, counter_no)
    return t


def _let_go(
    s: Session,
    counter: Row[Any],
    ticket_id: int,
    actor: Actor,
    now: datetime,
    kind: str,
    values: dict[str, Any],
    detail: dict[str, Any] | None = None,
) -> Row[Any]:
    """The ticket at hand leaves the counter (finished, gone, back in a line, parked)."""
    t = _set(s, ticket_id, **values)
    _write(s, now, t, kind, actor, counter.number, counter=counter, at_hand=None, detail=detail)
    return t


_BACK_IN_LINE = {"status": "waiting", "counter": None, "called_at": None}


def no_show(s: Session, counter_no: int, actor: Actor, now: datetime) -> Row[Any]:
    """The called applicant did not come (过号)."""
    counter, t = _at_hand(s, counter_no, actor)
    _must_be_called(t)
    gone = {"status": "no_show", "finished_at": now}
    return _let_go(s, counter, t.id, actor, now, "no_show", gone)


def requeue(s: Session, counter_no: int, actor: Actor, now: datetime) -> Row[Any]:
    """Put the ticket at hand back into its line, keeping its place (issue time)."""
    counter, t = _at_hand(s, counter_no, actor)
    return _let_go(s, counter, t.id, actor, now, "requeued", _BACK_IN_LINE)


def park(s: Session, counter_no: int, actor: Actor, now: datetime) -> Row[Any]:
    """Hold the ticket at hand aside (the applicant fetches a document); call it back later."""
    counter, t = _at_hand(s, counter_no, actor)
    return _let_go(s, counter, t.id, actor, now, "parked", {"status": "parked"})


def transfer(
    s: Session,
    counter_no: int,
    actor: Actor,
    now: datetime,
    *,
    line: str | None = None,
    to_counter: int | None = None,
) -> Row[Any]:
    """Send the ticket at hand to another line or counter; it keeps its issue time."""
    counter, t = _at_hand(s, counter_no, actor)
    target = _retarget(s, t, line, to_counter)
    detail = {"line": target["line"], "to_counter": to_counter}
    return _let_go(s, counter, t.id, actor, now, "transferred", _BACK_IN_LINE | target, detail)


def _retarget(s: Session, t: Row[Any], line: str | None, to_counter: int | None) -> dict[str, Any]:
    """Where a moved ticket now waits: its line and the one counter that may call it."""
    if (line is None) == (to_counter is None):
        raise bad_request("transfer_target", "give either a line or a counter")
    if line is not None:
        get_line(s, line)
        return {"line": line, "target_counter": None}
    assert to_counter is not None
    served = get_counter(s, to_counter).lines.split(",")
    # A counter that does not serve the ticket's line gets it in its first line.
    return {"line": t.line if t.line in served else served[0], "target_counter": to_counter}


def finish(
    s: Session,
    counter_no: int,
    outcome: str,
    actor: Actor,
    now: datetime,
    expect: str | None = None,
) -> Row[Any]:
    """Service ended (办结), with an outcome. `expect` names the ticket: sent again after
    its answer was lost, the request answers that ticket, finished, and finishes nothing
    else."""
    own_counter(actor, counter_no)
    _check_outcome(outcome)
    if _on_postgres(s):
        return _counter_step(
            s, counter_no, actor, now, QueueRules(), finish=outcome, call=False, expect=expect
        )
    counter = _lock_counter(s, counter_no)
    if expect is not None:
        replay = _expected(s, counter, expect, now, call=False)
        if replay is not None:
            return replay
    return _finish(s, counter, outcome, actor, now)


def _expected(
    s: Session, counter: Row[Any], expect: str, now: datetime, *, call: bool
) -> Row[Any] | None:
    """A step that names the ticket it finishes (`expect`), with the counter locked. None:
    the counter holds that ticket, go on. A ticket: the step was done already (its answer
    lost), this is what it answered: the finished ticket, or the one called with it (called
    at the very moment the other was finished, in the same transaction). Else 409: the
    counter holds another ticket, which is never finished unseen."""
    parsed = parse_ticket(expect)
    number = format_ticket(*parsed) if parsed is not None else expect
    at_hand = None
    if counter.current_ticket is not None:
        at_hand = s.execute(sql_select(TICKET).where(TICKET.c.id == counter.current_ticket)).first()
    if at_hand is not None and at_hand.number == number:
        return None
    done = s.execute(
        sql_select(TICKET).where(
            TICKET.c.number == number,
            TICKET.c.day == now.date(),
            TICKET.c.status == "finished",
            TICKET.c.counter == counter.number,
        )
    ).first()
    if done is not None:
        if not call:
            return done
        if at_hand is not None and at_hand.called_at == done.finished_at:
            return at_hand
    holds = at_hand.number if at_hand is not None else "no ticket"
    raise conflict("not_at_hand", f"counter {counter.number} holds {holds}, not {number}")


def _check_outcome(outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise bad_request("bad_outcome", f"outcome must be one of: {', '.join(OUTCOMES)}")


def _finish(s: Session, counter: Row[Any], outcome: str, actor: Actor, now: datetime) -> Row[Any]:
    done = {"status": "finished", "outcome": outcome, "finished_at": now}
    detail = {"outcome": outcome}
    return _let_go(s, counter, _holding(counter), actor, now, "finished", done, detail)


def walk_in(s: Session, counter_no: int, line: str, actor: Actor, now: datetime) -> Row[Any]:
    """Serve someone who has no ticket: a ticket is made and is at once at this counter."""
    own_counter(actor, counter_no)
    counter = _lock_counter(s, counter_no)
    _ready_to_call(counter)
    ticket = issue_ticket(s, line, actor, now, QueueRules(), walk_in=True)
    return _hand_to(s, ticket.id, counter, actor, now, "called")


def served_offline(
    s: Session,
    counter_no: int,
    number: str | None,
    line: str,
    started: datetime,
    finished: datetime,
    outcome: str,
    actor: Actor,
    now: datetime,
) -> tuple[Row[Any], bool]:
    """Someone served at this counter while the platform was away, told now: a ticket by
    its number (typed or scanned there), or a walk-in (`number` None), which gets a ticket
    of its own. A ticket still waiting is finished as served then; one the hall moved on
    meanwhile (called elsewhere, finished, no-show) keeps what the hall did and the visit
    is recorded on it. (the ticket, whether it was taken as served offline)"""
    own_counter(actor, counter_no)
    _check_outcome(outcome)
    served = {
        "status": "finished",
        "counter": counter_no,
        "served_by": actor.username,
        "called_at": started,
        "finished_at": finished,
        "outcome": outcome,
        "target_counter": None,
    }
    detail = {"started": _iso(started), "finished": _iso(finished), "outcome": outcome}
    found = None
    if number is not None:
        try:  # the day as the platform numbers tickets (its clock's), not the console's
            found = find_ticket(s, number, started.astimezone(now.tzinfo).date(), lock=True)
        except PlatformError as exc:
            if exc.code != "unknown_ticket":
                raise
            detail["typed"] = number  # a slip of another day, or mistyped: served all the same
    if found is None:
        ticket = issue_ticket(s, line, actor, started, QueueRules(), walk_in=True)
    elif found.status != "waiting":
        _write(s, now, found, "served_offline_unmatched", actor, counter_no, detail=detail)
        return found, False
    else:
        ticket = found
    ticket = _set(s, ticket.id, **served)
    _write(s, now, ticket, "served_offline", actor, counter_no, detail=detail)
    return ticket, True


def move_ticket(
    s: Session,
    number: str,
    actor: Actor,
    now: datetime,
    *,
    line: str | None = None,
    to_counter: int | None = None,
) -> Row[Any]:
    """A supervisor moves a waiting ticket to another line or counter (recorded)."""
    t = find_ticket(s, number, now.date(), lock=True)
    if t.status != "waiting":
        raise conflict("ticket_not_waiting", f"{t.number} is {t.status}")
    t = _set(s, t.id, **_retarget(s, t, line, to_counter))
    _write(s, now, t, "moved", actor, detail={"line": t.line, "to_counter": to_counter})
    return t


def set_counter_status(
    s: Session, counter_no: int, status: str, actor: Actor, now: datetime
) -> CounterRow:
    """Open, pause or close a counter. A counter with a ticket at hand cannot close."""
    if status not in ("open", "paused", "closed"):
        raise bad_request("bad_status", "status must be open, paused or closed")
    own_counter(actor, counter_no)
    counter = get_counter(s, counter_no, lock=True)
    if status == "closed" and counter.current_ticket is not None:
        raise conflict("counter_busy", f"counter {counter_no} has a ticket at hand")
    counter.status = status
    _counter_changed(s, counter, now)
    return counter


# --- the hall at a glance -----------------------------------------------------------------


def hall_view(s: Session, now: datetime, rules: QueueRules) -> dict[str, Any]:
    """Per line: waiting, longest and average wait, served, estimated wait; per counter its
    state and what it serves."""
    day = now.date()
    counters = list(s.exec(select(CounterRow).order_by(col(CounterRow.number))))
    open_by_line: dict[str, int] = {}
    for c in counters:
        if c.status == "open":
            for prefix in c.lines.split(","):
                open_by_line[prefix] = open_by_line.get(prefix, 0) + 1
    average_service = _average_service(s, day) or rules.average_service
    lines = []
    for line in s.exec(select(LineRow).order_by(col(LineRow.prefix))):
        waiting = list(
            s.exec(
                select(TicketRow.issued_at).where(
                    TicketRow.day == day,
                    TicketRow.status == "waiting",
                    TicketRow.line == line.prefix,
                )
            )
        )
        called_waits = [
            (called - issued).total_seconds()
            for issued, called in s.exec(
                select(TicketRow.issued_at, TicketRow.called_at).where(
                    TicketRow.day == day,
                    TicketRow.line == line.prefix,
                    col(TicketRow.called_at).is_not(None),
                )
            )
            if called is not None
        ]
        served = s.exec(
            select(func.count()).where(
                TicketRow.day == day, TicketRow.line == line.prefix, TicketRow.status == "finished"
            )
        ).one()
        estimate = estimated_wait(len(waiting), average_service, open_by_line.get(line.prefix, 0))
        lines.append(
            {
                "prefix": line.prefix,
                "name": line.name,
                "waiting": len(waiting),
                "longest_wait_seconds": int(
                    max(((now - aware(w)).total_seconds() for w in waiting), default=0)
                ),
                "average_wait_seconds": int(sum(called_waits) / len(called_waits))
                if called_waits
                else 0,
                "served": int(served),
                "estimated_wait_seconds": int(estimate.total_seconds()),
            }
        )
    current: dict[int, TicketRow] = {}
    ids = [c.current_ticket for c in counters if c.current_ticket is not None]
    if ids:
        for t in s.exec(select(TicketRow).where(col(TicketRow.id).in_(ids))):
            current[t.id or 0] = t
    return {
        "at": now.isoformat(),
        "lines": lines,
        "counters": [
            {
                **counter_view(c),
                "ticket": ticket_view(current[c.current_ticket])
                if c.current_ticket in current
                else None,
            }
            for c in counters
        ],
        "finished_today": sum(line["served"] for line in lines),
    }


def _average_service(s: Session, day: date) -> timedelta | None:
    rows = list(
        s.exec(
            select(TicketRow.called_at, TicketRow.finished_at).where(
                TicketRow.day == day,
                TicketRow.status == "finished",
                col(TicketRow.called_at).is_not(None),
            )
        )
    )
    spans = [(aware(f) - aware(c)).total_seconds() for c, f in rows if c and f]
    return timedelta(seconds=sum(spans) / len(spans)) if spans else None


def recent_service(s: Session, day: date, last: int = 20) -> timedelta | None:
    """The average service time of the day's last `last` finished tickets (the pace now),
    read through the index ix_ticket_finished: the same few rows however full the day."""
    rows = s.exec(
        select(TicketRow.called_at, TicketRow.finished_at)
        .where(TicketRow.day == day, TicketRow.status == "finished")
        .order_by(col(TicketRow.finished_at).desc())
        .limit(last)
    )
    spans = [(aware(f) - aware(c)).total_seconds() for c, f in rows if c and f]
    return timedelta(seconds=sum(spans) / len(spans)) if spans else None


def open_counters_for(s: Session, line: str) -> int:
    """How many open counters serve `line` (the counters are few)."""
    counters = s.exec(select(CounterRow.lines).where(CounterRow.status == "open"))
    return sum(1 for lines in counters if line in lines.split(","))


def waiting_ahead(s: Session, ticket: Row[Any]) -> int:
    """How many tickets of the same line wait before this one."""
    return int(
        s.exec(
            select(func.count()).where(
                TicketRow.day == ticket.day,
                TicketRow.line == ticket.line,
                TicketRow.status == "waiting",
                # The calling order: issue time, then id for tickets of the same instant.
                or_(
                    col(TicketRow.issued_at) < ticket.issued_at,
                    and_(
                        col(TicketRow.issued_at) == ticket.issued_at,
                        col(TicketRow.id) < (ticket.id or 0),
                    ),
                ),
            )
        ).one()
    )
