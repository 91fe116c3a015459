"""The back office on the platform: a case split into handoffs on acceptance, each decided by
its department (approve with the result, return for supplement, reject), the supplement
brought to the counter, the case ready when every handoff is decided, and delivered once.

Every change writes a case event (who, when, what) in its own transaction, and the
applicant's notifications are queued in the same transaction as what they announce.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import insert, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from clerk_console.central import trail
from clerk_console.central.case_body import stored_data
from clerk_console.central.errors import bad_request, conflict, forbidden, not_found
from clerk_console.central.models import CaseEvent, CaseFile, CaseRow, HandoffRow, NotificationRow
from clerk_console.central.queue import Actor, aware, emit
from clerk_console.domain.case_number import parse_case_number
from clerk_console.domain.catalog import Catalog
from clerk_console.domain.checklist import Selection, build_checklist
from clerk_console.domain.documents import Wording
from clerk_console.domain.handoff import (
    DECIDED,
    HandoffStatus,
    blocking_materials,
    due,
    ready_to_start,
    split_case,
)
from clerk_console.domain.identifiers import (
    check_credit_code,
    check_id_number,
    check_mobile,
    mask_id_number,
    mask_mobile,
    mask_name,
)
from clerk_console.domain.workdays import Pause, WorkCalendar

ACCEPTED = ("accepted", "deferred")
INBOX = (HandoffStatus.WAITING, HandoffStatus.OPEN, HandoffStatus.RETURNED)
FILTERS = ("all", "mine", "due_today", "overdue", "returned")


@dataclass(frozen=True)
class BackOffice:
    """What the back office needs besides the database: the catalog, the working-day
    calendar, when a deadline warns, the hall's name and the wording of notifications."""

    catalog: Catalog
    calendar: WorkCalendar
    warning_days: int
    hall_name: str
    notices: Wording  # titles unused; lines: accepted, returned, ready, overdue

    def local_day(self, moment: datetime) -> date:
        """The hall's day of a moment (the platform runs on the hall's clock)."""
        return aware(moment).astimezone().date()


def _loads(text: str) -> Any:
    return json.loads(text)


def material_name(catalog: Catalog, code: str) -> str:
    """A material's name; its code when the catalog no longer has it (a case outlives a
    catalog version)."""
    found = catalog.materials.get(code)
    return found.name if found is not None else code


def item_name(catalog: Catalog, code: str) -> str:
    """An item's name; its code when the catalog no longer has it."""
    found = catalog.items.get(code)
    return found.name if found is not None else code


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def record_event(
    s: Session,
    number: str,
    kind: str,
    who: str,
    now: datetime,
    detail: Mapping[str, Any] | None = None,
    handoff: int | None = None,
) -> None:
    """One line of the case's trail, in the caller's transaction, chained and sealed
    (central/trail.py)."""
    trail.append(s, number, kind, who, now, dict(detail or {}), handoff)


def _notify(
    s: Session, case: CaseRow, kind: str, office: BackOffice, now: datetime, **values: Any
) -> None:
    """Queue the applicant's message about the case (in the caller's transaction)."""
    message = _message(case, kind, office, now, **values)
    if message is not None:
        s.add(NotificationRow(**message))


def _message(
    case: CaseRow, kind: str, office: BackOffice, now: datetime, **values: Any
) -> dict[str, Any] | None:
    """The columns of the applicant's message about the case; None when nobody can be told
    (the case shows its state at the counter)."""
    data = stored_data(case.data_json)
    mobile = (data.get("agent") or {}).get("mobile") or (data.get("applicant") or {}).get(
        "mobile", ""
    )
    if not mobile:
        return None
    text = office.notices.line(kind, hall=office.hall_name, number=case.number, **values)
    return {
        "case_number": case.number,
        "kind": kind,
        "mobile": mobile,
        "text": text,
        "status": "queued",
        "attempts": 0,
        "created_at": now,
    }


def queue_messages(s: Session, messages: Sequence[dict[str, Any] | None]) -> None:
    """Queue applicants' messages (`_message`'s columns) in one statement."""
    rows = [m for m in messages if m is not None]
    if rows:
        s.execute(insert(NotificationRow.__table__), rows)  # type: ignore[attr-defined]


def case_items(data: Mapping[str, Any]) -> list[str]:
    """The items of a case: those the decision promised (the tailored ones)."""
    promised = (data.get("decision") or {}).get("promised") or {}
    if promised:
        return list(promised)
    return list((data.get("selection") or {}).get("items") or [])


