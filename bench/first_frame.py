"""Process start to first frame, measured as a user sees it.

Runs the real `python -m clerk_console guide` in a pseudo-terminal (120x40), starts the clock just
before the process is spawned, and stops it when the header's text reaches the terminal
(first frame), then again when the catalog status line appears (catalog ready). The data
directory is fresh for the first run (pinyin index built and cached) and reused after.

    python3 bench/first_frame.py [--runs 10]

Goal (issue 2): first frame <= 0.6 s. For scale, the same harness also times a bare Textual
app (header, input, footer, same title), the floor any Textual console starts from on this
machine.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import statistics
import struct
import sys
import tempfile
import termios
import time

FIRST_FRAME = "综合受理窗口".encode()
CATALOG_READY = "目录版本".encode()
# The guide: the screen with the catalog's status line (plain `clerk-console` opens on the
# login, which has none to wait for).
CONSOLE = ["-m", "clerk_console", "guide"]
BARE_TEXTUAL = [
    "-c",
    "from textual.app import App\n"
    "from textual.widgets import Footer, Header, Input\n"
    "class Bare(App):\n"
    "    def compose(self):\n"
    "        yield Header(); yield Input(); yield Footer()\n"
    "    def on_mount(self):\n"
    "        self.title = '综合受理窗口'; self.sub_title = '目录版本'\n"
    "Bare().run()\n",
]


def one_run(data_dir: str, timeout: float = 20.0, argv: list[str] = CONSOLE) -> tuple[float, float]:
    env = {**os.environ, "CLERK_DATA_DIR": data_dir, "TERM": "xterm-256color"}
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(sys.executable, [sys.executable, *argv], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    first = ready = 0.0
    try:
        while time.perf_counter() - start < timeout:
            readable, _, _ = select.select([fd], [], [], 0.05)
            if not readable:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            now = time.perf_counter() - start
            if not first and FIRST_FRAME in seen:
                first = now
            if first and CATALOG_READY in seen:
                ready = now
                break
    finally:
        os.write(fd, b"\x11")  # ctrl+q
        deadline = time.time() + 5
        while time.time() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            with contextlib.suppress(OSError):
                os.read(fd, 65536)
            time.sleep(0.02)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    if not first or not ready:
        raise RuntimeError("the console did not draw its first frame in time")
    return first, ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        cold_first, cold_ready = one_run(data_dir)
        runs = [one_run(data_dir) for _ in range(args.runs)]
        bare = sorted(one_run(data_dir, argv=BARE_TEXTUAL)[0] for _ in range(args.runs))
    firsts = sorted(r[0] for r in runs)
    readies = sorted(r[1] for r in runs)

    def pct(values: list[float], p: float) -> float:
        return values[min(len(values) - 1, round(p * (len(values) - 1)))]

    print(
        f"first start (fresh data dir): first frame {cold_first:.3f} s, "
        f"catalog ready {cold_ready:.3f} s"
    )
    print(
        f"warm starts ({args.runs}): first frame p50 {statistics.median(firsts):.3f} s, "
        f"p95 {pct(firsts, 0.95):.3f} s; catalog ready p50 {statistics.median(readies):.3f} s, "
        f"p95 {pct(readies, 0.95):.3f} s"
    )
    print(
        f"bare Textual app, same harness ({args.runs}): first frame "
        f"p50 {statistics.median(bare):.3f} s, p95 {pct(bare, 0.95):.3f} s"
    )
    print("goal: first frame <= 0.600 s")


if __name__ == "__main__":
    main()
