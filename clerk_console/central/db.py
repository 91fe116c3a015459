"""The platform's database: engines for SQLite and PostgreSQL, the schema, and seeding the
catalog of record and the hall from `data/`."""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, select

from clerk_console.catalog_files import CatalogFiles, load_catalog_and_hall, read_sources
from clerk_console.central.models import (
    AppointmentRow,
    CatalogRecord,
    CentralModel,
    CounterRow,
    LineRow,
    PlatformMeta,
    StaffRow,
)
from clerk_console.central.security import PinHasher
from clerk_console.central.trail import seal_unsealed, start, use_key
from clerk_console.config import CentralConfig
from clerk_console.private import private_database, private_folder

DB_FILE = "central.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SECRET_FILE = "central.secret"
FUNCTIONS = (
    "case_event_append_only",
    "clerk_counter_step",
    "clerk_write",
    "clerk_counter_view",
    "clerk_ticket_view",
    "clerk_iso",
)
"""The platform's PostgreSQL functions (migrations 0004, 0014, 0018)."""


def now() -> datetime:
    """The platform's clock (UTC, aware)."""
    return datetime.now(UTC)


def database_url(config: CentralConfig) -> str:
    """The configured URL, or a SQLite file in the data directory."""
    if config.database_url:
        return config.database_url
    return f"sqlite:///{config.data_path() / DB_FILE}"


class WriteTurns:
    """The transactions of one process on one SQLite file take turns, first come first
    served. SQLite itself lets waiting writers poll on its busy timeout, and under load an
    unlucky one polls past it ("database is locked") while later ones get in. A thread
    already holding a turn may begin again (reentrant), as SQLite would let it fail."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0  # the next ticket to hand out
        self._serving = 0  # the ticket whose turn it is
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            ticket = self._next
            self._next += 1
            while self._serving != ticket:
                self._cond.wait()
            self._owner, self._depth = me, 1

    def release(self) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._serving += 1
                self._cond.notify_all()


class _TurnConnection(sqlite3.Connection):
    """A SQLite connection that gives its turn back when its transaction ends."""

    turns: WriteTurns
    holds = False

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._give_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._give_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._give_back()  # a connection dropped mid-transaction must not keep the turn

    def _give_back(self) -> None:
        if self.holds:
            self.holds = False
            self.turns.release()


def make_engine(url: str, pool_size: int = 20) -> Engine:
    """An engine for `url`. SQLite: WAL, and every transaction BEGIN IMMEDIATE, so that a
    claim's read and write hold the write lock together (no two counters get one ticket);
    the process's transactions take turns (`WriteTurns`)."""
    if url.startswith("sqlite"):
        turns = WriteTurns()
        factory = type("TurnConnection", (_TurnConnection,), {"turns": turns})
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "factory": factory},
            pool_size=pool_size,
            hide_parameters=True,  # an error's text never carries an applicant's numbers
        )

        database = engine.url.database

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            dbapi.isolation_level = None
            dbapi.execute("PRAGMA journal_mode=WAL")
            dbapi.execute("PRAGMA synchronous=NORMAL")
            dbapi.execute("PRAGMA foreign_keys=ON")
            dbapi.execute("PRAGMA busy_timeout=30000")
            if database and database != ":memory:":
                private_database(Path(database))  # the hall's applicants are in it

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            dbapi = conn.connection.dbapi_connection
            turns.acquire()
            dbapi.holds = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                dbapi.holds = False
                turns.release()
                raise

        return engine
    # No pre-ping: it costs a round trip on every request. After a database restart, the
    # first request on each stale connection fails and SQLAlchemy then renews the pool.
    # No overflow: a connection opened past the pool is closed again when returned, and a
    # busy hall would fork a PostgreSQL backend for every other request. Requests beyond
    # the pool wait for a free connection instead.
    return create_engine(url, pool_size=pool_size, max_overflow=0, hide_parameters=True)


def drop_schema(engine: Engine) -> None:
    """Remove every table and function of the platform (tests and benchmarks start clean).
    The functions go first: PostgreSQL keeps a table whose row type they use."""
    with engine.begin() as conn:
        if is_postgres(engine):
            for name in FUNCTIONS:
                conn.execute(text(f"DROP FUNCTION IF EXISTS {name} CASCADE"))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    CentralModel.metadata.drop_all(engine)


