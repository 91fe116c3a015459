"""Ratings on the platform (好差评): one per service, from the rating pad, the receipt's or
slip's QR (public, with the service's password) or a clerk taking it by phone; a bad rating's
follow-up (差评整改) step by step, each step a recorded event and a change on the feed.

The rules are `domain.rating`'s; this module reads and writes the tables.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from clerk_console.central.case_body import stored_data
from clerk_console.central.cases import find_case
from clerk_console.central.errors import PlatformError, bad_request, conflict, forbidden
from clerk_console.central.handoffs import BackOffice, case_items
from clerk_console.central.models import (
    CaseRow,
    RatingDepartment,
    RatingEvent,
    RatingFollowUpRow,
    RatingItem,
    RatingRow,
)
from clerk_console.central.queue import TICKET, Actor, aware, emit, find_ticket
from clerk_console.domain.rating import (
    SUPERVISOR_STEPS,
    FollowUpStatus,
    Level,
    Reason,
    Step,
    StepRefused,
    check_rating,
    follow_up_due,
    next_status,
    overdue,
)

PAD_MINUTES = 30
"""How long after a ticket was finished its counter's rating pad may still rate it."""

CHANNELS = ("pad", "qr", "phone")


@dataclass(frozen=True)
class Service:
    """What is rated, as the platform found it: who served, where, which items."""

    kind: str  # ticket | case
    ref: str
    counter: int | None
    clerk: str | None
    items: tuple[str, ...]
    finished_at: datetime | None = None


def ticket_ref(day: date, number: str) -> str:
    """A ticket's service as a rating names it: its day and number (numbers repeat daily)."""
    return f"{day.isoformat()}/{number}"


def ticket_code(keyed_digest: Callable[[str], str], day: date, number: str) -> str:
    """The 6 digits printed on a ticket slip that let its holder rate that service online:
    derived from the platform's secret, so nothing is stored and nobody can guess another's."""
    digest = keyed_digest(f"rating:{ticket_ref(day, number)}")
    return f"{int(digest[:12], 16) % 1_000_000:06d}"


def ticket_service(s: Session, number: str, day: date) -> Service:
    """A finished ticket's service, or 404 / 409 (not served yet, or a no-show)."""
    t = find_ticket(s, number, day)
    if t.status != "finished":
        raise conflict("not_served", f"ticket {t.number} has not been served")
    items: list[str] = []
    if t.counter is not None and t.called_at is not None:
        # The cases taken in during this service name its ticket (sent after it was called).
        rows = s.exec(
            select(CaseRow).where(
                CaseRow.counter == t.counter,
                col(CaseRow.received_at) >= t.called_at,
                col(CaseRow.received_at) < aware(t.called_at) + timedelta(days=1),
            )
        )
        for row in rows:
            data = stored_data(row.data_json)
            if data.get("ticket") == t.number:
                items += [i for i in case_items(data) if i not in items]
    return Service(
        "ticket",
        ticket_ref(t.day, t.number),
        t.counter,
        t.served_by,
        tuple(items),
        aware(t.finished_at) if t.finished_at else None,
    )


def case_service(s: Session, number: str) -> Service:
    """A case's service: its counter, its clerk and its items."""
    row = find_case(s, number)
    return Service(
        "case", row.number, row.counter, row.clerk, tuple(case_items(stored_data(row.data_json)))
    )


def case_password_matches(s: Session, number: str, password: str) -> bool:
    """Whether `password` is the case's query password (compared in constant time)."""
    row = s.get(CaseRow, number.strip().upper())
    if row is None:
        return False
    stored = str((stored_data(row.data_json).get("decision") or {}).get("query_password") or "")
    return bool(stored) and hmac.compare_digest(stored, password)


