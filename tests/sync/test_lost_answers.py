"""Answers lost between a console and a real platform (issue 13): through a loopback proxy
that passes the request on and drops its answer, a retried request is done once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from central.conftest import serving
from faultproxy import FaultProxy

from clerk_console.sync.client import PlatformClient


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[FaultProxy, str]]:
    with serving(tmp_path) as base:
        parts = urlsplit(base)
        proxy = FaultProxy((str(parts.hostname), int(parts.port or 0)))
        try:
            yield proxy, base
        finally:
            proxy.close()


async def test_a_ticket_whose_answer_was_lost_is_issued_once(
    proxied: tuple[FaultProxy, str],
) -> None:
    proxy, base = proxied
    kiosk = PlatformClient(proxy.url, timeout=10)
    await kiosk.login("guide01", "333333")
    proxy.drop_answers = 1  # the platform issues it; the kiosk never hears
    slip = await kiosk.issue_ticket("B")
    assert proxy.dropped == 1 and slip.ticket.number == "B001"
    assert (await kiosk.issue_ticket("B")).ticket.number == "B002"  # the next press: a new one
    await kiosk.aclose()
    with httpx.Client(base_url=base) as direct:
        waiting = {line["prefix"]: line["waiting"] for line in direct.get("/queue").json()["lines"]}
    assert waiting["B"] == 2  # B001 once, B002: no ticket nobody was answered for


async def test_finish_and_call_next_whose_answer_was_lost(
    proxied: tuple[FaultProxy, str],
) -> None:
    """The counter finishes B001 and calls the next; the answer is lost; the client sends
    the same step again and shows B002, which stays called, never finished unseen."""
    proxy, base = proxied
    kiosk = PlatformClient(base)
    await kiosk.login("guide01", "333333")
    for _ in range(3):
        await kiosk.issue_ticket("B")
    counter = PlatformClient(proxy.url, timeout=10)
    await counter.login("clerk01", "111111", 5)
    assert (await counter.counter_action(5, "call-next")).number == "B001"
    proxy.drop_answers = 1
    called = await counter.counter_action(5, "call-next", {"finish": "accepted", "ticket": "B001"})
    assert proxy.dropped == 1 and called.number == "B002" and called.status == "called"
    with httpx.Client(base_url=base) as direct:
        token = direct.post("/auth/login", json={"username": "super01", "pin": "222222"})
        boss = {"Authorization": f"Bearer {token.json()['token']}"}
        states = [
            direct.get(f"/tickets/{n}", headers=boss).json()["status"]
            for n in ("B001", "B002", "B003")
        ]
    assert states == ["finished", "called", "waiting"]
    await kiosk.aclose()
    await counter.aclose()
