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
from dataclasses import dataclass

from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient, PlatformRefused, PlatformUnreachable


@dataclass(frozen=True)
class PushReport:
    """What one round of sending did."""

    sent: int
    refused: int
    waiting: int  # still queued after the round
    error: str = ""  # why the round stopped or the last refusal


async def push_outbox(store: LocalStore, client: PlatformClient) -> PushReport:
    """Send every queued row once; stop at the first sign the platform is unreachable."""
    sent = refused = 0
    error = ""
    for row in store.pending_outbox():
        assert row.id is not None
        try:
            payload = json.loads(row.payload_json)
            if row.kind == "case":
                await client.send_case(payload, row.idempotency_key)
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
    return PushReport(sent, refused, len(store.pending_outbox()), error)


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
