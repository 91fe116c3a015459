"""For the benches: a real `clerk-console central serve` in its own process, initialised
first, on 127.0.0.1 at a free port; its base URL and process while the block runs.
CLERK_BENCH_PLATFORM=/path/to/another/checkout serves that checkout's platform instead, to
measure a change before and after with the same console and bench."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def central_serve(
    settings: dict[str, str], before_serve: Callable[[], None] = lambda: None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`settings` are CLERK_CENTRAL_* variables without the prefix (DATA_DIR, …);
    `before_serve` runs after `central init` (to lay down a morning's tickets)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CLERK_CENTRAL_PORT": str(port)}
    if os.environ.get("CLERK_BENCH_PLATFORM"):
        # Another checkout's platform against this one's console and bench (before/after).
        env["PYTHONPATH"] = os.environ["CLERK_BENCH_PLATFORM"]
    env.update({f"CLERK_CENTRAL_{key}": value for key, value in settings.items()})
    cli = [sys.executable, "-m", "clerk_console", "central"]
    subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
    before_serve()
    server = subprocess.Popen([*cli, "serve"], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up within 30 s, or the bench says so below
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def _stat(pid: str) -> tuple[str, int, float, float] | None:
    """(command, parent, own CPU seconds, its waited-for children's), or None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    command = text[text.index("(") + 1 : text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    reaped = (int(fields[13]) + int(fields[14])) / tick  # cutime, cstime
    return command, int(fields[1]), own, reaped


def cpu_seconds(server: subprocess.Popen[bytes]) -> tuple[float, float]:
    """CPU seconds used so far by the platform (its process and its workers) and by the
    local PostgreSQL (the live backends, and through the postmaster the ended ones). Read
    before and after a run, they give the run's cost whatever else the machine did
    meanwhile, which a rate on two shared cores does not. (0, 0) without /proc."""
    proc = Path("/proc")
    stats = (
        {e.name: _stat(e.name) for e in proc.iterdir() if e.name.isdigit()} if proc.is_dir() else {}
    )
    platform = postgres = 0.0
    for pid, stat in stats.items():
        if stat is None:
            continue
        command, parent, own, reaped = stat
        if int(pid) == server.pid or parent == server.pid:
            platform += own
        elif command == "postgres":
            above = stats.get(str(parent))
            postmaster = above is None or above[0] != "postgres"
            postgres += own + (reaped if postmaster else 0.0)
    return platform, postgres
