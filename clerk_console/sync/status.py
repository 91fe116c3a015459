"""The console's sync state: whether the platform answers (or since when it has not) and
what the outbox still holds. Every staff screen shows it; `clerk-console sync status`
prints it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient, PlatformRefused, PlatformUnreachable

FRESH_SECONDS = 10.0
"""An answer this recent needs no extra question to say the platform is there."""


@dataclass(frozen=True, slots=True)
class SyncState:
    """What a screen says about the platform and the outbox."""

    online: bool
    down_since: datetime | None  # when the platform stopped answering (None: online)
    waiting: int  # outbox rows not yet acknowledged (cases and scans)


async def sync_state(store: LocalStore, client: PlatformClient | None) -> SyncState:
    """Ask (only if no answer came lately) and count. The time the platform went away is
    kept in the store, so a restart during an outage still says since when."""
    if client is not None and (
        client.down_since is not None or time.monotonic() - client.answered_at > FRESH_SECONDS
    ):
        with contextlib.suppress(PlatformUnreachable, PlatformRefused):
            await client.health()  # the client notes whether (and since when) it answers
    online = client is not None and client.down_since is None
    kept = await asyncio.to_thread(store.platform_down_since)
    if online and kept is not None:
        await asyncio.to_thread(store.set_platform_down_since, None)
        kept = None
    elif not online:
        noticed = client.down_since if client is not None else None
        if kept is None:
            kept = noticed or datetime.now(UTC)
            await asyncio.to_thread(store.set_platform_down_since, kept)
    waiting = await asyncio.to_thread(store.outbox_depth)
    return SyncState(online, kept, waiting)
