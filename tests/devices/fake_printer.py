"""A fake network printer on 127.0.0.1: the hardware edge, and nothing more.

It stores what it is sent, answers DLE EOT status queries, and can misbehave as real
printers do: refuse connections (stopped), stall (never read nor answer), close in the middle
of a job, or report paper out or the cover open."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

NORMAL = 0x12  # DLE EOT answers have bits 1 and 4 fixed on


@dataclass
class FakePrinter:
    mode: str = "ok"  # ok | stall | close_mid_job | paper_out | cover_open
    received: bytearray = field(default_factory=bytearray)
    jobs: int = 0

    def __post_init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Switched off: from now on, connections are refused."""
        self.stopped.set()
        self.server.close()
        self.thread.join(timeout=5)

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                self._talk(conn)

    def _answer(self, kind: int) -> bytes:
        offline = NORMAL | (0x04 if self.mode == "cover_open" else 0)
        offline |= 0x20 if self.mode == "paper_out" else 0
        paper = NORMAL | (0x60 if self.mode == "paper_out" else 0)
        return bytes([offline if kind == 2 else paper])

    def _talk(self, conn: socket.socket) -> None:
        if self.mode == "stall":
            self.stopped.wait(10)  # holds the connection, says nothing
            return
        buffer = bytearray()
        got = 0
        conn.settimeout(5)
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                break
            buffer += chunk
            while (at := buffer.find(b"\x10\x04")) != -1 and len(buffer) > at + 2:
                kind = buffer[at + 2]
                data, buffer = buffer[:at], buffer[at + 3 :]
                self.received += data
                got += len(data)
                conn.sendall(self._answer(kind))
            if self.mode == "close_mid_job" and got + len(buffer) > 100:
                return  # the cable pulled half-way
        self.received += buffer
        if got:
            self.jobs += 1
