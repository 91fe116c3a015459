"""A console for the soak test, run as its own process so the test can kill -9 it: it
closes intakes soak-0 … soak-(N-1) in its store (those not closed yet) and sends its
outbox until it is empty, through whatever the network does.

    python3 soak_console.py DATA_DIR PLATFORM_URL N
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from pathlib import Path

from clerk_console.domain.case_number import format_case_number
from clerk_console.domain.checklist import Selection
from clerk_console.domain.intake import Applicant, Intake, Step
from clerk_console.store.local import LocalStore
from clerk_console.sync.client import PlatformClient, PlatformUnreachable
from clerk_console.sync.outbox import push_outbox


async def main(data_dir: Path, url: str, cases: int) -> None:
    store = LocalStore.open(data_dir)
    client = PlatformClient(url, timeout=5)
    while True:
        try:
            login = await client.login("clerk01", "111111", 5, store.console_id())
            break
        except PlatformUnreachable:
            continue
    assert login.console_tag is not None
    store.set_console_tag(login.console_tag)
    still_open = set(store.open_drafts(5))  # drafts a kill left open: closed below
    day = date.today()
    for i in range(cases):
        key = f"soak-{i:03d}"
        if store.load_draft(key) is not None and key not in still_open:
            continue  # closed in an earlier life
        intake = Intake(
            key=key,
            counter=5,
            clerk="clerk01",
            step=Step.DECISION,
            applicant=Applicant(name=f"申请人{i:03d}", id_number="11010519491231002X"),
            selection=Selection(items=("GA-HJ02",)),
        )
        store.save_draft(intake, "JY01", "intake.applicant")
        sequence = store.next_case_sequence(day, 5)
        number = format_case_number("JY01", day, 5, sequence, login.console_tag)
        decision = {"kind": "accept", "case_number": number, "promised": {}}
        store.close_intake(intake, "JY01", number, "123456", "accepted", decision)
        await push_outbox(store, client)  # sent at once, as the intake screen does
    drained = False
    while not drained:  # through the network's faults, until nothing waits
        drained = (await push_outbox(store, client)).waiting == 0
    print("drained", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
