"""Request bodies held to a size before anything parses them.

The platform answers logins without a token, so whoever can reach it could otherwise send a
body of any size and have it read, parsed and echoed back while the hall waits. Every body is
counted as it arrives: a declared length past the limit is refused before a byte is read, a
streamed one as soon as it passes the limit. A refusal is a short 413 that repeats nothing
of what was sent.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The one request that carries a file: a scanned material of a case.
UPLOAD_PATH = re.compile(r"/cases/[^/]+/files/[^/]+")


class BodyTooLarge(HTTPException):
    """A body past its limit. An HTTPException, so the framework lets it through to the
    platform's own error answer instead of calling it a parse failure."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body may be at most {limit} bytes")
        self.limit = limit


def too_large_answer(limit: int) -> bytes:
    """The 413's body: the error code and the limit, nothing of the request."""
    message = f"the request body may be at most {limit} bytes"
    return json.dumps({"error": "too_large", "message": message}).encode()


class BodyLimits:
    """ASGI middleware: `json_bytes` for every request, `upload_bytes` for a file upload."""

    def __init__(self, app: ASGIApp, *, json_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.json_bytes = json_bytes
        self.upload_bytes = upload_bytes

    def limit_of(self, scope: Scope) -> int:
        """The limit of this request's body."""
        if scope.get("method") == "PUT" and UPLOAD_PATH.fullmatch(scope.get("path", "")):
            return self.upload_bytes
        return self.json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope)
        declared = _content_length(scope)
        if declared == -1:
            await _answer(send, 400, b'{"error":"bad_length","message":"bad Content-Length"}')
            return
        if declared is not None and declared > limit:
            await _answer(send, 413, too_large_answer(limit))
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when not declared, -1 when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else -1
    return None


async def _answer(send: Send, status: int, body: bytes) -> None:
    # Connection: close, so a server does not read on through a body nobody will use.
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RateLimit:
    """At most `per_minute` requests a minute from one client (its address), counted in this
    process: the public rating endpoint answers without a login, so a script could otherwise
    fill the day's ratings or try passwords as fast as it can send. A rating's password is
    also held to five wrong tries in the database (central/auth's attempts), across
    processes."""

    def __init__(self, per_minute: int, clock: Callable[[], Any]) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        """Count one request of `client`; whether it is within the limit."""
        now = self.clock().timestamp()
        with self._lock:
            if len(self._seen) > 10_000:  # a spray of addresses: forget the idle ones
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - 60}
            seen = self._seen.setdefault(client, deque())
            while seen and seen[0] <= now - 60:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return False
            seen.append(now)
            return True
