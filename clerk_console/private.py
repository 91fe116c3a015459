"""Files that hold applicants' data are for the program's own user: its data folders 0700,
its databases (with their WAL and shared-memory files) and logs 0600. A hall's other users
on the same machine read none of it."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_folder(folder: Path) -> None:
    """Make `folder` (and its parents) if need be, and close it to other users."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(OSError):  # a folder of someone else's (a mount): its owner decides
        folder.chmod(0o700)


def private_file(path: Path) -> None:
    """Close an existing file to other users."""
    with suppress(OSError):
        path.chmod(0o600)


def private_database(database: Path) -> None:
    """A SQLite database and the files SQLite keeps beside it, closed to other users."""
    for suffix in SQLITE_COMPANIONS:
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            private_file(companion)
