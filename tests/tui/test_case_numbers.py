"""Case numbers unique across the consoles of a hall, from the keyboard (issue 13, finding
5): a second console at the same counter number, and a console whose store was rebuilt
mid-day, give numbers of their own, and every case reaches the platform."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig, validate
from clerk_console.store.local import STORE_FILE
from clerk_console.sync.client import PlatformClient
from clerk_console.tui.screens.intake import IntakeScreen

from tui.helpers import plain, settle
from tui.test_intake_flow import SIZE, company_applicant, open_intake


async def rejected_case(settings: ConsoleConfig, platform: Callable[[], PlatformClient]) -> str:
    """Log in at counter 5, refuse a company's intake on the spot (only the applicant and a
    reason are needed), and quit; the case number the screen showed."""
    app = make_app(settings, platform=platform)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_intake(pilot)
        await company_applicant(pilot)
        await pilot.press("f2", "5")  # straight to the decision
        await settle(pilot)
        await pilot.press("4")  # not accepted
        await settle(pilot)
        await pilot.press("enter")  # the first reason of the catalog's list
        await settle(pilot)
        await pilot.press(*"不属于本窗口受理范围", "enter")
        await settle(pilot)
        assert isinstance(screen, IntakeScreen) and screen.decision is not None
        assert "已送达中心平台" in plain(screen.query_one("#intake-message", Static))
        number = screen.decision.case_number
    assert app.store is not None and app.store.pending_outbox() == []
    return number


async def test_second_console_and_rebuilt_store_number_apart(
    settings: ConsoleConfig, platform: Callable[[], PlatformClient], tmp_path: Path
) -> None:
    second = validate(ConsoleConfig, {"data_dir": str(tmp_path / "second-console")})
    assert second.counter.number == settings.counter.number == 5
    numbers = [await rejected_case(settings, platform), await rejected_case(second, platform)]
    # The first console's store lost mid-day (a new disk): a store of its own again.
    store_file = Path(settings.data_dir) / STORE_FILE
    assert store_file.exists()
    store_file.unlink()
    numbers.append(await rejected_case(settings, platform))
    assert len(set(numbers)) == 3, numbers
    assert all(n.startswith("JY01-") and "-05" in n for n in numbers)
    clerk = platform()
    await clerk.login("super01", "222222")
    for number in numbers:
        assert (await clerk.case(number))["status"] == "rejected"
    await clerk.aclose()
