"""Tables of the central platform (SQLite for one machine, PostgreSQL for a real hall).

The platform owns the queue: lines, counters, tickets numbered per line per day from a
counter row, every ticket state change as an event, and the change feed that screens follow.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index, LargeBinary, UniqueConstraint, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

URGENT = "priority OR appointment_at IS NOT NULL"
"""Tickets that may jump their line (the partial index's condition; calls spell it alike)."""

FINISHED = "status = 'finished'"
"""ix_ticket_finished's condition on PostgreSQL."""


class CentralModel(SQLModel, registry=registry()):
    """Base of the platform's tables: their own metadata, apart from a console's store."""


def _tz() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False)


def _tz_null() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=True)


class PlatformMeta(CentralModel, table=True):
    """Key/value facts of this platform: hall code and name, schema version, catalog version."""

    __tablename__ = "platform_meta"
    key: str = Field(primary_key=True)
    value: str


class CatalogRecord(CentralModel, table=True):
    """A catalog of record as loaded (its TOML sources), by content-hash version."""

    __tablename__ = "catalog_record"
    version: str = Field(primary_key=True)
    sources_json: str
    loaded_at: datetime = Field(sa_column=_tz())


class LineRow(CentralModel, table=True):
    """A waiting line."""

    __tablename__ = "line"
    prefix: str = Field(primary_key=True)
    name: str


class CounterRow(CentralModel, table=True):
    """A counter, the lines it serves in order, who holds it and what it is doing."""

    __tablename__ = "counter"
    number: int = Field(primary_key=True)
    name: str
    lines: str  # "B,A,C": most preferred first
    status: str = "closed"  # open | paused | closed
    clerk: str | None = None
    current_ticket: int | None = None
    updated_at: datetime = Field(sa_column=_tz())
    # The counter's receipt printer as its console last reported it (the board's alert).
    printer_state: str = "ok"  # ok | fault
    printer_message: str = ""
    printer_since: datetime | None = Field(default=None, sa_column=_tz_null())


class StaffRow(CentralModel, table=True):
    """A member of staff; the PIN is kept only as an argon2 hash (with a server secret)."""

    __tablename__ = "staff"
    username: str = Field(primary_key=True)
    name: str
    role: str
    department: str | None = None
    instant_departments_json: str = "[]"  # whose instant items (即办件) they may decide
    pin_hash: str


class LoginAttemptRow(CentralModel, table=True):
    """Wrong PINs per user name typed, whether or not such a user exists: an unknown name
    locks like a real one, so locking tells nobody which names are staff."""

    __tablename__ = "login_attempt"
    username: str = Field(primary_key=True)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_tz_null())


class TokenRow(CentralModel, table=True):
    """A login: the SHA-256 of the bearer token, whose it is, where, until when."""

    __tablename__ = "auth_token"
    token_hash: str = Field(primary_key=True)
    username: str = Field(index=True)
    counter: int | None = None
    created_at: datetime = Field(sa_column=_tz())
    expires_at: datetime = Field(sa_column=_tz())


class LineDayCounter(CentralModel, table=True):
    """The last ticket number given out in a line on a day (numbering never counts rows)."""

    __tablename__ = "line_day_counter"
    line: str = Field(primary_key=True)
    day: date = Field(primary_key=True)
    last: int = 0