def open_handoffs(s: Session, case: CaseRow, office: BackOffice, now: datetime) -> list[HandoffRow]:
    """Split a just-accepted case into its handoffs; start the clocks of those that need no
    other item's result."""
    rows, instant = plan_handoffs(case, office, now)
    s.add(case)
    s.add_all(rows)
    s.flush()
    events, message = opened_handoffs(case, rows, instant, office, now)
    trail.append_many(s, events)
    queue_messages(s, [message])
    return rows


def plan_handoffs(
    case: CaseRow, office: BackOffice, now: datetime
) -> tuple[list[HandoffRow], list[str]]:
    """The handoffs of a just-accepted case, not yet added (several cases are added and
    flushed together), and its instant items (decided at the counter); the case's progress
    set. 400 `unknown_item` for an item the catalog does not have."""
    data = _loads(case.data_json)
    items = case_items(data)
    unknown = [i for i in items if i not in office.catalog.items]
    if unknown:
        raise bad_request("unknown_item", f"not in the catalog: {', '.join(unknown)}")
    split = split_case(items, office.catalog)
    rows = []
    for plan in split.handoffs:
        row = HandoffRow(
            case_number=case.number,
            department=plan.department,
            items_json=_dumps(list(plan.items)),
            days=plan.days,
            waits_for_json=_dumps(list(plan.waits_for)),
            status=HandoffStatus.WAITING.value,
            created_at=now,
            updated_at=now,
        )
        if not plan.waits_for:
            _start(row, office, now)
        rows.append(row)
    if split.instant:  # decided at the counter, right after this
        data["instant"] = {code: None for code in split.instant}
        case.data_json = _dumps(data)
    case.progress = "in_progress" if rows or split.instant else "ready"
    return rows, list(split.instant)


def opened_handoffs(
    case: CaseRow,
    rows: Sequence[HandoffRow],
    instant: Sequence[str],
    office: BackOffice,
    now: datetime,
) -> tuple[list[trail.NewEvent], dict[str, Any] | None]:
    """After the handoffs are written (they have ids): the trail's events saying so and
    the applicant's message (`_message`), for the caller to append and queue (a batch
    writes those of all its cases together)."""
    events = []
    for row in rows:
        detail = {
            "department": row.department,
            "items": _loads(row.items_json),
            "due_on": row.due_on,
        }
        opened = trail.NewEvent(case.number, "handoff.opened", "platform", now, detail, row.id)
        events.append(opened)
    if instant:
        detail = {"items": list(instant)}
        events.append(trail.NewEvent(case.number, "instant.at_counter", "platform", now, detail))
    latest = max((r.due_on for r in rows if r.due_on), default=None)
    decision = _loads(case.data_json).get("decision") or {}
    message = _message(
        case,
        "accepted",
        office,
        now,
        password=decision.get("query_password", "") or "",
        due=latest.isoformat() if latest else "",
    )
    return events, message


def _pauses(row: HandoffRow) -> list[Pause]:
    out = []
    for start, end in _loads(row.pauses_json):
        if end is not None:
            out.append(Pause(datetime.fromisoformat(start), datetime.fromisoformat(end)))
    return out


def _start(row: HandoffRow, office: BackOffice, now: datetime) -> None:
    row.status = HandoffStatus.OPEN.value
    row.started_at = now
    row.due_on = _due_on(office.calendar, aware(now).astimezone(), row.days)


@lru_cache(maxsize=256)
def _due_on(calendar: WorkCalendar, started: datetime, days: int) -> date:
    # Remembered: a batch of cases starts many clocks at the same moment, and walking the
    # calendar day by day is most of the cost of opening a handoff.
    return due(calendar, started, days).day


def _redue(row: HandoffRow, office: BackOffice) -> None:
    assert row.started_at is not None
    pauses = [Pause(p.start.astimezone(), p.end.astimezone()) for p in _pauses(row)]
    row.due_on = due(office.calendar, aware(row.started_at).astimezone(), row.days, pauses).day


def find_handoff(s: Session, handoff_id: int, who: Actor) -> HandoffRow:
    """A handoff the actor may see: approvers only their own department's (403 otherwise)."""
    row = s.get(HandoffRow, handoff_id)
    if row is None:
        raise not_found("unknown_handoff", f"no handoff {handoff_id}")
    if who.role == "approver" and who.department != row.department:
        raise forbidden("not_your_department", f"handoff {handoff_id} is for {row.department}")
    return row


