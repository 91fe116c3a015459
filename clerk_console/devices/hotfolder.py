"""The document scanner's hot folder.

The scanner writes each scan as a file into a folder. A file is taken only once its size has
stood still for `settle` seconds (the scanner writes in parts), then stored by its SHA-256 in
the console's data directory, recorded with its name, size, type and page count (PDF), and
removed from the folder. It goes to the material selected in the open intake, or, with no
intake open, to the inbox, so that nothing is ever attached to the wrong case. Images and
PDFs are taken; anything else is refused with a message and left where it is.

`poll` does one pass and is meant to be called from a worker every half second or so.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from clerk_console.config import ConsoleConfig
from clerk_console.domain.scanned_files import KINDS, sniff
from clerk_console.store.local import LocalStore

# How often a screen's worker looks into the folder: a scan shows within a second.
POLL_SECONDS = 0.5


def pdf_pages(path: Path) -> int:
    """How many pages a PDF has; ValueError if it cannot be read."""
    try:
        return len(PdfReader(path).pages)
    except (PdfReadError, OSError, KeyError, ValueError) as exc:
        raise ValueError(f"unreadable PDF: {exc}") from exc


class Outcome(StrEnum):
    """What became of a file."""

    ATTACHED = "attached"  # to a material of the open intake
    INBOX = "inbox"  # no intake open: waits for the clerk to assign it
    REFUSED = "refused"  # not a PDF or an image, or unreadable: left in place


@dataclass(frozen=True)
class Target:
    """Where the next scan goes: a material of an open intake, by the clerk."""

    draft_key: str
    material: str
    clerk: str


@dataclass(frozen=True)
class Taken:
    """One file handled by a poll."""

    name: str
    outcome: Outcome
    reason: str = ""  # why it was refused (a message key: type, unreadable)
    pages: int | None = None
    sha256: str = ""


class HotFolder:
    """Watches one folder; stores what the scanner finished writing."""

    def __init__(
        self,
        folder: Path,
        store: LocalStore,
        data_dir: Path,
        settle: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder, self.store, self.settle, self.clock = folder, store, settle, clock
        self.blobs = data_dir / "attachments"
        self._seen: dict[Path, tuple[int, float, float]] = {}  # size, mtime, since
        self._refused: dict[Path, tuple[int, float]] = {}

    def poll(self, target: Target | None, clerk: str = "") -> list[Taken]:
        """One pass over the folder: every file that has settled is taken or refused."""
        if not self.folder.is_dir():
            return []
        now = self.clock()
        taken: list[Taken] = []
        present = set()
        for path in sorted(p for p in self.folder.iterdir() if p.is_file()):
            if path.name.startswith("."):
                continue  # scanners write a hidden temporary name first, then rename
            present.add(path)
            stat = path.stat()
            state = (stat.st_size, stat.st_mtime)
            if self._refused.get(path) == state:
                continue  # said once; it stays until someone moves it
            seen = self._seen.get(path)
            if seen is None or seen[:2] != state:
                self._seen[path] = (*state, now)  # new, or still growing
                continue
            if now - seen[2] < self.settle or stat.st_size == 0:
                continue
            taken.append(self._take(path, target, clerk))
            self._seen.pop(path, None)
        for gone in set(self._seen) - present:
            del self._seen[gone]
        return taken

    def _take(self, path: Path, target: Target | None, clerk: str) -> Taken:
        with path.open("rb") as f:
            kind = sniff(f.read(16))
        if kind is None:
            return self._refuse(path, "type")
        mime, extension = kind
        pages = None
        if mime == "application/pdf":
            try:
                pages = pdf_pages(path)
            except ValueError:
                return self._refuse(path, "unreadable")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        blob = self.blobs / digest[:2] / f"{digest}{extension}"
        if not blob.exists():  # the same content scanned twice is stored once
            blob.parent.mkdir(parents=True, exist_ok=True)
            partial = blob.with_suffix(blob.suffix + ".part")
            shutil.copyfile(path, partial)
            partial.replace(blob)
        size = path.stat().st_size
        who = target.clerk if target else clerk
        self.store.add_attachment(
            digest,
            path.name,
            size,
            mime,
            pages,
            who,
            draft_key=target.draft_key if target else None,
            material=target.material if target else None,
        )
        path.unlink()
        outcome = Outcome.ATTACHED if target else Outcome.INBOX
        return Taken(path.name, outcome, pages=pages, sha256=digest)

    def _refuse(self, path: Path, reason: str) -> Taken:
        stat = path.stat()
        self._refused[path] = (stat.st_size, stat.st_mtime)
        return Taken(path.name, Outcome.REFUSED, reason=reason)

    def blob(self, sha256: str, mime: str) -> Path:
        """Where a stored file lives."""
        extension = next(ext for m, ext in KINDS.values() if m == mime)
        return self.blobs / sha256[:2] / f"{sha256}{extension}"


def hot_folder_from(settings: ConsoleConfig, store: LocalStore) -> HotFolder:
    """The console's hot folder as its config sets it up."""
    return HotFolder(
        Path(settings.intake.hot_folder).expanduser(),
        store,
        settings.data_path(),
        settle=settings.intake.hot_folder_settle_seconds,
    )
