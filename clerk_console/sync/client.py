"""The console's typed client of the central platform's HTTP API.

One client for both ways of running: over the network (`base_url` of the platform), or
in-process, where the caller passes an ASGI transport (httpx.ASGITransport) wrapping the
platform app. Screens only ever see this client, never the platform's internals.

Two kinds of failure, which screens show differently:
- `PlatformRefused`: the platform answered and said no (4xx), with its error code;
- `PlatformUnreachable`: no answer (connection refused, timeout): the console is offline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import httpx

from clerk_console.domain.report import Report

# Pauses before sending again a request whose answer never came (a restart, a dropped
# answer): short, a clerk or an applicant is waiting.
RETRY_PAUSES = (0.2, 0.5, 1.0)


class PlatformRefused(Exception):
    """The platform refused the request; nothing changed there."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class PlatformUnreachable(Exception):
    """The platform did not answer."""


@dataclass(frozen=True)
class Ticket:
    """A ticket as the platform reports it."""

    id: int
    number: str
    line: str
    status: str
    priority: bool
    counter: int | None
    issued_at: datetime
    called_at: datetime | None
    recalls: int
    outcome: str | None
    target_counter: int | None = None
    walk_in: bool = False

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Ticket:
        """From the API's JSON."""
        return cls(
            id=int(data["id"]),
            number=str(data["number"]),
            line=str(data["line"]),
            status=str(data["status"]),
            priority=bool(data["priority"]),
            counter=data.get("counter"),
            issued_at=datetime.fromisoformat(data["issued_at"]),
            called_at=datetime.fromisoformat(data["called_at"]) if data.get("called_at") else None,
            recalls=int(data.get("recalls", 0)),
            outcome=data.get("outcome"),
            target_counter=data.get("target_counter"),
            walk_in=bool(data.get("walk_in", False)),
        )


@dataclass(frozen=True)
class IssuedTicket:
    """A ticket just issued, with what its slip shows."""

    ticket: Ticket
    waiting_ahead: int
    estimated_wait_seconds: int
    hall_name: str
    rating_code: str  # printed on the slip: its holder rates the service online with it


@dataclass(frozen=True)
class CheckedIn(IssuedTicket):
    """The ticket of a booking checked in at the kiosk, and the booked window."""

    starts_at: datetime
    ends_at: datetime
    on_time: bool  # false: later than the window allows, queued as an ordinary ticket


@dataclass(frozen=True)
class Login:
    """Who is logged in, where, until when."""

    username: str
    name: str
    role: str
    department: str | None
    counter: int | None
    expires_at: datetime
    console_tag: int | None = None  # this console's mark in its case numbers


COUNTER_ACTIONS = (
    "call-next",
    "call",
    "recall",
    "serve",
    "no-show",
    "requeue",
    "park",
    "transfer",
    "finish",
    "walk-in",
)


