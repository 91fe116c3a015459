"""Cases the counters send: stored once, however often a counter sends the same one.

A counter works local-first: it writes a case to its own store with an outbox row, then
sends it with the outbox row's idempotency key until the platform acknowledges it. A resend
(the answer was lost, the counter restarted) finds the stored case and gets it back as it
was; the same key with different content is refused, so a bug cannot overwrite a case.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from clerk_console.central.errors import bad_request, conflict, not_found
from clerk_console.central.models import CaseRow
from clerk_console.central.queue import Actor, _own_counter, aware, emit
from clerk_console.domain.case_number import parse_case_number

STATUSES = ("accepted", "deferred", "supplement", "rejected")


def find_case(s: Session, number: str) -> CaseRow:
    """The case with this number, or 404."""
    row = s.get(CaseRow, number.strip().upper())
    if row is None:
        raise not_found("unknown_case", f"no case {number}")
    return row


def case_view(row: CaseRow) -> dict[str, Any]:
    """A case as the API shows it."""
    return {
        "number": row.number,
        "hall": row.hall,
        "counter": row.counter,
        "clerk": row.clerk,
        "status": row.status,
        "data": json.loads(row.data_json),
        "received_at": aware(row.received_at).isoformat(),
        "progress": row.progress,
    }


def receive_case(
    s: Session,
    key: str,
    number: str,
    status: str,
    data: dict[str, Any],
    actor: Actor,
    now: datetime,
) -> tuple[CaseRow, bool]:
    """Store a case sent by a counter; (the case, whether it is new)."""
    parsed = parse_case_number(number)
    if parsed is None:
        raise bad_request("bad_case_number", f"{number!r} is not a case number")
    _own_counter(actor, parsed.counter)  # a clerk sends the cases of their own counter
    if status not in STATUSES:
        raise bad_request("bad_case_status", f"status must be one of: {', '.join(STATUSES)}")
    content = json.dumps(data, ensure_ascii=False, sort_keys=True)
    existing = s.exec(select(CaseRow).where(CaseRow.idempotency_key == key)).first()
    if existing is not None:
        if (existing.number, existing.status, existing.data_json) != (number, status, content):
            raise conflict(
                "idempotency_conflict",
                f"key {key} was used for a different case ({existing.number})",
            )
        return existing, False
    if s.get(CaseRow, number) is not None:
        raise conflict("case_exists", f"case {number} exists under another key")
    row = CaseRow(
        number=number,
        idempotency_key=key,
        hall=parsed.hall,
        counter=parsed.counter,
        clerk=actor.username,
        status=status,
        data_json=content,
        received_at=now,
    )
    s.add(row)
    s.flush()
    emit(s, "case", {"event": "received", "number": number, "status": status}, now)
    return row, True
