"""A network printer (port 9100): send a job, and ask the printer how it is before and after.

Every fault comes out as a `PrinterFault` whose code a clerk's message is made from:
refused (the printer is off or the address is wrong), timeout (it does not answer), broken
(the connection dropped mid-job), paper_out, cover_open, error (the printer reports one).
The spool keeps a failed job queued and tries again; nothing here retries.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

DLE_EOT = b"\x10\x04"
OFFLINE_STATUS, PAPER_STATUS = 2, 4  # DLE EOT n: the causes of going offline; the paper roll


class PrinterFault(Exception):
    """A job could not be printed now; `code` says why (a message key)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, detail


def fault_of(offline: int, paper: int) -> str | None:
    """The fault that DLE EOT 2 (`offline`) and DLE EOT 4 (`paper`) report, if any."""
    if offline & 0x04:
        return "cover_open"
    if offline & 0x20 or paper & 0x60:
        return "paper_out"
    if offline & 0x40:
        return "error"
    return None


@dataclass(frozen=True)
class NetworkPrinter:
    """A printer at host:port, asked with `timeout` seconds of patience per step."""

    host: str
    port: int = 9100
    timeout: float = 3.0

    def print(self, data: bytes) -> None:
        """Send one job; PrinterFault if it cannot be printed now."""
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as conn:
                conn.settimeout(self.timeout)
                self._check(conn)
                conn.sendall(data)
                self._check(conn)  # the job is in; the printer must still be well
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

    def _check(self, conn: socket.socket) -> None:
        fault = fault_of(self._status(conn, OFFLINE_STATUS), self._status(conn, PAPER_STATUS))
        if fault is not None:
            raise PrinterFault(fault)
