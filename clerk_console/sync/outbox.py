"""Sending the local store's outbox to the platform.

Rows go oldest first (a case, then its scanned files), each with its idempotency key, so
a row sent twice (the answer was lost, the console restarted) is stored once on the
platform. An unreachable platform stops
the round and leaves everything queued; a refusal is kept on its row for a clerk or an
administrator to read, and the rows behind it still go.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from clerk_console.domain.case_number import format_case_number, parse_case_number
from clerk_console.domain.documents import Document, Wording, renumbered
from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient, PlatformRefused, PlatformUnreachable


@dataclass(frozen=True)
class PushReport:
    """What one round of sending did."""

    sent: int
    refused: int
    waiting: int  # still queued after the round
    error: str = ""  # why the round stopped or the last refusal
    # Cases whose number was found taken on the platform and given a new one: (old, new).
    renumbered: tuple[tuple[str, str], ...] = field(default=())


async def push_outbox(
    store: LocalStore, client: PlatformClient, wording: Wording | None = None
) -> PushReport:
    """Send every queued row once; stop at the first sign the platform is unreachable.
    A case whose number the platform holds for another case is given a new number, and its
    documents already printed are queued again with it (worded by `wording`)."""
    sent = refused = 0
    error = ""
    changed: list[tuple[str, str]] = []
    for row in store.pending_outbox():
        assert row.id is not None
        try:
            payload = json.loads(row.payload_json)
            if row.kind == "case":
                try:
                    await client.send_case(payload, row.idempotency_key)
                except PlatformRefused as exc:
                    if exc.code != "case_exists" or payload["data"].get("continues"):
                        raise
                    new = await renumber(store, client, str(payload["number"]), wording)
                    changed.append((str(payload["number"]), new))
                    payload = json.loads(store.outbox_payload(row.id))
                    await client.send_case(payload, row.idempotency_key)
            elif row.kind == "logout":  # a logout made here while the platform was away
                await client.end_login(payload["token"])
            elif row.kind == "file":
                blob = store.blob(payload["sha256"])
                if blob is None:  # the scan's file is gone from this console: say so
                    store.outbox_failed(row.id, f"file_missing: {payload['file_name']}")
                    refused, error = refused + 1, f"file_missing: {payload['file_name']}"
                    continue
                content = await asyncio.to_thread(blob.read_bytes)
                await client.upload_file(payload["case"], payload["sha256"], payload, content)
            else:
                raise ValueError(f"unknown outbox kind {row.kind!r}")
        except PlatformUnreachable as exc:
            store.outbox_failed(row.id, str(exc))
            error = str(exc)
            break
        except PlatformRefused as exc:
            store.outbox_failed(row.id, f"{exc.code}: {exc.message}")
            refused, error = refused + 1, f"{exc.code}: {exc.message}"
            continue
        store.outbox_sent(row.id)
        sent += 1
    else:  # the platform answered all along: anchor the audit log as it now stands
        problem = await anchor_audit_log(store, client)
        if problem:
            refused, error = refused + 1, problem
    return PushReport(sent, refused, len(store.pending_outbox()), error, tuple(changed))


async def send_logouts(store: LocalStore, client: PlatformClient) -> None:
    """Tell the platform of logouts made here while it was away, so it frees their
    counters before the next login here asks for one. Quietly leaves them for later when
    it does not answer."""
    for row in await asyncio.to_thread(store.pending_outbox):
        if row.kind != "logout":
            continue
        assert row.id is not None
        try:
            await client.end_login(json.loads(row.payload_json)["token"])
        except (PlatformUnreachable, PlatformRefused) as exc:
            await asyncio.to_thread(store.outbox_failed, row.id, str(exc))
            return
        await asyncio.to_thread(store.outbox_sent, row.id)


async def renumber(
    store: LocalStore, client: PlatformClient, old: str, wording: Wording | None
) -> str:
    """The case `old`'s number is another case's on the platform (this store was copied, or
    the platform restored from a backup): this console gets a new tag, which no console ever
    had, and the case a number under it, everywhere in the store. The new number."""
    parts = parse_case_number(old)
    if parts is None:
        raise ValueError(f"not a case number: {old!r}")
    console = await asyncio.to_thread(store.console_id)
    tag = await client.renew_console_tag(console)
    await asyncio.to_thread(store.set_console_tag, tag)
    sequence = await asyncio.to_thread(store.next_case_sequence, parts.day, parts.counter)
    new = format_case_number(parts.hall, parts.day, parts.counter, sequence, tag)

    def correct(document: dict[str, Any]) -> dict[str, Any]:
        if wording is None:  # no documents file: the data says the new number all the same
            return document
        return renumbered(Document.from_data(document), old, wording).to_data()

    login = client.login_info
    await asyncio.to_thread(
        store.renumber_case,
        old,
        new,
        correct,
        login.username if login is not None else "console",
        parts.counter,
    )
    return new


async def anchor_audit_log(store: LocalStore, client: PlatformClient) -> str:
    """Send the platform the newest audit entry's hash, if it has grown since the last
    anchor: a log truncated or rewritten here is then caught by `audit verify`. An empty
    string when done (or nothing new); else what went wrong."""
    head = await asyncio.to_thread(store.audit_head)
    if head is None or client.token is None:
        return ""
    seq, digest = head
    if seq <= await asyncio.to_thread(store.anchored_seq):
        return ""
    console = await asyncio.to_thread(store.console_id)
    try:
        await client.anchor_audit(console, seq, digest)
    except PlatformUnreachable:
        return ""  # next round
    except PlatformRefused as exc:
        return f"{exc.code}: {exc.message}"
    await asyncio.to_thread(store.set_anchored, seq)
    return ""
