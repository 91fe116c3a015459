"""The central platform's HTTP API (FastAPI, served by uvicorn or in-process through httpx's
ASGI transport). Errors answer with `{"error": code, "message": text}` and a 4xx status;
nothing is changed by a refused request."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from fastapi import BackgroundTasks, Depends, FastAPI, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException

from clerk_console.catalog_files import (
    NOTIFICATIONS_FILE,
    CatalogFiles,
    load_reasons,
    load_wording,
)
from clerk_console.central import auth, cases, consoles, handoffs, queue, ratings, trail
from clerk_console.central.backoffice_api import back_office_routes
from clerk_console.central.board_api import board_routes
from clerk_console.central.case_body import CaseData
from clerk_console.central.db import (
    database_url,
    is_postgres,
    make_engine,
    meta,
    now,
    server_secret,
)
from clerk_console.central.errors import (
    PlatformError,
    bad_request,
    conflict,
    forbidden,
    not_found,
    unauthorized,
)
from clerk_console.central.feed import latest_cursor, read_changes
from clerk_console.central.handoffs import BackOffice
from clerk_console.central.limits import BodyLimits
from clerk_console.central.models import (
    AuditAnchor,
    CaseRow,
    CatalogRecord,
    StaffRow,
    TicketIssue,
)
from clerk_console.central.notify import (
    LogSender,
    Notifier,
    Sender,
    WebhookSender,
    send_pending,
)
from clerk_console.central.queue import Actor, QueueRules
from clerk_console.central.ratings_api import ratings_routes
from clerk_console.central.registries import Registries, load_preapplications
from clerk_console.central.security import PinHasher, new_token
from clerk_console.config import CentralConfig, load_central_config
from clerk_console.domain.catalog_loader import parse_catalog
from clerk_console.domain.identifiers import mask_id_number
from clerk_console.domain.workdays import WorkCalendar
from clerk_console.faults import Fault, classify, write_crash_log

T = TypeVar("T")
COUNTER_ROLES = ("clerk", "supervisor")
# The same range a login accepts for its counter.
CounterNumber = Annotated[int, PathParam(ge=1, le=999)]
ISSUE_ROLES = ("guide", "supervisor", "admin")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    username: str = Field(min_length=1, max_length=64)
    pin: str = Field(pattern=r"^\d{6}$")
    counter: int | None = Field(default=None, ge=1, le=999)
    # The console's store (its random id): its tag for case numbers comes with the answer.
    console: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")


class TicketIn(_In):
    line: str = Field(pattern=r"^[A-Z]$")
    priority: bool = False
    appointment_at: datetime | None = None


Outcome = Literal["accepted", "supplement", "rejected", "consulted", "delivered", "other"]


class CallNextIn(_In):
    finish: Outcome | None = None
    ticket: str | None = Field(default=None, pattern=r"^[A-Za-z]\d{3,4}$")
    """The ticket being finished: makes the step safe to send again (see `call_next`)."""


class CallIn(_In):
    number: str = Field(pattern=r"^[A-Za-z]\d{3,4}$")


class TargetIn(_In):
    line: str | None = Field(default=None, pattern=r"^[A-Z]$")
    counter: int | None = Field(default=None, ge=1, le=999)


class FinishIn(_In):
    outcome: Outcome
    ticket: str | None = Field(default=None, pattern=r"^[A-Za-z]\d{3,4}$")
    """The ticket being finished: sent again, the step finishes nothing else."""


class StatusIn(_In):
    status: Literal["open", "paused", "closed"]


class WalkInIn(_In):
    line: str = Field(pattern=r"^[A-Z]$")


class ServedOfflineIn(_In):
    """One visit served at a counter while the platform was away."""

    ticket: str | None = Field(default=None, pattern=r"^[A-Za-z]\d{3,4}$")  # None: a walk-in
    line: str = Field(pattern=r"^[A-Z]$")
    started_at: AwareDatetime
    finished_at: AwareDatetime
    outcome: Outcome


class TicketOut(BaseModel):
    id: int
    number: str
    line: str
    status: str
    priority: bool
    appointment_at: str | None
    target_counter: int | None
    issued_at: str
    called_at: str | None
    finished_at: str | None
    counter: int | None
    served_by: str | None
    recalls: int
    outcome: str | None
    walk_in: bool


class IssuedOut(BaseModel):
    ticket: TicketOut
    waiting_ahead: int
    estimated_wait_seconds: int
    hall_name: str
    rating_code: str = Field(
        description="6 digits for the slip: with the ticket's number and day, its holder "
        "rates the service online (POST /ratings)"
    )


class AppointmentIn(_In):
    line: str = Field(pattern=r"^[A-Z]$")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    name: str = Field(default="", max_length=64)
    mobile: str = Field(default="", max_length=20)


class AppointmentOut(BaseModel):
    code: str
    line: str
    day: str
    starts_at: str
    ends_at: str
    name: str
    mobile: str
    status: str
    ticket_id: int | None


class CheckedInOut(IssuedOut):
    appointment: AppointmentOut
    on_time: bool


class AnchorIn(_In):
    console: str = Field(pattern=r"^[0-9a-f]{32}$")
    seq: int = Field(ge=1, le=2**63 - 1)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class RecordOut(BaseModel):
    registry: str
    key: str
    fields: dict[str, str]


class CaseIn(_In):
    number: str = Field(min_length=10, max_length=40)
    status: Literal["accepted", "deferred", "supplement", "rejected"]
    data: CaseData
    taken_by: str | None = Field(default=None, max_length=64)
    """The clerk who took the intake (the sender may be the next login at that counter)."""


MAX_CASE_BATCH = 100
"""Cases in one `POST /cases/batch`: a backlog goes in a few requests, and no transaction
holds the hall's writers back for long."""


