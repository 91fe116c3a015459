"""Printers other than the network: a CUPS queue (through `lp -o raw`), a USB printer
through pyusb, and a file or device path; each fault comes out as a clerk's fault code."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from clerk_console.config import PrinterSettings
from clerk_console.devices.network import NetworkPrinter, PrinterFault
from clerk_console.devices.printers import (
    CupsPrinter,
    FilePrinter,
    SerialPrinter,
    UsbPrinter,
    printer_from,
)

JOB = b"\x1b@" + "受理回执".encode("gb18030") + b"\n\x1dV\x00"


def fake_lp(folder: Path, exit_code: int = 0) -> None:
    """An `lp` on PATH that keeps what CUPS would be given: the queue, the options, the
    bytes (CUPS itself is a system service; this stands at its command-line edge)."""
    script = folder / "lp"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{folder}/args"\n'
        f'cat > "{folder}/job"\n'
        f'[ {exit_code} -eq 0 ] || echo "lp: The printer or class does not exist." >&2\n'
        f"exit {exit_code}\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_a_cups_queue_gets_the_job_raw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_lp(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    CupsPrinter("counter5").print(JOB)
    assert (tmp_path / "args").read_text().split() == ["-d", "counter5", "-o", "raw"]
    assert (tmp_path / "job").read_bytes() == JOB


def test_a_cups_queue_that_refuses_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_lp(tmp_path, exit_code=1)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(PrinterFault) as fault:
        CupsPrinter("nosuch").print(JOB)
    assert fault.value.code == "refused" and "does not exist" in fault.value.detail


def test_without_cups_the_fault_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no lp anywhere
    with pytest.raises(PrinterFault) as fault:
        CupsPrinter("counter5").print(JOB)
    assert fault.value.code == "unsupported" and "CUPS" in fault.value.detail


def test_a_usb_printer_not_plugged_in_is_a_fault_not_a_crash() -> None:
    from escpos.printer import Usb

    with pytest.raises(PrinterFault) as fault:
        UsbPrinter(0x04B8, 0x0E15, timeout=0.5).print(JOB)
    if Usb.is_usable():  # pyusb installed: no such device on this machine
        assert fault.value.code == "refused"
    else:
        assert fault.value.code == "unsupported" and "pip install pyusb" in fault.value.detail


def test_a_device_path_that_is_gone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PrinterFault) as fault:
        FilePrinter(tmp_path / "usb" / "lp0").print(JOB)  # unplugged: the node is gone
    assert fault.value.code == "refused"
    printed = tmp_path / "out.prn"
    FilePrinter(printed).print(JOB)
    FilePrinter(printed).print(JOB)
    assert printed.read_bytes() == JOB + JOB  # jobs follow each other


def test_a_serial_device_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PrinterFault) as fault:
        SerialPrinter(str(tmp_path / "ttyUSB9")).print(JOB)
    assert fault.value.code == "refused"


def test_settings_make_the_right_printer(tmp_path: Path) -> None:
    def made(**values: object) -> object:
        return printer_from(PrinterSettings(**values), tmp_path)  # type: ignore[arg-type]

    assert made(connection="network", address="10.0.0.21") == NetworkPrinter("10.0.0.21", 9100, 3.0)
    assert made(connection="usb", address="04b8:0e15") == UsbPrinter(0x04B8, 0x0E15, 3.0)
    assert made(connection="serial", address="/dev/ttyS0", baudrate=19200) == SerialPrinter(
        "/dev/ttyS0", 19200, 3.0
    )
    assert made(connection="cups", address="counter5") == CupsPrinter("counter5", 10.0)
    assert made(name="kiosk") == FilePrinter(tmp_path / "printed" / "kiosk.prn")
