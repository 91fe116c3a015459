"""Cases the counters send: stored once, however often a counter sends the same one.

A counter works local-first: it writes a case to its own store with an outbox row, then
sends it with the outbox row's idempotency key until the platform acknowledges it. A resend
(the answer was lost, the counter restarted) finds the stored case and gets it back as it
was; the same key with different content is refused, so a bug cannot overwrite a case.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import Session, SQLModel, col, select

from clerk_console.central import trail
from clerk_console.central.case_body import stored_data
from clerk_console.central.db import meta
from clerk_console.central.errors import PlatformError, bad_request, conflict, forbidden, not_found
from clerk_console.central.handoffs import (
    ACCEPTED,
    BackOffice,
    case_items,
    masked_case_data,
    opened_handoffs,
    plan_handoffs,
    queue_messages,
    record_event,
)
from clerk_console.central.models import (
    CaseItem,
    CaseRow,
    CaseSubmission,
    ChangeRow,
    HandoffRow,
    StaffRow,
    TicketRow,
)
from clerk_console.central.queue import Actor, aware, change_columns, emit, own_counter
from clerk_console.domain.case_number import CaseNumber, parse_case_number
from clerk_console.domain.catalog import Catalog

STATUSES = ("accepted", "deferred", "supplement", "rejected")


def find_case(s: Session, number: str) -> CaseRow:
    """The case with this number, or 404."""
    row = s.get(CaseRow, number.strip().upper())
    if row is None:
        raise not_found("unknown_case", f"no case {number}")
    return row


def case_view(row: CaseRow, catalog: Catalog, *, full: bool) -> dict[str, Any]:
    """A case as the API shows it: the applicant's identifiers in full only when `full`
    (the caller records that read), masked otherwise. The query password is the
    applicant's alone: it went out with the decision that made it and is never shown again."""
    data = stored_data(row.data_json)
    for decision in (data["decision"], *data["history"]):
        decision.pop("query_password", None)
    return {
        "number": row.number,
        "hall": row.hall,
        "counter": row.counter,
        "clerk": row.clerk,
        "status": row.status,
        "data": data if full else masked_case_data(data, catalog),
        "received_at": aware(row.received_at).isoformat(),
        "progress": row.progress,
        "masked": not full,
    }


def in_scope(row: CaseRow, who: Actor) -> bool:
    """Whether a case is this login's to read in full: taken in at its own counter."""
    return who.counter is not None and who.counter == row.counter


def may_reveal(row: CaseRow, who: Actor) -> bool:
    """Whether a full read is allowed, recorded, outside the login's scope: a supervisor's,
    or a clerk at a counter taking up a supplement notice the applicant came back with."""
    if in_scope(row, who) or who.role in ("supervisor", "admin"):
        return True
    return who.counter is not None and row.status == "supplement"


def read_in_full(s: Session, row: CaseRow, who: Actor, now: datetime, purpose: str) -> None:
    """Record a read of a case's full identifiers: who, at which counter, when, and why."""
    detail = {"counter": who.counter, "role": who.role, "purpose": purpose}
    record_event(s, row.number, "case.read_full", who.username, now, detail)


class Received(StrEnum):
    """What a sending of a case did."""

    STORED = "stored"  # a new case
    REPLAYED = "replayed"  # the same key and body again: nothing new
    CONTINUED = "continued"  # a supplement notice taken up again, now decided anew


def _intake_clerk(s: Session, taken_by: str | None, actor: Actor) -> str:
    """Who took the intake: the clerk the counter names, when that is a clerk of this hall
    (an outbox may be sent after they logged out, under the next login); else the sender."""
    if taken_by and taken_by != actor.username:
        staff = s.get(StaffRow, taken_by)
        if staff is not None and staff.role in ("clerk", "supervisor"):
            return staff.username
    return actor.username


def _checked(hall: str, number: str, status: str) -> CaseNumber:
    """A sent case's number, parsed, of this hall (`hall`, when set), with a known status;
    400 otherwise."""
    parsed = parse_case_number(number)
    if parsed is None:
        raise bad_request("bad_case_number", f"{number!r} is not a case number")
    if hall and parsed.hall != hall:
        raise bad_request("foreign_case", f"case {parsed} is not of this hall ({hall})")
    if status not in STATUSES:
        raise bad_request("bad_case_status", f"status must be one of: {', '.join(STATUSES)}")
    return parsed


def body_digest(number: str, status: str, content: str) -> str:
    """The fingerprint of what a counter sent, to tell a replay from a different case."""
    return hashlib.sha256(f"{number}\n{status}\n{content}".encode()).hexdigest()