def rate(
    s: Session,
    service: Service,
    level: Level,
    reasons: Sequence[str],
    comment: str,
    channel: str,
    recorded_by: Actor | None,
    now: datetime,
    office: BackOffice,
    known_reasons: Sequence[Reason],
) -> tuple[RatingRow, RatingFollowUpRow | None]:
    """Record a rating of `service`; a bad one opens its follow-up. 409 if the service was
    rated already (一次一评), 400 for reasons that do not fit."""
    try:
        kept = check_rating(level, reasons, [r.code for r in known_reasons])
    except ValueError as exc:
        raise bad_request("bad_reasons", str(exc)) from None
    if _existing(s, service) is not None:
        raise conflict(
            "already_rated", "this service has been rated already (one rating a service)"
        )
    departments: list[str] = []
    for item in service.items:
        spec = office.catalog.items.get(item)
        if spec is not None and spec.department not in departments:
            departments.append(spec.department)
    row = RatingRow(
        service=service.kind,
        ref=service.ref,
        level=int(level),
        reasons_json=json.dumps(list(kept)),
        comment=comment,
        channel=channel,
        counter=service.counter,
        clerk=service.clerk,
        items_json=json.dumps(list(service.items)),
        departments_json=json.dumps(departments),
        rated_at=now,
        day=office.local_day(now),
        recorded_by=recorded_by.username if recorded_by else None,
    )
    s.add(row)
    s.flush()
    assert row.id is not None
    s.add_all(RatingItem(rating_id=row.id, item=i) for i in dict.fromkeys(service.items))
    s.add_all(RatingDepartment(rating_id=row.id, department=d) for d in departments)
    follow_up = None
    if not level.good:
        follow_up = RatingFollowUpRow(
            rating_id=row.id,
            due_on=follow_up_due(aware(now).astimezone(), office.calendar),
            opened_at=now,
            updated_at=now,
        )
        s.add(follow_up)
    _record(s, row, follow_up, "rated", recorded_by, {"channel": channel}, now)
    return row, follow_up


def _existing(s: Session, service: Service) -> RatingRow | None:
    return s.exec(
        select(RatingRow).where(RatingRow.service == service.kind, RatingRow.ref == service.ref)
    ).first()


def take_step(
    s: Session, rating_id: int, step: Step, note: str, actor: Actor, now: datetime
) -> tuple[RatingRow, RatingFollowUpRow]:
    """One step of a bad rating's follow-up, by a supervisor (an appeal also by the clerk
    who was rated); 404 / 403 / 409 in words."""
    row = get_rating(s, rating_id)
    follow_up = s.get(RatingFollowUpRow, rating_id, with_for_update=True)
    if follow_up is None:
        raise conflict("no_follow_up", "only a bad rating has a follow-up")
    if step in SUPERVISOR_STEPS and actor.role != "supervisor":
        raise forbidden("role_forbidden", f"a {actor.role} may not {step.value} a follow-up")
    if step is Step.APPEAL and actor.role != "supervisor" and actor.username != row.clerk:
        raise forbidden("not_rated_clerk", "only the clerk who was rated, or a supervisor, appeals")
    if not note.strip():
        raise bad_request("note_required", "say what was found, done or decided")
    try:
        after = next_status(FollowUpStatus(follow_up.status), step, follow_up.appealed)
    except StepRefused as exc:
        raise conflict("step_refused", str(exc)) from None
    follow_up.status = after.value
    follow_up.updated_at = now
    if step is Step.APPEAL:
        follow_up.appealed = True
    if step is Step.GRANT:
        row.counted = False  # a wrongful rating: no longer in the satisfaction rate
        s.add(row)
    if after in (FollowUpStatus.CLOSED, FollowUpStatus.WITHDRAWN):
        follow_up.closed_at = now
    s.add(follow_up)
    _record(s, row, follow_up, step.value, actor, {"note": note.strip()}, now)
    return row, follow_up


def get_rating(s: Session, rating_id: int) -> RatingRow:
    """The rating with this id, or 404."""
    row = s.get(RatingRow, rating_id)
    if row is None:
        raise PlatformError(404, "unknown_rating", f"no rating {rating_id}")
    return row


