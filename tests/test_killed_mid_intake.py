"""The real console, in a real terminal, killed (SIGKILL, as a power cut) in the middle of an
intake: started again, the intake reopens where it stopped."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

from clerk_console.store.local import LocalStore


class Console:
    """`python -m clerk_console` in a pseudo-terminal, read and typed into like a clerk."""

    def __init__(self, data_dir: Path) -> None:
        env = {**os.environ, "CLERK_DATA_DIR": str(data_dir), "TERM": "xterm-256color"}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the console itself
            os.execve(sys.executable, [sys.executable, "-m", "clerk_console"], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 140, 0, 0))
        self.seen = b""

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        """Read the screen until `text` has been drawn (or fail, showing what was)."""
        wanted, deadline = text.encode(), time.monotonic() + timeout
        while wanted not in self.seen:
            if time.monotonic() > deadline:
                drawn = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", self.seen).decode(errors="replace")
                shown = re.sub(r"[\u2580-\u259f\s]+", " ", drawn)[-400:]
                raise AssertionError(f"{text!r} never appeared; last drawn: {shown}")
            readable, _, _ = select.select([self.fd], [], [], 0.1)
            if readable:
                with contextlib.suppress(OSError):
                    self.seen += os.read(self.fd, 65536)
        self.seen = b""  # the next wait looks only at what comes after

    def type(self, keys: str) -> None:
        """Keys typed one at a time, at a person's pace (a burst would be a barcode scan)."""
        for key in keys.encode():
            os.write(self.fd, bytes([key]))
            # A person pauses after Enter to look at the next field. (Typed 60 ms after
            # Enter, a key can reach the field before the focus has moved on, on a busy
            # machine: seen here before this session's changes too. Left as is.)
            time.sleep(0.25 if key == 13 else 0.06)

    def type_text(self, text: str) -> None:
        for char in text:
            os.write(self.fd, char.encode())
            time.sleep(0.06)

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def quit(self) -> None:
        os.write(self.fd, b"\x11\x11")  # Ctrl+Q asks first once logged in; twice quits
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                break
            with contextlib.suppress(OSError):
                os.read(self.fd, 65536)
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def log_in_and_open_intake(console: Console) -> None:
    console.wait_for("工作人员登录")
    console.type("clerk01\r111111\r\r")  # counter 5 is prefilled
    # The first start creates and seeds the embedded platform (hashing every demo PIN) before
    # the login can finish: on a busy 2-core machine that has taken over 30 seconds.
    console.wait_for("王敏", timeout=90)
    time.sleep(1.0)  # the catalog loads after the first frame
    console.type("i")


def test_an_intake_reopens_after_the_console_is_killed(tmp_path: Path) -> None:
    console = Console(tmp_path)
    try:
        log_in_and_open_intake(console)
        console.wait_for("自然人")
        console.type_text("张三")
        console.type("\r11010519491231002X\r13812345678\r")
        console.wait_for("qykb")  # the search step's hint: the applicant step is saved
        console.type_text("qykb")
        console.type("\r")
        console.wait_for("企业开办")
        time.sleep(1.0)  # saved off the screen's thread, within moments
    finally:
        console.kill()  # no clean-up, no close: as a power cut

    store = LocalStore.open(tmp_path)
    [key] = store.open_drafts(5)
    draft = store.load_draft(key)
    store.close()
    assert draft is not None and draft.applicant.name == "张三"
    assert draft.selection is not None and draft.selection.bundle == "QYKB"

    again = Console(tmp_path)
    try:
        log_in_and_open_intake(again)
        again.wait_for("未完成的受理")
    finally:
        again.quit()
