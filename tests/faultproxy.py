"""A loopback proxy between a console and its platform that loses answers as a hall's
network does: it passes each request on to the platform and then, when told to, drops the
answer (the request was done; the console never hears of it), or refuses connections (a cable
out). With `chaos` set, each answer meets a random fault at that rate: dropped, cut half
way, or held back a little (a slow switch). Only the network is faked: both ends are the
real programs.

One connection at a time is relayed in full: a request's bytes up, the whole answer down
(answers carry Content-Length; the platform closes after an error). Enough for HTTP/1.1
clients such as httpx."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class FaultProxy:
    upstream: tuple[str, int]
    drop_answers: int = 0  # how many of the next answers to lose after the request was done
    refuse: bool = False  # a cable out: connections are refused
    chaos: float = 0.0  # the share of answers that meet a random fault
    seed: int = 13
    port: int = 0
    requests: int = 0
    dropped: int = 0
    faults: dict[str, int] = field(default_factory=dict)  # what chaos did, by kind
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        self.thread.join(timeout=5)

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        # Either end going away mid-way is what a cable does: the other end sees it.
        with contextlib.suppress(OSError):
            self._relay_all(client)

    def _relay_all(self, client: socket.socket) -> None:
        with client:
            if self.refuse:
                client.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                return  # closed at once with a reset: as refused as a proxy can make it
            with socket.create_connection(self.upstream, timeout=30) as up:
                while True:
                    request = _one_message(client)
                    if not request or self.refuse:  # the cable pulled mid-connection too
                        return
                    up.sendall(request)
                    answer = _one_message(up)
                    with self._lock:
                        self.requests += 1
                        lose = self.drop_answers > 0
                        if lose:
                            self.drop_answers -= 1
                            self.dropped += 1
                        fault = ""
                        if self.chaos and self._random.random() < self.chaos:
                            fault = self._random.choice(("drop", "cut", "delay"))
                            self.faults[fault] = self.faults.get(fault, 0) + 1
                    if lose or not answer or fault == "drop":
                        return  # the platform did it; the console hears nothing
                    if fault == "cut":
                        client.sendall(answer[: len(answer) // 2])
                        return  # half an answer, then the line goes dead
                    if fault == "delay":
                        time.sleep(0.2)
                    client.sendall(answer)


def _one_message(sock: socket.socket) -> bytes:
    """One HTTP/1.1 message (head and Content-Length body) from `sock`; b"" at its end."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body