def receive_case(
    s: Session,
    key: str,
    number: str,
    status: str,
    data: dict[str, Any],
    actor: Actor,
    now: datetime,
    taken_by: str | None = None,
    sent: dict[str, Any] | None = None,
) -> tuple[CaseRow, Received]:
    """Store a case sent by a counter; (the case, what the sending did).

    A key already used answers the case as stored when the body is the same (the platform
    may have added to the case since, its instant results say), and is refused with 409 when
    it is not. A case that ended in a one-time supplement notice is taken up again when the
    applicant returns, at any counter: the same number, `data.continues` naming it, under a
    new key; its trail records both decisions."""
    parsed = _checked(meta(s, "hall_code"), number, status)
    number = str(parsed)  # one spelling: no stray space or lower case makes a second case
    clerk = _intake_clerk(s, taken_by, actor)
    content = json.dumps(data, ensure_ascii=False, sort_keys=True)
    # The fingerprint is of what was sent, as sent (`sent`; the stored `data` has the
    # shape's defaults filled in): a sending from before the shape was checked, its answer
    # lost, sent again after, is still the same sending.
    sent_text = content if sent is None else json.dumps(sent, ensure_ascii=False, sort_keys=True)
    digest = body_digest(number, status, sent_text)
    earlier = s.get(CaseSubmission, key)
    if earlier is not None:
        if (earlier.case_number, earlier.body_sha256) != (number, digest):
            raise conflict(
                "idempotency_conflict",
                f"key {key} was used for a different case ({earlier.case_number})",
            )
        return find_case(s, number), Received.REPLAYED
    existing = s.get(CaseRow, number)
    continues = data.get("continues")
    if existing is None:
        if continues:
            raise conflict("unknown_case", f"case {number} to continue is not on the platform")
        own_counter(actor, parsed.counter)  # a clerk sends the cases of their own counter
        row = CaseRow(
            number=number,
            idempotency_key=key,
            hall=parsed.hall,
            counter=parsed.counter,
            clerk=clerk,
            status=status,
            data_json=content,
            received_at=now,
        )
        s.add(row)
        outcome = Received.STORED
    elif continues == number and existing.status == "supplement":
        if actor.role not in ("supervisor", "admin") and actor.counter is None:
            raise forbidden("no_counter", "a case is taken up again at a counter")
        row = existing
        before = row.status
        row.status, row.data_json, row.clerk = status, content, clerk
        s.add(row)
        outcome = Received.CONTINUED
        detail = {"from": before, "to": status, "counter": actor.counter}
        record_event(s, number, "case.continued", actor.username, now, detail)
    else:
        # The first sending under this key may have committed between the two reads above
        # (a resend racing it): read the key again before calling this another case.
        s.expire_all()
        earlier = s.get(CaseSubmission, key)
        if earlier is not None and (earlier.case_number, earlier.body_sha256) == (number, digest):
            return find_case(s, number), Received.REPLAYED
        raise conflict("case_exists", f"case {number} exists under another key")
    if row.ticket_id is None:  # a case taken up again keeps the ticket it was first taken on
        row.ticket_id = _ticket_of(s, actor.counter or row.counter, now, data)
    s.flush()
    _index_items(s, row.number, data, replace=outcome is Received.CONTINUED)
    s.add(
        CaseSubmission(
            idempotency_key=key,
            case_number=number,
            status=status,
            body_sha256=digest,
            received_at=now,
        )
    )
    emit(s, "case", {"event": outcome.value, "number": number, "status": status}, now)
    return row, outcome


@dataclass(frozen=True)
class Sending:
    """One case of a batch from a counter's outbox, as `receive_case` takes it."""

    key: str
    number: str
    status: str
    data: dict[str, Any]
    sent: dict[str, Any]  # as sent: its fingerprint tells a replay
    taken_by: str | None = None


