"""Reading the change feed without ever skipping a change.

On PostgreSQL, ids come from a sequence when a row is inserted but become visible when its
transaction commits, so id 5 can be seen before id 4. A reader that moved its cursor past 4
would lose it. So a read returns only contiguous ids after the cursor; a hole is passed over
only once the changes after it are older than `GAP_SECONDS` (the hole is then a rolled-back
transaction, not a slow one). No lock serialises the writers, so calling stays fast.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from clerk_console.central.models import ChangeRow
from clerk_console.central.queue import aware

GAP_SECONDS = 3.0
MAX_BATCH = 500


def public_view(topic: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """What anyone may see of a change without a login (the hall display, a lobby board):
    ticket numbers, lines and counters; nothing of staff, cases or bookings. None: a change
    the public does not see at all."""
    if topic == "ticket":
        ticket = data.get("ticket") or {}
        shown = {key: ticket.get(key) for key in PUBLIC_TICKET}
        return {"event": data.get("event"), "ticket": shown}
    if topic == "counter":
        return {key: data.get(key) for key in PUBLIC_COUNTER}
    return None


PUBLIC_TICKET = ("number", "line", "status", "counter", "recalls")
PUBLIC_COUNTER = ("number", "name", "lines", "status")


def read_changes(
    s: Session, after: int, now: datetime, *, public: bool = False
) -> tuple[list[dict[str, Any]], int]:
    """Changes after the cursor, in order, and the new cursor; `public`: only what anyone
    may see (`public_view`), the cursor still moving past the rest."""
    rows = s.exec(
        select(ChangeRow)
        .where(col(ChangeRow.id) > after)
        .order_by(col(ChangeRow.id))
        .limit(MAX_BATCH)
    )
    out: list[dict[str, Any]] = []
    cursor = after
    settled = now - timedelta(seconds=GAP_SECONDS)
    for row in rows:
        assert row.id is not None
        if row.id != cursor + 1 and aware(row.at) > settled:
            break  # a change before this one may still be committing: wait for it
        cursor = row.id
        data = json.loads(row.payload_json)
        if public:
            data = public_view(row.topic, data)
            if data is None:
                continue
        out.append(
            {"id": row.id, "at": aware(row.at).isoformat(), "topic": row.topic, "data": data}
        )
    return out, cursor


def latest_cursor(s: Session) -> int:
    """The id of the newest change (a screen that needs no history starts here)."""
    row = s.exec(select(ChangeRow.id).order_by(col(ChangeRow.id).desc()).limit(1)).first()
    return int(row or 0)
