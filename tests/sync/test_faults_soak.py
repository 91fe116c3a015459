"""Through a network that loses, cuts and holds back answers at random (issue 13, tests):
1,000 queue steps at three counters and 100 intakes from a console killed (kill -9) again
and again: nothing lost, nothing done twice, no ticket finished that its counter never
showed, and the outbox drains by itself."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from central.conftest import serving
from faultproxy import FaultProxy

from clerk_console.sync.client import PlatformClient, PlatformRefused, PlatformUnreachable

COUNTERS = {5: ("clerk01", "111111"), 3: ("clerk02", "111112"), 4: ("clerk05", "111115")}
TICKETS = 334  # three counters, 1,000 steps or so: a call-next that finishes the last one


@pytest.fixture
def chaos(tmp_path: Path) -> Iterator[tuple[FaultProxy, str, Path]]:
    with serving(tmp_path) as base:
        parts = urlsplit(base)
        proxy = FaultProxy((str(parts.hostname), int(parts.port or 0)))
        try:
            yield proxy, base, tmp_path / "central.db"
        finally:
            proxy.close()


async def counter_day(proxy: FaultProxy, number: int) -> list[str]:
    """One counter calling and finishing until nobody waits, as its screen does: the step
    names the ticket it finishes; an answer that never came is asked again (the clerk
    presses again); a platform that holds another ticket here is believed. What the screen
    showed, in order."""
    user, pin = COUNTERS[number]
    client = PlatformClient(proxy.url, timeout=5)
    while True:
        try:
            await client.login(user, pin, number)
            break
        except PlatformUnreachable:
            continue
    shown: list[str] = []
    at_hand: str | None = None
    while True:
        body = {"finish": "other", "ticket": at_hand} if at_hand else None
        try:
            ticket = await client.counter_action(number, "call-next", body)
        except PlatformUnreachable:
            continue  # the clerk presses again: the same step
        except PlatformRefused as exc:
            if exc.code == "nothing_waiting":
                break
            if exc.code not in ("counter_busy", "not_at_hand"):
                raise
            queue = await client.queue()  # take the platform's ticket at hand
            [mine] = [c for c in queue["counters"] if c["number"] == number]
            ticket_at_hand = mine.get("ticket")
            at_hand = ticket_at_hand["number"] if ticket_at_hand else None
            if at_hand is not None and at_hand not in shown:
                shown.append(at_hand)
            continue
        if ticket.number not in shown:
            shown.append(ticket.number)
        at_hand = ticket.number
    while at_hand is not None:
        try:
            await client.counter_action(number, "finish", {"outcome": "other", "ticket": at_hand})
            at_hand = None
        except PlatformUnreachable:
            continue
        except PlatformRefused as exc:
            assert exc.code == "not_at_hand", exc  # done already: its answer was lost
            at_hand = None
    await client.aclose()
    return shown


async def test_a_thousand_queue_steps_through_random_faults(
    chaos: tuple[FaultProxy, str, Path],
) -> None:
    proxy, _base, database = chaos
    kiosk = PlatformClient(proxy.url, timeout=5)
    await kiosk.login("guide01", "333333")
    proxy.chaos = 0.05  # one answer in twenty lost, cut or late
    issued = 0
    key = 0
    while issued < TICKETS:
        key += 1
        while True:  # the same press again until it is answered: one ticket, one key
            try:
                await kiosk.issue_ticket("B", key=f"soak-press-{key:05d}")
                break
            except PlatformUnreachable:
                continue
        issued += 1
    await kiosk.aclose()
    shown = await asyncio.gather(*(counter_day(proxy, n) for n in COUNTERS))
    proxy.chaos = 0.0

    with sqlite3.connect(database) as db:
        tickets = db.execute("SELECT number, status FROM ticket WHERE line = 'B'").fetchall()
    assert len(tickets) == TICKETS  # no press made two tickets
    assert {status for _number, status in tickets} == {"finished"}  # none lost
    everywhere = [number for one in shown for number in one]
    assert len(everywhere) == len(set(everywhere))  # none called at two counters
    assert set(everywhere) == {number for number, _status in tickets}  # none finished unseen
    assert sum(proxy.faults.values()) >= 20, proxy.faults  # the network did misbehave


def test_a_hundred_intakes_from_a_console_killed_again_and_again(
    chaos: tuple[FaultProxy, str, Path], tmp_path: Path
) -> None:
    proxy, _base, database = chaos
    proxy.chaos = 0.1
    console = [sys.executable, str(Path(__file__).with_name("soak_console.py"))]
    args = [str(tmp_path / "console"), proxy.url, "100"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    kills = 0
    for life in range(6):  # killed at a different moment of each life
        child = subprocess.Popen([*console, *args], env=env, stdout=subprocess.PIPE)
        try:
            child.wait(timeout=0.8 + 0.5 * life)
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            kills += 1
    last = subprocess.run([*console, *args], env=env, capture_output=True, text=True, timeout=300)
    assert last.returncode == 0 and "drained" in last.stdout, last.stderr[-2000:]
    assert kills >= 2  # it was killed mid-work, more than once

    with sqlite3.connect(database) as db:
        held = db.execute("SELECT number, data_json FROM intake_case").fetchall()
    names = sorted(json.loads(data)["applicant"]["name"] for _number, data in held)
    assert names == [f"申请人{i:03d}" for i in range(100)]  # each intake once, none lost
    assert len({number for number, _data in held}) == 100
