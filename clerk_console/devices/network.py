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
OFFLINE_STATUS, PAPER_STATUS = 2, 4  # DLE EOT n: the causes of going offline; the paper roll


STATUS_FAULTS = ("paper_out", "cover_open", "error")
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


def fault_of(offline: int, paper: int) -> str | None:
    """The fault that DLE EOT 2 (`offline`) and DLE EOT 4 (`paper`) report, if any."""
    if offline & 0x04:
        return "cover_open"
    if offline & 0x20 or paper & 0x60:
        return "paper_out"
    if offline & 0x40:
        return "error"
    return None


def check_status(ask: Callable[[int], int]) -> None:
    """Ask the printer's real-time status (`ask(n)` sends DLE EOT n and returns the answer
    byte); PrinterFault if it reports one."""
    fault = fault_of(ask(OFFLINE_STATUS), ask(PAPER_STATUS))
    if fault is not None:
        raise PrinterFault(fault)


def send_between_checks(
    ask: Callable[[int], int], send: Callable[[bytes], object], data: bytes, status: bool
) -> None:
    """Send a job, asking the printer's status before (when it is unwell, nothing is sent)
    and after (a fault it reports then is marked delivered: it holds the job)."""
    if status:
        check_status(ask)
    send(data)
    if status:
        try:
            check_status(ask)
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

    def print(self, data: bytes) -> None:
        """Send one job; PrinterFault if it cannot be printed now."""
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as conn:
                conn.settimeout(self.timeout)
                # Status requests are 3 bytes each way: without this, Nagle's algorithm holds
                # each one back for the previous one's delayed ACK (≈40 ms a request).
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                ask = lambda kind: self._status(conn, kind)  # noqa: E731
                send_between_checks(ask, conn.sendall, data, self.status)
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
