"""A network printer (port 9100): send a job, and ask the printer how it is before and after.

Every fault comes out as a `PrinterFault` whose code a clerk's message is made from:
refused (the printer is off or the address is wrong), timeout (it does not answer), broken
(the connection dropped mid-job), paper_out, cover_open, error (the printer reports one).
The spool keeps a failed job queued and tries again; nothing here retries. DLE EOT is sent
only between jobs, never inside one, because a printer would also read those two bytes in
the middle of raster image data as a status request.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

DLE_EOT = b"\x10\x04"
# DLE EOT n: the printer (online or not); the causes of going offline; the paper roll.
PRINTER_STATUS, OFFLINE_STATUS, PAPER_STATUS = 1, 2, 4
NEAR_END = "paper_near_end"
"""A warning, not a fault: the roll is nearly used up; jobs still print."""


STATUS_FAULTS = ("paper_out", "cover_open", "error", "offline")
"""Faults the printer reports itself (as opposed to a connection that fails)."""


class PrinterFault(Exception):
    """A job could not be printed now; `code` says why (a message key)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, detail
        # Whether the whole job reached the printer before the fault (paper ran out after
        # it was sent): the printer holds it and prints it when the fault is cleared, so the
        # spool must not send it again. A broken connection never counts as delivered.
        self.delivered = False


def fault_of(printer: int, offline: int, paper: int) -> str | None:
    """The fault that DLE EOT 1 (`printer`), 2 (`offline`) and 4 (`paper`) report, if any.
    A printer that says it is offline for no cause it names (its feed button held, a
    self-test, a mechanism it does not explain) is offline: jobs sent now would not print."""
    if offline & 0x04:
        return "cover_open"
    if offline & 0x20 or paper & 0x60:
        return "paper_out"
    if offline & 0x40:
        return "error"
    if printer & 0x08:
        return "offline"
    return None


def check_status(ask: Callable[[int], int]) -> str | None:
    """Ask the printer's real-time status (`ask(n)` sends DLE EOT n and returns the answer
    byte); PrinterFault if it reports one; NEAR_END when the roll is nearly used up."""
    paper = ask(PAPER_STATUS)
    fault = fault_of(ask(PRINTER_STATUS), ask(OFFLINE_STATUS), paper)
    if fault is not None:
        raise PrinterFault(fault)
    return NEAR_END if paper & 0x0C else None


def send_between_checks(
    ask: Callable[[int], int], send: Callable[[bytes], object], data: bytes, status: bool
) -> str | None:
    """Send a job, asking the printer's status before (when it is unwell, nothing is sent)
    and after (a fault it reports then is marked delivered: it holds the job). The warning
    the printer gave after the job (NEAR_END), if any."""
    if status:
        check_status(ask)
    send(data)
    if not status:
        return None
    try:
        return check_status(ask)
    except PrinterFault as fault:
        fault.delivered = fault.code in STATUS_FAULTS
        raise


@dataclass(frozen=True)
class NetworkPrinter:
    """A printer at host:port, asked with `timeout` seconds of patience per step."""

    host: str
    port: int = 9100
    timeout: float = 3.0
    status: bool = True  # ask DLE EOT before and after

    @property
    def where(self) -> str:
        """The address, for messages."""
        return f"{self.host}:{self.port}"

    def print(self, data: bytes) -> str | None:
        """Send one job; PrinterFault if it cannot be printed now; a warning (NEAR_END)."""
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as conn:
                conn.settimeout(self.timeout)
                # Status requests are 3 bytes each way: without this, Nagle's algorithm holds
                # each one back for the previous one's delayed ACK (≈40 ms a request).
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                ask = lambda kind: self._status(conn, kind)  # noqa: E731
                return send_between_checks(ask, conn.sendall, data, self.status)
        except PrinterFault:
            raise
        except ConnectionRefusedError as exc:
            raise PrinterFault("refused", str(exc)) from exc
        except TimeoutError as exc:
            raise PrinterFault("timeout", str(exc)) from exc
        except OSError as exc:  # reset, broken pipe, unreachable network
            raise PrinterFault("broken", str(exc)) from exc

    def _status(self, conn: socket.socket, kind: int) -> int:
        conn.sendall(DLE_EOT + bytes([kind]))
        answer = conn.recv(1)
        if not answer:
            raise PrinterFault("broken", "the printer closed the connection")
        return answer[0]
