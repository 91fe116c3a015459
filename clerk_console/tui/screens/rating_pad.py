"""The rating pad (评价器): the applicant-facing terminal at a counter. While the clerk
serves, it shows who serves (name and 工号); when the clerk finishes a ticket, it asks for the
rating of that service with big keys 1–5 (一次一评), and for a bad one the reasons from the
hall's list; unanswered, it goes back to idle. Unlocked by the counter's clerk with their own
login at this console's counter (`clerk-console rate`)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Button, Header, Static

from clerk_console.domain.rating import Level
from clerk_console.sync.client import PlatformClient, PlatformRefused, PlatformUnreachable
from clerk_console.tui.errors import explain
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.base import ConsoleScreen
from clerk_console.tui.widgets.keys import ConsoleFooter


@dataclass
class Asking:
    """The ticket the pad asks about, and what the applicant has chosen so far."""

    ticket: str
    clerk: str | None
    level: Level | None = None
    reasons: list[str] = field(default_factory=list)


class RatingPadScreen(ConsoleScreen):
    """Idle (who serves), asking (1–5), reasons (for a bad rating), thanks."""

    POLL_SECONDS = 1.0
    """How often the pad asks the platform what its counter is doing."""
    ASK_SECONDS = 60.0
    """Unanswered this long, the question goes away (the service is not rated by the pad)."""
    THANKS_SECONDS = 5.0
    """How long the thanks stay before the pad is idle again."""

    BINDINGS = [
        # The footer names the digits once (1 shown for all: 1–5 rate, then 1–n reasons).
        Binding("1", "digit(1)", "key.pad_digits", key_display="1–9"),
        *(Binding(str(n), f"digit({n})", f"pad.key_{n}", show=False) for n in range(2, 10)),
        Binding("enter", "send", "key.pad_send"),
        Binding("escape", "back", "key.pad_back"),
        Binding("ctrl+o", "logout", "key.logout"),
    ]

    mode: reactive[str] = reactive("idle")
    """idle | ask | reasons | thanks"""

    def __init__(self, t: Messages, counter: int) -> None:
        super().__init__(t)
        self.counter = counter
        self.asking: Asking | None = None
        self.reasons: list[dict[str, str]] = []
        self.answered: set[str] = set()  # tickets asked about here: never asked twice
        self.state: dict[str, Any] = {}
        self.pending: list[Asking] = []  # chosen while the platform was away: sent later
        self._idle_at = 0.0  # the loop's clock: when asking or thanks end

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="pad"):
            yield Static("", id="pad-clerk")
            yield Static("", id="pad-question")
            with Horizontal(id="pad-levels"):
                for level in Level:
                    label = f"{int(level)}\n{self.t(f'rating.{level.code}')}"
                    yield Button(label, id=f"level-{int(level)}", classes="pad-level")
            yield Static("", id="pad-reasons")
            yield Static("", id="pad-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = self.t("title.pad")
        self.place(self.t("place.counter", counter=self.counter))
        self._show()
        self.follow_counter()

    def _client(self) -> PlatformClient:
        client = self.console.client
        assert client is not None  # the pad exists only after a login
        return client

    # --- what the pad shows ---------------------------------------------------------

    def watch_mode(self) -> None:
        if self.is_mounted:
            self._show()
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "digit":
            n = int(str(parameters[0]))
            if self.mode == "ask":
                return n <= len(Level)
            if self.mode == "reasons":
                return n <= len(self.reasons)
            return False
        if action in ("send", "back"):
            return self.mode == "reasons"
        return True

    def _show(self) -> None:
        t = self.t
        counter = self.state.get("counter") or {}
        if counter.get("clerk"):
            who = t("pad.serving", name=counter.get("clerk_name") or "", number=counter["clerk"])
            if counter.get("ticket"):
                who += "\n" + t("pad.at_hand", ticket=counter["ticket"])
        elif counter:
            who = t("pad.no_clerk")
        else:
            who = t("pad.connecting")
        self.query_one("#pad-clerk", Static).update(Text(who, style="bold"))
        question = {
            "idle": t("pad.welcome"),
            "ask": t("pad.ask", ticket=self.asking.ticket if self.asking else ""),
            "reasons": t("pad.ask_reasons"),
            "thanks": t("pad.thanks"),
        }[self.mode]
        self.query_one("#pad-question", Static).update(Text(question, style="bold"))
        self.query_one("#pad-levels").display = self.mode == "ask"
        reasons = self.query_one("#pad-reasons", Static)
        reasons.display = self.mode == "reasons"
        if self.mode == "reasons" and self.asking is not None:
            lines = [
                f"{'[x]' if r['code'] in self.asking.reasons else '[ ]'} {n}  {self._reason(r)}"
                for n, r in enumerate(self.reasons, start=1)
            ]
            # Plain Text: "[x]" would be read as markup.
            reasons.update(Text("\n".join(lines) + "\n\n" + t("pad.reasons_hint")))

    def _reason(self, reason: dict[str, str]) -> str:
        return reason["en"] if self.t.lang == "en" else reason["zh"]

    def _say(self, words: str, error: bool = False) -> None:
        style = "bold red" if error else ""
        self.query_one("#pad-message", Static).update(Text(words, style=style))

    # --- following the counter --------------------------------------------------------

    @work(exclusive=True, group="feed")
    async def follow_counter(self) -> None:
        """Ask the platform what the counter is doing, every POLL_SECONDS; a finished ticket
        nobody rated yet is asked about (once), an unanswered question goes away."""
        client = self._client()
        loop = asyncio.get_running_loop()
        while True:
            try:
                if not self.reasons:
                    self.reasons = await client.rating_reasons()
                while self.pending:  # ratings chosen while the platform was away
                    await self._deliver(self.pending[0])
                    self.pending.pop(0)
                self.state = await client.pad_state(self.counter)
            except PlatformUnreachable:
                self._say(self.t("pad.unreachable"), error=True)
            except PlatformRefused as exc:
                self._say(explain(self.t, exc), error=True)
                if exc.status == 401:  # the login ended: the clerk unlocks it again
                    return
            else:
                self._say("")
                to_rate = self.state.get("to_rate")
                if self.mode == "idle" and to_rate and to_rate["number"] not in self.answered:
                    self.answered.add(to_rate["number"])
                    self.asking = Asking(to_rate["number"], to_rate.get("clerk"))
                    self._idle_at = loop.time() + self.ASK_SECONDS
                    self.mode = "ask"
                self._show()
            if self.mode in ("ask", "reasons", "thanks") and loop.time() >= self._idle_at:
                await self._time_out()
            await asyncio.sleep(self.POLL_SECONDS)

    async def _time_out(self) -> None:
        """Nobody answered: a bad level already chosen is sent with the reasons chosen (a
        bad rating is never dropped for want of reasons); otherwise nothing is rated."""
        if self.mode == "reasons" and self.asking is not None and self.asking.level is not None:
            await self._send()
            return
        self.asking = None
        self.mode = "idle"

    # --- the applicant's keys ---------------------------------------------------------

    def action_digit(self, n: int) -> None:
        if self.asking is None:
            return
        if self.mode == "ask":
            self.asking.level = Level(n)
            if self.asking.level.good:
                self.send_rating()
            else:
                self._idle_at = asyncio.get_running_loop().time() + self.ASK_SECONDS
                self.mode = "reasons"
        elif self.mode == "reasons" and n <= len(self.reasons):
            code = self.reasons[n - 1]["code"]
            chosen = self.asking.reasons
            chosen.remove(code) if code in chosen else chosen.append(code)
            self._idle_at = asyncio.get_running_loop().time() + self.ASK_SECONDS
            self._show()

    @on(Button.Pressed, ".pad-level")
    def _pressed(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.action_digit(int(event.button.id.removeprefix("level-")))

    def action_send(self) -> None:
        if self.mode == "reasons":
            self.send_rating()

    def action_back(self) -> None:
        if self.mode == "reasons" and self.asking is not None:
            self.asking.level, self.asking.reasons = None, []
            self.mode = "ask"

    @work(exclusive=True, group="pad-send")
    async def send_rating(self) -> None:
        await self._send()

    async def _send(self) -> None:
        asking = self.asking
        if asking is None or asking.level is None:
            return
        self.asking = None
        try:
            await self._deliver(asking)
        except PlatformRefused as exc:
            self.mode = "idle"
            self._say(explain(self.t, exc), error=True)
            return
        except PlatformUnreachable:
            # The applicant has answered: kept here and sent as soon as the platform answers.
            self.pending.append(asking)
        self._idle_at = asyncio.get_running_loop().time() + self.THANKS_SECONDS
        self.mode = "thanks"

    async def _deliver(self, asking: Asking) -> None:
        assert asking.level is not None
        try:
            await self._client().rate(
                level=asking.level.code,
                channel="pad",
                ticket=asking.ticket,
                reasons=asking.reasons,
            )
        except PlatformRefused as exc:
            if exc.code != "already_rated":  # a repeat of one stored: it was taken
                raise

    @work(group="action")
    async def action_logout(self) -> None:
        """Ctrl+O: the clerk locks the pad again (the login ends; the counter stays theirs
        while their console is logged in there)."""
        client = self._client()
        with contextlib.suppress(PlatformRefused, PlatformUnreachable):
            await client.logout()
        client.token, client.login_info = None, None
        self.app.pop_screen()
        reset = getattr(self.app.screen, "reset", None)
        if callable(reset):
            reset()
