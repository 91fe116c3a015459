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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import httpx
from sqlalchemy import Engine
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
    """Send what is queued, oldest first; how many went out."""
    sent = 0
    with Session(engine, expire_on_commit=False) as s:
        query = select(NotificationRow).where(col(NotificationRow.status) == "queued")
        queued = list(s.exec(query.order_by(col(NotificationRow.id)).limit(limit)))
    for message in queued:
        try:
            sender.send(message)
        except (OSError, httpx.HTTPError) as exc:
            error: str | None = f"{type(exc).__name__}: {exc}"
        else:
            error = None
        with Session(engine) as s, s.begin():
            row = s.get(NotificationRow, message.id)
            assert row is not None
            row.attempts += 1
            row.last_error = error
            if error is None:
                row.status, row.sent_at = "sent", now
                sent += 1
            s.add(row)
    return sent
