"""Schema migrations of the local store.

Why not Alembic here: the local store is SQLite only and ships inside the package, so an
ordered list of SQL scripts, each applied in one `BEGIN IMMEDIATE` transaction and recorded in
`schema_migrations`, does the job without an env.py or a script directory to find at run
time. Never edit a released migration; add the next one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema."""

    version: int
    name: str
    sql: str


MIGRATIONS: Sequence[Migration] = (
    Migration(
        1,
        "initial",
        """
CREATE TABLE catalog_cache (
    version VARCHAR NOT NULL PRIMARY KEY,
    fetched_at DATETIME NOT NULL,
    source VARCHAR NOT NULL,
    sources_json VARCHAR NOT NULL,
    search_keys_json VARCHAR NOT NULL
);
CREATE TABLE case_record (
    id INTEGER NOT NULL PRIMARY KEY,
    draft_key VARCHAR NOT NULL UNIQUE,
    case_number VARCHAR UNIQUE,
    query_password VARCHAR,
    status VARCHAR NOT NULL,
    hall VARCHAR NOT NULL,
    counter INTEGER NOT NULL,
    ticket VARCHAR,
    selection_json VARCHAR NOT NULL,
    answers_json VARCHAR NOT NULL,
    applicant_json VARCHAR NOT NULL,
    form_json VARCHAR NOT NULL,
    decision_json VARCHAR NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE TABLE case_material (
    id INTEGER NOT NULL PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES case_record (id),
    material_code VARCHAR NOT NULL,
    original VARCHAR NOT NULL,
    copies INTEGER NOT NULL,
    scans INTEGER NOT NULL,
    verified_by_sharing BOOLEAN NOT NULL,
    deferred_until DATE,
    not_applicable BOOLEAN NOT NULL,
    marked_missing BOOLEAN NOT NULL,
    updated_at DATETIME NOT NULL,
    UNIQUE (case_id, material_code)
);
CREATE INDEX ix_case_material_case_id ON case_material (case_id);
CREATE TABLE attachment (
    id INTEGER NOT NULL PRIMARY KEY,
    sha256 VARCHAR NOT NULL,
    case_id INTEGER REFERENCES case_record (id),
    material_code VARCHAR,
    file_name VARCHAR NOT NULL,
    size INTEGER NOT NULL,
    mime VARCHAR NOT NULL,
    pages INTEGER,
    added_at DATETIME NOT NULL
);
CREATE INDEX ix_attachment_sha256 ON attachment (sha256);
CREATE INDEX ix_attachment_case_id ON attachment (case_id);
CREATE TABLE outbox (
    id INTEGER NOT NULL PRIMARY KEY,
    kind VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL UNIQUE,
    payload_json VARCHAR NOT NULL,
    created_at DATETIME NOT NULL,
    attempts INTEGER NOT NULL,
    last_error VARCHAR,
    sent_at DATETIME
);
CREATE TABLE print_job (
    id INTEGER NOT NULL PRIMARY KEY,
    document VARCHAR NOT NULL,
    printer VARCHAR NOT NULL,
    payload_json VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    last_error VARCHAR,
    is_copy BOOLEAN NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE TABLE audit_log (
    seq INTEGER NOT NULL PRIMARY KEY,
    at VARCHAR NOT NULL,
    actor VARCHAR NOT NULL,
    counter INTEGER,
    action VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    detail_json VARCHAR NOT NULL,
    prev_hash VARCHAR NOT NULL,
    hash VARCHAR NOT NULL
);
-- Append-only: the database itself refuses to change or remove an audit row.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE case_sequence (
    day DATE NOT NULL,
    counter INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (day, counter)
);
""",
    ),
    Migration(
        2,
        "intake drafts: the step to resume at and the clerk",
        """
ALTER TABLE case_record ADD COLUMN step VARCHAR NOT NULL DEFAULT 'applicant';
ALTER TABLE case_record ADD COLUMN clerk VARCHAR NOT NULL DEFAULT '';
""",
    ),
    Migration(
        3,
        "print spool: what a job is for, when to try again, when it printed, what it copies",
        """
ALTER TABLE print_job ADD COLUMN subject VARCHAR NOT NULL DEFAULT '';
ALTER TABLE print_job ADD COLUMN next_attempt_at DATETIME;
ALTER TABLE print_job ADD COLUMN printed_at DATETIME;
ALTER TABLE print_job ADD COLUMN copy_of INTEGER REFERENCES print_job (id);
CREATE INDEX ix_print_job_due ON print_job (printer, status, id);
""",
    ),
    Migration(
        4,
        "intake drafts: shared-registry records, and the supplement notice a draft continues",
        """
ALTER TABLE case_record ADD COLUMN extra_json VARCHAR NOT NULL DEFAULT '{}';
""",
    ),
    Migration(
        5,
        "console facts: its id, and how far its audit log is anchored on the platform",
        """
CREATE TABLE console_meta (
    key VARCHAR NOT NULL PRIMARY KEY,
    value VARCHAR NOT NULL
);
""",
    ),
    Migration(
        6,
        "offline logins: staff who logged in here, with a verifier of their PIN",
        """
CREATE TABLE offline_login (
    username VARCHAR NOT NULL PRIMARY KEY,
    name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    department VARCHAR,
    pin_hash VARCHAR NOT NULL,
    verified_at DATETIME NOT NULL,
    failures INTEGER NOT NULL,
    locked_until DATETIME
);
""",
    ),
    Migration(
        7,
        "each case as the platform last showed it (its handoffs' states), for offline search",
        """
ALTER TABLE case_record ADD COLUMN platform_json VARCHAR NOT NULL DEFAULT '';
ALTER TABLE case_record ADD COLUMN platform_at DATETIME;
""",
    ),
)


def current_version(conn: sqlite3.Connection) -> int:
    """The highest applied migration, 0 for a new file."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply every migration not yet applied, each in its own transaction; return them."""
    applied = []
    have = current_version(conn)
    if have > max((m.version for m in migrations), default=0):
        raise RuntimeError(
            f"the local store has schema version {have}, newer than this program knows; "
            "upgrade clerk-console"
        )
    for m in sorted(migrations, key=lambda m: m.version):
        if m.version <= have:
            continue
        now = datetime.now(UTC).isoformat()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _statements(m.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (m.version, m.name, now),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(m.version)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies (BEGIN … END;) whole."""
    out: list[str] = []
    buffer = ""
    for line in sql.splitlines():
        if line.strip().startswith("--"):
            continue
        *pieces, rest = line.split(";")
        for piece in pieces:
            buffer += piece + ";"
            if sqlite3.complete_statement(buffer):
                out.append(buffer.strip())
                buffer = ""
        buffer += rest + "\n"
    if buffer.strip():
        out.append(buffer.strip())
    return out
