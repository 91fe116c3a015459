"""Every kind of printer a hall has, behind one `print(data)`: network (port 9100, in
`network.py`), a file or device path (/dev/usb/lp0), a serial line, USB through pyusb, and a
CUPS queue. Each raises `PrinterFault` with a code a clerk's message is made from.

Network and serial printers answer DLE EOT status requests, so they are asked before and
after each job; a file, a USB printer driven one way, or a CUPS queue cannot be asked.
"""

from __future__ import annotations

import os
import select
import subprocess
import termios
import tty
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from clerk_console.config import PrinterSettings
from clerk_console.devices.escpos import Profile
from clerk_console.devices.network import (
    DLE_EOT,
    NetworkPrinter,
    PrinterFault,
    send_between_checks,
)
from clerk_console.domain.documents import COLUMNS


class Printer(Protocol):
    """Something that prints a job of ESC/POS bytes, or says why it cannot now."""

    @property
    def where(self) -> str: ...

    def print(self, data: bytes) -> str | None:
        """Print; PrinterFault if it cannot now; a warning that does not stop it (the
        paper nearly used up), if the printer gave one."""
        ...


@dataclass(frozen=True)
class FilePrinter:
    """Appends each job to a file or a device node (a USB printer under the usblp driver is
    /dev/usb/lp0; a parallel one /dev/lp0)."""

    path: Path

    @property
    def where(self) -> str:
        return str(self.path)

    def print(self, data: bytes) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except FileNotFoundError as exc:  # an unplugged device, or no such folder
            raise PrinterFault("refused", str(exc)) from exc
        except PermissionError as exc:
            raise PrinterFault("denied", str(exc)) from exc
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            raise PrinterFault("broken", str(exc)) from exc
        finally:
            os.close(fd)


_BAUD = {
    rate: getattr(termios, f"B{rate}")
    for rate in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
    if hasattr(termios, f"B{rate}")
}


@dataclass(frozen=True)
class SerialPrinter:
    """A printer on a serial line (/dev/ttyS0, /dev/ttyUSB0), raw 8N1 at `baudrate`."""

    device: str
    baudrate: int = 9600
    timeout: float = 3.0
    status: bool = True

    @property
    def where(self) -> str:
        return self.device

    def print(self, data: bytes) -> str | None:
        try:
            fd = os.open(self.device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except FileNotFoundError as exc:
            raise PrinterFault("refused", str(exc)) from exc
        except PermissionError as exc:
            raise PrinterFault("denied", str(exc)) from exc
        try:
            self._set_line(fd)
            termios.tcflush(fd, termios.TCIFLUSH)  # an old answer must not pass for a new one
            ask = lambda kind: self._ask(fd, kind)  # noqa: E731
            return send_between_checks(ask, lambda job: self._write(fd, job), data, self.status)
        except PrinterFault:
            raise
        except OSError as exc:
            raise PrinterFault("broken", str(exc)) from exc
        finally:
            os.close(fd)

    def _set_line(self, fd: int) -> None:
        tty.setraw(fd)
        attrs = termios.tcgetattr(fd)
        speed = _BAUD.get(self.baudrate, termios.B9600)
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(fd, termios.TCSANOW, attrs)

    def _write(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if not select.select([], [fd], [], self.timeout)[1]:
                raise PrinterFault("timeout", "the printer takes no more data")
            view = view[os.write(fd, view) :]

    def _ask(self, fd: int, kind: int) -> int:
        self._write(fd, DLE_EOT + bytes([kind]))
        if not select.select([fd], [], [], self.timeout)[0]:
            raise PrinterFault("timeout", "no answer to the status request")
        answer = os.read(fd, 1)
        if not answer:
            raise PrinterFault("broken", "the line closed")
        return answer[0]


@dataclass(frozen=True)
class UsbPrinter:
    """A USB printer driven directly through pyusb (python-escpos's `Usb`), for systems
    without the usblp driver; where /dev/usb/lp0 exists a file printer is simpler."""

    vendor: int
    product: int
    timeout: float = 3.0

    @property
    def where(self) -> str:
        return f"USB {self.vendor:04x}:{self.product:04x}"

    def print(self, data: bytes) -> None:
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise PrinterFault("unsupported", "USB printing needs pyusb: pip install pyusb")
        printer = Usb(self.vendor, self.product, timeout=int(self.timeout * 1000))
        try:
            printer.open()
            printer._raw(data)
        except DeviceNotFoundError as exc:
            raise PrinterFault("refused", str(exc)) from exc
        except Exception as exc:  # pyusb's USBError / USBTimeoutError, without importing usb
            code = "timeout" if "timeout" in type(exc).__name__.lower() else "broken"
            raise PrinterFault(code, str(exc)) from exc
        finally:
            printer.close()


@dataclass(frozen=True)
class CupsPrinter:
    """A printer shared through CUPS, sent raw (`lp -o raw`), so ESC/POS passes untouched."""

    queue: str
    timeout: float = 10.0

    @property
    def where(self) -> str:
        return f"CUPS {self.queue}"

    def print(self, data: bytes) -> None:
        try:
            done = subprocess.run(
                ["lp", "-d", self.queue, "-o", "raw"],
                input=data,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise PrinterFault("unsupported", "lp (CUPS) is not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise PrinterFault("timeout", str(exc)) from exc
        if done.returncode != 0:
            raise PrinterFault("refused", done.stderr.decode(errors="replace").strip())


def printer_from(settings: PrinterSettings, data_dir: Path) -> Printer:
    """The printer `settings` describe (nothing is opened yet)."""
    address, timeout = settings.address, settings.timeout_seconds
    if settings.connection == "network":
        host, _, port = address.partition(":")
        return NetworkPrinter(host, int(port or 9100), timeout, settings.status)
    if settings.connection == "serial":
        return SerialPrinter(address, settings.baudrate, timeout, settings.status)
    if settings.connection == "usb":
        vendor, product = (int(part, 16) for part in address.split(":"))
        return UsbPrinter(vendor, product, timeout)
    if settings.connection == "cups":
        return CupsPrinter(address, max(timeout, 10.0))
    if address:
        return FilePrinter(Path(address).expanduser())
    folder = data_dir / "printed"
    folder.mkdir(parents=True, exist_ok=True)
    return FilePrinter(folder / f"{settings.name}.prn")


def profile_of(settings: PrinterSettings) -> Profile:
    """The rendering profile of a configured printer."""
    return Profile(
        columns=COLUMNS[settings.paper],
        encoding=settings.encoding,
        native_qr=settings.qr == "native",
        cut=settings.cut,
    )
