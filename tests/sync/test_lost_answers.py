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
