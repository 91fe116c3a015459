"""The Textual application: settings, language, the catalog, and which screen comes first.

Kept small on purpose: each screen has its own module and handlers. Slow start-up work
(opening the store, reading the catalog, building the pinyin index) runs in a thread worker
after the first frame, and arrives through the `catalog` reactive.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from clerk_console.config import ConsoleConfig
from clerk_console.domain.scan import CodeKind, read_code
from clerk_console.faults import Fault, classify, keep_aside, write_crash_log
from clerk_console.tui.collector import IdleCollector
from clerk_console.tui.i18n import Messages, translate_bindings
from clerk_console.tui.scanner import ScanBuffer, Scanned
from clerk_console.tui.screens.guide import GuideScreen

if TYPE_CHECKING:
    from clerk_console.devices.spool import PrinterState
    from clerk_console.domain.documents import Wording
    from clerk_console.store.local import LocalStore
    from clerk_console.sync.catalog import LoadedCatalog
    from clerk_console.sync.client import PlatformClient
    from clerk_console.sync.status import SyncState


class ConsoleFault(Exception):
    """A fault said in the clerk's words (its str), with what to do."""


class ClerkConsoleApp(App[None]):
    """The clerk console."""

    CSS_PATH = "console.tcss"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+q", "quit", "key.quit", priority=True, show=False)]

    catalog: var[LoadedCatalog | None] = var(None)
    """The catalog in use, once loaded."""
    catalog_error: var[str] = var("")
    """Why the catalog could not be loaded, if it could not."""
    platform_error: var[str] = var("")
    """Why the platform could not be reached at start, if it could not."""
    printer_states: var[tuple[PrinterState, ...]] = var(())
    """How each printer is, as the spool last found it."""
    store_notice: var[str] = var("")
    sync_state: var[SyncState | None] = var(None)
    """Online, or offline since when, and what the outbox holds: every staff screen says it."""
    """What happened to the local store at start that the clerk must know (kept aside)."""

    def __init__(
        self,
        settings: ConsoleConfig,
        *,
        lang: str | None = None,
        platform: Callable[[], PlatformClient] | None = None,
        start: str = "login",
    ) -> None:
        super().__init__()
        self.start = start  # "login" | "guide" | "kiosk" | "display" | "rate"
        self.settings = settings
        self.t = Messages(lang or settings.language)
        translate_bindings(self._bindings, self.t)
        self.store: LocalStore | None = None
        self.platform_factory = platform
        self.client: PlatformClient | None = None
        self.scans = ScanBuffer()
        self.wording: Wording | None = None  # of printed documents, loaded with the catalog
        self.spool_wake = threading.Event()
        self._crash: BaseException | None = None
        self.crash_words = ""  # what the terminal shows when the console stops on a crash
        self._asking_quit = False
        self.collector = IdleCollector()
        self._sync_wake = asyncio.Event()
        # A login checked here while the platform was away: (user, PIN, counter), in memory
        # only, until the platform checks it too.
        self.unconfirmed_login: tuple[str, str, int] | None = None
        # What the platform was last told of this counter's printers (token, counter, faults).
        self._printers_said: tuple[str | None, int, str] | None = None

    async def on_event(self, event: events.Event) -> None:
        """Every key passes the scan buffer first: a barcode scan goes to the screen as a
        `Scanned` message instead of as keys."""
        if isinstance(event, events.Key | events.MouseDown):
            self.collector.touch()
        if isinstance(event, events.Key) and not event.is_forwarded:
            text = self.scans.feed(event.key, event.character)
            if text and self._take_scan(text):
                return
        await super().on_event(event)

    def _take_scan(self, text: str) -> bool:
        """Route a scan to the screen, if it is one for the screen: only screens that handle
        scans get them (a dialog's field takes a scan as typing), and a code that is none of
        ours, scanned into a field, is left there as data."""
        handles = callable(getattr(self.screen, "on_scanned", None))
        focused = self.focused
        code = read_code(text)
        if not handles or (isinstance(focused, Input) and code.kind is CodeKind.UNKNOWN):
            return False
        if isinstance(focused, Input) and focused.value.endswith(text):
            focused.value = focused.value[: -len(text)]  # it was typed there on its way
        self.screen.post_message(Scanned(code))
        return True

    async def action_quit(self) -> None:
        """Ctrl+Q: asked first once someone is logged in (the default stays); what is open
        is kept either way: a draft reopens, the ticket stays at hand."""
        if self.client is None or self.client.token is None or self._asking_quit:
            self.exit()  # nobody logged in, or Ctrl+Q twice: quit
            return
        from clerk_console.tui.widgets.prompts import ChoiceModal

        choices = [("stay", self.t("quit.stay")), ("quit", self.t("quit.quit"))]
        at_counter = self.client.login_info is not None and self.client.login_info.counter
        title = self.t("quit.title") if at_counter else self.t("quit.title_away")

        def chosen(answer: str | None) -> None:
            self._asking_quit = False
            if answer == "quit":
                self.exit()

        self._asking_quit = True
        self.push_screen(ChoiceModal(self.t, title, choices), chosen)

    def get_key_display(self, binding: Binding) -> str:
        """Keys as the footer and the key help show them: F-keys in capitals (F9)."""
        from clerk_console.tui.widgets.keys import key_label

        return key_label(super().get_key_display(binding))

    def get_default_screen(self) -> Screen[Any]:
        """The first screen (so it is what the first frame shows): the staff login at this
        console's counter; the login of a kiosk (a guide unlocks it, no counter); the public
        service guide; or the public hall display."""
        if self.start == "guide":
            return GuideScreen(self.t)
        if self.start == "display":
            from clerk_console.tui.screens.display import DisplayScreen

            return DisplayScreen(self.t)
        from clerk_console.tui.screens.login import LoginScreen

        return LoginScreen(self.t, None if self.start == "kiosk" else self.settings.counter.number)

    def on_mount(self) -> None:
        self.title = self.t("app.title")
        self.sub_title = self.settings.hall.name  # each screen adds where it works

    def on_ready(self) -> None:
        """The first frame is on screen: now the slow loading may start. (Started earlier,
        its thread competes for the interpreter with painting: +0.17 s to the first frame.)"""
        self.load_catalog()
        if self.platform_factory is not None:
            self.connect_platform()
            self.resend_outbox()
            self.follow_sync()

    @work(exclusive=True, group="sync")
    async def follow_sync(self) -> None:
        """Check the sync state now and then (and when told, `check_sync`); say a change
        of the platform's presence in words as well as in each screen's header."""
        from clerk_console.sync.status import sync_state

        while True:
            if self.store is not None and self.client is not None and self.unconfirmed_login:
                await self._confirm_login(self.store, self.client)
            if self.store is not None and self.client is not None and self.client.login_info:
                state = await sync_state(self.store, self.client)
                before = self.sync_state
                if before is not None and before.online != state.online:
                    if state.online:
                        self.notify(self.t("sync.back_online", n=state.waiting), timeout=10)
                    else:
                        self.notify(self.t("sync.went_offline"), severity="warning", timeout=30)
                if state != before:
                    self.sync_state = state
                if state.online and self.client.token:
                    await self._pull_case_states(self.store, self.client)
                    await self._refresh_catalog(self.store, self.client)
                    await self._report_printers(self.client)
            self._sync_wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._sync_wake.wait(), self.settings.platform.sync_check_seconds
                )

    def watch_printer_states(self) -> None:
        self._sync_wake.set()  # the board hears of a printer's fault at once

    async def _report_printers(self, client: PlatformClient) -> None:
        """Tell the supervisor's board how this counter's printers are: once a login, and
        on every change (a rating pad, or a kiosk, speaks for no counter's printers)."""
        from clerk_console.sync.client import PlatformRefused, PlatformUnreachable

        login = client.login_info
        if login is None or not login.counter or self.start != "login":
            return
        faults = [f"{p.name}:{p.fault}" for p in self.printer_states if p.fault]
        said = (client.token, login.counter, ",".join(faults))
        if said == self._printers_said:
            return
        try:
            await client.report_printer(login.counter, "fault" if faults else "ok", said[2])
        except (PlatformRefused, PlatformUnreachable):
            return  # said again on the next round
        self._printers_said = said

    async def _confirm_login(self, store: LocalStore, client: PlatformClient) -> None:
        """The platform is asked to check a login made here while it was away: confirmed,
        the console carries on with a real login; refused, it is logged out here, in words."""
        from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
        from clerk_console.sync.outbox import push_outbox

        assert self.unconfirmed_login is not None
        username, pin, counter = self.unconfirmed_login
        console_id = await asyncio.to_thread(store.console_id)
        try:
            login = await client.login(username, pin, counter, console_id)
        except PlatformUnreachable:
            return  # still away
        except PlatformRefused as exc:
            self.unconfirmed_login = None
            client.token, client.login_info = None, None
            from clerk_console.tui.errors import explain

            self.notify(
                self.t("login.offline_refused", reason=explain(self.t, exc)),
                severity="error",
                timeout=60,
            )
            while len(self.screen_stack) > 1:  # back to the login, as a logout does
                self.pop_screen()
            reset = getattr(self.screen, "reset", None)
            if callable(reset):
                reset()
            return
        self.unconfirmed_login = None
        if login.console_tag is not None:
            await asyncio.to_thread(store.set_console_tag, login.console_tag)
        await asyncio.to_thread(store.record_login_confirmed, username, counter)
        self.notify(self.t("login.offline_confirmed"), timeout=10)
        await push_outbox(store, client, self.wording)  # what waited for a login goes now

    async def _pull_case_states(self, store: LocalStore, client: PlatformClient) -> None:
        """This console's cases as the platform now shows them, kept for `s` offline."""
        from clerk_console.sync.cases import pull_case_states
        from clerk_console.sync.client import PlatformRefused, PlatformUnreachable

        try:
            await pull_case_states(store, client)
        except (PlatformUnreachable, PlatformRefused) as exc:
            self.log.warning(f"case states not pulled: {exc}")  # next round

    async def _refresh_catalog(self, store: LocalStore, client: PlatformClient) -> None:
        """The platform's catalog, if its version is not the one in use (a 304 otherwise)."""
        from clerk_console.domain.catalog_loader import CatalogInvalid
        from clerk_console.sync.catalog import refresh_catalog
        from clerk_console.sync.client import PlatformRefused, PlatformUnreachable

        if self.catalog is None:
            return
        try:
            fresh = await refresh_catalog(
                store,
                client,
                self.catalog.catalog.version,
                actor=f"counter:{self.settings.counter.number}",
                counter=self.settings.counter.number,
            )
        except (PlatformUnreachable, PlatformRefused) as exc:
            self.log.warning(f"catalog not asked for: {exc}")
            return
        except CatalogInvalid as exc:  # the platform's is broken: keep working on ours
            self.log.error(f"the platform's catalog is invalid: {exc}")
            return
        if fresh is not None:
            self.catalog = fresh
            self.notify(self.t("app.catalog_updated", version=fresh.catalog.version), timeout=10)

    async def sync_now(self) -> None:
        """The sync state, checked and shown at once (a login: its first screen says it)."""
        from clerk_console.sync.status import sync_state

        if self.store is not None:
            self.sync_state = await sync_state(self.store, self.client)

    def check_sync(self) -> None:
        """Something changed the outbox or met the platform: check the sync state now."""
        self._sync_wake.set()

    @work(exclusive=True, group="outbox")
    async def resend_outbox(self) -> None:
        """Send again, now and then, what the outbox still holds (the platform was away when
        it was written); the platform stores each case once however often it comes."""
        while True:
            await asyncio.sleep(self.settings.platform.resend_seconds)
            if self.store is None or self.client is None or self.client.token is None:
                continue  # sent with a clerk's login; a kiosk or display has none
            if await asyncio.to_thread(self.store.pending_outbox):
                from clerk_console.sync.outbox import push_outbox  # not needed for a first frame

                report = await push_outbox(self.store, self.client, self.wording)
                for old, new in report.renumbered:  # never silently: the clerk hears of it
                    self.notify(
                        self.t("app.renumbered", old=old, new=new), severity="warning", timeout=60
                    )
                if report.renumbered:
                    self.wake_spool()
                self.check_sync()

    @work(thread=True, exclusive=True, group="platform", exit_on_error=False)
    def connect_platform(self) -> PlatformClient:
        """Make the platform client (the embedded platform opens its database here). A
        fault is raised as words naming the file or folder and what to do; its details go
        to the crash log."""
        assert self.platform_factory is not None
        try:
            return self.platform_factory()
        except Exception as exc:
            raise ConsoleFault(self._platform_fault(exc)) from exc

    def _platform_fault(self, exc: Exception) -> str:
        folder = self.settings.data_path()
        log = write_crash_log(folder, exc, "starting the platform")
        central = folder / "central"
        fault = classify(exc)
        if fault is Fault.OTHER:
            return self.t("fault.platform_other", kind=type(exc).__name__, log=log)
        return self.t(f"fault.platform_{fault.value}", folder=central, log=log)

    @work(thread=True, exclusive=True, group="catalog", exit_on_error=False)
    def load_catalog(self) -> LoadedCatalog:
        """Open the local store and load the catalog (thread: file and database I/O)."""
        from clerk_console.store.local import LocalStore
        from clerk_console.sync.catalog import document_wording, load_catalog

        if self.store is None:
            self.store = self._open_store(LocalStore)
        catalog_dir = Path(self.settings.catalog_dir) if self.settings.catalog_dir else None
        loaded = load_catalog(
            self.store,
            catalog_dir,
            actor=f"counter:{self.settings.counter.number}",
            counter=self.settings.counter.number,
        )
        try:
            self.wording = document_wording(catalog_dir)
        except (OSError, ValueError) as exc:  # no documents file: nothing prints, and says so
            self.log.error(f"printed documents' wording: {exc!r}")
        return loaded

    def _open_store(self, store_class: type[LocalStore]) -> LocalStore:
        """The local store; a damaged file is kept aside (never deleted) and a new one made,
        which the clerk is told; any other fault is raised as words saying which folder
        and what to do (details in the crash log)."""
        from clerk_console.store.local import STORE_FILE

        folder = self.settings.data_path()
        try:
            return store_class.open(folder)
        except Exception as exc:
            log = write_crash_log(folder, exc, "opening the local store")
            fault = classify(exc)
            if fault is not Fault.DAMAGED:
                words = self.t(
                    f"fault.store_{fault.value}",
                    folder=folder,
                    file=folder / STORE_FILE,
                    kind=type(exc).__name__,
                    log=log,
                )
                raise ConsoleFault(words) from exc
            aside = keep_aside(folder / STORE_FILE)
            store = store_class.open(folder)
            notice = self.t("fault.store_kept_aside", aside=aside, log=log)
            self.call_from_thread(setattr, self, "store_notice", notice)
            return store

    def watch_store_notice(self, notice: str) -> None:
        if notice:
            self.notify(notice, severity="warning", timeout=120)

    def _handle_exception(self, error: Exception) -> None:
        self._crash = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """A crash: the traceback goes to the crash log in the data directory, without local
        variables (they would print a PIN); the screen says what happened and what to do."""
        error = self._crash or RuntimeError("unknown error")
        log = write_crash_log(self.settings.data_path(), error, "the console stopped")
        self.bell()
        self.crash_words = self.t("fault.crashed", log=log)
        self._exit_renderables.append(self.crash_words)
        self._close_messages_no_wait()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place where worker results and failures reach the screens."""
        worker: Worker[Any] = event.worker
        if worker.group == "platform":
            if event.state is WorkerState.SUCCESS:
                self.client = worker.result
            elif event.state is WorkerState.ERROR:
                self.platform_error = str(worker.error)
            return
        if worker.group != "catalog":
            return
        if event.state is WorkerState.SUCCESS:
            self.catalog = worker.result
            self.run_spool()
            # What start-up built stays for the console's life: out of the collector's way,
            # whose full passes over it were the slowest moments of a key (up to 200 ms);
            # the full passes over the rest wait for a quiet moment.
            gc.freeze()
            self.collector.start()
            self.set_interval(1.0, self.collector.tick, name="idle collector")
        elif event.state is WorkerState.ERROR:
            self.catalog_error = str(worker.error)

    @work(thread=True, exclusive=True, group="spool", exit_on_error=False)
    def run_spool(self) -> None:
        """Send the store's print jobs to the printers, for as long as the console runs:
        at once when a job is queued (`wake_spool`), else twice a second to retry."""
        from clerk_console.devices.spool import spool_from

        assert self.store is not None
        spool = spool_from(self.settings, self.store)
        worker = get_current_worker()
        while not worker.is_cancelled:
            try:
                states = tuple(spool.run_once())
            except Exception as exc:  # a busy store: say so, and try again
                self.log.error(f"print spool: {exc!r}")
            else:
                if states != self.printer_states:
                    self.call_from_thread(setattr, self, "printer_states", states)
            self.spool_wake.wait(0.5)
            self.spool_wake.clear()

    def wake_spool(self) -> None:
        """A job was queued: print it now rather than at the next round."""
        self.spool_wake.set()

    async def on_unmount(self) -> None:
        self.collector.stop()
        self.workers.cancel_group(self, "spool")
        self.spool_wake.set()
        if self.store is not None:
            self.store.close()
        if self.client is not None:
            await self.client.aclose()