def handoff_view(row: HandoffRow, office: BackOffice, today: date) -> dict[str, Any]:
    """A handoff as the inbox and the supervisor see it, with its time state."""
    state = None
    if row.status in (HandoffStatus.OPEN, HandoffStatus.RETURNED) and row.due_on:
        state = office.calendar.time_state(row.due_on, today, office.warning_days).value
    items = _loads(row.items_json)
    return {
        "id": row.id,
        "case_number": row.case_number,
        "department": row.department,
        "department_name": office.catalog.departments[row.department].name,
        "items": [{"code": i, "name": office.catalog.items[i].name} for i in items],
        "days": row.days,
        "waits_for": _loads(row.waits_for_json),
        "status": row.status,
        "time_state": state,
        "started_at": aware(row.started_at).isoformat() if row.started_at else None,
        "due_on": row.due_on.isoformat() if row.due_on else None,
        "assignee": row.assignee,
        "result": _loads(row.result_json),
        "returned": _returned(row, office),
        "reason": row.reason,
        "decided_by": row.decided_by,
        "reminded": row.reminded_at is not None,
    }


def _returned(row: HandoffRow, office: BackOffice) -> dict[str, Any]:
    returned = dict(_loads(row.returned_json))
    if returned:
        returned["names"] = [office.catalog.materials[m].name for m in returned["materials"]]
    return returned


def masked_applicant(data: Mapping[str, Any]) -> dict[str, str]:
    """The applicant as a screen shows them before a reveal."""
    a = data.get("applicant") or {}
    person = a.get("kind") != "organisation"
    return {
        "kind": a.get("kind", "person"),
        "name": mask_name(a.get("name", "")) if person else a.get("name", ""),
        "id_number": mask_id_number(a["id_number"]) if a.get("id_number") else "",
        "credit_code": a.get("credit_code", ""),
        "mobile": mask_mobile(a["mobile"]) if a.get("mobile") else "",
    }


MASKS = {"id_number": mask_id_number, "mobile": mask_mobile}
"""Form fields of these kinds are shown masked until the approver reveals them."""


