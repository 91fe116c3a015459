"""The platform's trail (全程留痕, table `case_event`) made tamper-evident.

Each event carries its place (`seq`, 1, 2, 3 … with no gaps), the hash of the event before
it and its own hash: an HMAC under the server's secret over that previous hash and the
event's content. The trail's head (how many events, the last hash) is kept beside it, sealed
with the same key. So:
- an edited event no longer matches its hash;
- a removed event leaves a gap, or a link to nothing;
- events removed from the end, or all of them, no longer reach the sealed head;
- recomputing the hashes after a change needs the secret, which is not in the database.

The database refuses UPDATE and DELETE on the trail (triggers, migration 0011), and on
PostgreSQL a hall runs the platform under a role that may only SELECT and INSERT it
(`app_role_grants`). `verify` walks it all (`clerk-console central audit verify`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from clerk_console.central.models import CaseEvent, PlatformMeta

Keyed = Callable[[str], str]
"""HMAC-SHA256 under the server secret (`PinHasher.keyed_digest`)."""

HEAD = "trail_head"
GENESIS = "0" * 64
_KEYS: WeakKeyDictionary[Engine, Keyed] = WeakKeyDictionary()


def use_key(engine: Engine, keyed: Keyed) -> None:
    """The key the trail of the platform on `engine` is sealed with (set by the app)."""
    _KEYS[engine] = keyed


def _key_of(s: Session) -> Keyed:
    bind = s.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    keyed = _KEYS.get(engine)
    if keyed is None:
        raise RuntimeError("the trail's key is not set for this database (use_key)")
    return keyed


def _content(
    seq: int,
    case_number: str,
    handoff_id: int | None,
    at: str,
    kind: str,
    username: str,
    detail_json: str,
) -> str:
    return json.dumps(
        [seq, case_number, handoff_id, at, kind, username, detail_json],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def event_hash(keyed: Keyed, prev_hash: str, row: CaseEvent) -> str:
    """The hash an event must carry."""
    assert row.seq is not None
    return _hash(
        keyed,
        prev_hash,
        row.seq,
        row.case_number,
        row.handoff_id,
        row.at,
        row.kind,
        row.username,
        row.detail_json,
    )


def _hash(
    keyed: Keyed,
    prev_hash: str,
    seq: int,
    case_number: str,
    handoff_id: int | None,
    at: datetime,
    kind: str,
    username: str,
    detail_json: str,
) -> str:
    body = _content(seq, case_number, handoff_id, _stamp(at), kind, username, detail_json)
    return keyed(f"trail|{prev_hash}|{body}")


def _stamp(at: datetime) -> str:
    # The same moment reads back naive from SQLite and aware from PostgreSQL.
    return at.replace(tzinfo=None).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Head:
    """The trail's head: how many events, the last one's hash, and the seal over both."""

    count: int
    hash: str
    seal: str

    def text(self) -> str:
        return f"{self.count}:{self.hash}:{self.seal}"

    @classmethod
    def parse(cls, text: str) -> Head | None:
        parts = text.split(":")
        if len(parts) != 3 or not parts[0].isdigit():
            return None
        return cls(int(parts[0]), parts[1], parts[2])


def _seal(keyed: Keyed, count: int, last: str) -> str:
    return keyed(f"head|{count}|{last}")


@dataclass(frozen=True)
class NewEvent:
    """An event to add to the trail."""

    case_number: str
    kind: str
    username: str
    at: datetime
    detail: Mapping[str, Any]
    handoff_id: int | None = None


def append(
    s: Session,
    case_number: str,
    kind: str,
    username: str,
    at: datetime,
    detail: Mapping[str, Any],
    handoff_id: int | None = None,
) -> None:
    """Add one event at the end of the trail, in the caller's transaction. The head row is
    locked first, so events of transactions running side by side take their places in turn."""
    append_many(s, [NewEvent(case_number, kind, username, at, detail, handoff_id)])


def append_many(s: Session, events: Sequence[NewEvent]) -> None:
    """Add events at the end of the trail in this order, in the caller's transaction: the
    head is locked and written once for all of them (a batch of cases), and the events
    are written as one statement of plain columns (a batch's trail is hundreds of rows)."""
    if not events:
        return
    keyed = _key_of(s)
    meta, count, prev = _locked_head(s)
    rows = []
    for event in events:
        count += 1
        detail_json = json.dumps(dict(event.detail), ensure_ascii=False, default=str)
        digest = _hash(
            keyed,
            prev,
            count,
            event.case_number,
            event.handoff_id,
            event.at,
            event.kind,
            event.username,
            detail_json,
        )
        rows.append(
            {
                "seq": count,
                "case_number": event.case_number,
                "handoff_id": event.handoff_id,
                "at": event.at,
                "kind": event.kind,
                "username": event.username,
                "detail_json": detail_json,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    s.execute(insert(_EVENTS), rows)
    _write_head(s, meta, keyed, count, prev)


_EVENTS = CaseEvent.__table__  # type: ignore[attr-defined]


def _locked_head(s: Session) -> tuple[PlatformMeta | None, int, str]:
    """The head's row, locked for this transaction, with its count and last hash."""
    meta = s.exec(select(PlatformMeta).where(PlatformMeta.key == HEAD).with_for_update()).first()
    head = Head.parse(meta.value) if meta is not None else None
    return (meta, head.count, head.hash) if head is not None else (meta, 0, GENESIS)


def _write_head(s: Session, meta: PlatformMeta | None, keyed: Keyed, count: int, last: str) -> None:
    value = Head(count, last, _seal(keyed, count, last)).text()
    if meta is None:
        s.add(PlatformMeta(key=HEAD, value=value))
    else:
        meta.value = value
        s.add(meta)


def start(s: Session, keyed: Keyed) -> None:
    """Seal an empty head for a new trail (`central init`), so that removing everything,
    head and all, is seen too."""
    if s.get(PlatformMeta, HEAD) is None:
        _write_head(s, None, keyed, 0, GENESIS)


def seal_unsealed(s: Session, keyed: Keyed) -> int:
    """Give the events written before the trail was chained (migration 0011 leaves them
    without a place) their places and hashes, oldest first; how many. Only such rows may
    be updated: the database refuses any change to a sealed one."""
    unsealed = list(
        s.exec(select(CaseEvent).where(col(CaseEvent.seq).is_(None)).order_by(col(CaseEvent.id)))
    )
    if not unsealed:
        return 0
    meta, count, prev = _locked_head(s)
    for row in unsealed:
        count += 1
        row.seq, row.prev_hash = count, prev
        row.hash = event_hash(keyed, prev, row)
        prev = row.hash
        s.add(row)
    _write_head(s, meta, keyed, count, prev)
    return len(unsealed)


@dataclass(frozen=True)
class Verdict:
    """What `verify` found: the events checked and the first break (None: intact)."""

    checked: int
    broken_at: int | None = None
    reason: str = ""


def verify(s: Session, keyed: Keyed) -> Verdict:
    """Walk the trail in order and check every link, every hash and the sealed head."""
    rows: Iterable[CaseEvent] = s.exec(
        select(CaseEvent).order_by(col(CaseEvent.seq).is_(None), col(CaseEvent.seq))
    )
    expected, prev, checked = 1, GENESIS, 0
    for row in rows:
        if row.seq is None:
            return Verdict(checked, expected, "unsealed event")
        if row.seq != expected:
            return Verdict(checked, expected, "missing event")
        if row.prev_hash != prev:
            return Verdict(checked, row.seq, "link to the event before it broken")
        if event_hash(keyed, prev, row) != row.hash:
            return Verdict(checked, row.seq, "event changed")
        prev, expected, checked = row.hash, expected + 1, checked + 1
    meta = s.get(PlatformMeta, HEAD)
    head = Head.parse(meta.value) if meta is not None else None
    if head is None:  # `central init` seals an empty head: none at all was removed
        return Verdict(checked, checked + 1, "head missing")
    if head.seal != _seal(keyed, head.count, head.hash):
        return Verdict(checked, head.count, "head changed")
    if head.count > checked:
        return Verdict(checked, checked + 1, f"events {checked + 1}–{head.count} removed")
    if head.count < checked or head.hash != prev:
        return Verdict(checked, head.count + 1, "events after the head")
    return Verdict(checked)