def _record(
    s: Session,
    row: RatingRow,
    follow_up: RatingFollowUpRow | None,
    kind: str,
    actor: Actor | None,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    assert row.id is not None
    s.add(
        RatingEvent(
            rating_id=row.id,
            at=now,
            kind=kind,
            username=actor.username if actor else None,
            detail_json=json.dumps(detail, ensure_ascii=False),
        )
    )
    # Staff only on the feed (public_view shows no "rating" topic): the board follows it.
    emit(s, "rating", {"event": kind, "rating": rating_view(row, follow_up, None, now)}, now)


def rating_view(
    row: RatingRow,
    follow_up: RatingFollowUpRow | None,
    events: Sequence[RatingEvent] | None,
    now: datetime,
    today: date | None = None,
) -> dict[str, Any]:
    """A rating as the API and the feed show it, with its follow-up and, asked for, its
    recorded steps."""
    level = Level(row.level)
    out: dict[str, Any] = {
        "id": row.id,
        "service": row.service,
        "ref": row.ref,
        "level": level.code,
        "good": level.good,
        "reasons": json.loads(row.reasons_json),
        "comment": row.comment,
        "channel": row.channel,
        "counter": row.counter,
        "clerk": row.clerk,
        "items": json.loads(row.items_json),
        "departments": json.loads(row.departments_json),
        "rated_at": aware(row.rated_at).isoformat(),
        "day": row.day.isoformat(),
        "recorded_by": row.recorded_by,
        "counted": row.counted,
        "follow_up": None,
    }
    if follow_up is not None:
        day = today or aware(now).astimezone().date()
        out["follow_up"] = {
            "status": follow_up.status,
            "due_on": follow_up.due_on.isoformat(),
            "appealed": follow_up.appealed,
            "overdue": overdue(FollowUpStatus(follow_up.status), follow_up.due_on, day),
            "closed_at": aware(follow_up.closed_at).isoformat() if follow_up.closed_at else None,
        }
    if events is not None:
        out["events"] = [
            {
                "at": aware(e.at).isoformat(),
                "kind": e.kind,
                "username": e.username,
                **json.loads(e.detail_json),
            }
            for e in events
        ]
    return out


def list_ratings(
    s: Session,
    now: datetime,
    today: date,
    *,
    day: date | None = None,
    follow_up: str | None = None,
    counter: int | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Ratings, newest first: of one day, of one counter, or those with a follow-up
    (`open`: not done yet, `overdue`: past its due day, else a status)."""
    query = sql_select(RatingRow, RatingFollowUpRow).outerjoin(
        RatingFollowUpRow, col(RatingFollowUpRow.rating_id) == col(RatingRow.id)
    )
    if day is not None:
        query = query.where(col(RatingRow.day) == day)
    if counter is not None:
        query = query.where(col(RatingRow.counter) == counter)
    if follow_up == "open" or follow_up == "overdue":
        query = query.where(col(RatingFollowUpRow.status).not_in(["closed", "withdrawn"]))
        if follow_up == "overdue":
            query = query.where(col(RatingFollowUpRow.due_on) < today)
    elif follow_up is not None:
        query = query.where(col(RatingFollowUpRow.status) == follow_up)
    query = query.order_by(col(RatingRow.id).desc()).limit(limit)
    return [rating_view(r, f, None, now, today) for r, f in s.execute(query).all()]


def rating_detail(s: Session, rating_id: int, now: datetime, today: date) -> dict[str, Any]:
    """One rating with its follow-up and every recorded step."""
    row = get_rating(s, rating_id)
    events = s.exec(
        select(RatingEvent).where(RatingEvent.rating_id == rating_id).order_by(col(RatingEvent.id))
    ).all()
    return rating_view(row, s.get(RatingFollowUpRow, rating_id), events, now, today)


def pad_state(s: Session, counter_no: int, day: date, now: datetime) -> dict[str, Any]:
    """What a counter's rating pad shows: the ticket being served, and the latest ticket
    finished at this counter within PAD_MINUTES that nobody has rated yet."""
    latest = s.execute(
        sql_select(TICKET)
        .where(
            TICKET.c.day == day,
            TICKET.c.counter == counter_no,
            TICKET.c.status == "finished",
        )
        .order_by(TICKET.c.finished_at.desc())
        .limit(1)
    ).first()
    to_rate = None
    if latest is not None and latest.finished_at is not None:
        fresh = aware(latest.finished_at) >= now - timedelta(minutes=PAD_MINUTES)
        ref = ticket_ref(latest.day, latest.number)
        rated = s.exec(
            select(RatingRow.id).where(RatingRow.service == "ticket", RatingRow.ref == ref)
        ).first()
        if fresh and rated is None:
            to_rate = {
                "number": latest.number,
                "clerk": latest.served_by,
                "finished_at": aware(latest.finished_at).isoformat(),
            }
    return {"to_rate": to_rate}
