"""The document scanner's hot folder with real files: taken only once written, stored by
SHA-256 with its page count, attached to the selected material or kept in the inbox;
anything else refused and left in place."""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import time
import zlib
from pathlib import Path

import pytest
from pypdf import PdfWriter

from clerk_console.devices.hotfolder import HotFolder, Outcome, Target
from clerk_console.domain.intake import Applicant, Intake
from clerk_console.store.local import LocalStore


def pdf_bytes(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore.open(tmp_path / "data")
    intake = Intake(key="draft-1", counter=5, clerk="clerk01", applicant=Applicant(name="张三"))
    store.save_draft(intake, "JY01", "intake.applicant")
    return store


def test_a_pdf_written_in_parts_is_taken_once_it_stands_still(
    store: LocalStore, tmp_path: Path
) -> None:
    folder, clock = tmp_path / "scans", Clock()
    folder.mkdir()
    hot = HotFolder(folder, store, tmp_path / "data", settle=1.0, clock=clock)
    target = Target("draft-1", "id_card", "clerk01")
    content = pdf_bytes(3)
    scan = folder / "scan0001.pdf"
    half = len(content) // 2
    scan.write_bytes(content[:half])  # the scanner has started writing
    assert hot.poll(target) == []
    clock.now = 0.8
    with scan.open("ab") as f:
        f.write(content[half:])  # and goes on
    assert hot.poll(target) == []
    clock.now = 1.5  # 0.7 s since it last grew: not yet
    assert hot.poll(target) == []
    clock.now = 2.0
    [taken] = hot.poll(target)
    assert (taken.name, taken.outcome, taken.pages) == ("scan0001.pdf", Outcome.ATTACHED, 3)
    digest = hashlib.sha256(content).hexdigest()
    assert taken.sha256 == digest
    assert hot.blob(digest, "application/pdf").read_bytes() == content
    assert not scan.exists()  # taken out of the folder
    [row] = store.attachments("draft-1")
    assert (row.file_name, row.size, row.mime, row.pages, row.material_code) == (
        "scan0001.pdf",
        len(content),
        "application/pdf",
        3,
        "id_card",
    )
    draft = store.load_draft("draft-1")
    assert draft is not None and draft.record("id_card").scans == 1
    assert store.audit_entries()[-1].action == "attachment.added"


def test_with_no_intake_open_a_scan_waits_in_the_inbox(store: LocalStore, tmp_path: Path) -> None:
    folder, clock = tmp_path / "scans", Clock()
    folder.mkdir()
    hot = HotFolder(folder, store, tmp_path / "data", settle=0.5, clock=clock)
    (folder / "photo.png").write_bytes(png_bytes())
    hot.poll(None, clerk="clerk01")
    clock.now = 1.0
    [taken] = hot.poll(None, clerk="clerk01")
    assert taken.outcome is Outcome.INBOX and taken.pages is None
    [waiting] = store.inbox()
    assert waiting.mime == "image/png" and store.attachments("draft-1") == []
    assert waiting.id is not None
    store.assign_attachment(waiting.id, "draft-1", "photo", "clerk01")
    assert store.inbox() == [] and len(store.attachments("draft-1")) == 1
    draft = store.load_draft("draft-1")
    assert draft is not None and draft.record("photo").scans == 1
    with pytest.raises(ValueError, match="not in the inbox"):
        store.assign_attachment(waiting.id, "draft-1", "photo", "clerk01")


def test_other_files_are_refused_once_and_left_in_place(store: LocalStore, tmp_path: Path) -> None:
    folder, clock = tmp_path / "scans", Clock()
    folder.mkdir()
    hot = HotFolder(folder, store, tmp_path / "data", settle=0.5, clock=clock)
    target = Target("draft-1", "id_card", "clerk01")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 not a scan")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not a real pdf")
    hot.poll(target)
    clock.now = 1.0
    refused = {t.name: (t.outcome, t.reason) for t in hot.poll(target)}
    assert refused == {
        "broken.pdf": (Outcome.REFUSED, "unreadable"),
        "notes.docx": (Outcome.REFUSED, "type"),
    }
    clock.now = 2.0
    assert hot.poll(target) == []  # said once, not at every pass
    assert (folder / "notes.docx").exists() and (folder / "broken.pdf").exists()
    assert store.attachments("draft-1") == [] and store.inbox() == []


def test_a_scanner_writing_slowly_in_real_time(store: LocalStore, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    hot = HotFolder(folder, store, tmp_path / "data", settle=0.3)
    target = Target("draft-1", "licence", "clerk01")
    content = pdf_bytes(2)

    def scanner() -> None:
        with (folder / "slow.pdf").open("wb") as f:
            for start in range(0, len(content), 100):
                f.write(content[start : start + 100])
                f.flush()
                time.sleep(0.05)

    writing = threading.Thread(target=scanner)
    writing.start()
    taken = []
    deadline = time.monotonic() + 10
    while not taken and time.monotonic() < deadline:
        taken = hot.poll(target)
        assert not taken or not writing.is_alive(), "taken while the scanner was writing"
        time.sleep(0.05)
    writing.join()
    assert [(t.outcome, t.pages) for t in taken] == [(Outcome.ATTACHED, 2)]
