"""Cases the counters send: stored once, however often a counter sends the same one.

A counter works local-first: it writes a case to its own store with an outbox row, then
sends it with the outbox row's idempotency key until the platform acknowledges it. A resend
(the answer was lost, the counter restarted) finds the stored case and gets it back as it
was; the same key with different content is refused, so a bug cannot overwrite a case.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from clerk_console.central.case_body import stored_data
from clerk_console.central.db import meta
from clerk_console.central.errors import bad_request, conflict, forbidden, not_found
from clerk_console.central.handoffs import masked_case_data, record_event
from clerk_console.central.models import CaseRow, CaseSubmission, StaffRow
from clerk_console.central.queue import Actor, _own_counter, aware, emit
from clerk_console.domain.case_number import parse_case_number
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
    parsed = parse_case_number(number)
    if parsed is None:
        raise bad_request("bad_case_number", f"{number!r} is not a case number")
    number = str(parsed)  # one spelling: no stray space or lower case makes a second case
    hall = meta(s, "hall_code")
    if hall and parsed.hall != hall:
        raise bad_request("foreign_case", f"case {number} is not of this hall ({hall})")
    clerk = _intake_clerk(s, taken_by, actor)
    if status not in STATUSES:
        raise bad_request("bad_case_status", f"status must be one of: {', '.join(STATUSES)}")
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
        _own_counter(actor, parsed.counter)  # a clerk sends the cases of their own counter
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
    s.flush()
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
