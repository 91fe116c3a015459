"""Faults of the machine a console or platform runs on, told apart so each can be said in
words with what to do: a damaged database file, a folder that cannot be written, a full
disk. And the crash log: what went wrong, written to a file in the data directory without
local variables (a traceback's locals would print a PIN or an ID number), never on screen.
"""

from __future__ import annotations

import errno
import re
import sqlite3
import traceback
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

CRASH_LOG = "crash.log"


class Fault(StrEnum):
    """What kind of fault an exception is."""

    DAMAGED = "damaged"  # the database file is not a database, or its pages are broken
    READ_ONLY = "read_only"  # the file or its folder cannot be written
    FULL = "full"  # no room left on the disk
    OTHER = "other"


_DAMAGED = ("file is not a database", "database disk image is malformed", "malformed")
_READ_ONLY = ("readonly database", "read-only", "unable to open database file")
_FULL = ("database or disk is full", "no space left")


def _chain(error: BaseException) -> list[BaseException]:
    """The exception, its causes and contexts, and the driver error SQLAlchemy wraps."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return seen


def classify(error: BaseException) -> Fault:
    """The kind of fault `error` (or what caused it) is."""
    for e in _chain(error):
        text = str(e).lower()
        if isinstance(e, OSError) and e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return Fault.READ_ONLY
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            return Fault.FULL
        if isinstance(e, sqlite3.DatabaseError) or type(e).__module__.startswith("sqlalchemy"):
            if any(words in text for words in _DAMAGED):
                return Fault.DAMAGED
            if any(words in text for words in _READ_ONLY):
                return Fault.READ_ONLY
            if any(words in text for words in _FULL):
                return Fault.FULL
    return Fault.OTHER


def keep_aside(database: Path, now: datetime | None = None) -> Path:
    """Move a damaged SQLite file (and its -wal and -shm) aside, never deleting anything;
    the path it now has."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    aside = database.with_name(f"{database.name}.damaged-{stamp}")
    for suffix in ("-wal", "-shm"):
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            companion.rename(aside.with_name(aside.name + suffix))
    database.rename(aside)
    return aside


_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


# A password or PIN written as a field of some data: `"query_password": "123456"`, also
# as JSON quoted inside JSON (a database's error repeating a failing row).
_SECRET_FIELD = re.compile(
    r"""((?:query_password|password|pin|token)\\?["']?\s*[:=]\s*\\?["']?)([^"'\\,\s}]+)""",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with ID numbers and mobiles masked (as on screen) and the values of password,
    PIN and token fields hidden, for logs."""
    text = _SECRET_FIELD.sub(lambda m: m[1] + "******", text)
    text = _ID_NUMBER.sub(lambda m: m[1] + "********" + m[2], text)
    return _MOBILE.sub(lambda m: m[1] + "****" + m[2], text)


def write_crash_log(folder: Path, error: BaseException, what: str) -> Path:
    """Append `error`'s traceback (no local variables, ID numbers and mobiles masked) to
    the crash log in `folder`, or in the system's temporary folder when `folder` cannot be
    written; the log's path."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    entry = f"--- {datetime.now(UTC).isoformat()} {what}\n{redact(''.join(lines))}\n"
    for place in (folder, Path(_temp_dir())):
        try:
            place.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = place / CRASH_LOG
            with path.open("a", encoding="utf-8") as log:
                log.write(entry)
            path.chmod(0o600)  # a traceback may name a case: for the program's user only
            return path
        except OSError:
            continue
    return folder / CRASH_LOG  # nowhere to write: name where it would have been


def _temp_dir() -> str:
    import tempfile

    return str(Path(tempfile.gettempdir()) / "clerk-console")
