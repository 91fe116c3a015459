"""A fake network printer on 127.0.0.1: the hardware edge, and nothing more.

It keeps every complete job it is sent (ESC @ … GS V, the cut, as the spool's jobs end),
answers DLE EOT status requests between jobs, and can misbehave as real printers do: refuse
connections (stopped), stall (take the connection and say nothing), close in the middle of a
job, report paper out or the cover open, or run out of paper just after a job (`runs_out`),
say it is offline for no cause it names, or that its roll is nearly used up (`near_end`).
The mode may change at any time, as a clerk fixes the printer."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

NORMAL = 0x12  # DLE EOT answers have bits 1 and 4 fixed on
STATUS = b"\x10\x04"
END_OF_JOB = b"\x1dV\x00" + STATUS  # the cut, then the status request after the job


@dataclass
class FakePrinter:
    # ok | stall | close_mid_job | paper_out | cover_open | runs_out | offline | near_end
    mode: str = "ok"
    port: int = 0
    jobs: list[bytes] = field(default_factory=list)
    partial: int = 0  # jobs cut off half-way (the connection dropped)

    def __post_init__(self) -> None:
        self.start()

    def start(self) -> None:
        """Switched on (again, on the same port)."""
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.port = self.server.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Switched off: from now on, connections are refused."""
        self.stopped.set()
        self.server.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone does not)
        self.server.close()
        self.thread.join(timeout=5)

    @property
    def received(self) -> bytes:
        return b"".join(self.jobs)

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                self._talk(conn)

    def _answer(self, kind: int, after_job: bool) -> bytes:
        out_of_paper = self.mode == "paper_out" or (self.mode == "runs_out" and after_job)
        offline = NORMAL | (0x04 if self.mode == "cover_open" else 0)
        offline |= 0x20 if out_of_paper else 0
        paper = NORMAL | (0x60 if out_of_paper else 0) | (0x0C if self.mode == "near_end" else 0)
        # DLE EOT 1: bit 3 is set whenever the printer is offline, for any cause.
        stopped = self.mode in ("offline", "cover_open") or out_of_paper
        printer = NORMAL | (0x08 if stopped else 0)
        return bytes([{1: printer, 2: offline}.get(kind, paper)])

    def _talk(self, conn: socket.socket) -> None:
        while self.mode == "stall" and not self.stopped.is_set():
            time.sleep(0.02)  # holds the connection, says nothing
        buffer = bytearray()
        after_job = False
        conn.settimeout(5)
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                if buffer.endswith(b"\x1dV\x00"):  # a job sent without status requests
                    self.jobs.append(bytes(buffer))
                elif buffer:
                    self.partial += 1
                return
            buffer += chunk
            while True:
                if buffer[:2] == STATUS and len(buffer) >= 3:  # between jobs
                    conn.sendall(self._answer(buffer[2], after_job))
                    del buffer[:3]
                    continue
                if self.mode == "close_mid_job" and len(buffer) > 100:
                    self.partial += 1
                    return  # the cable pulled half-way through the job
                end = buffer.find(END_OF_JOB)
                if end != -1 and len(buffer) > end + len(END_OF_JOB):
                    self.jobs.append(bytes(buffer[: end + 3]))
                    del buffer[: end + 3]
                    after_job = True
                    continue
                break
