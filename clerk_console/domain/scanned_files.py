"""Scanned files as the scanners make them: which kinds we take (told by their first bytes,
never by a name or a declared type) and what a file's name may be once kept."""

from __future__ import annotations

import unicodedata

KINDS = {  # the first bytes of a file, its type, and the extension it is stored with
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"II*\x00": ("image/tiff", ".tif"),
    b"MM\x00*": ("image/tiff", ".tif"),
}
MIME_TYPES = frozenset(mime for mime, _ext in KINDS.values())
NAME_LIMIT = 120


def sniff(head: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of a file by its first bytes, or None if we do not take it."""
    return next((kind for magic, kind in KINDS.items() if head.startswith(magic)), None)


def clean_file_name(name: str) -> str:
    """A file's name as kept and shown: its last path part only (no `../`, no folder), no
    control or format characters, no leading dots, at most NAME_LIMIT characters; `scan`
    when nothing is left."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in last if unicodedata.category(c) not in ("Cc", "Cf"))
    kept = kept.strip().lstrip(".").strip()
    return kept[:NAME_LIMIT] or "scan"
