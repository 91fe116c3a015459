"""The supervisor's routes: the live board (`GET /hall`), acknowledging an alert, the
counters' printer reports, and the period reports (`GET /reports/{day|week|month}`).

`create_app` mounts them; they share its engine, clock and login check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlmodel import Session

from clerk_console.central import auth, board, queue, reports
from clerk_console.central.handoffs import BackOffice
from clerk_console.central.queue import Actor, QueueRules, own_counter
from clerk_console.config import CentralConfig
from clerk_console.domain.report import Period, PeriodKind

SUPERVISING = ("supervisor", "admin")


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=500)


class PrinterIn(BaseModel):
    """How a counter's printers are, as its console's spool last found them."""

    model_config = ConfigDict(extra="forbid")
    state: Literal["ok", "fault"]
    message: str = Field(default="", max_length=300, description="which printer, what fault")


def thresholds_of(config: CentralConfig) -> board.Thresholds:
    return board.Thresholds(
        wait=timedelta(minutes=config.alert_wait_minutes),
        service=timedelta(minutes=config.alert_service_minutes),
        handoffs=config.alert_handoffs,
        follow_ups=config.alert_follow_ups,
    )


def board_routes(
    engine: Engine,
    clock: Callable[[], datetime],
    actor: Callable[..., Actor],
    office_of: Callable[[], BackOffice],
    rules: QueueRules,
    config: CentralConfig,
) -> APIRouter:
    """The routes, bound to the platform's engine, clock, login check and settings."""
    router = APIRouter()
    limits = thresholds_of(config)

    def local_day(moment: datetime) -> date:
        return office_of().local_day(moment)

    @router.get("/hall")
    def hall(who: Actor = Depends(actor)) -> Response:
        """The supervisor's board: per line and counter the figures of now and today, the
        slips' estimates against the waits that followed, the alerts (acknowledged or not)."""
        auth.require(who, *SUPERVISING)
        office_of()  # the catalog loaded before the read (SQLite: no read inside a write)
        with Session(engine) as s:
            view = board.board_view(s, clock(), rules, limits, local_day)
        # Plain JSON of plain values: FastAPI's encoder took a third of a refresh's time
        # walking a hundred counters' views.
        return Response(json.dumps(view, ensure_ascii=False), media_type="application/json")

    @router.post("/alerts/ack")
    def acknowledge(body: AckIn, who: Actor = Depends(actor)) -> dict[str, Any]:
        """Acknowledge an alert by its key (recorded: who, when, the note; on the feed so
        every board shows it). Acknowledging it again keeps the first."""
        auth.require(who, *SUPERVISING)
        now = clock()
        with Session(engine, expire_on_commit=False) as s, s.begin():
            ack = board.acknowledge(s, body.key, who.username, body.note.strip(), now)
            view = {"key": ack.key, "by": ack.username, "at": ack.at.isoformat(), "note": ack.note}
            queue.emit(s, "alert", view, now)
        return view

    @router.post("/counters/{number}/printer")
    def printer(
        body: PrinterIn,
        number: Annotated[int, Path(ge=1, le=999)],
        who: Actor = Depends(actor),
    ) -> dict[str, Any]:
        """A counter's console says how its printers are (only a change is recorded, and
        put on the feed for the board)."""
        auth.require(who, "clerk", "supervisor")
        own_counter(who, number)
        now = clock()
        with Session(engine, expire_on_commit=False) as s, s.begin():
            counter = queue.get_counter(s, number, lock=True)
            message = body.message.strip() if body.state == "fault" else ""
            if (counter.printer_state, counter.printer_message) != (body.state, message):
                counter.printer_state, counter.printer_message = body.state, message
                counter.printer_since = now
                s.add(counter)  # its updated_at is its queue state's: left as it was
                queue.emit(s, "counter", queue.counter_view(counter), now)
            return {"state": counter.printer_state, "message": counter.printer_message}

    @router.get("/reports/{kind}")
    def report(
        kind: PeriodKind,
        who: Actor = Depends(actor),
        day: Annotated[date | None, Query(description="a day in the period; else today")] = None,
    ) -> dict[str, Any]:
        """The numbers of the day, the week (Monday to Sunday) or the month holding `day`."""
        auth.require(who, *SUPERVISING)
        office = office_of()
        now = clock()
        period = Period.of(kind, day or office.local_day(now))
        with Session(engine) as s:
            return reports.period_report(s, period, office, now).as_dict()

    return router
