"""What an oversized request costs the platform: time to its 413, the server's memory growth,
and `/health` latency meanwhile (goal: refused within 1 s, growth < 10 MB).

A real `clerk-console central serve` (uvicorn, SQLite) runs in its own process on 127.0.0.1;
its resident memory is read from /proc. Each body is sent by a client that does not wait for
the server's say: declared with Content-Length and sent, or streamed chunked without a length,
to `POST /auth/login` (no login needed) and to a file upload.

    python3 bench/body_limits.py
"""

from __future__ import annotations

import contextlib
import select
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
from served import central_serve

MB = 1 << 20
CHUNK = b"1" * (64 * 1024)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def send(port: int, head: str, size: int, chunked: bool) -> tuple[float, int, int]:
    """(seconds to the answer, status, bytes the client got out)."""
    start = time.perf_counter()
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(head.encode())
        while sent < size:
            if select.select([sock], [], [], 0)[0]:
                break
            piece = CHUNK if not chunked else f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n"
            try:
                sock.sendall(piece)
            except OSError:
                break
            sent += len(CHUNK)
        answer = b""
        with contextlib.suppress(OSError):  # a reset after the answer: what came is kept
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
    elapsed = time.perf_counter() - start
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    return elapsed, status, sent


def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="clerk-bench-limits-"))
    with central_serve({"DATA_DIR": str(data)}) as (url, server):
        port = int(url.rsplit(":", 1)[1])
        with httpx.Client(base_url=url, timeout=10) as client:
            for _ in range(50):  # warm up
                client.get("/health")
            # Logged in before the baseline: a PIN check's argon2 memory is not the bodies'.
            clerk = client.post(
                "/auth/login", json={"username": "clerk01", "pin": "111111", "counter": 5}
            ).json()["token"]
            base = rss_kib(server.pid)
            print(f"server RSS at rest: {base / 1024:.1f} MB")
            print(
                f"{'request':44} {'answer':>6} {'time':>8} {'sent':>9} {'RSS +':>8} health p50/max"
            )
            upload = "PUT /cases/JY01-20261123-05-0001/files/" + "a" * 64 + "?material=m&name=n"
            for label, line, size, chunked in (
                ("login, 20 MB declared", "POST /auth/login", 20 * MB, False),
                ("login, 200 MB declared", "POST /auth/login", 200 * MB, False),
                ("login, 20 MB chunked", "POST /auth/login", 20 * MB, True),
                ("login, 200 MB chunked", "POST /auth/login", 200 * MB, True),
                ("unauthenticated case, 40 MB chunked", "POST /cases", 40 * MB, True),
                ("upload, 200 MB declared", upload, 200 * MB, False),
                ("upload, 200 MB chunked (no login)", upload, 200 * MB, True),
                ("upload, 200 MB chunked (a clerk's login)", upload, 200 * MB, True),
            ):
                length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
                head = f"{line} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                if "clerk" in label:
                    head += f"Authorization: Bearer {clerk}\r\n"
                head += f"{length}\r\n\r\n"
                peak = [rss_kib(server.pid)]
                health: list[float] = []
                done = threading.Event()

                def watch(
                    peak: list[int] = peak,
                    health: list[float] = health,
                    done: threading.Event = done,
                ) -> None:
                    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
                        while not done.is_set() or len(health) < 5:
                            t0 = time.perf_counter()
                            c.get("/health")
                            health.append((time.perf_counter() - t0) * 1000)
                            peak.append(rss_kib(server.pid))
                            time.sleep(0.01)

                watcher = threading.Thread(target=watch)
                watcher.start()
                elapsed, status, sent = send(port, head, size, chunked)
                done.set()
                watcher.join()
                grown = (max(peak) - base) / 1024
                p50 = statistics.median(health) if health else 0.0
                worst = max(health) if health else 0.0
                print(
                    f"{label:44} {status:>6} {elapsed * 1000:>6.0f}ms {sent / MB:>7.1f}MB"
                    f" {grown:>6.1f}MB {p50:.1f}/{worst:.1f} ms"
                )


if __name__ == "__main__":
    main()
