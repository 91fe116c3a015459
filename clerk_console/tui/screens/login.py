"""Staff login: user, PIN and counter. Clerks and supervisors go on to the counter screen."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from clerk_console.sync.client import Login, PlatformClient, PlatformRefused, PlatformUnreachable
from clerk_console.sync.outbox import send_logouts
from clerk_console.tui.errors import explain
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.base import ConsoleScreen
from clerk_console.tui.widgets.fields import FieldInput
from clerk_console.tui.widgets.keys import ConsoleFooter

CONNECT_WAIT_STEPS = 300
"""How long a login waits for a platform still connecting: 30 s in steps of 0.1 s."""


class LoginScreen(ConsoleScreen):
    """Log in to the platform (to this console's counter by default)."""

    BINDINGS = [
        Binding("f1", "guide", "key.guide"),
        Binding("escape", "back", "key.back_guide"),
    ]

    def __init__(self, t: Messages, counter: int | None) -> None:
        super().__init__(t)
        self.counter = counter

    def compose(self) -> ComposeResult:
        t = self.t
        yield Header(show_clock=False)
        with Vertical(id="login-box"):
            yield Static(t("login.title"), id="login-title")
            # Each field acts on its own Enter, in order with the keys typed before it, so a
            # fast typist's PIN is whole and never lands in the user-name field.
            enter = self._entered
            yield FieldInput(placeholder=t("login.username"), id="username", on_enter=enter)
            yield FieldInput(
                placeholder=t("login.pin"), password=True, id="pin", max_length=6, on_enter=enter
            )
            prefill = "" if self.counter is None else str(self.counter)
            yield FieldInput(
                prefill, placeholder=t("login.counter"), id="login-counter", on_enter=enter
            )
            yield Static(t("login.hint"), id="login-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.place(self.t("place.counter", counter=self.counter) if self.counter else "")
        self.query_one("#username", Input).focus()
        # A fault found at start is said here, before anyone types a PIN for nothing.
        self.watch(self.app, "platform_error", self._fault, init=False)
        self.watch(self.app, "catalog_error", self._fault, init=False)

    def _fault(self, error: str) -> None:
        if error:
            self._say(error)

    def reset(self) -> None:
        """Back after a logout: ready for the next person (the counter stays as set)."""
        self.query_one("#username", Input).value = ""
        self.query_one("#pin", Input).value = ""
        self.query_one("#username", Input).focus()
        self._say(self.t("login.hint"))  # not the last login's "checking…"

    def _say(self, text: str) -> None:
        self.query_one("#login-message", Static).update(text)

    def _entered(self, _field: FieldInput) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        """Enter: on to the next field, or log in from the last one."""
        order = ["username", "pin", "login-counter"]
        fields = {name: self.query_one(f"#{name}", Input) for name in order}
        values = {name: field.value.strip() for name, field in fields.items()}
        focused = next((n for n, f in fields.items() if f is self.focused), "username")
        # Screen.set_focus, not Widget.focus: the latter waits behind keys already queued.
        for name in order[: order.index(focused) + 1]:
            if not values[name] and name != "login-counter":
                self.set_focus(fields[name])
                self._say(self.t(f"login.need_{name}"))
                return
        if focused != "login-counter":
            self.set_focus(fields[order[order.index(focused) + 1]])
            return
        counter_text = values["login-counter"]
        if counter_text and not (counter_text.isdigit() and 1 <= int(counter_text) <= 999):
            self._say(self.t("login.bad_counter"))
            return
        self.log_in(values["username"], values["pin"], int(counter_text) if counter_text else None)

    @work(exclusive=True, group="login")
    async def log_in(self, username: str, pin: str, counter: int | None) -> None:
        """Ask the platform (async worker: the screen never freezes)."""
        client = self.console.client
        if client is None and not self.console.platform_error:
            # Still connecting (the embedded platform opens its database on first start):
            # the login waits for it rather than failing.
            self._say(self.t("login.connecting"))
            for _ in range(CONNECT_WAIT_STEPS):
                await asyncio.sleep(0.1)
                client = self.console.client
                if client is not None or self.console.platform_error:
                    break
        if client is None:
            self._say(self.t("error.not_connected", detail=self.console.platform_error or "…"))
            return
        self._say(self.t("login.checking"))
        store = self.console.store
        if store is None and counter is not None and not self.console.catalog_error:
            for _ in range(CONNECT_WAIT_STEPS):  # the store opens alongside the platform
                await asyncio.sleep(0.1)
                store = self.console.store
                if store is not None or self.console.catalog_error:
                    break  # (a store that cannot open says so on the counter screen)
        # The store's id asks for its tag (the mark in its case numbers) with the login.
        console_id = (
            await asyncio.to_thread(store.console_id)
            if store is not None and counter is not None
            else None
        )
        if store is not None:  # logouts made here while the platform was away: first
            await send_logouts(store, client)
        try:
            try:
                login = await client.login(username, pin, counter, console_id)
            except PlatformRefused as exc:
                if exc.code != "no_counter_for_role" or counter is None:
                    raise
                # An approver (or guide) at a console that sits at a counter: their work is
                # not at one, so they log in without it.
                login = await client.login(username, pin, None)
        except PlatformUnreachable as exc:
            # The platform away: who logged in at this counter's console lately still can.
            offline = await self._offline(username, pin, counter) if counter else None
            if offline is None:
                self._refused(explain(self.t, exc) if counter is None else "")
                return
            login = offline
        except PlatformRefused as exc:
            self._refused(explain(self.t, exc))
            return
        else:
            if store is not None and counter is not None:  # for a login while it is away
                await asyncio.to_thread(
                    store.remember_login,
                    login.username,
                    login.name,
                    login.role,
                    login.department,
                    pin,
                )
        if store is not None and login.console_tag is not None:
            await asyncio.to_thread(store.set_console_tag, login.console_tag)
        await self.console.sync_now()
        # Each role to its screen: a counter for whoever logged in at one; the kiosk for a
        # guide; the hall view for a supervisor (or admin) away from a counter; the inbox
        # for a department's approver.
        if self.console.start == "rate":
            self._to_pad(client, login)
        elif login.counter is not None:
            from clerk_console.tui.screens.counter import CounterScreen

            self._go(CounterScreen(self.t, login.counter))
        elif login.role == "guide":
            from clerk_console.tui.screens.kiosk import KioskScreen

            self._go(KioskScreen(self.t))
        elif login.role in ("supervisor", "admin"):
            from clerk_console.tui.screens.supervisor import SupervisorScreen

            self._go(SupervisorScreen(self.t))
        elif login.role == "approver":
            from clerk_console.tui.screens.inbox import InboxScreen

            self._go(InboxScreen(self.t))
        elif login.role == "clerk":
            # A clerk's work is at a counter: logged out again, asked for its number.
            with contextlib.suppress(PlatformRefused, PlatformUnreachable):
                await client.logout()
            self.query_one("#pin", Input).value = ""
            self.set_focus(self.query_one("#login-counter", Input))
            self._say(self.t("login.clerk_needs_counter"))
        else:
            self._say(self.t("login.no_screen_yet", role=self.t(f"role.{login.role}")))

    def _to_pad(self, client: PlatformClient, login: Login) -> None:
        """The rating pad (`clerk-console rate`): unlocked by a clerk or supervisor logged in
        at its counter; anyone else is logged out again and told why."""
        if login.counter is not None and login.role in ("clerk", "supervisor"):
            from clerk_console.tui.screens.rating_pad import RatingPadScreen

            self._go(RatingPadScreen(self.t, login.counter))
            return
        self.end_login(client)
        self.query_one("#pin", Input).value = ""
        self._say(self.t("login.pad_needs_counter"))

    @work(group="login-end")
    async def end_login(self, client: PlatformClient) -> None:
        with contextlib.suppress(PlatformRefused, PlatformUnreachable):
            await client.logout()

    def _refused(self, words: str) -> None:
        self.query_one("#pin", Input).value = ""  # a PIN is never kept after a failure
        self.set_focus(self.query_one("#pin", Input))
        if words:
            self._say(words)

    async def _offline(self, username: str, pin: str, counter: int) -> Login | None:
        """A login checked here while the platform is away; None (and said why) when it
        cannot be. The platform checks it again as soon as it answers (the app keeps the
        PIN in memory until then, never on disk)."""
        store = self.console.store
        days = self.console.settings.platform.offline_login_days
        client = self.console.client
        if store is None or client is None or days == 0:
            self._say(self.t("login.offline_none"))
            return None
        now = datetime.now(UTC)
        check = await asyncio.to_thread(
            store.check_offline_login, username, pin, counter, now, timedelta(days=days)
        )
        if check.outcome == "unknown":
            self._say(self.t("login.offline_unknown", user=username, days=days))
            return None
        if check.outcome == "wrong":
            self._say(self.t("login.offline_wrong", left=check.left))
            return None
        if check.outcome == "locked":
            until = check.until.astimezone() if check.until else now
            self._say(self.t("login.offline_locked", until=f"{until:%H:%M}"))
            return None
        login = Login(
            username=username,
            name=check.name,
            role=check.role,
            department=check.department,
            counter=counter,
            expires_at=now + timedelta(hours=12),
        )
        client.token, client.login_info = None, login
        self.console.unconfirmed_login = (username, pin, counter)
        self.console.notify(self.t("login.offline_ok"), severity="warning", timeout=20)
        return login

    def _go(self, screen: Screen[None]) -> None:
        # The first screen of a kiosk is this login: replace it rather than stack on nothing.
        if len(self.app.screen_stack) > 1:
            self.app.switch_screen(screen)
        else:
            self.app.push_screen(screen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Back only where there is something to go back to (the lobby guide's F2).
        return action != "back" or len(self.app.screen_stack) > 1

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_guide(self) -> None:
        from clerk_console.tui.screens.guide import GuideScreen

        self.app.push_screen(GuideScreen(self.t))