class CaseBatchItem(CaseIn):
    key: str = Field(min_length=8, max_length=100)
    """The case's idempotency key (its outbox key), as `Idempotency-Key` for one case."""


class CaseBatchIn(_In):
    cases: list[CaseBatchItem] = Field(min_length=1, max_length=MAX_CASE_BATCH)


class CaseOut(BaseModel):
    number: str
    hall: str
    counter: int
    clerk: str
    status: str
    data: dict[str, Any]
    received_at: str
    progress: str
    masked: bool


class CounterOut(BaseModel):
    number: int
    name: str
    lines: list[str]
    status: str
    clerk: str | None
    current_ticket: int | None
    updated_at: str


class LoginOut(BaseModel):
    token: str
    username: str
    name: str
    role: str
    department: str | None
    counter: int | None
    expires_at: str
    console_tag: int | None = None


class ErrorOut(BaseModel):
    error: str
    message: str


class ChangeOut(BaseModel):
    id: int
    at: str
    topic: str
    data: dict[str, Any]


class ChangesOut(BaseModel):
    changes: list[ChangeOut]
    cursor: int


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409)
}


def create_app(
    config: CentralConfig,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = now,
    hasher: PinHasher | None = None,
) -> FastAPI:
    """The platform as an ASGI application."""
    engine = engine or make_engine(database_url(config), pool_size=config.pool_size)
    hasher = hasher or PinHasher(server_secret(config))
    rules = QueueRules(
        appointment_early=timedelta(minutes=config.appointment_early_minutes),
        appointment_late=timedelta(minutes=config.appointment_late_minutes),
        average_service=timedelta(minutes=config.average_service_minutes),
    )
    lifetime = timedelta(minutes=config.token_minutes)
    bearer = HTTPBearer(auto_error=False)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # A served platform (uvicorn) also sends on a timer, so an overdue apology goes out
        # on a quiet day too; requests send what they queue right after answering.
        task = asyncio.create_task(notify_on_a_timer())
        yield
        task.cancel()

    async def notify_on_a_timer() -> None:
        while True:
            await asyncio.sleep(config.notify_seconds)
            try:
                await run_in_threadpool(notify_round)
            except Exception as exc:  # a database hiccup: try again next time
                print(f"clerk-console central: notifications: {exc!r}")

    def notify_round() -> None:
        office = back_office()
        with tx() as s:
            handoffs.queue_overdue_notices(s, office, clock())
        send_pending(engine, sender, clock())

    app = FastAPI(
        title="clerk-console central platform",
        version="1",
        description="The hall's queue, catalog of record and staff logins.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    trail.use_key(engine, hasher.keyed_digest)
    demo_data = CatalogFiles.locate(_data_dir(config)).catalog_dir.parent
    registries = Registries.load(demo_data)
    preapplications = load_preapplications(demo_data)

    def office() -> BackOffice:
        """The back office's catalog (of record, as stored), calendar and wording."""
        with Session(engine) as s:
            version = meta(s, "catalog_version")
            record = s.get(CatalogRecord, version)
            hall_name = meta(s, "hall_name") or ""
        if record is None:
            raise RuntimeError("the platform has no catalog: run `clerk-console central init`")
        return BackOffice(
            catalog=parse_catalog(json.loads(record.sources_json)),
            calendar=WorkCalendar.of(config.calendar.holidays, config.calendar.workdays),
            warning_days=config.calendar.warning_days,
            hall_name=hall_name,
            notices=load_wording(_data_dir(config), NOTIFICATIONS_FILE),
        )

    back_office = cache(office)
    app.state.back_office = back_office  # the catalog and calendar, for a bench or a tool
    sender: Sender = (
        WebhookSender(config.notify_webhook)
        if config.notify_webhook
        else LogSender(
            Path(config.notify_log).expanduser()
            if config.notify_log
            else config.data_path() / "notifications.log"
        )
    )
    notifier = Notifier(engine, sender, clock)
    app.state.notifier = notifier

    app.add_middleware(
        BodyLimits,
        json_bytes=config.max_request_kib * 1024,
        upload_bytes=config.max_file_mib * 1024 * 1024,
    )

    @app.exception_handler(PlatformError)
    async def _platform_error(_request: Request, exc: PlatformError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """422 naming the fields and what is wrong with them, never the values sent (an
        answer that echoes its input is an amplifier, and may carry an ID number)."""
        return JSONResponse(
            {"error": "invalid_request", "message": invalid_fields(exc.errors())},
            status_code=422,
        )

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=dict(exc.headers or {}),
        )

    _quiet_server_errors()

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        """A fault of the machine (a read-only or full disk, a damaged database) or a bug:
        the traceback goes to the platform's crash log (no local variables, no SQL
        parameters), the client gets a short answer saying which, never the details."""
        fault = classify(exc)
        log = write_crash_log(config.data_path(), exc, f"{request.method} {request.url.path}")
        code = "internal" if fault is Fault.OTHER else f"storage_{fault.value}"
        message = f"the platform could not do this ({fault.value}); see {log.name} on the platform"
        return JSONResponse({"error": code, "message": message}, status_code=500)

    @contextmanager
    def tx() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as s, s.begin():
            yield s

    def token_of(credentials: HTTPAuthorizationCredentials | None) -> str:
        if credentials is None:
            raise unauthorized("not_logged_in", "log in first")
        return credentials.credentials

    def actor(
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> Actor:
        with Session(engine) as s:
            return auth.actor_for(s, token_of(credentials), clock())

    async def token(
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> str:
        return token_of(credentials)

    # On PostgreSQL, finishing and calling next are one statement (a database function,
    # atomic by itself): they run without BEGIN and COMMIT, two round trips fewer.
    one_statement = engine.execution_options(isolation_level="AUTOCOMMIT")

    def counter_op(
        number: int,
        op: Callable[[Session, int, Actor, datetime], Any],
        token: str,
        *,
        hot: bool = False,
    ) -> Response:
        # The login is checked on the operation's own connection: a counter's calls are the
        # hall's hot path, and one connection and one thread hop per request is the budget.
        stamp = clock()
        bind = one_statement if hot and is_postgres(engine) else engine
        with Session(bind, expire_on_commit=False) as s, s.begin():
            who = auth.actor_for(s, token, stamp)
            auth.require(who, *COUNTER_ROLES)
            view = queue.ticket_view(op(s, number, who, stamp))
        # Built by ticket_view, which is TicketOut's shape (a test holds them together):
        # answered as it is, without validating it again on the hot path.
        return Response(json.dumps(view, ensure_ascii=False), media_type="application/json")

    app.include_router(
        back_office_routes(
            engine, clock, actor, back_office, sender, config.max_file_mib * 1024 * 1024
        )
    )

    def maybe_actor(
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> Actor | None:
        # No login is the public; a login that is wrong or expired is said as such (401).
        if credentials is None:
            return None
        with Session(engine) as s:
            return auth.actor_for(s, credentials.credentials, clock())

    app.include_router(
        ratings_routes(
            engine,
            clock,
            actor,
            maybe_actor,
            back_office,
            load_reasons(_data_dir(config)),
            hasher.keyed_digest,
            config.public_ratings_per_minute,
        )
    )

    app.include_router(board_routes(engine, clock, actor, back_office, rules, config))

    # --- public ---------------------------------------------------------------------

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness, and which hall and catalog this platform serves."""
        with Session(engine) as s:
            return {
                "status": "ok",
                "hall_code": meta(s, "hall_code"),
                "hall_name": meta(s, "hall_name"),
                "catalog_version": meta(s, "catalog_version"),
            }

    @app.get("/catalog", responses={304: {"description": "the version asked about is current"}})
    def catalog(if_none_match: str | None = Header(None)) -> Response:
        """The catalog of record: its version and TOML sources (the service guide is public).
        Its ETag is the version: asked with `If-None-Match` of the version a console has,
        the answer is 304 and no body while that is still the current one."""
        with Session(engine) as s:
            version = meta(s, "catalog_version")
            tag = f'"{version}"'
            if if_none_match is not None and tag in [t.strip() for t in if_none_match.split(",")]:
                return Response(status_code=304, headers={"ETag": tag})
            record = s.get(CatalogRecord, version)
            sources = json.loads(record.sources_json) if record else {}
        body = json.dumps({"version": version, "sources": sources}, ensure_ascii=False)
        return Response(body, media_type="application/json", headers={"ETag": tag})

    @app.get("/queue")
    def queue_summary() -> dict[str, Any]:
        """Waiting per line with estimates, and each counter's ticket (for kiosk and display)."""
        with Session(engine) as s:
            view = queue.hall_view(s, clock(), rules)
            view["cursor"] = latest_cursor(s)  # follow /changes from here
        for c in view["counters"]:
            c.pop("clerk", None)  # the public board shows numbers, not who serves
        return view

    def staff_login(credentials: HTTPAuthorizationCredentials | None) -> bool:
        """Whether the request carries a valid staff login (a bad or expired one counts as
        none: the public view is still answered)."""
        if credentials is None:
            return False
        try:
            with Session(engine) as s:
                auth.actor_for(s, credentials.credentials, clock())
        except PlatformError:
            return False
        return True

    @app.get("/changes", response_model=ChangesOut)
    async def changes(
        after: int = Query(0, ge=0, le=2**63 - 1),
        wait: float = Query(0, ge=0, le=30),
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> dict[str, Any]:
        """Changes after the cursor; waits up to `wait` seconds for one (long-poll). Without
        a staff login, only tickets and counters by number (what a hall display shows)."""
        public = not await run_in_threadpool(staff_login, credentials)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            batch, cursor = await run_in_threadpool(_read, after, public)
            if batch or asyncio.get_running_loop().time() >= deadline:
                return {"changes": batch, "cursor": cursor}
            await asyncio.sleep(0.2)

    def _read(after: int, public: bool) -> tuple[list[dict[str, Any]], int]:
        with Session(engine) as s:
            return read_changes(s, after, clock(), public=public)

    @app.get("/events")
    async def events(
        request: Request,
        after: int | None = Query(None, ge=0, le=2**63 - 1),
        last_event_id: str | None = Header(None),
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> StreamingResponse:
        """Server-sent events; each event's id is the cursor, so Last-Event-ID replays.
        Without a staff login, only tickets and counters by number, as /changes."""
        public = not await run_in_threadpool(staff_login, credentials)
        if after is None and last_event_id and last_event_id.isdigit():
            after = int(last_event_id)
        if after is None:
            with Session(engine) as s:
                after = latest_cursor(s)

        async def stream(cursor: int) -> AsyncIterator[str]:
            quiet = 0.0
            yield f": cursor {cursor}\n\n"
            while not await request.is_disconnected():
                batch, cursor = await run_in_threadpool(_read, cursor, public)
                for change in batch:
                    data = json.dumps(change, ensure_ascii=False)
                    yield f"id: {change['id']}\nevent: {change['topic']}\ndata: {data}\n\n"
                if not batch:
                    await asyncio.sleep(0.25)
                    quiet += 0.25
                    if quiet >= 15:
                        quiet = 0.0
                        yield ": keep-alive\n\n"

        return StreamingResponse(stream(after), media_type="text/event-stream")

    # --- staff ----------------------------------------------------------------------

    # An unknown name's PIN is checked against this, so it costs what a real one does: the
    # time of an answer does not tell which names are staff.
    dummy_hash = hasher.hash(new_token()[:6])

    @app.post("/auth/login", response_model=LoginOut, responses=ERRORS)
    def login(body: LoginIn) -> dict[str, Any]:
        """Log in with a PIN, optionally to a counter (which it then holds). Five wrong PINs
        for a name lock it for 15 minutes (a supervisor can unlock it sooner)."""
        name = body.username.strip()

        def locked_until(until: datetime) -> PlatformError:
            return forbidden(
                "locked",
                f"too many wrong PINs; locked until {until:%H:%M} UTC, "
                "or until a supervisor unlocks it",
            )

        # Attempts all being checked right now (kiosks starting together): wait for them to
        # settle rather than call the name locked; a guesser's five settle into a lock.
        patience = time.monotonic() + 5
        while True:
            with tx() as s:
                locked = auth.reserve_attempt(s, name, clock())
            if locked is not auth.IN_FLIGHT or time.monotonic() > patience:
                break
            time.sleep(0.02)
        if locked is auth.IN_FLIGHT:
            raise PlatformError(429, "busy", "too many logins of this name at once; try again")
        if locked is not None:
            raise locked_until(locked)
        with Session(engine) as s:
            staff = s.get(StaffRow, name)
            stored = staff.pin_hash if staff is not None else dummy_hash
        right = hasher.verify(stored, body.pin) and staff is not None
        with tx() as s:
            locked = auth.settle_attempt(s, name, right, clock())
        if locked is not None:  # this was the last try: said now, not at the next one
            raise locked_until(locked)
        if not right:
            raise unauthorized("bad_credentials", "unknown user or wrong PIN")
        for attempt in range(3):
            try:
                with tx() as s:
                    now = clock()
                    token, who = auth.open_login(s, name, body.counter, now, lifetime)
                    if body.console is not None:
                        who["console_tag"] = consoles.console_tag(
                            s, body.console, name, body.counter, now
                        )
                return {"token": token, **who}
            except IntegrityError as exc:  # two stores given their first tag at once
                if attempt == 2 or "unique" not in str(exc.orig).lower():
                    raise
        raise AssertionError("unreachable")

    @app.post("/consoles/{console_id}/tag", responses=ERRORS)
    def renew_console_tag(
        console_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")],
        who: Actor = Depends(actor),
    ) -> dict[str, int]:
        """A new tag for a console's store whose case numbers were found taken (a store
        copied to a second console): its numbers from now on are its own again."""
        for attempt in range(3):
            try:
                with tx() as s:
                    tag = consoles.console_tag(
                        s, console_id, who.username, who.counter, clock(), renew=True
                    )
                return {"tag": tag}
            except IntegrityError as exc:
                if attempt == 2 or "unique" not in str(exc.orig).lower():
                    raise
        raise AssertionError("unreachable")

    @app.post("/staff/{username}/unlock", responses=ERRORS)
    def unlock(
        username: Annotated[str, PathParam(min_length=1, max_length=64)],
        who: Actor = Depends(actor),
    ) -> dict[str, Any]:
        """Lift a lock left by wrong PINs (a supervisor; recorded on the change feed)."""
        auth.require(who, "supervisor", "admin")
        with tx() as s:
            was_locked = auth.unlock(s, username.strip(), who, clock())
        return {"username": username.strip(), "was_locked": was_locked}

    @app.post("/auth/logout", status_code=204, responses=ERRORS)
    def logout(
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> None:
        """End this login; its counter is free again."""
        token = token_of(credentials)
        with tx() as s:
            who = auth.actor_for(s, token, clock())
            auth.logout(s, token, who, clock())

    @app.get("/auth/me", responses=ERRORS)
    def me(who: Actor = Depends(actor)) -> dict[str, Any]:
        """Who this token belongs to."""
        return {
            "username": who.username,
            "role": who.role,
            "department": who.department,
            "counter": who.counter,
        }

    # --- tickets --------------------------------------------------------------------

    def slip(s: Session, t: Any, stamp: datetime) -> dict[str, Any]:
        """What the ticket slip says (IssuedOut)."""
        return rated_slip(queue.read_slip(s, t, stamp.date()))

    def rated_slip(issued: queue.Slip) -> dict[str, Any]:
        """The slip with the code that lets its holder rate the service online; a ticket's
        day is the platform's (UTC) day it was issued on, as its row keeps it."""
        ticket = issued.ticket
        day = datetime.fromisoformat(ticket["issued_at"]).astimezone(UTC).date()
        code = ratings.ticket_code(hasher.keyed_digest, day, str(ticket["number"]))
        return issued.view(rules) | {"rating_code": code}

    @app.post("/tickets", response_model=IssuedOut, status_code=201, responses=ERRORS)
    def issue(
        body: TicketIn,
        token: str = Depends(token),
        idempotency_key: str | None = Header(None, min_length=8, max_length=100),
    ) -> Response:
        """Issue a ticket (kiosk, guide), with priority or an appointment time. With an
        `Idempotency-Key` (one per press), the same key again answers the same ticket (200):
        a press whose answer was lost, sent again, never issues a second one."""
        for attempt in range(3):
            stamp = clock()
            try:
                issued = issue_once(body, token, idempotency_key, stamp)
            except IntegrityError as exc:  # the same press, sent twice at once: read again
                if attempt == 2 or "unique" not in str(exc.orig).lower():
                    raise
                continue
            # Built by Slip.view, IssuedOut's shape (a test holds them together): answered
            # as it is, without validating it again on the kiosks' hot path.
            return Response(
                json.dumps(rated_slip(issued), ensure_ascii=False),
                status_code=200 if issued.replayed else 201,
                media_type="application/json",
            )
        raise AssertionError("unreachable")

    def issue_once(body: TicketIn, token: str, key: str | None, stamp: datetime) -> queue.Slip:
        # Only the numbering and the writes hold the line's counter row (and SQLite's one
        # writer): the slip is read after the commit, so kiosks of one line take turns for
        # a moment only.
        with tx() as s:
            who = auth.actor_for(s, token, stamp)
            auth.require(who, *ISSUE_ROLES)
            known = s.get(TicketIssue, key) if key else None
            if known is None:
                ticket_id = queue.issue_ticket(
                    s,
                    body.line,
                    who,
                    stamp,
                    rules,
                    priority=body.priority,
                    appointment_at=body.appointment_at,
                ).id
                if key:
                    s.add(TicketIssue(idempotency_key=key, ticket_id=ticket_id, issued_at=stamp))
            else:
                ticket_id = known.ticket_id
        with Session(engine) as s:
            t = queue.ticket_by_id(s, ticket_id)
            issued = queue.read_slip(s, t, stamp.date(), replayed=known is not None)
        if known is None:
            # The wait the slip promises, kept so the board can say how good the estimates
            # are; a write of its own, after the line's counter row is free again.
            with tx() as s:
                queue.promise_wait(s, ticket_id, issued.estimate(rules))
        return issued

    # --- cases ----------------------------------------------------------------------

    def take_case(
        s: Session, body: CaseIn, key: str, who: Actor, stamp: datetime, office: BackOffice
    ) -> tuple[CaseRow, cases.Received]:
        """One case from a counter, in the caller's transaction: stored (with its handoffs
        opened when accepted), continued, or replayed."""
        data = body.data.model_dump(mode="json")
        sent = body.data.model_dump(mode="json", exclude_unset=True)
        row, received = cases.receive_case(
            s, key, body.number, body.status, data, who, stamp, body.taken_by, sent
        )
        if received is not cases.Received.REPLAYED and body.status in handoffs.ACCEPTED:
            handoffs.open_handoffs(s, row, office, stamp)  # and the applicant's message
        return row, received

    @app.post("/cases", response_model=CaseOut, status_code=201, responses=ERRORS)
    def receive_case(
        body: CaseIn,
        response: Response,
        tasks: BackgroundTasks,
        who: Actor = Depends(actor),
        idempotency_key: str | None = Header(None, max_length=100),
    ) -> dict[str, Any]:
        """A case from a counter (accepted, deferred, supplement notice, rejected). Send it
        with an `Idempotency-Key`: the same key and case again answers the stored case (200)
        and stores nothing new; the same key with another case is refused (409). A case that
        ended in a supplement notice is taken up again (at any counter) by sending it anew
        with `data.continues` set to its number and a new key: 200, its trail keeps both."""
        auth.require(who, *COUNTER_ROLES)
        if not idempotency_key or len(idempotency_key) < 8:
            raise bad_request("idempotency_key_required", "send an Idempotency-Key (8+ chars)")
        # Read before the write transaction: on SQLite a second connection could not.
        office = back_office()
        for attempt in range(3):
            try:
                with tx() as s:
                    stamp = clock()
                    row, received = take_case(s, body, idempotency_key, who, stamp, office)
                    if received is not cases.Received.STORED:
                        response.status_code = 200
                    if received is not cases.Received.REPLAYED and body.status in handoffs.ACCEPTED:
                        tasks.add_task(send_pending, engine, sender, stamp)
                    # The counter has what it sent: the answer need not repeat its numbers.
                    return cases.case_view(row, office.catalog, full=False)
            except IntegrityError as exc:
                # The same case (or key) stored by a request running alongside this one
                # (a resend racing the first sending): read again, it is a replay or a 409.
                if attempt == 2 or "unique" not in str(exc.orig).lower():
                    raise
        raise AssertionError("unreachable")

    def take_cases(
        sendings: list[cases.Sending], items: list[CaseBatchItem], who: Actor, office: BackOffice
    ) -> list[dict[str, Any]]:
        """A batch in one transaction: the plainly new cases together, the others one by
        one in a savepoint each. Each case's outcome, in order."""
        results: list[dict[str, Any]] = []
        with tx() as s:
            stamp = clock()
            stored, refused = cases.receive_new_cases(s, sendings, who, stamp, office)
            for i, item in enumerate(items):
                accepted = item.status in handoffs.ACCEPTED
                if i in stored:
                    results.append({"key": item.key, "status": 201, "number": stored[i].number})
                    results[-1]["accepted"] = accepted
                    continue
                try:
                    if i in refused:
                        raise refused[i]
                    with s.begin_nested():
                        row, received = take_case(s, item, item.key, who, stamp, office)
                except PlatformError as exc:
                    results.append(
                        {"key": item.key, "status": exc.status, "error": exc.code}
                        | {"message": exc.message, "accepted": False}
                    )
                    continue
                status = 201 if received is cases.Received.STORED else 200
                opened = accepted and received is not cases.Received.REPLAYED
                results.append(
                    {"key": item.key, "status": status, "number": row.number, "accepted": opened}
                )
        return results

    @app.post("/cases/batch", responses=ERRORS)
    def receive_cases(
        body: CaseBatchIn, tasks: BackgroundTasks, who: Actor = Depends(actor)
    ) -> dict[str, Any]:
        """Several cases from a counter's outbox at once (up to 100), each with its own
        idempotency `key`, in one transaction: a console back from an outage sends its
        backlog this way. Each case is taken as `POST /cases` takes it, in a savepoint of
        its own: one refused case does not hold back the others. The answer gives each
        key's outcome in order: `status` 201 (stored) or 200 (continued, or sent before),
        else the refusal's HTTP status with its `error` and `message`, as `POST /cases`
        would answer it."""
        auth.require(who, *COUNTER_ROLES)
        office = back_office()  # read before the write transaction (SQLite)
        sendings = [
            cases.Sending(
                item.key,
                item.number,
                item.status,
                item.data.model_dump(mode="json"),
                item.data.model_dump(mode="json", exclude_unset=True),
                item.taken_by,
            )
            for item in body.cases
        ]
        for attempt in range(3):
            try:
                results = take_cases(sendings, body.cases, who, office)
                break
            except IntegrityError as exc:
                # A case of the batch stored alongside by another request: the batch is
                # taken again, where that case is a replay or a refusal of its own.
                if attempt == 2 or "unique" not in str(exc.orig).lower():
                    raise
        else:
            raise AssertionError("unreachable")
        if any(r["accepted"] for r in results):
            tasks.add_task(notifier.kick)  # messages for applicants, sent off this thread
        for r in results:
            del r["accepted"]
        return {"results": results}

    @app.get("/cases/{number}", response_model=CaseOut, responses=ERRORS)
    def case(
        number: str,
        who: Actor = Depends(actor),
        reveal: bool = Query(False, description="the identifiers in full, recorded"),
    ) -> dict[str, Any]:
        """A case by its number: in full at the counter that took it in, masked elsewhere.
        `reveal` reads it in full outside that counter (a supervisor, or a clerk taking up a
        supplement notice the applicant came back with); every full read is recorded on the
        case's trail, who and where."""
        auth.require(who, *COUNTER_ROLES, "admin")
        catalog = back_office().catalog  # read before the write transaction (SQLite)
        with tx() as s:
            row = cases.find_case(s, number)
            own = cases.in_scope(row, who)
            if reveal and not cases.may_reveal(row, who):
                raise forbidden(
                    "not_your_counter", f"case {row.number} was taken in at another counter"
                )
            full = own or reveal
            if full:
                cases.read_in_full(s, row, who, clock(), "own_counter" if own else "reveal")
            return cases.case_view(row, catalog, full=full)

    # --- consoles' audit anchors -------------------------------------------------------

    @app.post("/audit/anchors", status_code=201, responses=ERRORS)
    def anchor(body: AnchorIn, who: Actor = Depends(actor)) -> dict[str, Any]:
        """A console's audit log as it grew: the hash of its entry `seq`. The same entry
        anchored again with another hash means the console's log was rewritten: 409, and the
        platform's trail records it."""
        with tx() as s:
            known = s.get(AuditAnchor, (body.console, body.seq))
            if known is not None and known.hash != body.hash:
                detail = {"console": body.console, "seq": body.seq, "counter": who.counter}
                handoffs.record_event(s, "", "audit.anchor_mismatch", who.username, clock(), detail)
            elif known is None:
                s.add(
                    AuditAnchor(
                        console_id=body.console,
                        seq=body.seq,
                        hash=body.hash,
                        username=who.username,
                        counter=who.counter,
                        received_at=clock(),
                    )
                )
        if known is not None and known.hash != body.hash:
            raise conflict(
                "anchor_mismatch",
                f"entry {body.seq} of this console's audit log was anchored with another hash",
            )
        return {"console": body.console, "seq": body.seq}

    @app.get("/audit/anchors/{console}", responses=ERRORS)
    def anchors(
        console: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")],
    ) -> list[list[Any]]:
        """The anchors of a console's audit log, [seq, hash] oldest first (for its `audit
        verify`; hashes only, under an id only that console knows)."""
        with Session(engine) as s:
            rows = s.exec(
                select(AuditAnchor)
                .where(AuditAnchor.console_id == console)
                .order_by(col(AuditAnchor.seq))
            )
            return [[row.seq, row.hash] for row in rows]

    # --- shared registries -------------------------------------------------------------

    @app.get("/registries/{code}/{key}", response_model=RecordOut, responses=ERRORS)
    def registry_record(code: str, key: str, who: Actor = Depends(actor)) -> dict[str, Any]:
        """A shared registry's record (免提交): a match verifies the material it holds and
        fills the form fields it carries; 404 `no_record` when the registry has none. Asked
        at a counter only (an intake), and every lookup is recorded: who, where, which
        registry, the number masked (and keyed, so an auditor can find a given person's)."""
        auth.require(who, *COUNTER_ROLES)
        if who.counter is None:
            raise forbidden("no_counter", "a registry is asked at a counter, for an intake")
        with tx() as s:
            detail = {
                "registry": code[:32],
                "key": mask_id_number(key) if len(key) == 18 else key[:4] + "…",
                "key_hmac": hasher.keyed_digest(key.strip().upper()),
                "counter": who.counter,
            }
            handoffs.record_event(s, "", "registry.lookup", who.username, clock(), detail)
        return registries.look_up(code, key)

    @app.get("/preapplications/{code}", responses=ERRORS)
    def preapplication(code: str, who: Actor = Depends(actor)) -> dict[str, Any]:
        """An online pre-application (网上预审) by its code, for the counter to check."""
        auth.require(who, *COUNTER_ROLES)
        found = preapplications.get(code.strip().upper())
        if found is None:
            raise not_found("unknown_preapplication", f"no pre-application {code}")
        return found

    # --- appointments ---------------------------------------------------------------

    @app.post("/appointments", response_model=AppointmentOut, status_code=201, responses=ERRORS)
    def book(body: AppointmentIn, who: Actor = Depends(actor)) -> dict[str, Any]:
        """Book a time window in a line (a booking system, the guide or a supervisor); the
        answer carries the booking code the applicant brings to the kiosk."""
        auth.require(who, *ISSUE_ROLES)
        with tx() as s:
            booking = queue.book_appointment(
                s,
                body.line,
                body.starts_at,
                body.ends_at,
                clock(),
                name=body.name,
                mobile=body.mobile,
            )
            return queue.appointment_view(booking)

    @app.get("/appointments", response_model=list[AppointmentOut], responses=ERRORS)
    def appointments(who: Actor = Depends(actor)) -> list[dict[str, Any]]:
        """Today's bookings, earliest first."""
        auth.require(who, *ISSUE_ROLES)
        with Session(engine) as s:
            return [queue.appointment_view(a) for a in queue.appointments_of(s, clock().date())]

    @app.post(
        "/appointments/{code}/check-in",
        response_model=CheckedInOut,
        status_code=201,
        responses=ERRORS,
    )
    def check_in(code: str, who: Actor = Depends(actor)) -> dict[str, Any]:
        """The applicant has come (kiosk): issue the booking's ticket. Early is fine (it is
        called first once the window is near); later than the window plus the allowed
        lateness, it queues as an ordinary ticket (`on_time` false)."""
        auth.require(who, *ISSUE_ROLES)
        stamp = clock()
        with tx() as s:
            t, booking, on_time = queue.check_in(s, code, who, stamp, rules)
            return slip(s, t, stamp) | {
                "appointment": queue.appointment_view(booking),
                "on_time": on_time,
            }

    @app.get("/tickets/{number}", response_model=TicketOut, responses=ERRORS)
    def ticket(number: str, who: Actor = Depends(actor)) -> dict[str, Any]:
        """Today's ticket by number."""
        with Session(engine) as s:
            return queue.ticket_view(queue.find_ticket(s, number, clock().date()))

    @app.post("/tickets/{number}/move", response_model=TicketOut, responses=ERRORS)
    def move(number: str, body: TargetIn, who: Actor = Depends(actor)) -> dict[str, Any]:
        """Move a waiting ticket to another line or counter (supervisor)."""
        auth.require(who, "supervisor")
        with tx() as s:
            t = queue.move_ticket(s, number, who, clock(), line=body.line, to_counter=body.counter)
            return queue.ticket_view(t)

    # --- counters -------------------------------------------------------------------

    @app.post("/counters/{number}/call-next", response_model=TicketOut, responses=ERRORS)
    def call_next(
        number: CounterNumber, body: CallNextIn | None = None, key: str = Depends(token)
    ) -> Response:
        """Call the next ticket for this counter (one atomic claim). With `finish`, the
        ticket at hand is finished with that outcome first, in the same transaction; when
        nothing is waiting, neither happens (409). Name the ticket being finished
        (`ticket`): the request is then safe to send again when its answer was lost: it
        answers the ticket it called the first time, and never finishes one unseen (409
        `not_at_hand` when the counter holds another)."""
        outcome = body.finish if body else None
        expect = body.ticket if body else None
        return counter_op(
            number,
            lambda s, n, a, t: queue.call_next(s, n, a, t, rules, finish=outcome, expect=expect),
            key,
            hot=True,
        )

    @app.post("/counters/{number}/call", response_model=TicketOut, responses=ERRORS)
    def call(number: CounterNumber, body: CallIn, key: str = Depends(token)) -> Response:
        """Call one ticket by number (a waiting one, or one parked here)."""
        return counter_op(
            number, lambda s, n, a, t: queue.call_ticket(s, n, body.number.upper(), a, t), key
        )

    @app.post("/counters/{number}/recall", response_model=TicketOut, responses=ERRORS)
    def recall(number: CounterNumber, key: str = Depends(token)) -> Response:
        """Announce the ticket at hand again."""
        return counter_op(number, queue.recall, key)

    @app.post("/counters/{number}/serve", response_model=TicketOut, responses=ERRORS)
    def serve(number: CounterNumber, key: str = Depends(token)) -> Response:
        """The applicant is at the counter: service starts."""
        return counter_op(number, queue.serve, key)

    @app.post("/counters/{number}/no-show", response_model=TicketOut, responses=ERRORS)
    def no_show(number: CounterNumber, key: str = Depends(token)) -> Response:
        """The called applicant did not come."""
        return counter_op(number, queue.no_show, key)

    @app.post("/counters/{number}/requeue", response_model=TicketOut, responses=ERRORS)
    def requeue(number: CounterNumber, key: str = Depends(token)) -> Response:
        """Put the ticket at hand back into its line."""
        return counter_op(number, queue.requeue, key)

    @app.post("/counters/{number}/park", response_model=TicketOut, responses=ERRORS)
    def park(number: CounterNumber, key: str = Depends(token)) -> Response:
        """Hold the ticket at hand aside, to call it back later."""
        return counter_op(number, queue.park, key)

    @app.post("/counters/{number}/transfer", response_model=TicketOut, responses=ERRORS)
    def transfer(number: CounterNumber, body: TargetIn, key: str = Depends(token)) -> Response:
        """Send the ticket at hand to another line or counter."""
        return counter_op(
            number,
            lambda s, n, a, t: queue.transfer(s, n, a, t, line=body.line, to_counter=body.counter),
            key,
        )

    @app.post("/counters/{number}/finish", response_model=TicketOut, responses=ERRORS)
    def finish(number: CounterNumber, body: FinishIn, key: str = Depends(token)) -> Response:
        """Finish the ticket at hand with an outcome (name it in `ticket`, and the request
        is safe to send again)."""
        return counter_op(
            number,
            lambda s, n, a, t: queue.finish(s, n, body.outcome, a, t, body.ticket),
            key,
            hot=True,
        )

    @app.post("/counters/{number}/walk-in", response_model=TicketOut, responses=ERRORS)
    def walk_in(number: CounterNumber, body: WalkInIn, key: str = Depends(token)) -> Response:
        """Serve someone without a ticket."""
        return counter_op(number, lambda s, n, a, t: queue.walk_in(s, n, body.line, a, t), key)

    @app.post("/counters/{number}/served-offline", responses=ERRORS)
    def served_offline(
        number: CounterNumber,
        body: ServedOfflineIn,
        response: Response,
        who: Actor = Depends(actor),
        idempotency_key: str = Header(min_length=8, max_length=100),
    ) -> dict[str, Any]:
        """A visit served at this counter while the platform was away, sent by its console
        when it is back (with an `Idempotency-Key`: sent again, the same answer). A ticket
        still waiting is finished as served then; one the hall moved on meanwhile keeps
        what happened to it (`matched` false) and the visit is recorded on it; a walk-in
        (no `ticket`), or a number not given today, gets a ticket of its own."""
        auth.require(who, *COUNTER_ROLES)
        for attempt in range(3):
            try:
                with tx() as s:
                    known = s.get(TicketIssue, idempotency_key)
                    if known is not None:
                        response.status_code = 200
                        t = queue.ticket_by_id(s, known.ticket_id)
                        matched = t.counter == number and t.status == "finished"
                        return {"ticket": queue.ticket_view(t), "matched": matched}
                    stamp = clock()
                    t, matched = queue.served_offline(
                        s,
                        number,
                        body.ticket,
                        body.line,
                        body.started_at,
                        body.finished_at,
                        body.outcome,
                        who,
                        stamp,
                    )
                    s.add(
                        TicketIssue(
                            idempotency_key=idempotency_key, ticket_id=t.id, issued_at=stamp
                        )
                    )
                    return {"ticket": queue.ticket_view(t), "matched": matched}
            except IntegrityError as exc:  # the same visit, sent twice at once: read again
                if attempt == 2 or "unique" not in str(exc.orig).lower():
                    raise
        raise AssertionError("unreachable")

    @app.post("/counters/{number}/status", response_model=CounterOut, responses=ERRORS)
    def status(
        number: CounterNumber, body: StatusIn, who: Actor = Depends(actor)
    ) -> dict[str, Any]:
        """Open, pause or close a counter (its clerk, or a supervisor)."""
        auth.require(who, *COUNTER_ROLES)
        with tx() as s:
            return queue.counter_view(
                queue.set_counter_status(s, number, body.status, who, clock())
            )

    @app.post("/counters/{number}/takeover", responses=ERRORS)
    def takeover(number: CounterNumber, who: Actor = Depends(actor)) -> dict[str, Any]:
        """Free a counter held by someone else (supervisor; recorded)."""
        auth.require(who, "supervisor")
        with tx() as s:
            holder = auth.take_over(s, number, who, clock())
        return {"counter": number, "released": holder}

    return app


FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")


class _ToCrashLog(logging.Filter):
    """The server's own report of a failed request (uvicorn logs the exception again after
    the platform answered it) without its traceback: that went to the crash log, with ID
    numbers, mobiles and passwords masked; a database's error text may repeat a whole row."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            record.exc_info, record.exc_text = None, None
            record.msg, record.args = "a request failed; the details are in crash.log", ()
        return True


def _quiet_server_errors() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _ToCrashLog) for f in logger.filters):
        logger.addFilter(_ToCrashLog())


HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def invalid_fields(errors: Sequence[Any], most: int = 8) -> str:
    """`where: what` for each invalid field, short: the first few. A key the client chose
    (an unknown field, a key of a free-form object) is part of the place and is input too:
    only names such as ours are repeated, anything else reads `?`."""
    parts = []
    for error in errors[:most]:
        place = ".".join(
            str(part) if isinstance(part, int) or FIELD_NAME.fullmatch(str(part)) else "?"
            for part in error.get("loc", ())
        )
        parts.append(f"{place}: {str(error.get('msg', 'invalid'))[:120]}")
    more = f" (and {len(errors) - most} more)" if len(errors) > most else ""
    return "; ".join(parts) + more


def app_from_settings() -> FastAPI:
    """The app of one worker process, from the settings file and variables (uvicorn calls
    this in each worker of `central serve` when `workers` > 1)."""
    settings = load_central_config().config
    assert isinstance(settings, CentralConfig)
    return create_app(settings)


def _data_dir(config: CentralConfig) -> Path | None:
    return Path(config.catalog_dir) if config.catalog_dir else None
