"""The console's local store: one SQLite file in WAL mode with `synchronous=FULL`, so an
acknowledged write survives a power cut. Every write transaction starts with `BEGIN
IMMEDIATE`, taking the write lock up front instead of failing half-way."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, col, select

from clerk_console.domain.audit import GENESIS, AuditFields, ChainBreak, entry_hash, verify_chain
from clerk_console.domain.search import HitKind, SearchKey
from clerk_console.store.migrations import migrate
from clerk_console.store.models import AuditEntry, CaseSequence, CatalogCache

STORE_FILE = "console.db"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(path: Path) -> Engine:
    """A SQLAlchemy engine on `path` with the store's pragmas and immediate transactions."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred).
        dbapi.isolation_level = None
        dbapi.execute("PRAGMA journal_mode=WAL")
        dbapi.execute("PRAGMA synchronous=FULL")
        dbapi.execute("PRAGMA foreign_keys=ON")
        dbapi.execute("PRAGMA busy_timeout=5000")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@dataclass(frozen=True)
class CachedCatalog:
    """A catalog as the store keeps it."""

    version: str
    source: str
    sources: dict[str, str]
    search_keys: list[SearchKey]


class LocalStore:
    """Opens (creating and migrating) the store file and offers its operations."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.engine = make_engine(path)
        raw = self.engine.raw_connection()
        try:
            dbapi = raw.driver_connection
            assert isinstance(dbapi, sqlite3.Connection)
            migrate(dbapi)
        finally:
            raw.close()

    @classmethod
    def open(cls, data_dir: Path) -> LocalStore:
        """The store in a data directory."""
        return cls(data_dir / STORE_FILE)

    def close(self) -> None:
        """Release the file."""
        self.engine.dispose()

    def session(self) -> Session:
        """A session; use it as a context manager and commit inside `session.begin()`."""
        return Session(self.engine, expire_on_commit=False)

    # --- audit ------------------------------------------------------------------------

    def append_audit(
        self,
        actor: str,
        action: str,
        subject: str,
        detail: Mapping[str, Any] | None = None,
        counter: int | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append one entry, chained to the previous one, in its own transaction."""
        stamp = (at or _utcnow()).isoformat()
        with self.session() as s, s.begin():
            last = s.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc())).first()
            seq = 1 if last is None else last.seq + 1
            prev = GENESIS if last is None else last.hash
            fields = AuditFields(seq, stamp, actor, counter, action, subject, dict(detail or {}))
            row = AuditEntry(
                seq=seq,
                at=stamp,
                actor=actor,
                counter=counter,
                action=action,
                subject=subject,
                detail_json=json.dumps(fields.detail, ensure_ascii=False, sort_keys=True),
                prev_hash=prev,
                hash=entry_hash(prev, fields),
            )
            s.add(row)
        return row

    def audit_entries(self) -> list[AuditEntry]:
        """The whole log in order."""
        with self.session() as s:
            return list(s.exec(select(AuditEntry).order_by(col(AuditEntry.seq))))

    def verify_audit(self) -> tuple[int, ChainBreak | None]:
        """(entries checked, first break or None)."""
        rows = self.audit_entries()
        chain = (
            (
                AuditFields(
                    r.seq, r.at, r.actor, r.counter, r.action, r.subject, json.loads(r.detail_json)
                ),
                r.prev_hash,
                r.hash,
            )
            for r in rows
        )
        return len(rows), verify_chain(chain)

    # --- catalog cache ------------------------------------------------------------------

    def cache_catalog(
        self,
        version: str,
        source: str,
        sources: Mapping[str, str],
        search_keys: Sequence[SearchKey],
    ) -> None:
        """Keep this catalog version (replacing older ones)."""
        keys = [
            [k.kind.value, k.code, k.name, k.department, k.pinyin, k.initials, k.keywords]
            for k in search_keys
        ]
        with self.session() as s, s.begin():
            for old in s.exec(select(CatalogCache)):
                s.delete(old)
            s.add(
                CatalogCache(
                    version=version,
                    fetched_at=_utcnow(),
                    source=source,
                    sources_json=json.dumps(dict(sources), ensure_ascii=False),
                    search_keys_json=json.dumps(keys, ensure_ascii=False),
                )
            )

    def cached_catalog(self) -> CachedCatalog | None:
        """The cached catalog, if any."""
        with self.session() as s:
            row = s.exec(select(CatalogCache)).first()
        if row is None:
            return None
        keys = [
            SearchKey(HitKind(k[0]), k[1], k[2], k[3], k[4], k[5], k[6])
            for k in json.loads(row.search_keys_json)
        ]
        return CachedCatalog(row.version, row.source, json.loads(row.sources_json), keys)

    # --- case numbers -------------------------------------------------------------------

    def next_case_sequence(self, day: date, counter: int) -> int:
        """The next case sequence of `counter` on `day`, taken in one transaction."""
        with self.session() as s, s.begin():
            row = s.get(CaseSequence, (day, counter))
            if row is None:
                row = CaseSequence(day=day, counter=counter, last=0)
            row.last += 1
            s.add(row)
            return row.last
