"""The console's audit log anchored on the platform (issue 12, finding 4): as it grows, its
newest hash goes to the platform with the outbox; then `audit verify` catches what its own
chain cannot: entries removed from the end, all of them, or the log rewritten with every
hash redone (the triggers dropped first, as someone with the file in hand would)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sync.test_outbox import platform  # noqa: F401  (the real platform on both databases)

from clerk_console.domain.audit import GENESIS, AuditFields, entry_hash
from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient
from clerk_console.sync.outbox import push_outbox

ENTRIES = 6


async def anchored_log(
    tmp_path: Path, transport: httpx.ASGITransport
) -> tuple[LocalStore, PlatformClient, list[tuple[int, str]]]:
    """A console whose log grew in two steps, each anchored by a round of the outbox."""
    store = LocalStore.open(tmp_path / "console")
    client = PlatformClient(transport=transport)
    await client.login("clerk01", "111111", 5)
    for n in range(ENTRIES):
        store.append_audit("clerk01", "case.accepted", f"JY01-20261123-05-000{n + 1}", counter=5)
        if n in (2, ENTRIES - 1):
            report = await push_outbox(store, client)
            assert report.error == ""
    anchors = await client.audit_anchors(store.console_id())
    assert [seq for seq, _hash in anchors] == [3, ENTRIES]
    assert store.verify_audit(anchors) == (ENTRIES, None)
    return store, client, anchors


def unguarded(store: LocalStore) -> sqlite3.Connection:
    conn = sqlite3.connect(store.path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    return conn


def rewrite_from(conn: sqlite3.Connection, seq: int) -> None:
    """Change entry `seq` and redo every hash after it: a chain that checks out alone."""
    conn.execute("UPDATE audit_log SET subject = 'forged' WHERE seq = ?", (seq,))
    prev = GENESIS
    rows = conn.execute(
        "SELECT seq, at, actor, counter, action, subject, detail_json FROM audit_log ORDER BY seq"
    ).fetchall()
    for seq_, at, actor, counter, action, subject, detail in rows:
        fields = AuditFields(seq_, at, actor, counter, action, subject, json.loads(detail))
        digest = entry_hash(prev, fields)
        conn.execute(
            "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq_)
        )
        prev = digest


ATTACKS: dict[str, tuple[Callable[[sqlite3.Connection], None], int, str]] = {
    "delete-last": (
        lambda c: c.execute(f"DELETE FROM audit_log WHERE seq = {ENTRIES}"),
        ENTRIES,
        "removed",
    ),
    "delete-last-three": (
        lambda c: c.execute(f"DELETE FROM audit_log WHERE seq > {ENTRIES - 3}"),
        ENTRIES - 2,
        "removed",
    ),
    "delete-all": (lambda c: c.execute("DELETE FROM audit_log"), 1, "removed"),
    "rehash": (lambda c: rewrite_from(c, 2), 3, "anchor_mismatch"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_what_the_chain_alone_misses_the_anchors_catch(
    platform: tuple[httpx.ASGITransport, object],  # noqa: F811
    tmp_path: Path,
    attack: str,
) -> None:
    transport, _engine = platform
    store, client, anchors = await anchored_log(tmp_path, transport)
    change, at, reason = ATTACKS[attack]
    conn = unguarded(store)
    change(conn)
    conn.commit()
    conn.close()
    assert store.verify_audit()[1] is None  # its own chain: nothing to see
    _count, broken = store.verify_audit(anchors)
    assert broken is not None and (broken.seq, broken.reason) == (at, reason)
    await client.aclose()
    store.close()


async def test_a_rewritten_entry_anchored_again_is_refused_and_recorded(
    platform: tuple[httpx.ASGITransport, object],  # noqa: F811
    tmp_path: Path,
) -> None:
    from sqlmodel import Session, select

    from clerk_console.central.models import CaseEvent

    transport, engine = platform
    store, client, _anchors = await anchored_log(tmp_path, transport)
    conn = unguarded(store)
    rewrite_from(conn, ENTRIES)  # the newest entry, already anchored, changed
    conn.execute("DELETE FROM console_meta WHERE key = 'anchored_seq'")
    conn.commit()
    conn.close()
    report = await push_outbox(store, client)
    assert report.error.startswith("anchor_mismatch")
    with Session(engine) as s:  # type: ignore[arg-type]
        (alarm,) = s.exec(select(CaseEvent).where(CaseEvent.kind == "audit.anchor_mismatch"))
    assert alarm.username == "clerk01" and f'"seq": {ENTRIES}' in alarm.detail_json
    await client.aclose()
    store.close()
