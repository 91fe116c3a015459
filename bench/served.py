"""For the benches: a real `clerk-console central serve` in its own process, initialised
first, on 127.0.0.1 at a free port; its base URL and process while the block runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
