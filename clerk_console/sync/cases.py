"""This console's cases as the platform shows them, kept in the store: the change feed is
read from where this console left it (a cursor in the store), and each change to one of
its own cases fetches that case's view (its handoffs' states), so `s` at the counter finds
the case and says its state while the platform is away. The platform's view replaces the
kept one: departments decide the handoffs' states there."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient

TOPICS = ("case", "handoff")


async def pull_case_states(store: LocalStore, client: PlatformClient) -> int:
    """Read the feed on from the kept cursor; how many of this console's cases were
    brought up to date. A first run starts at the feed's end (the console had no cases
    before). Raises PlatformUnreachable / PlatformRefused like any request."""
    cursor = await asyncio.to_thread(store.feed_cursor)
    if cursor is None:
        start = int((await client.queue())["cursor"])
        await asyncio.to_thread(store.set_feed_cursor, start)
        return 0
    kept = 0
    while True:
        changes, after = await client.changes(cursor)
        numbers = {
            str(change["data"].get("case") or change["data"].get("number"))
            for change in changes
            if change["topic"] in TOPICS
        }
        for number in sorted(numbers):
            views = [v for v in await client.find_cases(number) if v["number"] == number]
            for view in views:
                now = datetime.now(UTC)
                if await asyncio.to_thread(store.keep_platform_view, number, view, now):
                    kept += 1
        await asyncio.to_thread(store.set_feed_cursor, after)
        if after == cursor:
            return kept
        cursor = after
