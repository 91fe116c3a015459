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
from clerk_console.store.models import OutboxRow
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


CASES_AT_ONCE = 50
"""Cases sent in one request (`POST /cases/batch`): a backlog costs one request, one
platform transaction and one store write per this many cases instead of per case. Measured
with bench/outbox.py; larger batches gained little and hold the platform's writers (on
SQLite, the whole hall's) longer."""

BATCHES_AT_ONCE = 2
"""Batches in flight: the platform stores one while the console prepares and marks the
next (measured with bench/outbox.py)."""


async def push_outbox(
    store: LocalStore, client: PlatformClient, wording: Wording | None = None
) -> PushReport:
    """Send every queued row once; stop at the first sign the platform is unreachable.
    Cases go first, oldest first and many to a request; then each sent case's scanned
    files, and the rest (offline visits, logouts). A refused case keeps its files back
    (they would be refused too) and the cases behind it still go.
    A case whose number the platform holds for another case is given a new number, and its
    documents already printed are queued again with it (worded by `wording`)."""
    tally = _Round()
    groups: dict[str, list[OutboxRow]] = {}
    for row in await asyncio.to_thread(store.pending_outbox):
        # A scan's key is its case's key and the file's hash: it follows its case.
        groups.setdefault(row.idempotency_key.split(":", 1)[0], []).append(row)
    renumbering = asyncio.Lock()  # one new console tag for a round, however many collide
    heads = [rows[0] for rows in groups.values() if rows[0].kind == "case"]
    through: set[int] = set()  # cases the platform has: their files may follow
    turns = asyncio.Semaphore(BATCHES_AT_ONCE)

    async def send_batch(batch: list[OutboxRow]) -> None:
        async with turns:
            if not tally.unreachable:
                through.update(await _send_cases(store, client, batch, wording, tally, renumbering))

    batches = [heads[i : i + CASES_AT_ONCE] for i in range(0, len(heads), CASES_AT_ONCE)]
    await asyncio.gather(*(send_batch(batch) for batch in batches))
    for rows in groups.values():
        if rows[0].kind == "case":
            if rows[0].id not in through:
                continue  # refused or not sent: its files wait behind it
            rows = rows[1:]
        for row in rows:
            if tally.unreachable:
                break
            if not await _send_row(store, client, row, wording, tally, renumbering):
                break
    if not tally.unreachable:  # the platform answered all along: anchor the audit log
        problem = await anchor_audit_log(store, client)
        if problem:
            tally.refused, tally.error = tally.refused + 1, problem
    return PushReport(
        tally.sent,
        tally.refused,
        len(await asyncio.to_thread(store.pending_outbox)),
        tally.error,
        tuple(tally.renumbered),
    )


async def _send_cases(
    store: LocalStore,
    client: PlatformClient,
    batch: list[OutboxRow],
    wording: Wording | None,
    tally: _Round,
    renumbering: asyncio.Lock,
) -> set[int]:
    """Send a batch of case rows in one request; the ids of those the platform has. A case
    the batch did not take (a refusal, a number taken, a request alongside) goes again
    alone, where each of those is dealt with; so does every case of a platform that does
    not know batches yet."""
    ids = [_row_id(row) for row in batch]
    payloads = await asyncio.to_thread(store.outbox_payloads, ids)
    keyed = list(zip(batch, ids, strict=True))
    sending = [(row.idempotency_key, json.loads(payloads[row_id])) for row, row_id in keyed]
    try:
        results = await client.send_cases(sending)
    except PlatformUnreachable as exc:
        await asyncio.to_thread(store.outbox_failed, ids, str(exc))
        tally.error, tally.unreachable = str(exc), True
        return set()
    except PlatformRefused as exc:
        if exc.status not in (404, 405):
            raise
        results = []  # an older platform: one case after another
    taken = {r.get("key") for r in results if r.get("status") in (200, 201)}
    done = [row_id for row, row_id in keyed if row.idempotency_key in taken]
    if done:
        await asyncio.to_thread(store.outbox_sent, *done)
        tally.sent += len(done)
    through = set(done)
    for row, row_id in keyed:
        if row_id in through or tally.unreachable:
            continue
        if await _send_row(store, client, row, wording, tally, renumbering):
            through.add(row_id)
    return through


@dataclass
class _Round:
    """What a round of sending has done so far."""

    sent: int = 0
    refused: int = 0
    error: str = ""
    unreachable: bool = False
    renumbered: list[tuple[str, str]] = field(default_factory=list)


async def _send_row(
    store: LocalStore,
    client: PlatformClient,
    row: OutboxRow,
    wording: Wording | None,
    tally: _Round,
    renumbering: asyncio.Lock,
) -> bool:
    """Send one row; whether the rows behind it (its case's files) may go."""
    assert row.id is not None
    try:
        # As it stands now: a renumbered case's files name its new number.
        payload = json.loads(await asyncio.to_thread(store.outbox_payload, row.id))
        if row.kind == "case":
            try:
                await client.send_case(payload, row.idempotency_key)
            except PlatformRefused as exc:
                if exc.code != "case_exists" or payload["data"].get("continues"):
                    raise
                async with renumbering:
                    new = await renumber(store, client, str(payload["number"]), wording)
                tally.renumbered.append((str(payload["number"]), new))
                payload = json.loads(await asyncio.to_thread(store.outbox_payload, row.id))
                await client.send_case(payload, row.idempotency_key)
        elif row.kind == "visit":  # someone served here while the platform was away
            if payload["visit"]["finished_at"] is None:
                return True  # still being served: it goes once it is finished
            await client.served_offline(payload["counter"], payload["visit"], row.idempotency_key)
        elif row.kind == "logout":  # a logout made here while the platform was away
            await client.end_login(payload["token"])
        elif row.kind == "file":
            blob = store.blob(payload["sha256"])
            if blob is None:  # the scan's file is gone from this console: say so
                problem = f"file_missing: {payload['file_name']}"
                await asyncio.to_thread(store.outbox_failed, row.id, problem)
                tally.refused, tally.error = tally.refused + 1, problem
                return True
            content = await asyncio.to_thread(blob.read_bytes)
            await client.upload_file(payload["case"], payload["sha256"], payload, content)
        else:
            raise ValueError(f"unknown outbox kind {row.kind!r}")
    except PlatformUnreachable as exc:
        await asyncio.to_thread(store.outbox_failed, row.id, str(exc))
        tally.error, tally.unreachable = str(exc), True
        return False
    except PlatformRefused as exc:
        problem = f"{exc.code}: {exc.message}"
        await asyncio.to_thread(store.outbox_failed, row.id, problem)
        tally.refused, tally.error = tally.refused + 1, problem
        return row.kind != "case"
    await asyncio.to_thread(store.outbox_sent, row.id)
    tally.sent += 1
    return True


def _row_id(row: OutboxRow) -> int:
    assert row.id is not None  # a row read from the store
    return row.id


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
