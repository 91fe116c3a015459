"""The intake screen (受理): holds the draft and moves between its five steps.

Each step is a widget composed once (`applicant`, `selection`, `checklist`, `form`,
`decision`) that shows the draft whenever it comes into view and owns its keys; the screen
keeps the draft, saves every change to the local store in order and off the screen's thread
(so a draft survives a crash), and takes the keys that hold everywhere: F3/F4, or F2 and a
step's number, to move; Ctrl+R to reveal the applicant's numbers; F8 to give up; Esc back
to the counter.
Any step can be visited any number of times, in any order, with nothing lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from clerk_console.devices.hotfolder import POLL_SECONDS, Outcome, Taken, Target, hot_folder_from
from clerk_console.domain.catalog import Catalog
from clerk_console.domain.checklist import Checklist, build_checklist
from clerk_console.domain.decision import Assessment, assess
from clerk_console.domain.identifiers import mask_id_number, mask_mobile
from clerk_console.domain.intake import Decision, Intake, Step, from_preapplication
from clerk_console.domain.scan import CodeKind
from clerk_console.domain.workdays import WorkCalendar
from clerk_console.faults import classify, write_crash_log
from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.errors import explain
from clerk_console.tui.i18n import Messages
from clerk_console.tui.scanner import Scanned
from clerk_console.tui.screens.base import ConsoleScreen
from clerk_console.tui.screens.intake.applicant import ApplicantStep
from clerk_console.tui.screens.intake.checklist import ChecklistStep
from clerk_console.tui.screens.intake.decision import DecisionStep
from clerk_console.tui.screens.intake.form import FormStep
from clerk_console.tui.screens.intake.selection import SelectionStep
from clerk_console.tui.screens.intake.step import IntakeStep
from clerk_console.tui.widgets.fields import FieldInput, show_text
from clerk_console.tui.widgets.keys import ConsoleFooter
from clerk_console.tui.widgets.printer_status import PrinterStatus
from clerk_console.tui.widgets.prompts import ChoiceModal

if TYPE_CHECKING:
    from clerk_console.store.local import LocalStore

STEPS = list(Step)


class IntakeScreen(ConsoleScreen):
    """One intake at this counter; Esc goes back to the counter and keeps the draft."""

    SHOWS_SYNC = True

    BINDINGS = [
        Binding("f4", "next_step", "key.next_step"),
        Binding("f3", "previous_step", "key.previous_step"),
        Binding("f2", "choose_step", "key.choose_step", show=False),
        # F2 then the step's number: the digit is taken by the screen (the focus leaves the
        # field at once), so it can never land in a field, however fast it follows F2.
        *(
            Binding(str(n), f"jump({n})", f"key.jump_{step.value}", show=False)
            for n, step in enumerate(STEPS, start=1)
        ),
        Binding("ctrl+r", "reveal", "key.reveal", show=False),
        Binding("f6", "print_queue", "key.print_queue", show=False),
        Binding("f8", "discard", "key.discard_intake", show=False),
        Binding("escape", "close", "key.close_intake"),
    ]

    def __init__(
        self,
        t: Messages,
        counter: int,
        ticket: str | None = None,
        resume: Intake | None = None,
        *,
        clerk: str = "",
        pulled: str | None = None,
        continued: bool = False,
        catalog: Catalog | None = None,
    ) -> None:
        """`resume`: a draft to go on with; a new one filled from a pre-application (with
        `pulled`, its code) or from a supplement notice taken up again (`continued`); with
        no `resume`, a new intake. `catalog`: the one a reopened draft started with (see
        `reopen`); otherwise the one in use now."""
        super().__init__(t)
        self._pinned = catalog
        self.counter, self.ticket, self.pulled = counter, ticket, pulled
        self.resumed, self.continued = resume is not None, continued
        self.intake: Intake = resume or Intake(
            key=f"{counter:03d}-{uuid4().hex[:12]}", counter=counter, clerk=clerk, ticket=ticket
        )
        self._saved = self.intake  # the draft as last saved
        self.revealed = False  # the applicant's numbers in full (each reveal is audited)
        self.choosing_step = False  # F2 was pressed: the next digit picks the step
        self.decision: Decision | None = None
        self.instant_done: set[str] = set()  # instant items recorded in this sitting
        self._saves: asyncio.Queue[tuple[Intake, str, dict[str, Any]]] = asyncio.Queue()
        self._checklist: tuple[Any, Checklist | None] | None = None  # (inputs, result)

    # --- the app's parts ----------------------------------------------------------------

    @classmethod
    async def reopen(
        cls,
        t: Messages,
        store: LocalStore,
        current: Catalog,
        where: tuple[int, str | None],
        key: str,
        clerk: str,
    ) -> IntakeScreen | None:
        """The screen of the draft saved under `key` at `where` (counter, ticket), with the
        catalog it started with, else `current` (read off the screen's thread); None if
        there is no such draft."""
        from clerk_console.sync.catalog import draft_catalog

        counter, ticket = where
        draft = await asyncio.to_thread(store.load_draft, key)
        if draft is None:
            return None
        pinned = await asyncio.to_thread(draft_catalog, store, draft, current)
        return cls(t, counter, ticket, draft, clerk=clerk, catalog=pinned)

    @property
    def catalog(self) -> Catalog:
        """The catalog this intake started with: a newer one arriving from the platform
        meanwhile serves the next intake, not this one (its checklist would change under
        the clerk's hands)."""
        if self._pinned is None:
            loaded = self.console.catalog
            assert loaded is not None  # the counter opens an intake only with a catalog
            self._pinned = loaded.catalog
        return self._pinned

    @property
    def store(self) -> LocalStore:
        assert self.console.store is not None
        return self.console.store

    def calendar(self) -> WorkCalendar:
        settings = self.console.settings.calendar
        return WorkCalendar.of(settings.holidays, settings.workdays)

    def clerk_name(self) -> str:
        """The clerk's name as people read it (on the receipt), else the user name."""
        client = self.console.client
        login = client.login_info if client else None
        return login.name if login and login.name else self.intake.clerk

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static("", id="intake-steps")
        yield Static("", id="intake-who")
        # The steps sit directly on the screen, one displayed: a container around them was
        # one more screen-sized layer to paint on every step change.
        for step in (ApplicantStep, SelectionStep, ChecklistStep, FormStep, DecisionStep):
            widget = step(self)
            widget.display = step.STEP is self.intake.step
            yield widget
        yield PrinterStatus(self.t, id="printer-status")
        yield Static("", id="intake-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.place(self.t("place.counter", counter=self.counter))
        self.save_loop()
        if self.console.settings.intake.hot_folder:
            self.watch_hot_folder()
        started_with = self.intake.catalog
        if started_with != self.catalog.version:
            self.intake = replace(self.intake, catalog=self.catalog.version)
        if not self.resumed:
            self._save("intake.started", ticket=self.ticket)
        elif self.pulled:
            self._save("intake.preapplication", code=self.pulled)
            self.say(self.t("intake.pulled", code=self.pulled))
        elif self.continued:
            self._save("intake.continued", case=self.intake.continues)
            self.say(self.t("intake.continuing", number=self.intake.continues))
        elif started_with and started_with != self.catalog.version:
            # The version the draft started with is no longer on this console (a rebuilt
            # store): it goes on with the one in use, and the clerk checks the list again.
            self._save("intake.catalog_changed", previous=started_with)
            self.say(self.t("intake.catalog_changed"), error=True)
        else:
            if started_with != self.catalog.version:
                self._save("intake.step", step=self.intake.step.value)
            self.say(self.t("intake.resumed"))
        self._show_step()

    def step_widget(self, step: Step) -> IntakeStep:
        return self.query_one(f"#step-{step.value}", IntakeStep)

    # --- the draft: kept here, saved in order, off the screen's thread ---------------------

    def change(self, intake: Intake, what: str, **detail: Any) -> None:
        """A step changed the draft: keep it and save it with an audit entry `what`."""
        self.intake = intake
        self._save(what, **detail)
        self._show_who()

    def adopt(self, intake: Intake) -> None:
        """Keep a change in the draft without saving it yet (a field being typed in, or a
        change the store already holds, such as a scan's count)."""
        self.intake = intake

    @property
    def saved_form(self) -> dict[str, str]:
        """The one form as last saved."""
        return self._saved.form

    def _save(self, what: str, **detail: Any) -> None:
        self._saved = self.intake
        self._saves.put_nowait((self.intake, what, detail))

    @work(group="intake-save")
    async def save_loop(self) -> None:
        """Save each change in order. A save that fails (a disk gone read-only or full) is
        said in words and logged; the draft stays on screen, and the next change saves it
        whole."""
        hall = self.console.settings.hall.code
        while True:
            intake, what, detail = await self._saves.get()
            try:
                if what:
                    await asyncio.to_thread(self.store.save_draft, intake, hall, what, detail)
                else:
                    await asyncio.to_thread(self.store.save_step, intake.key, intake.step.value)
            except Exception as exc:
                folder = self.console.settings.data_path()
                await asyncio.to_thread(write_crash_log, folder, exc, f"saving {what}")
                self.say(self.t("fault.draft_not_saved", kind=classify(exc).value), error=True)
            finally:
                self._saves.task_done()

    async def saved(self) -> None:
        """Wait until every change so far is in the store."""
        await self._saves.join()

    def keep_all(self) -> None:
        """Whatever the step in view holds, in the draft (before a decision or leaving)."""
        if self.decision is None:
            self.step_widget(self.step).keep()

    def checklist(self) -> Checklist | None:
        """The tailored checklist of the draft as it stands (built once per change)."""
        intake = self.intake
        inputs = (intake.selection, tuple(sorted(intake.answers.items())))
        if self._checklist is None or self._checklist[0] != inputs:
            built = (
                build_checklist(self.catalog, intake.selection, intake.answers)
                if intake.selection is not None
                else None
            )
            self._checklist = (inputs, built)
        return self._checklist[1]

    def assessment(self) -> Assessment | None:
        """The checklist assessed against what has been recorded."""
        checklist = self.checklist()
        return assess(checklist, self.intake.records) if checklist else None

    def selection_name(self) -> str:
        selection = self.intake.selection
        if selection is None:
            return ""
        if selection.bundle is not None:
            return self.catalog.bundles[selection.bundle].name
        return self.t.join(self.catalog.items[code].name for code in selection.items)

    # --- steps -------------------------------------------------------------------------

    @property
    def step(self) -> Step:
        return self.intake.step

    def go(self, step: Step) -> None:
        """Show `step`: what the step in view holds is kept first, nothing is lost."""
        if step is not self.step:
            self.step_widget(self.step).keep()
            self.intake = replace(self.intake, step=step)
            self._saves.put_nowait((self.intake, "", {}))  # where it stands: a small write
        self._show_step()

    def _show_step(self) -> None:
        t = self.t
        marks = []
        for i, step in enumerate(STEPS, start=1):
            label = f"{i} {t(f'intake.step_{step.value}')}"
            # A click on a step goes there, as F2 and its number do.
            style = "b reverse " if step is self.step else ""
            marks.append(f"[{style}@click=screen.goto({i})] {label} [/]")
        bar = " › ".join(marks)
        if self.intake.continues:
            bar += "  " + t("intake.continues_mark", number=self.intake.continues)
        show_text(self.query_one("#intake-steps", Static), bar)
        self._show_who()
        for step in STEPS:
            self.step_widget(step).display = step is self.step
        self.step_widget(self.step).show()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "jump":
            return self.choosing_step  # only as the answer to F2
        if action in ("previous_step", "next_step", "choose_step"):
            if self.decision is not None:
                return False
            if action == "previous_step":
                return self.step is not Step.APPLICANT
            if action == "next_step":
                return self.step is not Step.DECISION
        if action == "reveal":
            return True
        return True

    def action_previous_step(self) -> None:
        self.go(STEPS[STEPS.index(self.step) - 1])

    def action_next_step(self) -> None:
        if self.decision is not None or self.step is Step.DECISION:
            return
        if not self.step_widget(self.step).ready_to_leave():
            return
        self.say("")
        self.go(STEPS[STEPS.index(self.step) + 1])

    def action_jump(self, number: int) -> None:
        """Straight to a step (F2 then its number, or a click on the steps bar); nothing is
        checked on the way: the decision says what is still wanting."""
        self.choosing_step = False
        self.refresh_bindings()
        if 1 <= number <= len(STEPS) and self.decision is None:
            self.say("")
            if STEPS[number - 1] is self.step:
                self._show_step()  # the same step: its focus comes back
            else:
                self.go(STEPS[number - 1])

    def action_goto(self, number: int) -> None:
        """A click on a step of the steps bar."""
        self.step_widget(self.step).keep()
        self.action_jump(number)

    def action_choose_step(self) -> None:
        """F2: the next digit picks the step. The focus leaves the field now, in the same
        key's handling, so the digit goes to the screen even when typed at once."""
        if self.decision is not None:
            return
        self.step_widget(self.step).keep()
        self.choosing_step = True
        self.set_focus(None)
        steps = "  ".join(f"{i} {self.t(f'intake.step_{s.value}')}" for i, s in enumerate(STEPS, 1))
        self.say(self.t("intake.choose_step", steps=steps))
        self.refresh_bindings()

    def decided(self, decision: Decision) -> None:
        """The intake is closed with `decision`: the steps no longer change it."""
        self.decision = decision
        self.refresh_bindings()

    def say(self, text: str, error: bool = False) -> None:
        style = "bold red" if error else "green"
        show_text(self.query_one("#intake-message", Static), Text(text, style=style))

    # --- who applies ------------------------------------------------------------------

    def _show_who(self) -> None:
        """Who applies, on every step after the first: numbers masked unless revealed."""
        a, agent = self.intake.applicant, self.intake.agent
        who = self.query_one("#intake-who", Static)
        if self.step is Step.APPLICANT or not a.name:
            show_text(who, "")
            return

        def shown(value: str, mask: Callable[[str], str]) -> str:
            return value if self.revealed or not value else mask(value)

        parts = [a.name, a.credit_code or shown(a.id_number, mask_id_number)]
        parts.append(shown(a.mobile, mask_mobile))
        if agent is not None:
            parts.append(self.t("intake.agent_is", name=agent.name))
            parts.append(shown(agent.id_number, mask_id_number))
        show_text(who, " · ".join(p for p in parts if p))

    def action_reveal(self) -> None:
        """Ctrl+R: the applicant's numbers in full, or masked again; showing is audited."""
        self.revealed = not self.revealed
        self._show_who()
        for field in self.query(FieldInput):
            if field.mask is not None:
                field.reveal(self.revealed)
        if self.revealed:
            self.audit_reveal(self.intake)

    @work(group="audit")
    async def audit_reveal(self, intake: Intake) -> None:
        await asyncio.to_thread(
            self.store.append_audit,
            intake.clerk,
            "applicant.revealed",
            intake.key,
            {"step": intake.step.value},
            intake.counter,
        )

    # --- leaving --------------------------------------------------------------------------

    async def action_close(self) -> None:
        """Esc: back to the counter; the draft stays and reopens with `i`. While F2 waits for
        a step's number, Esc only gives that up."""
        if self.choosing_step:
            self.choosing_step = False
            self.say("")
            self._show_step()
            return
        self.keep_all()
        await self.saved()
        self.app.pop_screen()

    def action_discard(self) -> None:
        """F8: the applicant leaves before a decision; asked first, the default keeps it."""
        if self.decision is not None:
            self.app.pop_screen()
            return
        t = self.t
        choices = [("keep", t("intake.discard_no")), ("discard", t("intake.discard_yes"))]

        def chosen(answer: str | None) -> None:
            if answer == "discard":
                self.discard()

        self.app.push_screen(ChoiceModal(t, t("intake.discard_title"), choices), chosen)

    @work(group="intake-discard")
    async def discard(self) -> None:
        await self.saved()
        await asyncio.to_thread(self.store.discard_draft, self.intake)
        self.app.notify(self.t("intake.discarded"), timeout=8)
        self.app.pop_screen()

    def action_print_queue(self) -> None:
        from clerk_console.tui.screens.print_queue import PrintQueueScreen

        self.app.push_screen(PrintQueueScreen(self.t, self.intake.clerk, self.counter))

    # --- the barcode scanner ----------------------------------------------------------------

    def on_scanned(self, message: Scanned) -> None:
        """A barcode scan during an intake: an e-licence verifies the material its registry
        holds; a pre-application fills an intake not yet begun."""
        code = message.code
        if code.kind is CodeKind.ELICENCE:
            self.query_one(ChecklistStep).scanned_licence(code.registry, code.value)
        elif code.kind is CodeKind.PREAPPLICATION:
            self.pull_preapplication(code.value)
        elif code.kind is CodeKind.UNKNOWN:
            self.say(self.t("scan.unknown", raw=code.raw.strip()), error=True)
        else:
            self.say(self.t("scan.finish_intake_first", code=code.value), error=True)

    @work(group="registry")
    async def pull_preapplication(self, code: str) -> None:
        if self.intake.selection is not None or self.step is not Step.APPLICANT:
            self.say(self.t("scan.preapplication_too_late"), error=True)
            return
        client = self.console.client
        try:
            if client is None:
                raise PlatformUnreachable(self.console.platform_error or "no platform")
            data = await client.preapplication(code)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self.say(explain(self.t, exc), error=True)
            return
        current = self.intake
        self.change(
            from_preapplication(data, current.key, current.counter, current.clerk, current.ticket),
            "intake.preapplication",
            code=code,
        )
        self.step_widget(Step.APPLICANT).refresh_from_draft()
        self.say(self.t("intake.pulled", code=code))

    # --- the document scanner's hot folder -------------------------------------------------

    def _scan_target(self) -> Target | None:
        """Where a scan goes now: the highlighted material, on the checklist step only."""
        if self.step is not Step.CHECKLIST or self.decision is not None:
            return None
        material = self.query_one(ChecklistStep).current_material()
        return Target(self.intake.key, material, self.intake.clerk) if material else None

    @work(thread=True, group="hot-folder")
    def watch_hot_folder(self) -> None:
        folder = hot_folder_from(self.console.settings, self.store)
        worker = get_current_worker()
        while not worker.is_cancelled:
            target = self.app.call_from_thread(self._scan_target)
            if target is not None:
                # The draft must be in the store before a file is attached to it.
                self.app.call_from_thread(self.saved)  # type: ignore[arg-type]
            for taken in folder.poll(target, self.intake.clerk):
                self.app.call_from_thread(self._scanned, taken, target)
            time.sleep(POLL_SECONDS)

    def _scanned(self, taken: Taken, target: Target | None) -> None:
        if taken.outcome is Outcome.REFUSED:
            self.say(self.t(f"intake.scan_refused_{taken.reason}", file=taken.name), True)
            return
        if taken.outcome is Outcome.INBOX or target is None:
            self.say(self.t("intake.scan_inbox", file=taken.name))
            return
        self.query_one(ChecklistStep).scanned(target.material)
        name = self.catalog.materials[target.material].name
        pages = self.t("intake.pages", n=taken.pages) if taken.pages else ""
        self.say(self.t("intake.scan_attached", file=taken.name, pages=pages, material=name))
