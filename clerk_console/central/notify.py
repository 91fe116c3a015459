"""Sending the applicant's notifications (accepted, returned for supplement, ready for
pickup, overdue apology) from the queue they are written to.

The sender is pluggable: by default a log file (one JSON line a message), or an HTTP
webhook (`notify_webhook`), where a real SMS gateway plugs in. A message that cannot be
sent stays queued with the reason and is tried again with the next batch.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import httpx
from sqlalchemy import Engine, text, update
from sqlmodel import Session, col, select

from clerk_console.central.models import NotificationRow
from clerk_console.central.queue import aware
from clerk_console.faults import redact


class Sender(Protocol):
    """Takes one message to an applicant, or raises."""

    def send(self, message: NotificationRow) -> None: ...


def _body(message: NotificationRow) -> dict[str, str]:
    return {
        "case": message.case_number,
        "kind": message.kind,
        "mobile": message.mobile,
        "text": message.text,
        "queued_at": aware(message.created_at).isoformat(),
    }


# A query password in a message: six digits standing alone (case numbers, dates and
# mobiles are other lengths).
_PASSWORD = re.compile(r"(?<!\d)\d{6}(?!\d)")


@dataclass(frozen=True)
class LogSender:
    """Appends each message to a file, one JSON object a line: the stand-in for an SMS
    gateway where there is none (a demo, a test hall). What it keeps is a record that a
    message went, not the message: the mobile masked and the query password hidden (it is
    the applicant's alone), in a file only the platform's own user may read."""

    path: Path

    def send(self, message: NotificationRow) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        body = _body(message)
        body["mobile"] = redact(body["mobile"])
        body["text"] = _PASSWORD.sub("******", redact(body["text"]))
        line = json.dumps(body, ensure_ascii=False) + "\n"
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as f:
            f.write(line)
        os.chmod(self.path, 0o600)  # a log made earlier, by an older version, too


@dataclass(frozen=True)
class WebhookSender:
    """POSTs each message as JSON; any answer but 2xx leaves it queued."""

    url: str
    timeout: float = 5.0

    def send(self, message: NotificationRow) -> None:
        answer = httpx.post(self.url, json=_body(message), timeout=self.timeout)
        answer.raise_for_status()


def send_pending(engine: Engine, sender: Sender, now: datetime, limit: int = 100) -> int:
    """Send what is queued, oldest first; how many went out. Each message's outcome is
    committed as soon as it is known (one statement on one connection). On PostgreSQL that
    commit does not wait for the disk (`synchronous_commit` off, for it alone): a crash may
    forget the outcomes of its last moment and send those messages again, never lose one,
    and a backlog of messages does not cost the hall a disk flush each."""
    sent = 0
    relaxed = engine.dialect.name == "postgresql"
    with Session(engine, expire_on_commit=False) as s:
        query = select(NotificationRow).where(col(NotificationRow.status) == "queued")
        queued = list(s.exec(query.order_by(col(NotificationRow.id)).limit(limit)))
        s.commit()  # end the read (values kept): each outcome below is a transaction
        for message in queued:
            try:
                sender.send(message)
            except (OSError, httpx.HTTPError) as exc:
                error: str | None = f"{type(exc).__name__}: {exc}"
            else:
                error = None
            done = {"status": "sent", "sent_at": now} if error is None else {}
            with s.begin():
                if relaxed:
                    s.execute(text("SET LOCAL synchronous_commit TO OFF"))
                s.execute(
                    update(NotificationRow)
                    .where(col(NotificationRow.id) == message.id)
                    .values(attempts=NotificationRow.attempts + 1, last_error=error, **done)
                    .execution_options(synchronize_session=False)
                )
            sent += error is None
    return sent


class Notifier:
    """Sends the queue in a thread of its own, one round at a time: a request that queued
    many messages (a counter's backlog of cases) answers at once, and its connection's next
    request does not wait behind the sending. A kick during a round makes one more round."""

    def __init__(self, engine: Engine, sender: Sender, clock: Callable[[], datetime]) -> None:
        self._engine, self._sender, self._clock = engine, sender, clock
        self._lock = threading.Lock()
        self._again = False
        self._idle = threading.Event()
        self._idle.set()

    def kick(self) -> None:
        """Send what is queued now, off the caller's thread."""
        with self._lock:
            if not self._idle.is_set():
                self._again = True
                return
            self._idle.clear()
        threading.Thread(target=self._run, name="notifier", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        """Until no round runs (tests; shutting down); whether it came to that."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        limit = 100
        while True:
            try:
                while send_pending(self._engine, self._sender, self._clock(), limit) == limit:
                    pass  # a full round: more may wait
            except Exception as exc:  # a database hiccup: the timer's round tries again
                print(f"clerk-console central: notifications: {exc!r}")
            with self._lock:
                if not self._again:
                    self._idle.set()
                    return
                self._again = False