class TicketRow(CentralModel, table=True):
    """A ticket. `issued_at` is kept through transfers, so waits stay honest."""

    __tablename__ = "ticket"
    __table_args__ = (
        # A ticket keeps its number when it moves to another line: the number is its identity.
        UniqueConstraint("day", "number"),
        # Calling takes the oldest waiting ticket of a line: this index answers it directly.
        Index("ix_ticket_waiting", "day", "status", "line", "issued_at", "id"),
        # The day's latest finished tickets: the pace a ticket slip estimates its wait by.
        # Partial on PostgreSQL, so that its planner never takes it for a count of waiting
        # tickets (it did, on a morning whose day its statistics did not know yet).
        Index(
            "ix_ticket_finished",
            "day",
            "status",
            "finished_at",
            postgresql_where=text(FINISHED),
        ),
        # The few urgent tickets (green channel, appointments), for the first step of a call.
        Index(
            "ix_ticket_urgent",
            "day",
            "status",
            "line",
            "issued_at",
            postgresql_where=text(URGENT),
            sqlite_where=text(URGENT),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str
    line: str  # the line it waits in now (a transfer may change it)
    day: date
    seq: int
    status: str = "waiting"  # waiting | called | serving | parked | finished | no_show
    priority: bool = False
    appointment_at: datetime | None = Field(default=None, sa_column=_tz_null())
    target_counter: int | None = None  # transferred to one counter: only it may call
    issued_at: datetime = Field(sa_column=_tz())
    called_at: datetime | None = Field(default=None, sa_column=_tz_null())
    finished_at: datetime | None = Field(default=None, sa_column=_tz_null())
    counter: int | None = None
    served_by: str | None = None
    recalls: int = 0
    outcome: str | None = None
    walk_in: bool = False
    # The wait its slip promised, kept to check the kiosk's estimates against what happened.
    estimated_wait_seconds: int | None = None


class AppointmentRow(CentralModel, table=True):
    """A booked time window in a line (网上预约); checking in at the kiosk issues its ticket."""

    __tablename__ = "appointment"
    code: str = Field(primary_key=True)  # what the applicant types or scans at the kiosk
    line: str
    day: date = Field(index=True)
    starts_at: datetime = Field(sa_column=_tz())
    ends_at: datetime = Field(sa_column=_tz())
    name: str = ""
    mobile: str = ""
    status: str = "booked"  # booked | checked_in | cancelled
    ticket_id: int | None = None
    created_at: datetime = Field(sa_column=_tz())
    checked_in_at: datetime | None = Field(default=None, sa_column=_tz_null())


class CaseRow(CentralModel, table=True):
    """A case as a counter sent it (受理、补正、不予受理), stored once per idempotency key."""

    __tablename__ = "intake_case"
    __table_args__ = (Index("ix_case_received", "received_at"),)  # a period's cases (reports)
    number: str = Field(primary_key=True)  # 受理编号, made at the counter
    idempotency_key: str = Field(unique=True)
    hall: str
    counter: int
    clerk: str
    status: str  # accepted | deferred | supplement | rejected
    data_json: str  # applicant, selection, answers, materials, form, decision as sent
    received_at: datetime = Field(sa_column=_tz())
    # After acceptance: in_progress (handoffs open) → ready (every handoff decided) →
    # delivered (handed out or mailed); empty for a case that was not accepted.
    progress: str = ""
    delivery_json: str = "{}"  # how, to whom, when (统一出件)
    ticket_id: int | None = Field(default=None, index=True)  # the ticket it was taken in on


class CaseItem(CentralModel, table=True):
    """An item of a case (what the reports count per item, and the waits of its ticket)."""

    __tablename__ = "case_item"
    case_number: str = Field(primary_key=True, foreign_key="intake_case.number")
    item: str = Field(primary_key=True, index=True)


class CaseSubmission(CentralModel, table=True):
    """One sending of a case by a counter, by its idempotency key: the same key with the same
    body is answered from what is stored; a case taken up again after a supplement notice is
    a second submission of the same case number under a new key."""

    __tablename__ = "case_submission"
    idempotency_key: str = Field(primary_key=True)
    case_number: str = Field(foreign_key="intake_case.number", index=True)
    status: str
    body_sha256: str
    received_at: datetime = Field(sa_column=_tz())


class HandoffRow(CentralModel, table=True):
    """One department's share of a case (分办), with its clock and its decision."""

    __tablename__ = "handoff"
    __table_args__ = (
        Index("ix_handoff_inbox", "department", "status", "due_on"),
        Index("ix_handoff_decided", "decided_at"),  # a period's decisions (reports)
    )
    id: int | None = Field(default=None, primary_key=True)
    case_number: str = Field(foreign_key="intake_case.number", index=True)
    department: str
    items_json: str  # the items it decides
    days: int  # promised working days
    waits_for_json: str = "[]"  # items of other departments whose result it needs first
    status: str  # waiting | open | returned | approved | rejected
    started_at: datetime | None = Field(default=None, sa_column=_tz_null())
    pauses_json: str = "[]"  # [[start, end or null], …]: the clock stood still (退回补正)
    due_on: date | None = None
    assignee: str | None = None  # the approver who took it
    result_json: str = "{}"  # item → {name, number, issued_on, medium}
    returned_json: str = "{}"  # {materials: [...], reason}: what the applicant must bring
    reason: str = ""  # of a rejection
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_column=_tz_null())
    reminded_at: datetime | None = Field(default=None, sa_column=_tz_null())
    created_at: datetime = Field(sa_column=_tz())
    updated_at: datetime = Field(sa_column=_tz())


class CaseFile(CentralModel, table=True):
    """A scanned file of a case's material, sent by the counter, kept once per content."""

    __tablename__ = "case_file"
    __table_args__ = (UniqueConstraint("case_number", "sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    case_number: str = Field(foreign_key="intake_case.number", index=True)
    material: str
    sha256: str
    file_name: str
    size: int
    mime: str
    pages: int | None = None
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    received_at: datetime = Field(sa_column=_tz())


class CaseEvent(CentralModel, table=True):
    """The platform's trail of a case (全程留痕): who did what, when, to which handoff."""

    __tablename__ = "case_event"
    id: int | None = Field(default=None, primary_key=True)
    case_number: str = Field(index=True)
    handoff_id: int | None = None
    at: datetime = Field(sa_column=_tz())
    kind: str
    username: str
    detail_json: str = "{}"
    # The chain (central/trail.py): the place in the trail, the hash before, its own hash.
    seq: int | None = Field(default=None, unique=True)
    prev_hash: str = ""
    hash: str = ""


class NotificationRow(CentralModel, table=True):
    """A message to the applicant, queued until the configured sender takes it."""

    __tablename__ = "notification"
    id: int | None = Field(default=None, primary_key=True)
    case_number: str = Field(index=True)
    kind: str  # accepted | returned | ready | overdue
    mobile: str
    text: str
    status: str = "queued"  # queued | sent | failed
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = Field(sa_column=_tz())
    sent_at: datetime | None = Field(default=None, sa_column=_tz_null())


class TicketEvent(CentralModel, table=True):
    """One state change of a ticket, with when, where and by whom."""

    __tablename__ = "ticket_event"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(index=True)
    at: datetime = Field(sa_column=_tz())
    kind: str
    counter: int | None = None
    username: str | None = None
    detail_json: str = "{}"


class ChangeRow(CentralModel, table=True):
    """The change feed: screens follow it by id (the cursor)."""

    __tablename__ = "change"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_tz())
    topic: str
    payload_json: str


class AuditAnchor(CentralModel, table=True):
    """A console's audit log, anchored: the hash of its entry `seq` as the console sent it.
    Kept outside the console, so a log truncated or rewritten there is caught by its
    `clerk-console audit verify`."""

    __tablename__ = "audit_anchor"
    console_id: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    hash: str
    username: str
    counter: int | None = None
    received_at: datetime = Field(sa_column=_tz())


class TicketIssue(CentralModel, table=True):
    """A ticket issued under a kiosk's idempotency key: the same key again answers this
    ticket, so a press whose answer was lost never makes a second one."""

    __tablename__ = "ticket_issue"
    idempotency_key: str = Field(primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    issued_at: datetime = Field(sa_column=_tz())


class ConsoleTag(CentralModel, table=True):
    """A console's store and the tag it puts in its case numbers (1 → mark A). Given at the
    store's first login and never given to another store, so case numbers made without the
    network cannot collide; a store found sharing numbers is given a new tag."""

    __tablename__ = "console_tag"
    tag: int = Field(primary_key=True)
    console_id: str = Field(index=True)
    username: str
    counter: int | None = None
    given_at: datetime = Field(sa_column=_tz())


class RatingRow(CentralModel, table=True):
    """An applicant's rating of one service (好差评, 一次一评): a ticket's service at a
    counter (`service` "ticket", `ref` "2026-11-23/B017") or a case (`service` "case", `ref`
    its number). The unique pair keeps one rating a service, however it arrives."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("service", "ref"),
        # The day's figures per counter, clerk and level (the board, the reports).
        Index("ix_rating_day", "day", "counter"),
    )
    id: int | None = Field(default=None, primary_key=True)
    service: str  # ticket | case
    ref: str
    level: int  # 1 非常满意 … 5 非常不满意 (domain.rating.Level)
    reasons_json: str = "[]"
    comment: str = ""
    channel: str  # pad | qr | phone
    counter: int | None = None
    clerk: str | None = None  # who served (the rated clerk)
    items_json: str = "[]"  # catalog codes of the items served
    departments_json: str = "[]"  # departments of those items
    rated_at: datetime = Field(sa_column=_tz())
    day: date  # the hall's day of rated_at
    recorded_by: str | None = None  # the member of staff who recorded it (phone), or none
    counted: bool = True  # False once an appeal is granted: no longer in the rate


class RatingFollowUpRow(CentralModel, table=True):
    """A bad rating's follow-up (差评整改): verified, put right by `due_on`, called back;
    or appealed (申诉) and decided. Every step is a RatingEvent."""

    __tablename__ = "rating_follow_up"
    __table_args__ = (Index("ix_rating_follow_up_open", "status", "due_on"),)
    rating_id: int = Field(primary_key=True, foreign_key="rating.id")
    status: str = "open"  # domain.rating.FollowUpStatus
    due_on: date
    appealed: bool = False
    opened_at: datetime = Field(sa_column=_tz())
    updated_at: datetime = Field(sa_column=_tz())
    closed_at: datetime | None = Field(default=None, sa_column=_tz_null())


class RatingEvent(CentralModel, table=True):
    """One recorded step of a rating (given, verified, put right, called back, appealed,
    decided): who, when, with what note."""

    __tablename__ = "rating_event"
    id: int | None = Field(default=None, primary_key=True)
    rating_id: int = Field(index=True, foreign_key="rating.id")
    at: datetime = Field(sa_column=_tz())
    kind: str
    username: str | None = None
    detail_json: str = "{}"


class RatingItem(CentralModel, table=True):
    """An item a rating rated (the reports' figures per item)."""

    __tablename__ = "rating_item"
    rating_id: int = Field(primary_key=True, foreign_key="rating.id")
    item: str = Field(primary_key=True)


class RatingDepartment(CentralModel, table=True):
    """A department whose items a rating rated (the reports' figures per department)."""

    __tablename__ = "rating_department"
    rating_id: int = Field(primary_key=True, foreign_key="rating.id")
    department: str = Field(primary_key=True)


class AlertAck(CentralModel, table=True):
    """A board alert a supervisor acknowledged (确认): who, when; the alert's key names the
    occurrence (the ticket, the counter's change, the day's count), so a new one shows again."""

    __tablename__ = "alert_ack"
    key: str = Field(primary_key=True)
    username: str
    at: datetime = Field(sa_column=_tz())
    note: str = ""