class PlatformClient:
    """Talks to the platform; keeps the login token once logged in."""

    def __init__(
        self,
        base_url: str = "http://platform.embedded",
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)
        self._timeout = timeout
        self.token: str | None = None
        self.login_info: Login | None = None
        # Since when no request has had an answer (None: the last one had). Any answer,
        # a refusal too, means the platform is there.
        self.down_since: datetime | None = None
        self.answered_at = 0.0  # time.monotonic() of the last answer

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        retries: int = 0,
        longer: float = 0,
        unchanged: bool = False,
    ) -> Any:
        """Send a request; the answer's JSON (with `unchanged`, None for a 304).
        `retries`: how often to send it again when no answer came (the outcome unknown: it
        may have been done). Only for a request that is safe to repeat, because it names
        what it acts on or carries a key. `longer`: seconds the platform may hold the
        answer back on purpose (a long-poll), added to the timeout."""
        headers = {**self._auth(), **(headers or {})}  # a caller's own token wins
        for attempt in range(retries + 1):
            try:
                response = await self._http.request(
                    method,
                    path,
                    json=json,
                    params=params,
                    headers=headers,
                    timeout=self._timeout + longer if longer else httpx.USE_CLIENT_DEFAULT,
                )
            except (httpx.TransportError, OSError) as exc:
                if attempt < retries:
                    await asyncio.sleep(RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)])
                    continue
                if self.down_since is None:
                    self.down_since = datetime.now(UTC)
                raise PlatformUnreachable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
            self.down_since, self.answered_at = None, time.monotonic()
            if unchanged and response.status_code == 304:
                return None
            return self._answer(response)
        raise AssertionError("unreachable")

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _answer(self, response: httpx.Response) -> Any:
        """The answer's JSON, or PlatformRefused with its code and message."""
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            code = body.get("error") if isinstance(body, dict) else None
            if code is None:
                code = "invalid_request" if response.status_code == 422 else "platform_error"
            message = body.get("message") if isinstance(body, dict) else None
            raise PlatformRefused(response.status_code, code, message or response.text[:200])
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # --- public -------------------------------------------------------------------

    async def health(self) -> dict[str, str]:
        """Hall code and name, catalog version."""
        return dict(await self._request("GET", "/health"))

    async def catalog(self) -> tuple[str, dict[str, str]]:
        """(version, TOML sources) of the catalog of record."""
        data = await self._request("GET", "/catalog")
        return str(data["version"]), dict(data["sources"])

    async def catalog_if_changed(self, version: str) -> tuple[str, dict[str, str]] | None:
        """The catalog of record if its version is not `version` (a conditional request:
        an unchanged catalog costs a 304 and no body); None while `version` is current."""
        headers = {"If-None-Match": f'"{version}"'}
        data = await self._request("GET", "/catalog", headers=headers, unchanged=True)
        if data is None:
            return None
        return str(data["version"]), dict(data["sources"])

    async def queue(self) -> dict[str, Any]:
        """Waiting per line and each counter's ticket (public board)."""
        return dict(await self._request("GET", "/queue"))

    async def changes(self, after: int, wait: float = 0) -> tuple[list[dict[str, Any]], int]:
        """Changes after the cursor (waiting up to `wait` seconds), and the new cursor."""
        params = {"after": after, "wait": wait}
        data = await self._request("GET", "/changes", params=params, longer=wait)
        return list(data["changes"]), int(data["cursor"])

    # --- staff --------------------------------------------------------------------

    async def login(
        self, username: str, pin: str, counter: int | None = None, console: str | None = None
    ) -> Login:
        """Log in; later requests carry the token. Naming the console's store (`console`,
        its id) asks for its tag for case numbers too."""
        body: dict[str, Any] = {"username": username, "pin": pin}
        if counter is not None:
            body["counter"] = counter
        if console is not None:
            body["console"] = console
        data = await self._request("POST", "/auth/login", json=body)
        self.token = str(data["token"])
        self.login_info = Login(
            username=data["username"],
            name=data["name"],
            role=data["role"],
            department=data.get("department"),
            counter=data.get("counter"),
            expires_at=datetime.fromisoformat(data["expires_at"]),
            console_tag=data.get("console_tag"),
        )
        return self.login_info

    async def logout(self) -> None:
        """End the login (frees the counter)."""
        if self.token is not None:
            await self._request("POST", "/auth/logout")
        self.token, self.login_info = None, None

    async def end_login(self, token: str) -> None:
        """End a login made earlier, by its token (one logged out here while the platform
        was away); one that has already expired or ended is as good as ended."""
        try:
            headers = {"Authorization": f"Bearer {token}"}
            await self._request("POST", "/auth/logout", headers=headers)
        except PlatformRefused as exc:
            if exc.status != 401:
                raise

    async def hall(self) -> dict[str, Any]:
        """The supervisor's view of the hall."""
        return dict(await self._request("GET", "/hall"))

    async def issue_ticket(
        self,
        line: str,
        *,
        priority: bool = False,
        appointment_at: datetime | None = None,
        key: str | None = None,
    ) -> IssuedTicket:
        """Issue a ticket (kiosk or guide). One key per press: an answer lost on the way is
        asked for again under the same key, and the platform gives the same ticket."""
        body: dict[str, Any] = {"line": line, "priority": priority}
        if appointment_at is not None:
            body["appointment_at"] = appointment_at.isoformat()
        headers = {"Idempotency-Key": key or f"issue-{uuid4().hex}"}
        data = await self._request("POST", "/tickets", json=body, headers=headers, retries=2)
        return IssuedTicket(
            Ticket.of(data["ticket"]),
            int(data["waiting_ahead"]),
            int(data["estimated_wait_seconds"]),
            str(data["hall_name"]),
            str(data.get("rating_code", "")),
        )

    async def check_in(self, code: str) -> CheckedIn:
        """Check in a booking by its code: the ticket it gets (kiosk or guide)."""
        data = await self._request("POST", f"/appointments/{quote(code.strip(), safe='')}/check-in")
        booking = data["appointment"]
        return CheckedIn(
            Ticket.of(data["ticket"]),
            int(data["waiting_ahead"]),
            int(data["estimated_wait_seconds"]),
            str(data["hall_name"]),
            str(data.get("rating_code", "")),
            datetime.fromisoformat(booking["starts_at"]),
            datetime.fromisoformat(booking["ends_at"]),
            bool(data["on_time"]),
        )

    async def registry_record(self, registry: str, key: str) -> dict[str, Any]:
        """A shared registry's record (免提交); PlatformRefused `no_record` if there is none."""
        path = f"/registries/{quote(registry, safe='')}/{quote(key.strip(), safe='')}"
        return dict(await self._request("GET", path))

    async def preapplication(self, code: str) -> dict[str, Any]:
        """An online pre-application (网上预审) by its code."""
        return dict(await self._request("GET", f"/preapplications/{quote(code.strip(), safe='')}"))

    async def renew_console_tag(self, console: str) -> int:
        """A new tag for this console's store, whose case numbers were found taken."""
        data = await self._request("POST", f"/consoles/{quote(console, safe='')}/tag")
        return int(data["tag"])

    async def anchor_audit(self, console: str, seq: int, digest: str) -> None:
        """Hand the platform the hash of entry `seq` of this console's audit log."""
        body = {"console": console, "seq": seq, "hash": digest}
        await self._request("POST", "/audit/anchors", json=body)

    async def audit_anchors(self, console: str) -> list[tuple[int, str]]:
        """The anchors the platform holds of a console's audit log, oldest first."""
        rows = await self._request("GET", f"/audit/anchors/{quote(console, safe='')}")
        return [(int(seq), str(digest)) for seq, digest in rows]

    async def unlock(self, username: str) -> bool:
        """Lift a login's wrong-PIN lock (a supervisor); whether it was locked."""
        path = f"/staff/{quote(username.strip(), safe='')}/unlock"
        return bool((await self._request("POST", path))["was_locked"])

    async def case(self, number: str, *, reveal: bool = False) -> dict[str, Any]:
        """A case by its number: masked unless taken in at this counter, or `reveal`ed
        (allowed to a supervisor, or to take up a supplement notice; recorded)."""
        path = f"/cases/{quote(number.strip(), safe='')}"
        params = {"reveal": "true"} if reveal else None
        return dict(await self._request("GET", path, params=params))

    async def send_case(self, payload: Mapping[str, Any], idempotency_key: str) -> dict[str, Any]:
        """Send a case from this counter; sending it again with the same key is harmless."""
        return dict(
            await self._request(
                "POST", "/cases", json=dict(payload), headers={"Idempotency-Key": idempotency_key}
            )
        )

    async def send_cases(self, cases: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Any]:
        """Send several cases of this counter at once, each (idempotency key, payload), as
        `send_case` sends one: each key's outcome, in order (`status`, and `error` and
        `message` when refused)."""
        body = {"cases": [{**dict(payload), "key": key} for key, payload in cases]}
        return list((await self._request("POST", "/cases/batch", json=body))["results"])

    # --- the back office ----------------------------------------------------------------

    async def inbox(self, which: str = "all", department: str | None = None) -> list[Any]:
        """Handoffs still to decide, due first (an approver's own department)."""
        params: dict[str, Any] = {"filter": which}
        if department:
            params["department"] = department
        return list(await self._request("GET", "/handoffs", params=params))

    async def handoff(self, handoff_id: int, reveal: bool = False) -> dict[str, Any]:
        """One handoff with the applicant (masked unless revealed; a reveal is recorded)."""
        params = {"reveal": "true"} if reveal else None
        return dict(await self._request("GET", f"/handoffs/{handoff_id}", params=params))

    async def decide_handoff(
        self, handoff_id: int, decision: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """`approve` (name, number, issued_on, medium), `return` (materials, reason) or
        `reject` (reason)."""
        path = f"/handoffs/{handoff_id}/{decision}"
        return dict(await self._request("POST", path, json=dict(body)))

    async def find_cases(self, query: str) -> list[Any]:
        """Cases by number, ID number, credit code or mobile (applicants masked)."""
        return list(await self._request("GET", "/cases", params={"q": query}))

    async def ready_cases(self) -> list[Any]:
        """Cases whose results wait at the counter."""
        return list(await self._request("GET", "/ready-cases"))

    async def supplement(self, number: str, materials: Mapping[str, Any]) -> list[Any]:
        """The applicant brought these materials (code → record)."""
        body = {"materials": dict(materials)}
        return list(await self._request("POST", f"/cases/{number}/supplement", json=body))

    async def check_identity(self, number: str, id_number: str) -> dict[str, Any]:
        """Whose `id_number` is among the case's applicant and agent (403 if nobody's)."""
        return dict(
            await self._request("POST", f"/cases/{number}/identity", {"id_number": id_number})
        )

    async def deliver(self, number: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Hand out or mail a ready case (the ID number must match the file)."""
        return dict(await self._request("POST", f"/cases/{number}/deliver", json=dict(body)))

    async def decide_instant(
        self, number: str, item: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Record the result of an instant item (即办件) of a case at the counter."""
        path = f"/cases/{number}/instant/{item}"
        return dict(await self._request("POST", path, json=dict(body)))

    async def upload_file(
        self, number: str, sha256: str, meta: Mapping[str, Any], content: bytes
    ) -> dict[str, Any]:
        """Send a scanned file of a case (sent again, it is kept once)."""
        params = {"material": meta["material"], "name": meta["file_name"]}
        if meta.get("pages") is not None:
            params["pages"] = meta["pages"]
        headers = {**self._auth(), "Content-Type": str(meta["mime"])}
        try:
            response = await self._http.put(
                f"/cases/{number}/files/{sha256}", params=params, content=content, headers=headers
            )
        except (httpx.TransportError, OSError) as exc:
            raise PlatformUnreachable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
        return dict(self._answer(response))

    async def download_file(self, number: str, sha256: str) -> bytes:
        """A scanned file's content."""
        try:
            response = await self._http.get(f"/cases/{number}/files/{sha256}", headers=self._auth())
        except (httpx.TransportError, OSError) as exc:
            raise PlatformUnreachable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
        if response.status_code >= 400:
            self._answer(response)
        return response.content

    async def deferrals(self, within: int = 3) -> list[Any]:
        """Deferred materials due within `within` working days, or overdue."""
        return list(await self._request("GET", "/deferrals", params={"within": within}))

    async def deadlines(self) -> list[Any]:
        """Running handoffs by department: normal, warning, overdue."""
        return list(await self._request("GET", "/deadlines"))

    async def remind(self, department: str, note: str = "") -> int:
        """催办 a department; how many handoffs were reminded."""
        path = f"/departments/{department}/reminders"
        return int((await self._request("POST", path, json={"note": note}))["reminded"])

    async def counter_action(
        self, counter: int, action: str, body: Mapping[str, Any] | None = None
    ) -> Ticket:
        """One of `COUNTER_ACTIONS` at a counter, e.g. ("call-next"), ("finish", {outcome})."""
        if action not in COUNTER_ACTIONS:
            raise ValueError(f"unknown counter action {action!r}")
        # Sent again when no answer came: a call-next done already is refused (the counter
        # is busy) and a step that names its ticket answers what it did; neither is done twice.
        safe = action == "call-next" or (action == "finish" and bool((body or {}).get("ticket")))
        path = f"/counters/{counter}/{action}"
        data = await self._request("POST", path, json=body, retries=2 if safe else 0)
        return Ticket.of(data)

    async def served_offline(
        self, counter: int, visit: Mapping[str, Any], key: str
    ) -> tuple[Ticket, bool]:
        """Tell the platform of a visit served at `counter` while it was away (`visit`:
        ticket or None for a walk-in, line, started_at, finished_at, outcome). The ticket as
        it now stands, and whether it was taken as served then (False: the hall had moved
        it on meanwhile). Safe to send again under the same key."""
        path = f"/counters/{counter}/served-offline"
        data = await self._request(
            "POST", path, json=dict(visit), headers={"Idempotency-Key": key}, retries=2
        )
        return Ticket.of(data["ticket"]), bool(data["matched"])

    async def set_counter_status(self, counter: int, status: str) -> dict[str, Any]:
        """Open, pause or close a counter."""
        return dict(
            await self._request("POST", f"/counters/{counter}/status", json={"status": status})
        )

    async def move_ticket(
        self, number: str, *, line: str | None = None, counter: int | None = None
    ) -> Ticket:
        """Move a waiting ticket (supervisor)."""
        body = {k: v for k, v in (("line", line), ("counter", counter)) if v is not None}
        return Ticket.of(await self._request("POST", f"/tickets/{number}/move", json=body))

    # --- ratings (好差评) ------------------------------------------------------------

    async def rating_reasons(self) -> list[dict[str, str]]:
        """The hall's reasons for a bad rating, in the order the pad numbers them."""
        return list(await self._request("GET", "/ratings/reasons", retries=2))

    async def pad_state(self, counter: int) -> dict[str, Any]:
        """What the counter's rating pad shows: who serves, and a ticket to rate, if any."""
        return dict(await self._request("GET", f"/counters/{counter}/pad"))

    async def rate(
        self,
        *,
        level: str,
        channel: str,
        ticket: str | None = None,
        case: str | None = None,
        reasons: Sequence[str] = (),
        comment: str = "",
    ) -> dict[str, Any]:
        """Record a rating of a ticket's service or a case. Sent again when no answer came:
        a rating is one a service, so a repeat of one that was stored answers 409
        `already_rated` (the caller takes that as done)."""
        body: dict[str, Any] = {"level": level, "channel": channel, "reasons": list(reasons)}
        body |= {"comment": comment} if comment else {}
        body |= {"ticket": ticket} if ticket else {"case": case}
        return dict(await self._request("POST", "/ratings", json=body, retries=2))

    async def ratings(self, **filters: Any) -> list[Any]:
        """Ratings, newest first (supervisor): `day`, `counter`, `follow_up`."""
        params = {k: v for k, v in filters.items() if v is not None}
        return list(await self._request("GET", "/ratings", params=params))

    async def rating(self, rating_id: int) -> dict[str, Any]:
        """One rating with its follow-up and every recorded step."""
        return dict(await self._request("GET", f"/ratings/{rating_id}"))

    async def follow_up(self, rating_id: int, step: str, note: str) -> dict[str, Any]:
        """A step of a bad rating's follow-up (verify, rectify, call-back, appeal, uphold,
        grant); the rating as it now is."""
        path = f"/ratings/{rating_id}/{step}"
        return dict(await self._request("POST", path, json={"note": note}))

    async def acknowledge_alert(self, key: str, note: str = "") -> dict[str, Any]:
        """Acknowledge a board alert (a supervisor; recorded, and safe to send again)."""
        body = {"key": key, "note": note}
        return dict(await self._request("POST", "/alerts/ack", json=body, retries=2))

    async def report_printer(self, counter: int, state: str, message: str = "") -> None:
        """Tell the board how this counter's printers are (`ok` or `fault`, and which)."""
        body = {"state": state, "message": message}
        await self._request("POST", f"/counters/{counter}/printer", json=body, retries=2)

    async def report(self, kind: str, day: date | None = None) -> Report:
        """The numbers of the day, week or month holding `day` (today if None)."""
        params = {"day": day.isoformat()} if day else None
        data = await self._request("GET", f"/reports/{kind}", params=params, longer=30)
        return Report.from_dict(data)