def app_role_grants(role: str) -> list[str]:
    """The grants that let the platform run on PostgreSQL as `role`, a role that does not
    own the tables (they belong to whoever ran `central init`): everything it needs, and on
    the trail (case_event) only reading and adding; so not even a platform taken over can
    change or remove an event, nor switch the trail's triggers off."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"{role!r} is not a plain PostgreSQL role name")
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON case_event FROM {role}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}",
    ]


def grant_app_role(engine: Engine, role: str) -> None:
    """Give `role` what `app_role_grants` says (run as the tables' owner)."""
    with engine.begin() as conn:
        for statement in app_role_grants(role):
            conn.execute(text(statement))


def is_postgres(engine: Engine) -> bool:
    """Whether the engine talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


def server_secret(config: CentralConfig, create: bool = False) -> str:
    """The configured secret, or the one in the data directory (made by init)."""
    if config.secret:
        return config.secret
    path = config.data_path() / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    if not create:
        raise RuntimeError("no server secret: set `secret` or run `clerk-console central init`")
    private_folder(path.parent)
    value = secrets.token_hex(32)
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return value


@dataclass(frozen=True)
class InitReport:
    """What `central init` did."""

    schema_created: bool
    catalog_version: str
    lines: int
    counters: int
    staff: int


def _alembic_config(url: str = "") -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def migrate(engine: Engine) -> bool:
    """Bring the schema to the newest revision (Alembic, same scripts for SQLite and
    PostgreSQL); True when the database was empty."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    created = "alembic_version" not in inspect(engine).get_table_names()
    cfg = _alembic_config()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        known = {r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()}
        if current is not None and current not in known:
            raise RuntimeError(
                f"the database has schema revision {current}, newer than this program knows;"
                " upgrade clerk-console"
            )
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
    return created


def demo_booking_codes(day: date) -> list[str]:
    """Today's demo booking codes: the month and day, then 0001, 0002, 0003."""
    return [f"{day:%m%d}{n:04d}" for n in (1, 2, 3)]


def book_demo_appointments(engine: Engine, now: datetime) -> list[str]:
    """Three bookings for today in the demo hall, made once a day, so that the kiosk's
    check-in can be tried: one due now, one early (in an hour), one too late (an hour ago)."""
    codes = demo_booking_codes(now.date())
    with Session(engine) as s, s.begin():
        if s.get(AppointmentRow, codes[0]) is not None:
            return codes
        lines = sorted(row.prefix for row in s.exec(select(LineRow)))
        if not lines:
            return []
        windows = [(-10, 20), (60, 90), (-90, -60)]
        for code, (start, end) in zip(codes, windows, strict=True):
            s.add(
                AppointmentRow(
                    code=code,
                    line=lines[0],
                    day=now.date(),
                    starts_at=now + timedelta(minutes=start),
                    ends_at=now + timedelta(minutes=end),
                    name="演示预约",
                    created_at=now,
                )
            )
    return codes


def init_platform(
    engine: Engine, config: CentralConfig, hasher: PinHasher, catalog_dir: Path | None = None
) -> InitReport:
    """Migrate the schema and load the catalog and the hall. Idempotent: staff already
    present keep their PINs; counters keep their state."""
    created = migrate(engine)
    files = CatalogFiles.locate(catalog_dir)
    catalog, hall = load_catalog_and_hall(catalog_dir)
    if hall is None:
        raise RuntimeError(f"no hall file (demo/hall.toml) under {files.catalog_dir.parent}")
    sources = read_sources(files.catalog_dir)
    stamp = now()
    with Session(engine) as s, s.begin():
        _put_meta(s, "hall_code", hall.code)
        _put_meta(s, "hall_name", hall.name)
        _put_meta(s, "catalog_version", catalog.version)
        if s.get(CatalogRecord, catalog.version) is None:
            s.add(
                CatalogRecord(
                    version=catalog.version,
                    sources_json=json.dumps(sources, ensure_ascii=False),
                    loaded_at=stamp,
                )
            )
        for line in catalog.lines.values():
            row = s.get(LineRow, line.prefix) or LineRow(prefix=line.prefix, name=line.name)
            row.name = line.name
            s.add(row)
        for c in hall.counters:
            crow = s.get(CounterRow, c.number)
            if crow is None:
                crow = CounterRow(number=c.number, name=c.name, lines="", updated_at=stamp)
            crow.name, crow.lines = c.name, ",".join(c.lines)
            s.add(crow)
        for member in hall.staff:
            rights = json.dumps(list(member.instant_departments))
            known = s.get(StaffRow, member.username)
            if known is None:
                s.add(
                    StaffRow(
                        username=member.username,
                        name=member.name,
                        role=member.role.value,
                        department=member.department,
                        instant_departments_json=rights,
                        pin_hash=hasher.hash(member.pin),
                    )
                )
            elif known.instant_departments_json != rights:  # the hall file grants anew
                known.instant_departments_json = rights
                s.add(known)
    use_key(engine, hasher.keyed_digest)
    with Session(engine) as s, s.begin():
        seal_unsealed(s, hasher.keyed_digest)  # events from before the chain
        start(s, hasher.keyed_digest)
    return InitReport(
        created, catalog.version, len(catalog.lines), len(hall.counters), len(hall.staff)
    )


def _put_meta(s: Session, key: str, value: str) -> None:
    row = s.get(PlatformMeta, key) or PlatformMeta(key=key, value=value)
    row.value = value
    s.add(row)


def meta(s: Session, key: str, default: str = "") -> str:
    """A platform fact (hall_code, hall_name, catalog_version ...)."""
    row = s.get(PlatformMeta, key)
    return row.value if row else default


if __name__ == "__main__":
    # For maintainers: `python3 -m clerk_console.central.db revision "what changed"` writes the
    # next migration by comparing the models with a database migrated to the current head.
    import sys
    import tempfile

    from alembic import command

    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python3 -m clerk_console.central.db revision "message"')
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/head.db"
        migrate(make_engine(url, pool_size=1))
        command.revision(_alembic_config(url), message=sys.argv[2], autogenerate=True)