def receive_new_cases(
    s: Session, sendings: Sequence[Sending], actor: Actor, now: datetime, office: BackOffice
) -> tuple[dict[int, CaseRow], dict[int, PlatformError]]:
    """Store, together, the cases of a batch that are plainly new: a key and a number the
    platform has not seen, not taking up a supplement notice. Each is stored as
    `receive_case` (and, accepted, `open_handoffs`) would store it, with a few statements
    for the whole batch instead of a dozen a case. (stored, refused), by position in
    `sendings`; those in neither are for `receive_case`, one by one (a replay, a case
    continued, a number already taken: each has its own answer)."""
    stored: dict[int, CaseRow] = {}
    refused: dict[int, PlatformError] = {}
    hall = meta(s, "hall_code")
    candidates: dict[int, tuple[Sending, str, str]] = {}  # position: (sending, number, digest)
    for i, sending in enumerate(sendings):
        if sending.data.get("continues"):
            continue
        try:
            number = str(_checked(hall, sending.number, sending.status))
        except PlatformError as exc:
            refused[i] = exc
            continue
        digest = body_digest(number, sending.status, _canonical(sending.sent))
        candidates[i] = (sending, number, digest)
    if not candidates:
        return stored, refused
    keys = [c[0].key for c in candidates.values()]
    numbers = [c[1] for c in candidates.values()]
    submitted = select(CaseSubmission.idempotency_key)
    seen_keys = set(s.exec(submitted.where(col(CaseSubmission.idempotency_key).in_(keys))))
    seen_numbers = set(s.exec(select(CaseRow.number).where(col(CaseRow.number).in_(numbers))))
    named = {c[0].taken_by for c in candidates.values() if c[0].taken_by}
    clerks = {
        row.username
        for row in s.exec(select(StaffRow).where(col(StaffRow.username).in_(named)))
        if row.role in ("clerk", "supervisor")
    }
    cases: list[tuple[CaseRow, str, list[HandoffRow], list[str]]] = []  # with its digest
    for i, (sending, number, digest) in candidates.items():
        if sending.key in seen_keys or number in seen_numbers:
            continue  # sent before, or another case's number: one by one
        seen_keys.add(sending.key)
        seen_numbers.add(number)
        parsed = parse_case_number(number)
        assert parsed is not None  # checked above
        try:
            own_counter(actor, parsed.counter)  # as for a new case sent alone
        except PlatformError as exc:
            refused[i] = exc
            continue
        row = CaseRow(
            number=number,
            idempotency_key=sending.key,
            hall=parsed.hall,
            counter=parsed.counter,
            clerk=sending.taken_by if sending.taken_by in clerks else actor.username,
            status=sending.status,
            data_json=json.dumps(sending.data, ensure_ascii=False, sort_keys=True),
            received_at=now,
        )
        rows: list[HandoffRow] = []
        instant: list[str] = []
        if sending.status in ACCEPTED:
            try:
                rows, instant = plan_handoffs(row, office, now)
            except PlatformError as exc:
                refused[i] = exc
                continue
        cases.append((row, digest, rows, instant))
        stored[i] = row
    # Written in bulk (a statement a table, not an object a row): the cases first, then
    # what refers to them; the handoffs come back with their ids for the trail.
    if not cases:
        return stored, refused
    for row, _, _, _ in cases:
        row.ticket_id = _ticket_of(s, row.counter, now, stored_data(row.data_json))
    s.execute(insert(CaseRow), [_columns(row) for row, _, _, _ in cases])
    items = [
        {"case_number": row.number, "item": item}
        for row, _, _, _ in cases
        for item in dict.fromkeys(case_items(stored_data(row.data_json)))
    ]
    if items:
        s.execute(insert(CaseItem), items)
    s.execute(
        insert(CaseSubmission),
        [
            {
                "idempotency_key": row.idempotency_key,
                "case_number": row.number,
                "status": row.status,
                "body_sha256": digest,
                "received_at": now,
            }
            for row, digest, _, _ in cases
        ],
    )
    changes = [
        {"event": Received.STORED.value, "number": row.number, "status": row.status}
        for row, _, _, _ in cases
    ]
    s.execute(insert(ChangeRow), [change_columns("case", c, now) for c in changes])
    opened = [h for _, _, rows, _ in cases for h in rows]
    if opened:
        ids = s.scalars(
            insert(HandoffRow).returning(col(HandoffRow.id), sort_by_parameter_order=True),
            [_columns(h) for h in opened],
        ).all()
        for handoff, handoff_id in zip(opened, ids, strict=True):
            handoff.id = handoff_id
    events: list[trail.NewEvent] = []
    messages = []
    for row, _, rows, instant in cases:
        if row.status in ACCEPTED:
            opened_events, message = opened_handoffs(row, rows, instant, office, now)
            events += opened_events
            messages.append(message)
    trail.append_many(s, events)
    queue_messages(s, messages)
    return stored, refused


def _ticket_of(s: Session, counter: int, received_at: datetime, data: dict[str, Any]) -> int | None:
    """The ticket a case was taken in on: the latest of its number served at its counter up
    to the day it arrived (a case sent from the outbox may arrive a day late)."""
    number = data.get("ticket")
    if not isinstance(number, str) or not number:
        return None
    day = received_at.astimezone(UTC).date()  # a ticket's day is the platform clock's
    return s.exec(
        select(TicketRow.id)
        .where(TicketRow.number == number, TicketRow.counter == counter, TicketRow.day <= day)
        .order_by(col(TicketRow.day).desc())
        .limit(1)
    ).first()


def _index_items(s: Session, number: str, data: dict[str, Any], *, replace: bool) -> None:
    """The case's items as rows the reports can count (a case taken up again may change
    them)."""
    if replace:
        s.execute(delete(CaseItem).where(col(CaseItem.case_number) == number))
    items = list(dict.fromkeys(case_items(data)))
    if items:
        s.execute(insert(CaseItem), [{"case_number": number, "item": i} for i in items])


def _columns(row: SQLModel) -> dict[str, Any]:
    """A row's columns for a bulk insert (an id the database gives left out)."""
    values = row.model_dump()
    if values.get("id", 0) is None:
        del values["id"]
    return values


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
