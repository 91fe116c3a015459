"""The back office's HTTP routes: handoffs for approvers (and departmental systems, which
log in as an approver of their department), the counter's supplement, search, ready list and
delivery, and the supervisor's deadlines and reminders.

`create_app` mounts them; they share its engine, clock and login check.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlmodel import Session

from clerk_console.central import auth, handoffs
from clerk_console.central.case_body import stored_data
from clerk_console.central.cases import find_case
from clerk_console.central.errors import PlatformError, bad_request, forbidden
from clerk_console.central.handoffs import BackOffice
from clerk_console.central.limits import BodyTooLarge
from clerk_console.central.models import CaseRow, HandoffRow, StaffRow
from clerk_console.central.notify import Sender, send_pending
from clerk_console.central.queue import Actor, aware
from clerk_console.domain.scanned_files import MIME_TYPES, clean_file_name, sniff

COUNTER_ROLES = ("clerk", "supervisor")
# Row ids are 64-bit in both databases; a larger number is a 422, not a driver overflow.
HandoffId = Annotated[int, Path(ge=1, le=2**63 - 1)]
# Either case is a SHA-256; it is kept and looked up in lower case.
Sha256 = Annotated[str, Path(pattern=r"^[0-9A-Fa-f]{64}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApproveIn(_In):
    name: str = Field(min_length=1, max_length=100, description="e.g. 营业执照")
    number: str = Field(default="", max_length=100, description="e.g. 统一社会信用代码")
    issued_on: date
    medium: Literal["paper", "electronic"] = "paper"


class ReturnIn(_In):
    materials: list[str] = Field(min_length=1, description="catalog codes of the materials")
    reason: str = Field(min_length=1, max_length=500)


class RejectIn(_In):
    reason: str = Field(min_length=1, max_length=500)


class SupplementIn(_In):
    materials: dict[str, dict[str, Any]] = Field(
        min_length=1, description="material code → its record as received (original, copies …)"
    )


class DeliverIn(_In):
    how: Literal["pickup", "mail"]
    id_number: str = Field(min_length=1, max_length=30, description="typed or scanned")
    recipient: str = Field(min_length=1, max_length=64)
    address: str = Field(default="", max_length=200)
    carrier: str = Field(default="", max_length=40)
    tracking: str = Field(default="", max_length=60)


class IdentityIn(_In):
    id_number: str = Field(min_length=1, max_length=30, description="typed or scanned")


class ReminderIn(_In):
    note: str = Field(default="", max_length=200)


class HandoffOut(BaseModel):
    id: int
    case_number: str
    department: str
    department_name: str
    items: list[dict[str, str]]
    days: int
    waits_for: list[str]
    status: str
    time_state: str | None
    started_at: str | None
    due_on: str | None
    assignee: str | None
    result: dict[str, Any]
    returned: dict[str, Any]
    reason: str
    decided_by: str | None
    reminded: bool


def back_office_routes(
    engine: Engine,
    clock: Callable[[], datetime],
    actor: Callable[..., Actor],
    office_of: Callable[[], BackOffice],
    sender: Sender,
    max_file_bytes: int,
) -> APIRouter:
    """The routes, bound to the platform's engine, clock and login check."""
    router = APIRouter()
    office = cache(office_of)  # the catalog is parsed once, on first use

    def loaded() -> BackOffice:
        # A dependency: resolved before a route's write transaction opens (on SQLite a
        # second connection could not read the catalog while it is held).
        return office()

    @contextmanager
    def tx() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as s, s.begin():
            yield s

    def today() -> date:
        return office().local_day(clock())

    def notify_later(tasks: BackgroundTasks) -> None:
        def run() -> None:
            with tx() as s:
                handoffs.queue_overdue_notices(s, office(), clock())
            send_pending(engine, sender, clock())

        tasks.add_task(run)

    def view(row: Any) -> dict[str, Any]:
        return handoffs.handoff_view(row, office(), today())

    # --- approvers -------------------------------------------------------------------

    @router.get("/handoffs", response_model=list[HandoffOut])
    def inbox(
        who: Actor = Depends(actor),
        _o: BackOffice = Depends(loaded),
        filter: str = Query("all", description="all | mine | due_today | overdue | returned"),
        department: str | None = Query(None, description="supervisors: whose inbox"),
        limit: int = Query(100, ge=1, le=500),
    ) -> list[dict[str, Any]]:
        """A department's handoffs still to decide, due first. An approver sees their own
        department's only; a supervisor names the department."""
        auth.require(who, "approver", "supervisor", "admin")
        if who.role == "approver":
            if department not in (None, who.department):
                raise forbidden("not_your_department", f"you decide for {who.department}")
            department = who.department
        if not department:
            raise bad_request("department_required", "name the department")
        with Session(engine) as s:
            rows = handoffs.inbox(s, department, filter, who.username, today(), limit)
            return [view(r) for r in rows]

    @router.get("/handoffs/{handoff_id}")
    def handoff(
        handoff_id: HandoffId,
        who: Actor = Depends(actor),
        _o: BackOffice = Depends(loaded),
        reveal: bool = False,
    ) -> dict[str, Any]:
        """One handoff with the applicant (masked unless `reveal`, which is recorded), the
        form, and each material's state."""
        auth.require(who, "approver", "supervisor", "admin")
        with tx() as s:
            row = handoffs.find_handoff(s, handoff_id, who)
            if reveal:
                handoffs.record_event(
                    s, row.case_number, "applicant.revealed", who.username, clock(), {}, row.id
                )
            return handoffs.handoff_detail(s, row, office(), today(), reveal)

    def decide(
        handoff_id: int,
        who: Actor,
        tasks: BackgroundTasks,
        step: Callable[[Session, HandoffRow], None],
    ) -> dict[str, Any]:
        """One approver's decision on a handoff of their department, then the
        notifications it queued are sent."""
        auth.require(who, "approver")
        with tx() as s:
            row = handoffs.find_handoff(s, handoff_id, who)
            step(s, row)
            out = view(row)
        notify_later(tasks)
        return out

    @router.post("/handoffs/{handoff_id}/approve", response_model=HandoffOut)
    def approve(
        handoff_id: HandoffId,
        body: ApproveIn,
        tasks: BackgroundTasks,
        who: Actor = Depends(actor),
        _o: BackOffice = Depends(loaded),
    ) -> dict[str, Any]:
        """Approve with the result; refused (409 `materials_missing`) while a required
        material is missing or deferred past its due date."""
        result = body.model_dump(mode="json")
        return decide(
            handoff_id,
            who,
            tasks,
            lambda s, row: handoffs.approve(s, row, who, result, office(), clock()),
        )

    @router.post("/handoffs/{handoff_id}/return", response_model=HandoffOut)
    def return_(
        handoff_id: HandoffId,
        body: ReturnIn,
        tasks: BackgroundTasks,
        who: Actor = Depends(actor),
        _o: BackOffice = Depends(loaded),
    ) -> dict[str, Any]:
        """退回补正: name the missing or insufficient materials and the reason; the clock
        stops until the applicant brings them to the counter."""
        return decide(
            handoff_id,
            who,
            tasks,
            lambda s, row: handoffs.return_for_supplement(
                s, row, who, body.materials, body.reason, office(), clock()
            ),
        )

    @router.post("/handoffs/{handoff_id}/reject", response_model=HandoffOut)
    def reject(
        handoff_id: HandoffId,
        body: RejectIn,
        tasks: BackgroundTasks,
        who: Actor = Depends(actor),
        _o: BackOffice = Depends(loaded),
    ) -> dict[str, Any]:
        """Refuse the handoff's items, with the reason."""
        return decide(
            handoff_id,
            who,
            tasks,
            lambda s, row: handoffs.reject(s, row, who, body.reason, office(), clock()),
        )

    # --- the counter -------------------------------------------------------------------

    def case_summary(s: Session, case: CaseRow) -> dict[str, Any]:
        data = stored_data(case.data_json)
        rows = handoffs.case_handoffs(s, case.number)
        return {
            "number": case.number,
            "status": case.status,
            "progress": case.progress,
            "applicant": handoffs.masked_applicant(data),
            "received_at": aware(case.received_at).isoformat(),
            "handoffs": [view(r) for r in rows],
            "package": handoffs.package(s, case, office()),
            "delivery": json.loads(case.delivery_json),
            "overdue_deferred": [
                {
                    "material": handoffs.material_name(office().catalog, code),
                    "due_on": r["deferred_until"],
                }
                for code, r in (data.get("materials") or {}).items()
                if r.get("deferred_until") and date.fromisoformat(r["deferred_until"]) < today()
            ],
            "instant": [
                {
                    "code": code,
                    "name": handoffs.item_name(office().catalog, code),
                    "decided": bool(r),
                }
                for code, r in (data.get("instant") or {}).items()
            ],
            # The one-time supplement notice, while the case waits for the applicant.
            "supplement": [
                {"material": line.get("material", ""), "shortfalls": line.get("shortfalls", [])}
                for line in (data.get("decision") or {}).get("supplement") or []
            ]
            if case.status == "supplement"
            else [],
        }

    @router.get("/cases")
    def search(
        q: str = Query(min_length=1), who: Actor = Depends(actor), _o: BackOffice = Depends(loaded)
    ) -> list[dict[str, Any]]:
        """Cases by case number, or the applicant's or agent's ID number, credit code or
        mobile; applicants masked."""
        auth.require(who, *COUNTER_ROLES, "admin")
        with Session(engine) as s:
            return [case_summary(s, c) for c in handoffs.search(s, q)]

    @router.get("/cases/{number}/handoffs", response_model=list[HandoffOut])
    def case_handoffs(
        number: str, who: Actor = Depends(actor), _o: BackOffice = Depends(loaded)
    ) -> list[dict[str, Any]]:
        """The handoffs of a case and where each stands."""
        auth.require(who, *COUNTER_ROLES, "admin")
        with Session(engine) as s:
            case = find_case(s, number)
            return [view(r) for r in handoffs.case_handoffs(s, case.number)]

    @router.get("/ready-cases")
    def ready(
        who: Actor = Depends(actor), _o: BackOffice = Depends(loaded)
    ) -> list[dict[str, Any]]:
        """Cases whose every handoff is decided: their result packages wait at the counter."""
        auth.require(who, *COUNTER_ROLES, "admin")
        with Session(engine) as s:
            return [case_summary(s, c) for c in handoffs.ready_cases(s)]

    @router.post("/cases/{number}/instant/{item}")
    def instant(
        number: str,
        item: str,
        body: ApproveIn,
        tasks: BackgroundTasks,
        who: Actor = Depends(actor),
        _o: BackOffice = Depends(loaded),
    ) -> dict[str, Any]:
        """即办件: record the result of an instant item at the counter (a clerk authorised
        by its department, `instant_departments` in the hall file); no handoff."""
        auth.require(who, *COUNTER_ROLES)
        with tx() as s:
            staff = s.get(StaffRow, who.username)
            rights = json.loads(staff.instant_departments_json) if staff else []
            result = body.model_dump(mode="json")
            case = handoffs.decide_instant(s, number, item, who, rights, result, office(), clock())
            out = case_summary(s, case)
        notify_later(tasks)
        return out

    @router.put("/cases/{number}/files/{sha256}", status_code=201)
    async def upload(
        number: str,
        sha256: Sha256,
        request: Request,
        response: Response,
        who: Actor = Depends(actor),
        _o: BackOffice = Depends(loaded),
        material: str = Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"),
        name: str = Query(min_length=1, max_length=200),
        pages: int | None = Query(None, ge=0, le=100_000),
    ) -> dict[str, Any]:
        """A scanned file of a case's material, the raw bytes as the body: a PDF, JPEG, PNG
        or TIFF (as the scanners make them), its type in Content-Type and in its first bytes
        alike (415 otherwise). Sent by the case's counter. Sent again, it is kept once
        (200); content that does not match the SHA-256 is refused; the name is kept without
        any folder or control character."""
        auth.require(who, *COUNTER_ROLES)
        # Spooled to disk as it streams, to the limit and no further (a declared length
        # past it was refused before this ran): a refused file never sits in memory.
        with tempfile.SpooledTemporaryFile(max_size=1 << 20) as spool:
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_file_bytes:
                    raise BodyTooLarge(max_file_bytes)
                spool.write(chunk)
            spool.seek(0)
            content = spool.read()
        declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
        kind = sniff(content[:16])
        if kind is None or declared != kind[0]:
            raise PlatformError(
                415,
                "unsupported_file",
                f"a scan is sent as one of {', '.join(sorted(MIME_TYPES))}, "
                "and its content must be of the type it is sent as",
            )
        meta = {
            "material": material,
            "file_name": clean_file_name(name),
            "pages": pages,
            "mime": kind[0],
        }

        def keep() -> tuple[str, int, bool]:
            with tx() as s:
                row, new = handoffs.store_file(s, number, sha256, meta, content, who, clock())
                return row.sha256, row.size, new

        digest, size, new = await run_in_threadpool(keep)
        if not new:
            response.status_code = 200
        return {"sha256": digest, "size": size}

    @router.get("/cases/{number}/files/{sha256}", response_class=Response)
    def download(number: str, sha256: Sha256, who: Actor = Depends(actor)) -> Response:
        """A scanned file's content: for the case's counter, and for approvers of a
        department the case has a handoff for; recorded. Sent as an attachment of its own
        type, never to be sniffed or shown as a page."""
        auth.require(who, *COUNTER_ROLES, "approver", "admin")
        with tx() as s:
            row = handoffs.file_for(s, number.strip().upper(), sha256.lower(), who)
            handoffs.record_event(
                s, row.case_number, "file.read", who.username, clock(), {"file": row.file_name}
            )
            mime = row.mime if row.mime in MIME_TYPES else "application/octet-stream"
            name = quote(clean_file_name(row.file_name), safe="")
            headers = {
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            }
            return Response(row.content, media_type=mime, headers=headers)

    @router.get("/deferrals")
    def deferred(
        who: Actor = Depends(actor),
        _o: BackOffice = Depends(loaded),
        within: int = Query(3, ge=0, le=60, description="working days ahead"),
    ) -> list[dict[str, Any]]:
        """Deferred materials (容缺) due within `within` working days or overdue."""
        auth.require(who, *COUNTER_ROLES, "admin")
        with Session(engine) as s:
            return handoffs.deferrals(s, office(), today(), within)

    @router.post("/cases/{number}/supplement", response_model=list[HandoffOut])
    def supplement(
        number: str,
        body: SupplementIn,
        tasks: BackgroundTasks,
        who: Actor = Depends(actor),
        _o: BackOffice = Depends(loaded),
    ) -> list[dict[str, Any]]:
        """The applicant brought the asked (or deferred) materials: every returned handoff
        goes back to its department with its clock running again."""
        auth.require(who, *COUNTER_ROLES)
        with tx() as s:
            rows = handoffs.supplement(s, number, who, body.materials, office(), clock())
            out = [view(r) for r in rows]
        notify_later(tasks)
        return out

    @router.post("/cases/{number}/identity")
    def identity(
        number: str, body: IdentityIn, who: Actor = Depends(actor), _o: BackOffice = Depends(loaded)
    ) -> dict[str, str]:
        """Before a pickup: whose the ID number is (the applicant's or the agent's on file),
        with that person's name for the recipient; anyone else is refused at once (403
        `identity_mismatch`) and recorded, before any other question is asked."""
        auth.require(who, *COUNTER_ROLES)
        stamp = clock()
        with tx() as s:
            case = find_case(s, number)
            found = handoffs.identity_of(stored_data(case.data_json), body.id_number)
            if found is None:
                detail = {"how": "pickup", "stage": "identity", "counter": who.counter}
                handoffs.record_event(
                    s, case.number, "delivery.refused", who.username, stamp, detail
                )
        if found is None:  # the refusal is on record (committed above)
            raise forbidden(
                "identity_mismatch", "the ID number is not the applicant's or the agent's"
            )
        return {"matches": found[0], "name": found[1]}

    @router.post("/cases/{number}/deliver")
    def deliver(
        number: str, body: DeliverIn, who: Actor = Depends(actor), _o: BackOffice = Depends(loaded)
    ) -> dict[str, Any]:
        """统一出件: pickup or mail, after the ID number matches the applicant or the agent on
        file (a mismatch is refused, 403 `identity_mismatch`, and recorded)."""
        auth.require(who, *COUNTER_ROLES)
        stamp = clock()
        with tx() as s:
            case = find_case(s, number)
            matches = handoffs.identity_matches(stored_data(case.data_json), body.id_number)
            if not matches:
                detail = {"how": body.how, "recipient": body.recipient, "counter": who.counter}
                handoffs.record_event(
                    s, case.number, "delivery.refused", who.username, stamp, detail
                )
        if not matches:  # the refusal is on record (committed above); nothing was delivered
            raise forbidden(
                "identity_mismatch", "the ID number is not the applicant's or the agent's"
            )
        with tx() as s:
            case = find_case(s, number)
            mail = {"address": body.address, "carrier": body.carrier, "tracking": body.tracking}
            handoffs.deliver(
                s, case, who, body.how, body.recipient, mail if body.how == "mail" else {}, stamp
            )
            return {**case_summary(s, case), "related": handoffs.related_items(case, office())}

    # --- the supervisor ------------------------------------------------------------------

    @router.get("/deadlines")
    def deadlines(
        who: Actor = Depends(actor), _o: BackOffice = Depends(loaded)
    ) -> list[dict[str, Any]]:
        """Running handoffs by department: normal, warning and overdue counts, and the
        overdue ones."""
        auth.require(who, "supervisor", "admin")
        with Session(engine) as s:
            return handoffs.deadlines(s, office(), today())

    @router.post("/departments/{code}/reminders")
    def remind(
        code: str, body: ReminderIn, who: Actor = Depends(actor), _o: BackOffice = Depends(loaded)
    ) -> dict[str, int]:
        """催办: mark a department's warning and overdue handoffs reminded (its inbox shows
        it), each recorded."""
        auth.require(who, "supervisor")
        with tx() as s:
            return {"reminded": handoffs.remind(s, code, who, body.note, office(), clock())}

    return router