def _masked_person(person: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    out = dict(person)
    for key in names:
        if out.get(key):
            out[key] = mask_name(str(out[key]))
    for key, mask in (("id_number", mask_id_number), ("mobile", mask_mobile)):
        if out.get(key):
            out[key] = mask(str(out[key]))
    return out


def masked_case_data(data: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """A case's data as read outside its counter: names, ID numbers and mobiles of the
    applicant, the agent and the form masked; what the registries returned left out."""
    out = dict(data)
    applicant = dict(out.get("applicant") or {})
    person = applicant.get("kind") != "organisation"
    names = (
        ["name", "legal_representative", "contact"]
        if person
        else ["legal_representative", "contact"]
    )
    out["applicant"] = _masked_person(applicant, names)
    if out.get("agent"):
        out["agent"] = _masked_person(out["agent"], ["name"])
    form = dict(out.get("form") or {})
    for code, value in form.items():
        spec = catalog.form_fields.get(code)
        mask = MASKS.get(spec.kind) if spec is not None else None
        if mask is not None and value:
            form[code] = mask(str(value))
    out["form"] = form
    out["shared"] = {}
    return out


def form_view(
    form: Mapping[str, Any], catalog: Catalog, reveal: bool, items: Sequence[str] = ()
) -> list[dict[str, str]]:
    """The one form as an approver reads it: the fields their items use (another
    department's fields are not theirs to read), each by its label in the catalog's order,
    ID numbers and mobiles masked unless revealed (a reveal is recorded by the caller)."""
    out = []
    known = [
        code
        for code, spec in catalog.form_fields.items()
        if code in form and (not items or set(items) & set(spec.items))
    ]
    for code in known:
        spec = catalog.form_fields.get(code)
        value = str(form[code])
        mask = MASKS.get(spec.kind) if spec is not None else None
        shown = mask(value) if mask and value and not reveal else value
        out.append({"code": code, "label": spec.label if spec else code, "value": shown})
    return out


def handoff_materials(data: Mapping[str, Any], items: Sequence[str], catalog: Catalog) -> list[str]:
    """The materials a handoff's items needed in this case, as its checklist was tailored
    (answers that added, removed or replaced materials included), and those produced for
    them inside the case."""
    selection = data.get("selection") or {}
    try:
        chosen = (
            Selection(bundle=selection["bundle"])
            if selection.get("bundle")
            else Selection(items=tuple(selection.get("items") or items))
        )
        checklist = build_checklist(catalog, chosen, dict(data.get("answers") or {}))
    except (KeyError, ValueError):
        checklist = None
    wanted = set(items)
    if checklist is None:
        codes: list[str] = []
        for item in items:
            codes += [n.material for n in catalog.items[item].materials if n.material not in codes]
        return codes
    codes = [e.material.code for e in checklist.entries if wanted & set(e.items)]
    codes += [p.material.code for p in checklist.produced if wanted & set(p.needed_by)]
    return codes


def handoff_detail(
    s: Session, row: HandoffRow, office: BackOffice, today: date, reveal: bool
) -> dict[str, Any]:
    """Everything an approver needs to decide: the items, the form, each material's state."""
    case = s.get(CaseRow, row.case_number)
    assert case is not None
    data = stored_data(case.data_json)
    view = handoff_view(row, office, today)
    view["applicant"] = dict(data["applicant"]) if reveal else masked_applicant(data)
    view["form"] = form_view(data.get("form") or {}, office.catalog, reveal, _loads(row.items_json))
    records = data.get("materials", {})
    codes = handoff_materials(data, _loads(row.items_json), office.catalog)
    files = files_of(s, row.case_number)
    view["materials"] = [
        {
            "code": code,
            "name": material_name(office.catalog, code),
            "record": records.get(code, {}),
            "files": [f for f in files if f["material"] == code],
        }
        for code in codes
    ]
    view["blocking"] = blocking_materials(_loads(row.items_json), office.catalog, records, today)
    return view


def inbox(
    s: Session, department: str, which: str, username: str, today: date, limit: int = 100
) -> list[HandoffRow]:
    """A department's handoffs still to decide, due first (the index ix_handoff_inbox)."""
    if which not in FILTERS:
        raise bad_request("bad_filter", f"filter must be one of: {', '.join(FILTERS)}")
    query = select(HandoffRow).where(HandoffRow.department == department)
    if which == "returned":
        query = query.where(HandoffRow.status == HandoffStatus.RETURNED.value)
    elif which in ("due_today", "overdue"):
        query = query.where(HandoffRow.status == HandoffStatus.OPEN.value)
        day = col(HandoffRow.due_on)
        query = query.where(day == today if which == "due_today" else day < today)
    else:
        query = query.where(col(HandoffRow.status).in_([s.value for s in INBOX]))
    if which == "mine":
        query = query.where(HandoffRow.assignee == username)
    order = (col(HandoffRow.due_on).is_(None), col(HandoffRow.due_on), col(HandoffRow.id))
    return list(s.exec(query.order_by(*order).limit(limit)))


def _case_of(s: Session, row: HandoffRow) -> CaseRow:
    case = s.get(CaseRow, row.case_number, with_for_update=True)
    assert case is not None
    return case


def _approved_items(s: Session, number: str) -> set[str]:
    done = s.exec(
        select(HandoffRow.items_json).where(
            HandoffRow.case_number == number, HandoffRow.status == HandoffStatus.APPROVED.value
        )
    )
    return {item for items in done for item in _loads(items)}


def _after_decision(s: Session, case: CaseRow, office: BackOffice, now: datetime) -> None:
    """Start what waited for a result; refuse what can never start; a case whose handoffs
    are all decided is ready."""
    rows = list(s.exec(select(HandoffRow).where(HandoffRow.case_number == case.number)))
    approved = {i for r in rows if r.status == HandoffStatus.APPROVED for i in _loads(r.items_json)}
    refused = {i for r in rows if r.status == HandoffStatus.REJECTED for i in _loads(r.items_json)}
    for row in rows:
        if row.status != HandoffStatus.WAITING:
            continue
        needs = _loads(row.waits_for_json)
        if set(needs) & refused:
            row.status, row.reason = HandoffStatus.REJECTED.value, "prerequisite_rejected"
            row.decided_by, row.decided_at, row.updated_at = "platform", now, now
            record_event(
                s, case.number, "handoff.rejected", "platform", now, {"reason": row.reason}, row.id
            )
        elif ready_to_start(needs, approved):
            _start(row, office, now)
            row.updated_at = now
            record_event(
                s, case.number, "handoff.started", "platform", now, {"due_on": row.due_on}, row.id
            )
        s.add(row)
    _ready_if_done(s, case, rows, office, now)
    emit(s, "handoff", {"case": case.number, "progress": case.progress}, now)


def _ready_if_done(
    s: Session, case: CaseRow, rows: Sequence[HandoffRow], office: BackOffice, now: datetime
) -> None:
    """Every handoff decided and every instant item recorded: the case is ready."""
    instant = (stored_data(case.data_json).get("instant") or {}).values()
    if not all(HandoffStatus(r.status) in DECIDED for r in rows) or None in instant:
        return
    if case.progress == "ready":
        return
    case.progress = "ready"
    s.add(case)
    record_event(s, case.number, "case.ready", "platform", now)
    _notify(s, case, "ready", office, now)


def decide_instant(
    s: Session,
    number: str,
    item: str,
    who: Actor,
    rights: Sequence[str],
    result: Mapping[str, Any],
    office: BackOffice,
    now: datetime,
) -> CaseRow:
    """即办件: the clerk who holds the department's authorisation records the result at the
    counter, in the same sitting; no handoff."""
    case = s.get(CaseRow, number.strip().upper(), with_for_update=True)
    if case is None:
        raise not_found("unknown_case", f"no case {number}")
    data = _loads(case.data_json)
    instant = data.get("instant") or {}
    if item not in instant:
        raise bad_request("not_instant", f"{item} is not an instant item of case {case.number}")
    if instant[item] is not None:
        raise conflict("instant_decided", f"{item} is already decided")
    department = office.catalog.items[item].department
    if department not in rights:
        raise forbidden("no_instant_right", f"you may not decide {department}'s instant items")
    instant[item] = {**dict(result), "decided_by": who.username, "counter": who.counter}
    data["instant"] = instant
    case.data_json = _dumps(data)
    s.add(case)
    record_event(s, case.number, "instant.decided", who.username, now, {"item": item, **result})
    _ready_if_done(s, case, case_handoffs(s, case.number), office, now)
    emit(s, "handoff", {"case": case.number, "progress": case.progress}, now)
    return case


def _open_only(row: HandoffRow) -> None:
    if row.status != HandoffStatus.OPEN:
        raise conflict("handoff_not_open", f"handoff {row.id} is {row.status}")


def approve(
    s: Session,
    row: HandoffRow,
    who: Actor,
    result: Mapping[str, Any],
    office: BackOffice,
    now: datetime,
) -> None:
    """Approve with the result (名称, 编号 such as 统一社会信用代码, issue date, paper or
    electronic); refused while a required material is missing or overdue."""
    _open_only(row)
    case = _case_of(s, row)
    records = stored_data(case.data_json).get("materials", {})
    blocking = blocking_materials(
        _loads(row.items_json), office.catalog, records, office.local_day(now)
    )
    if blocking:
        names = "、".join(office.catalog.materials[m].name for m in blocking)
        raise conflict("materials_missing", names)
    row.status = HandoffStatus.APPROVED.value
    row.result_json = _dumps({item: dict(result) for item in _loads(row.items_json)})
    row.decided_by, row.decided_at, row.updated_at = who.username, now, now
    row.assignee = row.assignee or who.username
    s.add(row)
    record_event(s, case.number, "handoff.approved", who.username, now, dict(result), row.id)
    _after_decision(s, case, office, now)


def reject(
    s: Session, row: HandoffRow, who: Actor, reason: str, office: BackOffice, now: datetime
) -> None:
    """Refuse the handoff's items, with the reason."""
    _open_only(row)
    if not reason.strip():
        raise bad_request("reason_required", "a rejection needs its reason")
    case = _case_of(s, row)
    row.status, row.reason = HandoffStatus.REJECTED.value, reason.strip()
    row.decided_by, row.decided_at, row.updated_at = who.username, now, now
    s.add(row)
    record_event(
        s, case.number, "handoff.rejected", who.username, now, {"reason": row.reason}, row.id
    )
    _after_decision(s, case, office, now)


def return_for_supplement(
    s: Session,
    row: HandoffRow,
    who: Actor,
    materials: Sequence[str],
    reason: str,
    office: BackOffice,
    now: datetime,
) -> None:
    """退回补正: the clock stops; the case shows at the counter as waiting for supplement."""
    _open_only(row)
    unknown = [m for m in materials if m not in office.catalog.materials]
    if not materials or unknown or not reason.strip():
        raise bad_request(
            "bad_return",
            "name the missing or insufficient materials (catalog codes) and give a reason",
        )
    case = _case_of(s, row)
    pauses = _loads(row.pauses_json)
    pauses.append([aware(now).isoformat(), None])
    row.pauses_json = _dumps(pauses)
    row.status = HandoffStatus.RETURNED.value
    row.returned_json = _dumps({"materials": list(materials), "reason": reason.strip()})
    row.assignee = row.assignee or who.username
    row.updated_at = now
    s.add(row)
    detail = {"materials": list(materials), "reason": reason.strip()}
    record_event(s, case.number, "handoff.returned", who.username, now, detail, row.id)
    names = "、".join(office.catalog.materials[m].name for m in materials)
    _notify(s, case, "returned", office, now, materials=names, reason=reason.strip())
    emit(s, "handoff", {"case": case.number, "progress": case.progress}, now)


def supplement(
    s: Session,
    number: str,
    who: Actor,
    records: Mapping[str, Mapping[str, Any]],
    office: BackOffice,
    now: datetime,
) -> list[HandoffRow]:
    """The applicant brought what was asked (or a deferred material): the case's records
    are updated, and every returned handoff goes back to its department, its clock running
    again with the due date moved by the working days it stood still."""
    case = s.get(CaseRow, number.strip().upper(), with_for_update=True)
    if case is None:
        raise not_found("unknown_case", f"no case {number}")
    data = _loads(case.data_json)
    unknown = [m for m in records if m not in office.catalog.materials]
    if not records or unknown:
        raise bad_request("bad_supplement", "send the received materials by catalog code")
    materials = dict(data.get("materials", {}))
    for code, record in records.items():
        materials[code] = {
            **materials.get(code, {}),
            **dict(record),
            "marked_missing": False,
            "deferred_until": None,
        }
    data["materials"] = materials
    case.data_json = _dumps(data)
    s.add(case)
    resumed = []
    for row in s.exec(select(HandoffRow).where(HandoffRow.case_number == case.number)):
        if row.status != HandoffStatus.RETURNED:
            continue
        pauses = _loads(row.pauses_json)
        pauses[-1][1] = aware(now).isoformat()
        row.pauses_json = _dumps(pauses)
        row.status = HandoffStatus.OPEN.value
        row.updated_at = now
        _redue(row, office)
        s.add(row)
        record_event(
            s, case.number, "handoff.resumed", who.username, now, {"due_on": row.due_on}, row.id
        )
        resumed.append(row)
    detail = {"materials": sorted(records), "counter": who.counter}
    record_event(s, case.number, "case.supplemented", who.username, now, detail)
    emit(s, "handoff", {"case": case.number, "progress": case.progress}, now)
    return resumed


def case_handoffs(s: Session, number: str) -> list[HandoffRow]:
    return list(
        s.exec(
            select(HandoffRow).where(HandoffRow.case_number == number).order_by(col(HandoffRow.id))
        )
    )


def whole_identifier(query: str) -> str | None:
    """The query as a whole identifier a case can be found by (a case number, an ID number,
    a credit code, a mobile), normalised; None for anything else: a part of one, a name, a
    pattern. Searching by parts would let anyone recover an ID number digit by digit."""
    text = query.strip()
    number = parse_case_number(text)
    if number is not None:
        return str(number)
    for check in (check_id_number, check_credit_code, check_mobile):
        checked = check(text)
        if checked.ok:
            return checked.value
    return None


def search(s: Session, query: str, limit: int = 20) -> list[CaseRow]:
    """Cases by number, or by the applicant's or agent's ID number, credit code or mobile:
    a whole, valid value, as the counter types or scans it; anything else is refused."""
    value = whole_identifier(query)
    shape = query.strip().upper().replace(" ", "")
    if value is None and re.fullmatch(r"\d{17}[\dX]", shape):
        raise bad_request(
            "bad_id_number", "not a valid ID number (its check digit, birth date or region)"
        )
    if value is None and re.fullmatch(r"[0-9A-Z]{18}", shape):
        raise bad_request("bad_credit_code", "not a valid credit code (its check character)")
    if value is None:
        raise bad_request(
            "whole_identifier",
            "search by a whole case number, ID number, credit code or mobile number",
        )
    # A checked identifier holds no LIKE wildcard; escaped all the same.
    literal = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    needle = f'%"{literal}"%'
    condition = or_(col(CaseRow.number) == value, col(CaseRow.data_json).like(needle, escape="\\"))
    found = s.exec(
        select(CaseRow).where(condition).order_by(col(CaseRow.received_at).desc()).limit(limit)
    )
    return list(found)


def ready_cases(s: Session, hall: str | None = None) -> list[CaseRow]:
    """Cases whose every handoff is decided, waiting to be handed out (统一出件)."""
    query = select(CaseRow).where(CaseRow.progress == "ready")
    if hall:
        query = query.where(CaseRow.hall == hall)
    return list(s.exec(query.order_by(col(CaseRow.received_at))))


def package(s: Session, case: CaseRow, office: BackOffice) -> list[dict[str, Any]]:
    """What goes out together: each item with its result (or its refusal)."""
    out = []
    for item, result in (stored_data(case.data_json).get("instant") or {}).items():
        out.append(
            {
                "item": item,
                "name": item_name(office.catalog, item),
                "department": getattr(office.catalog.items.get(item), "department", ""),
                "status": "approved" if result else "instant",
                "result": result,
                "reason": "",
            }
        )
    for row in case_handoffs(s, case.number):
        results = _loads(row.result_json)
        for item in _loads(row.items_json):
            out.append(
                {
                    "item": item,
                    "name": item_name(office.catalog, item),
                    "department": row.department,
                    "status": row.status,
                    "result": results.get(item),
                    "reason": row.reason,
                }
            )
    return out


def related_items(case: CaseRow, office: BackOffice) -> list[dict[str, str]]:
    """What the applicant may need next (全生命周期): the catalog's related items of the
    case's items that the case does not hold."""
    items = case_items(stored_data(case.data_json))
    out: list[dict[str, str]] = []
    for code in items:
        item = office.catalog.items.get(code)
        for related in item.related if item is not None else ():
            if (
                related not in items
                and related in office.catalog.items
                and all(r["code"] != related for r in out)
            ):
                out.append({"code": related, "name": office.catalog.items[related].name})
    return out


def identity_of(data: Mapping[str, Any], id_number: str) -> tuple[str, str] | None:
    """Whose a typed or scanned ID number is, of those on file: ("applicant" or "agent",
    their name), or None."""
    typed = id_number.strip().upper()
    for who in ("applicant", "agent"):
        person = data.get(who) or {}
        on_file = str(person.get("id_number", "")).upper()
        if typed and on_file == typed:
            return who, str(person.get("name", ""))
    return None


def identity_matches(data: Mapping[str, Any], id_number: str) -> bool:
    """Whether a typed or scanned ID number is the applicant's or the agent's on file."""
    return identity_of(data, id_number) is not None


def deliver(
    s: Session,
    case: CaseRow,
    who: Actor,
    how: str,
    recipient: str,
    mail: Mapping[str, str],
    now: datetime,
) -> None:
    """Hand the results out (pickup) or mail them; the case is delivered and closed. The
    identity has been checked by the caller (a refusal is recorded in its own transaction)."""
    if case.progress != "ready":
        raise conflict("case_not_ready", f"case {case.number} is {case.progress or case.status}")
    if how == "mail" and not all(mail.get(k) for k in ("address", "carrier", "tracking")):
        raise bad_request(
            "mail_details_required", "mail needs the address, carrier and tracking number"
        )
    delivery = {
        "how": how,
        "recipient": recipient,
        "at": aware(now).isoformat(),
        "by": who.username,
        "counter": who.counter,
        **mail,
    }
    case.delivery_json = _dumps(delivery)
    case.progress = "delivered"
    s.add(case)
    record_event(s, case.number, "case.delivered", who.username, now, delivery)
    emit(s, "handoff", {"case": case.number, "progress": case.progress}, now)


def deadlines(s: Session, office: BackOffice, today: date) -> list[dict[str, Any]]:
    """Per department: how many running handoffs are normal, warning or overdue, and the
    overdue ones."""
    rows = s.exec(
        select(HandoffRow).where(
            HandoffRow.status == HandoffStatus.OPEN.value, col(HandoffRow.due_on).is_not(None)
        )
    )
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        assert row.due_on is not None
        entry = out.setdefault(
            row.department,
            {
                "department": row.department,
                "department_name": office.catalog.departments[row.department].name,
                "normal": 0,
                "warning": 0,
                "overdue": 0,
                "overdue_handoffs": [],
            },
        )
        state = office.calendar.time_state(row.due_on, today, office.warning_days).value
        entry[state] += 1
        if state == "overdue":
            entry["overdue_handoffs"].append(handoff_view(row, office, today))
    return sorted(out.values(), key=lambda e: (-e["overdue"], -e["warning"], e["department"]))


def remind(
    s: Session, department: str, who: Actor, note: str, office: BackOffice, now: datetime
) -> int:
    """催办: the department's overdue and warning handoffs are marked reminded (shown in
    its inbox), each with a case event. How many."""
    if department not in office.catalog.departments:
        raise not_found("unknown_department", f"no department {department}")
    today = office.local_day(now)
    count = 0
    for row in s.exec(
        select(HandoffRow).where(
            HandoffRow.department == department, HandoffRow.status == HandoffStatus.OPEN.value
        )
    ):
        if (
            row.due_on is None
            or office.calendar.time_state(row.due_on, today, office.warning_days).value == "normal"
        ):
            continue
        row.reminded_at = now
        s.add(row)
        record_event(
            s, row.case_number, "handoff.reminded", who.username, now, {"note": note}, row.id
        )
        count += 1
    return count


def queue_overdue_notices(s: Session, office: BackOffice, now: datetime) -> int:
    """An apology to each applicant whose handoff just went overdue (once a case)."""
    today = office.local_day(now)
    told = set(s.exec(select(NotificationRow.case_number).where(NotificationRow.kind == "overdue")))
    late = s.exec(
        select(HandoffRow.case_number)
        .where(HandoffRow.status == HandoffStatus.OPEN.value, col(HandoffRow.due_on) < today)
        .group_by(HandoffRow.case_number)
    )
    count = 0
    for number in late:
        if number in told:
            continue
        case = s.get(CaseRow, number)
        assert case is not None
        _notify(s, case, "overdue", office, now)
        count += 1
    return count


def deferrals(
    s: Session, office: BackOffice, today: date, within_days: int
) -> list[dict[str, Any]]:
    """Deferred materials (容缺) not yet brought, due within `within_days` working days or
    overdue, soonest first; an overdue one also blocks its handoff's approval."""
    out = []
    query = select(CaseRow).where(CaseRow.status == "deferred", CaseRow.progress != "delivered")
    for case in s.exec(query):
        data = stored_data(case.data_json)
        for code, record in (data.get("materials") or {}).items():
            day = record.get("deferred_until")
            if not day:
                continue
            due_on = date.fromisoformat(day)  # checked by stored_data
            if office.calendar.working_days_between(today, due_on) > within_days:
                continue
            out.append(
                {
                    "case_number": case.number,
                    "applicant": masked_applicant(data),
                    "material": code,
                    "material_name": material_name(office.catalog, code),
                    "due_on": day,
                    "overdue": due_on < today,
                }
            )
    return sorted(out, key=lambda d: (d["due_on"], d["case_number"]))


def store_file(
    s: Session,
    number: str,
    sha256: str,
    meta: Mapping[str, Any],
    content: bytes,
    who: Actor,
    now: datetime,
) -> tuple[CaseFile, bool]:
    """Keep a scanned file of a case, once per content (a resend changes nothing); the
    content must be what its SHA-256 says. (the file, whether it is new)"""
    import hashlib

    sha256 = sha256.lower()
    case = s.get(CaseRow, number.strip().upper())
    if case is None:
        raise not_found("unknown_case", f"no case {number}")
    counter_scope(s, case, who)
    if hashlib.sha256(content).hexdigest() != sha256:
        raise bad_request("checksum_mismatch", "the file's content does not match its SHA-256")
    found = s.exec(
        select(CaseFile).where(CaseFile.case_number == case.number, CaseFile.sha256 == sha256)
    ).first()
    if found is not None:
        return found, False
    row = CaseFile(
        case_number=case.number,
        material=str(meta["material"]),
        sha256=sha256.lower(),
        file_name=str(meta["file_name"]),
        size=len(content),
        mime=str(meta["mime"]),
        pages=meta.get("pages"),
        content=content,
        received_at=now,
    )
    s.add(row)
    detail = {"file": row.file_name, "material": row.material, "sha256": row.sha256}
    record_event(s, case.number, "file.received", who.username, now, detail)
    return row, True


def files_of(s: Session, number: str) -> list[dict[str, Any]]:
    """A case's files without their content, in the order they came."""
    # The content stays in the database: only the columns a list shows are read.
    columns = ("material", "sha256", "file_name", "size", "mime", "pages")
    table = CaseFile.__table__  # type: ignore[attr-defined]
    query = (
        sa_select(*(table.c[name] for name in columns))
        .where(table.c.case_number == number)
        .order_by(table.c.id)
    )
    return [dict(zip(columns, row, strict=True)) for row in s.execute(query)]


def counter_scope(s: Session, case: CaseRow, who: Actor) -> None:
    """403 unless the case is this login's to work on at a counter: it was taken in at the
    login's counter, or taken up there after a supplement notice; a supervisor's anywhere."""
    if who.role in ("supervisor", "admin") or who.counter == case.counter:
        return
    if who.counter is not None:
        took_up = s.exec(
            select(CaseEvent.detail_json).where(
                CaseEvent.case_number == case.number, CaseEvent.kind == "case.continued"
            )
        )
        if any(json.loads(detail).get("counter") == who.counter for detail in took_up):
            return
    raise forbidden("not_your_counter", f"case {case.number} is not at your counter")


def file_for(s: Session, number: str, sha256: str, who: Actor) -> CaseFile:
    """A file to read: at the case's counter (see `counter_scope`), or by an approver of a
    department the case has a handoff for."""
    if who.role != "approver":
        case = s.get(CaseRow, number)
        if case is None:
            raise not_found("unknown_case", f"no case {number}")
        counter_scope(s, case, who)
    else:
        ours = s.exec(
            select(HandoffRow.id).where(
                HandoffRow.case_number == number, HandoffRow.department == who.department
            )
        ).first()
        if ours is None:
            raise forbidden(
                "not_your_department", f"case {number} has nothing for {who.department}"
            )
    row = s.exec(
        select(CaseFile).where(CaseFile.case_number == number, CaseFile.sha256 == sha256)
    ).first()
    if row is None:
        raise not_found("unknown_file", f"case {number} has no file {sha256}")
    return row
