"""The print spool against a fake printer at its socket: whatever the printer does (off,
stalled, cable pulled mid-job, out of paper, cover open, paper running out just after a job),
every job ends printed exactly once after the fault clears, or visibly failed; none is lost."""

from __future__ import annotations

import json
import os
import pty
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from escpos_decoder import decode
from fake_printer import FakePrinter

from clerk_console.catalog_files import load_wording
from clerk_console.devices.escpos import Profile
from clerk_console.devices.network import NetworkPrinter
from clerk_console.devices.printers import FilePrinter, SerialPrinter
from clerk_console.devices.spool import Attached, Spool, backoff
from clerk_console.domain.documents import Document, reprint, ticket_slip
from clerk_console.store.local import LocalStore, NewPrint

PROFILE = Profile(columns=32)
AT = datetime(2026, 11, 23, 9, 30)


class Clock:
    """The spool's clock, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def slip(number: str) -> Document:
    return ticket_slip(load_wording(), "江阳区政务服务中心", "A 综合受理", number, AT, 2, 16)


def queue_slips(store: LocalStore, printer: str, numbers: list[str]) -> None:
    for number in numbers:
        store.queue_print(NewPrint(printer, slip(number).to_data(), subject=number))


def printed_numbers(fake: FakePrinter) -> list[str]:
    return [barcode for job in fake.jobs for barcode in decode(job, "gb18030").barcodes]


def statuses(store: LocalStore) -> list[str]:
    return [job.status for job in store.print_jobs()]


NUMBERS = [f"A{n:03}" for n in range(1, 6)]


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("off", "refused"),
        ("stall", "timeout"),
        ("close_mid_job", "broken"),
        ("paper_out", "paper_out"),
        ("cover_open", "cover_open"),
        ("runs_out", "paper_out"),
    ],
)
def test_every_job_prints_exactly_once_after_the_fault_clears(
    tmp_path: Path, mode: str, code: str
) -> None:
    fake = FakePrinter(mode="ok" if mode == "off" else mode)
    if mode == "off":
        fake.stop()
    store = LocalStore.open(tmp_path)
    clock = Clock()
    printer = NetworkPrinter("127.0.0.1", fake.port, timeout=0.3)
    spool = Spool(store, {"kiosk": Attached(printer, PROFILE)}, clock=clock)
    queue_slips(store, "kiosk", NUMBERS)

    (state,) = spool.run_once()
    assert state.name == "kiosk" and state.fault == code
    if mode == "runs_out":  # the first went out whole; the printer holds it till refilled
        assert printed_numbers(fake) == ["A001"] and state.waiting == 4
    else:
        assert printed_numbers(fake) == [] and state.waiting == 5
        job = store.print_jobs()[-1]
        assert job.status == "queued" and job.attempts == 1 and job.last_error.startswith(code)

    spool.run_once()  # before its retry time nothing is tried again
    assert store.print_jobs()[-1].attempts == 1

    if mode == "off":
        fake.start()
    fake.mode = "ok"
    for _ in range(6):
        clock.advance(60)
        states = spool.run_once()
    fake.stop()
    assert printed_numbers(fake) == NUMBERS  # each once, in order
    assert statuses(store) == ["done"] * 5
    assert states[0].fault is None and states[0].waiting == 0


def test_the_retry_waits_longer_each_time_up_to_a_limit() -> None:
    assert [backoff(n, 30) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_job_whose_printer_is_gone_fails_visibly(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path)
    queue_slips(store, "old-kiosk", ["A001"])
    spool = Spool(store, {"receipt": Attached(FilePrinter(tmp_path / "r.prn"), PROFILE)})
    spool.run_once()
    (job,) = store.print_jobs()
    assert job.status == "failed" and job.last_error == "no_printer"
    assert store.retry_prints() == 1  # the key puts it back; it fails again, still visible
    spool.run_once()
    assert statuses(store) == ["failed"]


def test_a_document_the_printer_cannot_encode_fails_and_the_rest_print(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path)
    out = tmp_path / "r.prn"
    spool = Spool(store, {"r": Attached(FilePrinter(out), Profile(columns=32, encoding="gbk"))})
    queue_slips(store, "r", ["A001"])
    store.queue_print(NewPrint("r", slip("😀").to_data()))  # no emoji in GBK
    queue_slips(store, "r", ["A002"])
    spool.run_once()
    assert statuses(store) == ["done", "failed", "done"]
    assert store.print_jobs()[1].last_error.startswith("bad_document")
    assert decode(out.read_bytes(), "gbk").barcodes == ["A001", "A002"]


def test_a_reprint_is_marked_as_a_copy_and_audited(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path)
    out = tmp_path / "r.prn"
    spool = Spool(store, {"r": Attached(FilePrinter(out), PROFILE)})
    queue_slips(store, "r", ["A001"])
    spool.run_once()
    (original,) = store.print_jobs()
    assert original.id is not None
    document = Document.from_data(json.loads(original.payload_json))
    copy_id = store.reprint(original.id, reprint(document, load_wording()).to_data(), "0105", 5)
    spool.run_once()
    copy = store.print_job(copy_id)
    assert copy is not None and copy.is_copy and copy.copy_of == original.id
    assert copy.status == "done"
    first, second = out.read_bytes().split(b"\x1dV\x00")[:2]
    assert "（补打）" not in decode(first + b"\x1dV\x00", "gb18030").texts()
    assert "（补打）" in decode(second + b"\x1dV\x00", "gb18030").texts()
    entry = store.audit_entries()[-1]
    assert (entry.action, entry.actor, entry.subject) == ("print.reprint", "0105", "A001")


def test_a_console_stopped_mid_job_sends_it_again(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path)
    queue_slips(store, "r", ["A001"])
    assert store.claim_print_job("r", datetime.now(UTC)) is not None  # then the power went
    store.close()
    store = LocalStore.open(tmp_path)
    Spool(store, {"r": Attached(FilePrinter(tmp_path / "r.prn"), PROFILE)}).run_once()
    assert statuses(store) == ["done"]


def test_a_serial_printer_gets_the_job_and_is_asked_its_status(tmp_path: Path) -> None:
    """A pseudo-terminal stands in for the serial line; the test answers as the printer."""
    master, slave = pty.openpty()
    got = bytearray()

    def printer() -> None:
        while got.count(b"\x10\x04") < 6:  # three status requests before, three after
            chunk = os.read(master, 4096)
            got.extend(chunk)
            for _ in range(chunk.count(b"\x10\x04")):
                os.write(master, b"\x12")  # all well

    thread = threading.Thread(target=printer, daemon=True)
    thread.start()
    data = b"\x1b@" + "受理回执".encode("gb18030") + b"\n\x1dV\x00"
    SerialPrinter(os.ttyname(slave), 9600, timeout=2).print(data)
    thread.join(timeout=5)
    os.close(master)
    os.close(slave)
    asked = b"\x10\x04\x04\x10\x04\x01\x10\x04\x02"  # the paper, the printer, the causes
    assert got == asked + data + asked


def test_a_serial_printer_that_does_not_answer_times_out(tmp_path: Path) -> None:
    from clerk_console.devices.network import PrinterFault

    master, slave = pty.openpty()
    with pytest.raises(PrinterFault) as fault:
        SerialPrinter(os.ttyname(slave), 9600, timeout=0.2).print(b"\x1b@")
    os.close(master)
    os.close(slave)
    assert fault.value.code == "timeout"


def test_a_printer_that_says_it_is_offline_is_not_taken_as_printing(tmp_path: Path) -> None:
    """DLE EOT 1 bit 3: offline for no cause it names. Nothing is marked printed; the jobs
    wait with the fault said, and go out once it is back online."""
    fake = FakePrinter(mode="offline")
    store = LocalStore.open(tmp_path)
    clock = Clock()
    printer = NetworkPrinter("127.0.0.1", fake.port, timeout=0.3)
    spool = Spool(store, {"kiosk": Attached(printer, PROFILE)}, clock=clock)
    queue_slips(store, "kiosk", NUMBERS[:2])
    (state,) = spool.run_once()
    assert state.fault == "offline" and state.waiting == 2
    assert printed_numbers(fake) == [] and statuses(store) == ["queued", "queued"]
    fake.mode = "ok"
    clock.advance(1)
    (state,) = spool.run_once()
    fake.stop()
    assert state.fault is None and printed_numbers(fake) == NUMBERS[:2]


def test_paper_near_its_end_is_said_while_jobs_still_print(tmp_path: Path) -> None:
    fake = FakePrinter(mode="near_end")
    store = LocalStore.open(tmp_path)
    spool = Spool(store, {"kiosk": Attached(NetworkPrinter("127.0.0.1", fake.port), PROFILE)})
    queue_slips(store, "kiosk", NUMBERS[:1])
    (state,) = spool.run_once()
    assert state.fault is None and state.warning == "paper_near_end"
    assert printed_numbers(fake) == NUMBERS[:1]
    fake.mode = "ok"  # a new roll
    queue_slips(store, "kiosk", NUMBERS[1:2])
    (state,) = spool.run_once()
    fake.stop()
    assert state.warning is None and printed_numbers(fake) == NUMBERS[:2]


def test_jobs_go_out_within_two_seconds_of_the_fault_clearing(tmp_path: Path) -> None:
    """Paper out for 45 s, tried again and again (the wait between tries grows to 16 s):
    once the roll is in, the waiting jobs go at the next probe, a second later, not at
    their next try."""
    fake = FakePrinter(mode="paper_out")
    store = LocalStore.open(tmp_path)
    clock = Clock()
    printer = NetworkPrinter("127.0.0.1", fake.port, timeout=0.3)
    spool = Spool(store, {"kiosk": Attached(printer, PROFILE)}, clock=clock)
    queue_slips(store, "kiosk", NUMBERS)
    for _ in range(90):  # 45 s of the app's half-second rounds
        spool.run_once()
        clock.advance(0.5)
    job = max(store.print_jobs(), key=lambda j: j.attempts)  # the first in line
    assert job.attempts >= 5 and job.next_attempt_at is not None
    fake.mode = "ok"  # the roll is in
    rounds = 0
    while printed_numbers(fake) != NUMBERS and rounds < 4:  # the app's rounds, 0.5 s apart
        clock.advance(0.5)
        spool.run_once()
        rounds += 1
    fake.stop()
    assert printed_numbers(fake) == NUMBERS and rounds * 0.5 <= 2.0
