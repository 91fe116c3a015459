"""The ratings' HTTP routes (好差评): `POST /ratings` from the rating pad, a clerk taking a
rating by phone, or anyone holding a receipt or slip (its password, no login, rate-limited);
the supervisor's list and the follow-up's steps; the pad's state.

`create_app` mounts them; they share its engine, clock and login check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from clerk_console.central import auth, ratings
from clerk_console.central.errors import PlatformError, bad_request, conflict, forbidden
from clerk_console.central.handoffs import BackOffice
from clerk_console.central.limits import RateLimit
from clerk_console.central.models import CounterRow, StaffRow, TicketRow
from clerk_console.central.queue import Actor, aware
from clerk_console.domain.rating import LEVEL_CODES, Level, Reason, Step

COUNTER_ROLES = ("clerk", "supervisor")
RatingId = Annotated[int, Path(ge=1, le=2**63 - 1)]
LevelCode = Literal[
    "very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"
]
assert set(LevelCode.__args__) == set(LEVEL_CODES)  # type: ignore[attr-defined]
STEPS = {"verify": Step.VERIFY, "rectify": Step.RECTIFY, "call-back": Step.CALL_BACK}
STEPS |= {"appeal": Step.APPEAL, "uphold": Step.UPHOLD, "grant": Step.GRANT}


class RatingIn(BaseModel):
    """A rating of one service: a ticket (today's, or `day`'s) or a case."""

    model_config = ConfigDict(extra="forbid")
    ticket: str | None = Field(default=None, max_length=8, description="e.g. B017")
    day: date | None = Field(default=None, description="the ticket's day (public; else today)")
    case: str | None = Field(default=None, max_length=40, description="受理编号")
    password: str = Field(
        default="",
        pattern=r"^(\d{6})?$",
        description="without a login: the case's query password or the slip's rating code",
    )
    level: LevelCode
    reasons: list[str] = Field(default_factory=list, max_length=10)
    comment: str = Field(default="", max_length=500)
    channel: Literal["pad", "phone"] | None = Field(
        default=None, description="with a staff login: the rating pad, or taken by phone"
    )


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=1000)


def ratings_routes(
    engine: Engine,
    clock: Callable[[], datetime],
    actor: Callable[..., Actor],
    maybe_actor: Callable[..., Actor | None],
    office_of: Callable[[], BackOffice],
    reasons: Sequence[Reason],
    keyed_digest: Callable[[str], str],
    per_minute: int,
) -> APIRouter:
    """The routes, bound to the platform's engine, clock, login check and secret."""
    router = APIRouter()
    limit = RateLimit(per_minute, clock)

    @contextmanager
    def tx() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as s, s.begin():
            yield s

    def today() -> date:
        return office_of().local_day(clock())

    @router.get("/ratings/reasons")
    def list_reasons() -> list[dict[str, str]]:
        """The hall's reasons for a bad rating, in the pad's order (public)."""
        return [{"code": r.code, "zh": r.zh, "en": r.en} for r in reasons]

    @router.post("/ratings", status_code=201)
    def rate(body: RatingIn, request: Request, who: Actor | None = Depends(maybe_actor)) -> Any:
        """Rate one service (一次一评; a second rating of it is 409 `already_rated`). With
        a counter's login: `channel` pad (a ticket just finished at this counter) or phone.
        Without a login: the case's query password or the slip's rating code, at most
        `public_ratings_per_minute` a minute from one address, five wrong passwords a
        service before it locks for 15 minutes."""
        if (body.ticket is None) == (body.case is None):
            raise bad_request("one_service", "name a ticket or a case, one of them")
        office = office_of()  # resolved outside the write transaction (SQLite)
        level = Level.of(body.level)
        if who is None:
            return public_rating(body, level, request, office)
        auth.require(who, *COUNTER_ROLES)
        channel = body.channel or "phone"
        now = clock()
        try:
            with tx() as s:
                service = (
                    ratings.ticket_service(s, body.ticket, body.day or now.date())
                    if body.ticket is not None
                    else ratings.case_service(s, body.case or "")
                )
                if channel == "pad":
                    pad_check(service, who, now)
                row, follow_up = ratings.rate(
                    s,
                    service,
                    level,
                    body.reasons,
                    body.comment,
                    channel,
                    who,
                    now,
                    office,
                    reasons,
                )
                return ratings.rating_view(row, follow_up, None, now, today())
        except IntegrityError:  # the same service rated at the same moment elsewhere
            raise conflict("already_rated", "this service has been rated already") from None

    def pad_check(service: ratings.Service, who: Actor, now: datetime) -> None:
        if service.kind != "ticket":
            raise bad_request("pad_rates_tickets", "the rating pad rates a ticket's service")
        if who.counter is None or who.counter != service.counter:
            raise forbidden("pad_other_counter", "the pad rates only its own counter's services")
        finished = service.finished_at
        if finished is None or finished < now - timedelta(minutes=ratings.PAD_MINUTES):
            raise conflict("pad_too_late", "the pad rates a service just finished")

    def public_rating(
        body: RatingIn, level: Level, request: Request, office: BackOffice
    ) -> dict[str, Any]:
        client = request.client.host if request.client else "?"
        if not limit.allow(client):
            raise PlatformError(
                429, "too_many_ratings", "too many ratings from here; wait a minute"
            )
        if not body.password:
            raise bad_request(
                "password_required", "give the password printed on the receipt or slip"
            )
        day = body.day or clock().date()
        ref = (
            ratings.ticket_ref(day, (body.ticket or "").strip().upper())
            if body.ticket is not None
            else (body.case or "").strip().upper()
        )
        name = f"rating:{ref}"
        with tx() as s:
            locked = auth.reserve_attempt(s, name, clock())
        if locked is not None:
            raise forbidden("password_locked", "too many wrong passwords; try again later")
        now = clock()
        with Session(engine) as s:
            if body.ticket is not None:
                number = ref.split("/", 1)[1]
                right = ratings.ticket_code(keyed_digest, day, number) == body.password
            else:
                right = ratings.case_password_matches(s, ref, body.password)
        with tx() as s:
            auth.settle_attempt(s, name, right, now)
        if not right:  # an unknown service answers as a wrong password: nothing to probe
            raise forbidden("bad_password", "the number or the password is not right")
        try:
            with tx() as s:
                service = (
                    ratings.ticket_service(s, body.ticket, day)
                    if body.ticket is not None
                    else ratings.case_service(s, ref)
                )
                row, follow_up = ratings.rate(
                    s, service, level, body.reasons, body.comment, "qr", None, now, office, reasons
                )
                view = ratings.rating_view(row, follow_up, None, now, today())
        except IntegrityError:
            raise conflict("already_rated", "this service has been rated already") from None
        # The applicant sees their own rating, not who served them nor the follow-up.
        return {k: view[k] for k in ("id", "service", "ref", "level", "reasons", "rated_at")}

    @router.get("/ratings")
    def list_ratings(
        day: date | None = None,
        follow_up: str | None = Query(
            None, pattern=r"^(open|overdue|verified|rectified|appealed|closed|withdrawn)$"
        ),
        counter: int | None = Query(None, ge=1, le=999),
        who: Actor = Depends(actor),
    ) -> list[dict[str, Any]]:
        """Ratings, newest first (a supervisor's): of a day, a counter, or by follow-up."""
        auth.require(who, "supervisor")
        with Session(engine) as s:
            return ratings.list_ratings(
                s, clock(), today(), day=day, follow_up=follow_up, counter=counter
            )

    @router.get("/ratings/{rating_id}")
    def rating(rating_id: RatingId, who: Actor = Depends(actor)) -> dict[str, Any]:
        """One rating with its follow-up and every recorded step: a supervisor's, or the
        rated clerk's own."""
        with Session(engine) as s:
            detail = ratings.rating_detail(s, rating_id, clock(), today())
        if who.role != "supervisor" and detail["clerk"] != who.username:
            raise forbidden("role_forbidden", "a supervisor or the rated clerk reads a rating")
        return detail

    @router.post("/ratings/{rating_id}/{step}")
    def step(
        rating_id: RatingId,
        step: Literal["verify", "rectify", "call-back", "appeal", "uphold", "grant"],
        body: StepIn,
        who: Actor = Depends(actor),
    ) -> dict[str, Any]:
        """A step of a bad rating's follow-up: verify (核实), rectify (整改), call-back
        (回访), appeal (申诉), and the supervisor's decision on an appeal (uphold: the rating
        stands; grant: it no longer counts). Each is recorded with its note."""
        with tx() as s:
            now = clock()
            ratings.take_step(s, rating_id, STEPS[step], body.note, who, now)
        with Session(engine) as s:
            return ratings.rating_detail(s, rating_id, clock(), today())

    @router.get("/counters/{number}/pad")
    def pad(number: Annotated[int, Path(ge=1, le=999)], who: Actor = Depends(actor)) -> Any:
        """What the counter's rating pad shows: who serves, and a ticket waiting for its
        rating (finished here within the last PAD_MINUTES, not rated yet)."""
        auth.require(who, *COUNTER_ROLES)
        if who.role != "supervisor" and who.counter != number:
            raise forbidden("pad_other_counter", "a pad follows its own counter")
        now = clock()
        with Session(engine) as s:
            state = ratings.pad_state(s, number, now.date(), now)
            state["counter"] = counter_of(s, number)
        state["at"] = aware(now).isoformat()
        return state

    def counter_of(s: Session, number: int) -> dict[str, Any]:
        c = s.get(CounterRow, number)
        if c is None:
            raise PlatformError(404, "unknown_counter", f"no counter {number}")
        staff = s.get(StaffRow, c.clerk) if c.clerk else None
        ticket = s.get(TicketRow, c.current_ticket) if c.current_ticket else None
        return {
            "number": c.number,
            "name": c.name,
            "status": c.status,
            "clerk": c.clerk,
            "clerk_name": staff.name if staff else None,
            "ticket": ticket.number if ticket else None,
            "ticket_status": ticket.status if ticket else None,
        }

    return router
