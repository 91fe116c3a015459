"""A network printer at its socket: a job goes through whole, and each fault a printer can
have comes back as a fault with its reason (the spool keeps the job; nothing is lost here)."""

from __future__ import annotations

import socket

import pytest
from fake_printer import FakePrinter

from clerk_console.devices.network import NetworkPrinter, PrinterFault, fault_of

JOB = b"\x1b@" + "受理回执".encode("gb18030") * 100 + b"\n\x1dV\x00"


def test_a_job_goes_through_whole() -> None:
    fake = FakePrinter()
    NetworkPrinter("127.0.0.1", fake.port, timeout=2).print(JOB)
    fake.stop()
    assert fake.jobs == [JOB]


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("paper_out", "paper_out"),
        ("cover_open", "cover_open"),
        ("stall", "timeout"),
        ("close_mid_job", "broken"),
    ],
)
def test_each_fault_says_why(mode: str, code: str) -> None:
    fake = FakePrinter(mode=mode)
    with pytest.raises(PrinterFault) as fault:
        NetworkPrinter("127.0.0.1", fake.port, timeout=0.5).print(JOB * 20)
    fake.stop()
    assert fault.value.code == code


def test_a_printer_switched_off_refuses() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    with pytest.raises(PrinterFault) as fault:
        NetworkPrinter("127.0.0.1", port, timeout=1).print(JOB)
    assert fault.value.code == "refused"


def test_status_bits() -> None:
    assert fault_of(0x12, 0x12, 0x12) is None
    assert fault_of(0x1A, 0x16, 0x12) == "cover_open"
    assert fault_of(0x1A, 0x32, 0x12) == "paper_out"
    assert fault_of(0x12, 0x12, 0x72) == "paper_out"
    assert fault_of(0x1A, 0x52, 0x12) == "error"
    assert fault_of(0x1A, 0x12, 0x12) == "offline"  # offline, for no cause it names
    assert fault_of(0x12, 0x12, 0x1E) is None  # near the end: a warning, not a fault
