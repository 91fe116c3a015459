"""Intake (受理): from the applicant to the decision in one sitting, from the keyboard.

Five steps on one screen: applicant → what they came for (search, scenario answers) →
checklist (一次性告知: a key per material state) → one form (一表) → decision. Every change
is saved to the local store at once (in order, off the screen's thread), so a draft survives
a crash; the decision writes the case with its outbox row, which is then sent to the
platform.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import (
    ContentSwitcher,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    Static,
)
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from clerk_console.devices.hotfolder import POLL_SECONDS, Outcome, Taken, Target, hot_folder_from
from clerk_console.devices.spool import route
from clerk_console.domain.case_number import format_case_number, new_query_password
from clerk_console.domain.catalog import Catalog, OriginalRule
from clerk_console.domain.checklist import Checklist, Selection, build_checklist, merged_form
from clerk_console.domain.decision import (
    Assessment,
    DecisionKind,
    EntryStatus,
    MaterialRecord,
    OriginalStatus,
    Problem,
    assess,
)
from clerk_console.domain.documents import Document
from clerk_console.domain.identifiers import mask_id_number, mask_mobile
from clerk_console.domain.intake import (
    Agent,
    Applicant,
    ApplicantKind,
    Decision,
    Intake,
    Step,
    applicant_problems,
    decide,
    form_value_problem,
    from_preapplication,
    normalised,
)
from clerk_console.domain.printouts import Where, decision_documents
from clerk_console.domain.scan import CodeKind
from clerk_console.domain.search import HitKind
from clerk_console.domain.workdays import WorkCalendar
from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.sync.outbox import push_outbox
from clerk_console.tui.errors import explain
from clerk_console.tui.i18n import Messages
from clerk_console.tui.scanner import Scanned
from clerk_console.tui.screens.base import ConsoleScreen
from clerk_console.tui.widgets.printer_status import PrinterStatus
from clerk_console.tui.widgets.prompts import ChoiceModal, TextModal, ask_result

if TYPE_CHECKING:
    from clerk_console.store.local import LocalStore

STEPS = list(Step)
PERSON_FIELDS = ("name", "id_number", "mobile")
ORGANISATION_FIELDS = ("name", "credit_code", "legal_representative", "contact", "mobile")
AGENT_FIELDS = ("agent_name", "agent_id_number", "agent_mobile")
APPLICANT_FIELDS = (
    "name",
    "id_number",
    "credit_code",
    "legal_representative",
    "contact",
    "mobile",
)  # on screen in this order; each kind shows its own
DEFAULT_DEFERRAL_DAYS = 7
CHECKLIST_STEP_KEYS = {
    "as_required",
    "original",
    "collect",
    "copy",
    "uncopy",
    "share",
    "from_inbox",
}
ID_REASONS = {"length", "format", "birth_date", "checksum", "region"}


class IntakeScreen(ConsoleScreen):
    """One intake at this counter; Esc goes back to the counter and keeps the draft."""

    BINDINGS = [
        Binding("f4", "next_step", "key.next_step"),
        Binding("f3", "previous_step", "key.previous_step"),
        Binding("ctrl+t", "toggle_kind", "key.toggle_kind"),
        Binding("o", "original", "key.original"),
        Binding("k", "collect", "key.collect"),
        Binding("c", "copy", "key.copy"),
        Binding("minus", "uncopy", "key.uncopy", key_display="-"),
        Binding("v", "share", "key.share"),
        Binding("a", "from_inbox", "key.from_inbox"),
        Binding("d", "defer", "key.defer"),
        Binding("m", "missing", "key.missing"),
        Binding("n", "not_applicable", "key.not_applicable"),
        *(
            Binding(str(n), f"decide('{kind.value}')", f"key.decide_{kind.value}")
            for n, kind in enumerate(DecisionKind, start=1)
        ),
        Binding("ctrl+r", "reveal", "key.reveal"),
        Binding("f8", "discard", "key.discard_intake"),
        Binding("f6", "print_queue", "key.print_queue"),
        Binding("j", "instant", "key.instant"),
        Binding("escape", "close", "key.close_intake"),
    ]

    def __init__(
        self,
        t: Messages,
        counter: int,
        ticket: str | None = None,
        resume: Intake | None = None,
        *,
        pulled: str | None = None,
    ) -> None:
        """`resume`: a draft to go on with; with `pulled` (a pre-application code), a new
        intake filled from that pre-application."""
        super().__init__(t)
        self.counter, self.ticket, self.pulled = counter, ticket, pulled
        self.intake: Intake | None = resume
        self.revealed = False  # the applicant's numbers in full (each reveal is audited)
        self.decision: Decision | None = None
        self.instant_done: set[str] = set()  # instant items recorded in this sitting
        self._saves: asyncio.Queue[tuple[Intake, str, dict[str, Any]]] = asyncio.Queue()

    # --- the app's parts ----------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        loaded = self.console.catalog
        assert loaded is not None  # the counter opens an intake only with a catalog
        return loaded.catalog

    @property
    def store(self) -> LocalStore:
        assert self.console.store is not None
        return self.console.store

    def calendar(self) -> WorkCalendar:
        settings = self.console.settings.calendar
        return WorkCalendar.of(settings.holidays, settings.workdays)

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        t = self.t
        yield Header(show_clock=False)
        yield Static("", id="intake-steps")
        yield Static("", id="intake-who")
        with ContentSwitcher(initial="step-applicant", id="intake-switcher"):
            with VerticalScroll(id="step-applicant"):
                yield Static("", id="applicant-kind")
                for name in APPLICANT_FIELDS + AGENT_FIELDS:
                    yield Label(t(f"field.{name}"), id=f"label-{name}", classes="field-label")
                    yield Input(id=f"in-{name}", classes="intake-field")
            with Vertical(id="step-selection"):
                yield Input(placeholder=t("intake.search_placeholder"), id="intake-query")
                yield OptionList(id="intake-results")
                yield Static("", id="intake-question")
                yield OptionList(id="intake-choices")
            with Vertical(id="step-checklist"):
                yield DataTable(id="intake-checklist", cursor_type="row", zebra_stripes=True)
                yield Static("", id="intake-completeness")
            with VerticalScroll(id="step-form"):
                yield Static(t("intake.form_hint"), id="form-hint")
            with VerticalScroll(id="step-decision"):
                yield Static("", id="decision-summary")
                yield Static("", id="decision-result")
        yield PrinterStatus(t, id="printer-status")
        yield Static("", id="intake-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#intake-checklist", DataTable)
        # Widths keep every column on an 80-column terminal's share; long text is cut.
        widths = {"material": 28, "items": 26, "original": 6, "copies": 12, "received": 22}
        for column in ("material", "items", "original", "copies", "received", "state"):
            table.add_column(self.t(f"intake.col_{column}"), key=column, width=widths.get(column))
        self.save_loop()
        if self.console.settings.intake.hot_folder:
            self.watch_hot_folder()
        if self.intake is None:
            client = self.console.client
            self.intake = Intake(
                key=f"{self.counter:03d}-{uuid4().hex[:12]}",
                counter=self.counter,
                clerk=client.login_info.username if client and client.login_info else "",
                ticket=self.ticket,
            )
            self._save("intake.started", ticket=self.ticket)
        elif self.pulled:
            self._save("intake.preapplication", code=self.pulled)
            self._say(self.t("intake.pulled", code=self.pulled))
        else:
            self._say(self.t("intake.resumed"))
        self._fill_applicant()
        self._show_applicant_kind()
        self._show_step()
        if self.step is Step.APPLICANT:
            self.query_one("#in-name", Input).focus()

    def _fill_applicant(self) -> None:
        """The applicant's fields as the (resumed) draft has them."""
        assert self.intake is not None
        a, agent = self.intake.applicant, self.intake.agent or Agent()
        values = {
            "name": a.name,
            "id_number": a.id_number,
            "mobile": a.mobile,
            "credit_code": a.credit_code,
            "legal_representative": a.legal_representative,
            "contact": a.contact,
            "agent_name": agent.name,
            "agent_id_number": agent.id_number,
            "agent_mobile": agent.mobile,
        }
        for name, value in values.items():
            self.query_one(f"#in-{name}", Input).value = value

    # --- saving: every step, in order, off the screen's thread ---------------------------

    def _save(self, what: str, **detail: Any) -> None:
        assert self.intake is not None
        self._saves.put_nowait((self.intake, what, detail))

    @work(group="intake-save")
    async def save_loop(self) -> None:
        hall = self.console.settings.hall.code
        while True:
            intake, what, detail = await self._saves.get()
            await asyncio.to_thread(self.store.save_draft, intake, hall, what, detail)
            self._saves.task_done()

    async def saved(self) -> None:
        """Wait until every change so far is in the store."""
        await self._saves.join()

    # --- steps -------------------------------------------------------------------------

    @property
    def step(self) -> Step:
        assert self.intake is not None
        return self.intake.step

    def _go(self, step: Step) -> None:
        assert self.intake is not None
        self.intake = replace(self.intake, step=step)
        self._save("intake.step", step=step.value)
        self._show_step()

    def _show_step(self) -> None:
        marks = []
        for i, step in enumerate(STEPS, start=1):
            label = f"{i} {self.t(f'intake.step_{step.value}')}"
            marks.append(f"[b reverse] {label} [/]" if step is self.step else f" {label} ")
        self.query_one("#intake-steps", Static).update(" › ".join(marks))
        self._show_who()
        self.query_one(ContentSwitcher).current = f"step-{self.step.value}"
        if self.step is Step.SELECTION:
            self._search(self.query_one("#intake-query", Input).value)
            self._show_question()
            self.query_one("#intake-query", Input).focus()
        elif self.step is Step.CHECKLIST:
            self._show_checklist()
            self.query_one("#intake-checklist", DataTable).focus()
        elif self.step is Step.FORM:
            self._show_form()
        elif self.step is Step.DECISION:
            self._show_summary()
            self.set_focus(None)  # the decision keys are the screen's, not a field's
        self.refresh_bindings()

    def _show_who(self) -> None:
        """Who applies, on every step after the first: numbers masked unless revealed."""
        assert self.intake is not None
        a, agent = self.intake.applicant, self.intake.agent
        if self.step is Step.APPLICANT or not a.name:
            self.query_one("#intake-who", Static).update("")
            return

        def shown(value: str, mask: Callable[[str], str]) -> str:
            return value if self.revealed or not value else mask(value)

        parts = [a.name, a.credit_code or shown(a.id_number, mask_id_number)]
        parts.append(shown(a.mobile, mask_mobile))
        if agent is not None:
            parts.append(self.t("intake.agent_is", name=agent.name))
            parts.append(shown(agent.id_number, mask_id_number))
        self.query_one("#intake-who", Static).update(" · ".join(p for p in parts if p))

    def action_reveal(self) -> None:
        """Show the applicant's numbers in full, or mask them again; showing is audited."""
        assert self.intake is not None
        self.revealed = not self.revealed
        self._show_who()
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.intake is None:
            return True
        if action == "reveal":
            return self.step is not Step.APPLICANT
        if action == "previous_step":
            return self.step is not Step.APPLICANT and self.decision is None
        if action == "next_step":
            return self.step is not Step.DECISION
        if action == "toggle_kind":
            return self.step is Step.APPLICANT
        if action in CHECKLIST_STEP_KEYS | {"defer", "missing", "not_applicable"}:
            return self.step is Step.CHECKLIST
        if action == "decide":
            return self.step is Step.DECISION and self.decision is None
        if action == "instant":
            return bool(self._instant_left())
        return True

    def _say(self, text: str, error: bool = False) -> None:
        style = "bold red" if error else "green"
        self.query_one("#intake-message", Static).update(Text(text, style=style))

    def action_previous_step(self) -> None:
        self._go(STEPS[STEPS.index(self.step) - 1])

    def action_next_step(self) -> None:
        if self.step is Step.APPLICANT and not self._take_applicant():
            return
        if self.step is Step.SELECTION and not self._selection_done():
            return
        if self.step is Step.FORM and not self._take_form():
            return
        self._say("")
        self._go(STEPS[STEPS.index(self.step) + 1])

    async def action_close(self) -> None:
        """Back to the counter; the draft stays and reopens with `i`."""
        await self.saved()
        self.app.pop_screen()

    async def action_discard(self) -> None:
        """The applicant leaves before a decision: the draft is closed, not resumed."""
        assert self.intake is not None
        if self.decision is None:
            await self.saved()
            await asyncio.to_thread(self.store.discard_draft, self.intake)
        self.app.pop_screen()

    # --- 1. applicant ------------------------------------------------------------------

    def action_toggle_kind(self) -> None:
        assert self.intake is not None
        kind = self.intake.applicant.kind
        other = ApplicantKind.ORGANISATION if kind is ApplicantKind.PERSON else ApplicantKind.PERSON
        self.intake = replace(self.intake, applicant=replace(self.intake.applicant, kind=other))
        self._show_applicant_kind()

    def _show_applicant_kind(self) -> None:
        assert self.intake is not None
        kind = self.intake.applicant.kind
        self.query_one("#applicant-kind", Static).update(
            Text(self.t(f"intake.kind_{kind.value}"), style="bold")
        )
        shown = PERSON_FIELDS if kind is ApplicantKind.PERSON else ORGANISATION_FIELDS
        for name in APPLICANT_FIELDS:
            visible = name in shown
            self.query_one(f"#label-{name}").display = visible
            self.query_one(f"#in-{name}").display = visible

    def _value(self, name: str) -> str:
        return self.query_one(f"#in-{name}", Input).value.strip()

    def _take_applicant(self) -> bool:
        assert self.intake is not None
        kind = self.intake.applicant.kind
        shown = PERSON_FIELDS if kind is ApplicantKind.PERSON else ORGANISATION_FIELDS
        applicant = Applicant(kind=kind, **{name: self._value(name) for name in shown})
        agent_values = {name: self._value(name) for name in AGENT_FIELDS}
        agent = (
            Agent(
                name=agent_values["agent_name"],
                id_number=agent_values["agent_id_number"],
                mobile=agent_values["agent_mobile"],
            )
            if any(agent_values.values())
            else None
        )
        problems = applicant_problems(applicant, agent)
        if problems:
            lines = [
                self.t(
                    "intake.field_problem",
                    field=self.t(f"field.{p.field.replace('.', '_')}"),
                    problem=self.t(f"id_reason.{p.code}")
                    if p.code != "required"
                    else self.t("intake.required"),
                )
                for p in problems
            ]
            self._say("\n".join(lines), error=True)
            first = problems[0].field.replace(".", "_")
            self.query_one(f"#in-{first}", Input).focus()
            return False
        self.intake = replace(self.intake, applicant=normalised(applicant), agent=agent)
        self._save("intake.applicant", kind=kind.value)
        return True

    @on(Input.Submitted, ".intake-field")
    def _field_entered(self, event: Input.Submitted) -> None:
        """Enter in a field: on to the next of its group; from the applicant's last field
        (or the agent's), the next step. The agent's fields, rarely needed, are a Tab away."""
        group = AGENT_FIELDS if (event.input.id or "")[3:] in AGENT_FIELDS else APPLICANT_FIELDS
        fields = [
            f
            for f in self.query(".intake-field").results(Input)
            if f.display and (f.id or "")[3:] in group
        ]
        index = fields.index(event.input)
        if index + 1 < len(fields):
            # At once, not `focus()` (which waits its turn in the queue): a fast typist's
            # next key is already on its way and belongs in the next field.
            self.set_focus(fields[index + 1])
        else:
            self.action_next_step()

    # --- 2. what they came for ---------------------------------------------------------

    @on(Input.Changed, "#intake-query")
    def _query_changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, query: str) -> None:
        loaded = self.console.catalog
        if loaded is None:
            return
        results = self.query_one("#intake-results", OptionList)
        results.clear_options()
        for hit in loaded.index.search(query, limit=20):
            kind = self.t(f"guide.kind_{hit.kind.value}")
            results.add_option(Option(f"{kind} {hit.name}", id=f"{hit.kind.value}:{hit.code}"))
        if results.option_count:
            results.highlighted = 0

    @on(Input.Submitted, "#intake-query")
    def _query_entered(self, event: Input.Submitted) -> None:
        # Searched again with what the field holds now: a fast typist's Enter can arrive
        # before the last keystroke's search has run.
        self._search(event.value)
        results = self.query_one("#intake-results", OptionList)
        if results.option_count:
            self._select(results.get_option_at_index(results.highlighted or 0).id or "")

    @on(OptionList.OptionSelected, "#intake-results")
    def _result_chosen(self, event: OptionList.OptionSelected) -> None:
        self._select(event.option.id or "")

    def _select(self, option_id: str) -> None:
        assert self.intake is not None
        kind, code = option_id.split(":", 1)
        selection = (
            Selection(bundle=code) if kind == HitKind.BUNDLE.value else Selection(items=(code,))
        )
        self.intake = replace(self.intake, selection=selection, answers={})
        self._save("intake.selection", selection=option_id)
        self._show_question()

    def _checklist(self) -> Checklist | None:
        assert self.intake is not None
        if self.intake.selection is None:
            return None
        return build_checklist(self.catalog, self.intake.selection, self.intake.answers)

    def _show_question(self) -> None:
        checklist = self._checklist()
        question = self.query_one("#intake-question", Static)
        choices = self.query_one("#intake-choices", OptionList)
        choices.clear_options()
        if checklist is None:
            question.update("")
            return
        chosen = self._selection_name()
        if checklist.next_question is None:
            question.update(self.t("intake.selected_settled", name=chosen))
            return
        q = checklist.next_question
        question.update(self.t("intake.selected_question", name=chosen, question=q.text))
        for i, choice in enumerate(q.choices, start=1):
            choices.add_option(Option(f"{i}. {choice.label}", id=choice.code))
        choices.highlighted = 0
        choices.focus()

    def _selection_name(self) -> str:
        assert self.intake is not None and self.intake.selection is not None
        selection = self.intake.selection
        if selection.bundle is not None:
            return self.catalog.bundles[selection.bundle].name
        return "、".join(self.catalog.items[code].name for code in selection.items)

    @on(OptionList.OptionSelected, "#intake-choices")
    def _answered(self, event: OptionList.OptionSelected) -> None:
        assert self.intake is not None
        checklist = self._checklist()
        if checklist is None or checklist.next_question is None:
            return
        code = checklist.next_question.code
        self.intake = replace(
            self.intake, answers={**self.intake.answers, code: event.option.id or ""}
        )
        self._save("intake.answer", question=code, choice=event.option.id)
        self._show_question()

    def _selection_done(self) -> bool:
        checklist = self._checklist()
        if checklist is None:
            self._say(self.t("intake.select_first"), error=True)
            return False
        if not checklist.settled:
            self._say(self.t("problem.questions_pending"), error=True)
            return False
        return True

    # --- 3. checklist ------------------------------------------------------------------

    def _assessment(self) -> Assessment | None:
        """The checklist as it stands, assessed against what has been recorded."""
        assert self.intake is not None
        checklist = self._checklist()
        return assess(checklist, self.intake.records) if checklist else None

    def _show_checklist(self) -> None:
        assessment = self._assessment()
        if assessment is None:
            return
        table = self.query_one("#intake-checklist", DataTable)
        row = table.cursor_row
        table.clear()
        for a in assessment.entries:
            entry, record = a.entry, a.record
            need = self.t(f"original.{entry.original.value}")
            received = self._received(record)
            style = {
                EntryStatus.MISSING: "red",
                EntryStatus.INSUFFICIENT: "yellow",
                EntryStatus.DEFERRED: "magenta",
            }.get(a.status, "green")
            state = Text(self.t(f"status.{a.status.value}"), style=style)
            table.add_row(
                entry.material.name + ("" if entry.required else self.t("intake.optional")),
                "、".join(self.catalog.items[i].name for i in entry.items),
                need,
                str(entry.copies),
                received,
                state,
                key=entry.material.code,
            )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        blocking = [a.entry.material.name for a in assessment.blocking]
        done = self.t(
            "intake.completeness", done=assessment.complete_count, total=len(assessment.entries)
        )
        still = self.t("intake.still_missing", materials="、".join(blocking)) if blocking else ""
        self.query_one("#intake-completeness", Static).update(
            Text(f"{done}  {still}", style="bold red" if blocking else "bold green")
        )

    def _received(self, record: MaterialRecord) -> str:
        parts = []
        if record.original is not OriginalStatus.NONE:
            parts.append(self.t(f"intake.original_{record.original.value}"))
        if record.copies:
            parts.append(self.t("intake.copies_n", n=record.copies))
        if record.scans:
            parts.append(self.t("intake.scans_n", n=record.scans))
        if record.verified_by_sharing:
            parts.append(self.t("status.verified_by_sharing"))
        if record.deferred_until:
            parts.append(self.t("intake.deferred_until", day=record.deferred_until.isoformat()))
        if record.marked_missing:
            parts.append(self.t("status.missing"))
        if record.not_applicable:
            parts.append(self.t("status.not_applicable"))
        return "、".join(parts) or "—"

    # --- the barcode scanner ----------------------------------------------------------------

    def on_scanned(self, message: Scanned) -> None:
        """A barcode scan during an intake: an e-licence verifies the material its registry
        holds; a pre-application fills an intake not yet begun."""
        code = message.code
        if code.kind is CodeKind.ELICENCE:
            self._scanned_licence(code.registry, code.value)
        elif code.kind is CodeKind.PREAPPLICATION:
            self.pull_preapplication(code.value)
        elif code.kind is CodeKind.UNKNOWN:
            self._say(self.t("scan.unknown", raw=code.raw.strip()), error=True)
        else:
            self._say(self.t("scan.finish_intake_first", code=code.value), error=True)

    def _scanned_licence(self, registry: str, key: str) -> None:
        assert self.intake is not None
        checklist = self._checklist()
        entry = next(
            (
                e
                for e in (checklist.entries if checklist else ())
                if e.material.shareable == registry
                and not self.intake.record(e.material.code).verified_by_sharing
            ),
            None,
        )
        if entry is None:
            self._say(self.t("scan.licence_not_needed", registry=registry), error=True)
            return
        self.look_up(entry.material.code, registry, key)

    @work(group="registry")
    async def pull_preapplication(self, code: str) -> None:
        assert self.intake is not None
        if self.intake.selection is not None or self.step is not Step.APPLICANT:
            self._say(self.t("scan.preapplication_too_late"), error=True)
            return
        client = self.console.client
        try:
            if client is None:
                raise PlatformUnreachable(self.console.platform_error or "no platform")
            data = await client.preapplication(code)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._say(explain(self.t, exc), error=True)
            return
        current = self.intake
        self.intake = from_preapplication(
            data, current.key, current.counter, current.clerk, current.ticket
        )
        self._save("intake.preapplication", code=code)
        self._fill_applicant()
        self._show_applicant_kind()
        self._say(self.t("intake.pulled", code=code))

    # --- the document scanner --------------------------------------------------------------

    def _scan_target(self) -> Target | None:
        """Where a scan goes now: the highlighted material, on the checklist step only."""
        if self.intake is None or self.step is not Step.CHECKLIST or self.decision is not None:
            return None
        material = self._current_material()
        return Target(self.intake.key, material, self.intake.clerk) if material else None

    @work(thread=True, group="hot-folder")
    def watch_hot_folder(self) -> None:
        settings = self.console.settings
        folder = hot_folder_from(settings, self.store)
        worker = get_current_worker()
        while not worker.is_cancelled:
            target = self.app.call_from_thread(self._scan_target)
            if target is not None:
                # The draft must be in the store before a file is attached to it.
                self.app.call_from_thread(self.saved)  # type: ignore[arg-type]
            clerk = self.intake.clerk if self.intake else ""
            for taken in folder.poll(target, clerk):
                self.app.call_from_thread(self._scanned, taken, target)
            time.sleep(POLL_SECONDS)

    def _scanned(self, taken: Taken, target: Target | None) -> None:
        if taken.outcome is Outcome.REFUSED:
            self._say(self.t(f"intake.scan_refused_{taken.reason}", file=taken.name), True)
            return
        if taken.outcome is Outcome.INBOX or target is None:
            self._say(self.t("intake.scan_inbox", file=taken.name))
            return
        assert self.intake is not None
        record = self.intake.record(target.material)
        self.intake = self.intake.with_record(
            target.material, replace(record, scans=record.scans + 1, marked_missing=False)
        )
        name = self.catalog.materials[target.material].name
        pages = self.t("intake.pages", n=taken.pages) if taken.pages else ""
        self._say(self.t("intake.scan_attached", file=taken.name, pages=pages, material=name))
        self._show_checklist()

    def action_from_inbox(self) -> None:
        """A scan that came with no intake open: attach it to the highlighted material."""
        self.choose_from_inbox()

    @work(group="inbox")
    async def choose_from_inbox(self) -> None:
        material = self._current_material()
        if material is None:
            return
        waiting = await asyncio.to_thread(self.store.inbox)
        if not waiting:
            self._say(self.t("intake.inbox_empty"))
            return
        choices = [
            (
                str(a.id),
                self.t("intake.inbox_file", file=a.file_name, pages=a.pages or "-", size=a.size),
            )
            for a in waiting
        ]
        name = self.catalog.materials[material].name
        title = self.t("intake.ask_inbox", material=name)

        def chosen(attachment: str | None) -> None:
            if attachment:
                self.assign(int(attachment), material)

        self.app.push_screen(ChoiceModal(self.t, title, choices), chosen)

    @work(group="inbox")
    async def assign(self, attachment: int, material: str) -> None:
        assert self.intake is not None
        await self.saved()  # the draft is in the store before a file is attached to it
        await asyncio.to_thread(
            self.store.assign_attachment, attachment, self.intake.key, material, self.intake.clerk
        )
        record = self.intake.record(material)
        self.intake = self.intake.with_record(
            material, replace(record, scans=record.scans + 1, marked_missing=False)
        )
        self._say(self.t("intake.inbox_assigned", material=self.catalog.materials[material].name))
        self._show_checklist()

    @on(DataTable.RowSelected, "#intake-checklist")
    def _row_entered(self) -> None:
        self.action_as_required()

    def _current_material(self) -> str | None:
        table = self.query_one("#intake-checklist", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def _change(self, what: str, change: Any, advance: bool = False) -> None:
        """Apply `change` (record -> record) to the highlighted material and save."""
        assert self.intake is not None
        code = self._current_material()
        checklist = self._checklist()
        if code is None or checklist is None:
            return
        entry = checklist.entry(code)
        assert entry is not None
        try:
            record = change(self.intake.record(code), entry)
        except ValueError as exc:
            self._say(str(exc), error=True)
            return
        self.intake = self.intake.with_record(code, record)
        self._save("intake.material", material=code, change=what)
        self._show_checklist()
        if advance:
            self.query_one("#intake-checklist", DataTable).action_cursor_down()

    def action_as_required(self) -> None:
        """Enter: the material handed over as the checklist asks (original and copies)."""

        def as_required(record: MaterialRecord, entry: Any) -> MaterialRecord:
            status = {
                OriginalRule.COLLECT: OriginalStatus.COLLECTED,
                OriginalRule.VERIFY: OriginalStatus.VERIFIED,
                OriginalRule.NONE: record.original,
            }[entry.original]
            scans = record.scans or (
                1 if entry.original is OriginalRule.NONE and not entry.copies else 0
            )
            return replace(
                record.with_original(status).with_copies(max(record.copies, entry.copies)),
                scans=scans,
                deferred_until=None,
            )

        self._change("as_required", as_required, advance=True)

    def action_original(self) -> None:
        self._change("original", lambda r, e: r.with_original(OriginalStatus.VERIFIED))

    def action_collect(self) -> None:
        self._change("collect", lambda r, e: r.with_original(OriginalStatus.COLLECTED))

    def action_copy(self) -> None:
        self._change("copy", lambda r, e: r.with_copies(r.copies + 1))

    def action_uncopy(self) -> None:
        self._change("uncopy", lambda r, e: r.with_copies(max(0, r.copies - 1)))

    def action_missing(self) -> None:
        self._change("missing", lambda r, e: r.missing())

    def action_not_applicable(self) -> None:
        def not_applicable(record: MaterialRecord, entry: Any) -> MaterialRecord:
            if entry.required:
                raise ValueError(self.t("intake.required_material"))
            return MaterialRecord(not_applicable=True, scans=record.scans)

        self._change("not_applicable", not_applicable)

    def action_defer(self) -> None:
        code = self._current_material()
        checklist = self._checklist()
        if code is None or checklist is None:
            return
        entry = checklist.entry(code)
        assert entry is not None
        if not entry.deferrable:
            self._say(self.t("problem.not_deferrable", materials=entry.material.name), True)
            return

        def typed(answer: str | None) -> None:
            if answer is None:
                return
            days = answer or str(DEFAULT_DEFERRAL_DAYS)
            if not days.isdigit() or not 1 <= int(days) <= 180:
                self._say(self.t("intake.bad_days", answer=answer), error=True)
                return
            until = datetime.now(UTC).date() + timedelta(days=int(days))
            self._change("defer", lambda r, e: r.deferred(until))

        title = self.t("intake.ask_deferral", material=entry.material.name)
        self.app.push_screen(TextModal(self.t, title, str(DEFAULT_DEFERRAL_DAYS)), typed)

    def action_share(self) -> None:
        """Verified by sharing: ask the registry that holds the material."""
        assert self.intake is not None
        code = self._current_material()
        checklist = self._checklist()
        if code is None or checklist is None:
            return
        entry = checklist.entry(code)
        assert entry is not None
        registry = entry.material.shareable
        if not registry:
            self._say(self.t("intake.not_shareable", material=entry.material.name), True)
            return
        applicant = self.intake.applicant
        guess = applicant.credit_code or applicant.id_number

        def typed(key: str | None) -> None:
            if key:
                self.look_up(code, registry, key)

        title = self.t("intake.ask_registry_key", material=entry.material.name)
        self.app.push_screen(TextModal(self.t, title, value=guess), typed)

    @work(group="registry")
    async def look_up(self, material: str, registry: str, key: str) -> None:
        client = self.console.client
        try:
            if client is None:
                raise PlatformUnreachable(self.console.platform_error or "no platform")
            record = await client.registry_record(registry, key)
        except PlatformRefused as exc:
            if exc.code == "no_record":
                self._say(self.t("intake.no_record", code=key), error=True)
            else:
                self._say(explain(self.t, exc), error=True)
            return
        except PlatformUnreachable as exc:
            self._say(explain(self.t, exc), error=True)
            return
        assert self.intake is not None
        verified = replace(self.intake.record(material), verified_by_sharing=True)
        fields = {k: v for k, v in record["fields"].items() if k in self.catalog.form_fields}
        self.intake = replace(
            self.intake.with_record(material, verified), form={**fields, **self.intake.form}
        )
        self._save("intake.shared", material=material, registry=registry)
        self._say(self.t("intake.shared_ok", registry=registry, fields=len(fields)))
        self._show_checklist()

    # --- 4. one form -------------------------------------------------------------------

    def _fields(self) -> list[tuple[Any, tuple[str, ...]]]:
        checklist = self._checklist()
        return merged_form(self.catalog, checklist.items) if checklist else []

    def _prefill(self, source: str) -> str:
        assert self.intake is not None
        applicant = self.intake.applicant
        values = {
            "applicant.name": applicant.name,
            "applicant.id_number": applicant.id_number,
            "applicant.mobile": applicant.mobile,
            "applicant.org_name": applicant.name,
            "applicant.credit_code": applicant.credit_code,
            "applicant.legal_rep": applicant.legal_representative,
        }
        return values.get(source, "")

    def _show_form(self) -> None:
        assert self.intake is not None
        pane = self.query_one("#step-form", VerticalScroll)
        pane.remove_children(".form-row")
        rows = []
        for spec, items in self._fields():
            value = self.intake.form.get(spec.code) or self._prefill(spec.prefill)
            users = "、".join(self.catalog.items[i].name for i in items)
            mark = "*" if spec.required else ""
            label = Label(f"{spec.label}{mark}  [dim]{users}[/]", classes="form-row")
            rows += [label, Input(value, id=f"form-{spec.code}", classes="form-row form-field")]
        pane.mount_all(rows)
        self.call_after_refresh(self._to_next_empty, None)

    def _to_next_empty(self, after: Input | None) -> bool:
        """Focus the next form field still empty (after `after`); False if there is none."""
        fields = list(self.query(".form-field").results(Input))
        start = fields.index(after) + 1 if after in fields else 0
        empty = next((f for f in fields[start:] if not f.value.strip()), None)
        if empty is None:
            return False
        empty.focus()
        return True

    @on(Input.Submitted, ".form-field")
    def _form_entered(self, event: Input.Submitted) -> None:
        """Enter: on to the next empty field (filled ones need no key); then the decision."""
        if not self._to_next_empty(event.input):
            self.action_next_step()

    def _take_form(self) -> bool:
        assert self.intake is not None
        values, missing, wrong = {}, [], []
        for spec, _items in self._fields():
            value = self.query_one(f"#form-{spec.code}", Input).value.strip()
            values[spec.code] = value
            if spec.required and not value:
                missing.append(spec.label)
            reason = form_value_problem(spec.kind, value)
            if reason:
                why = self.t(
                    f"id_reason.{reason}" if reason in ID_REASONS else f"form_reason.{reason}"
                )
                wrong.append(self.t("intake.field_problem", field=spec.label, problem=why))
        self.intake = replace(self.intake, form=values)
        self._save("intake.form", fields=len(values))
        lines = wrong + (
            [self.t("intake.form_missing", fields="、".join(missing))] if missing else []
        )
        if lines:
            self._say("\n".join(lines), error=True)
            return False
        return True

    # --- 5. decision -------------------------------------------------------------------

    def _show_summary(self) -> None:
        assessment = self._assessment()
        if assessment is None:
            return
        table = Table(title=self.t("intake.summary_title", name=self._selection_name()))
        table.add_column(self.t("intake.col_material"))
        table.add_column(self.t("intake.col_state"))
        for a in assessment.entries:
            table.add_row(a.entry.material.name, self.t(f"status.{a.status.value}"))
        self.query_one("#decision-summary", Static).update(table)

    def action_decide(self, kind: str) -> None:
        decision_kind = DecisionKind(kind)
        if decision_kind is not DecisionKind.REJECT:
            self.decide(decision_kind, "", "")
            return
        reasons = [(code, r.text) for code, r in self.catalog.rejection_reasons.items()]

        def chosen(code: str | None) -> None:
            if not code:
                return

            def explained(text: str | None) -> None:
                if text is not None:
                    self.decide(decision_kind, code, text)

            self.app.push_screen(TextModal(self.t, self.t("intake.ask_reason_text")), explained)

        self.app.push_screen(ChoiceModal(self.t, self.t("intake.ask_reason"), reasons), chosen)

    @work(group="decide", exclusive=True)
    async def decide(self, kind: DecisionKind, reason_code: str, reason_text: str) -> None:
        assert self.intake is not None
        settings = self.console.settings
        now = datetime.now(UTC)

        def attempt(number: str, password: str) -> Decision | list[Problem]:
            return decide(
                self.intake,  # type: ignore[arg-type]
                self.catalog,
                self.calendar(),
                kind,
                now,
                case_number=number,
                query_password=password,
                reason_code=reason_code,
                reason_text=reason_text,
                max_deferral_days=settings.intake.max_deferral_days,
            )

        trial = attempt("", "")
        if isinstance(trial, list):
            self._say("\n".join(self._problem(p) for p in trial), error=True)
            return
        sequence = await asyncio.to_thread(self.store.next_case_sequence, now.date(), self.counter)
        number = format_case_number(settings.hall.code, now.date(), self.counter, sequence)
        result = attempt(number, new_query_password())
        assert isinstance(result, Decision)
        documents = self._documents(result, now)
        jobs, unrouted = route(settings, documents, number)
        await self.saved()
        await asyncio.to_thread(
            self.store.close_intake,
            self.intake,
            settings.hall.code,
            number,
            result.query_password,
            result.status,
            result.to_data(),
            jobs,
        )
        self.console.wake_spool()
        self.decision = result
        self.refresh_bindings()
        self._show_decision(result, documents, unrouted)
        await self._send()

    def _documents(self, decision: Decision, now: datetime) -> list[Document]:
        """What the decision prints (receipt, pledge, notice), in the hall's wording."""
        wording = self.console.wording
        if wording is None or self.intake is None:
            return []
        settings = self.console.settings
        where = Where(
            settings.hall.name, self.counter, self.intake.clerk, settings.printing.tracking_url
        )
        return decision_documents(
            decision, self.intake, self.catalog, wording, where, now.astimezone()
        )

    # --- instant items (即办件), decided in the same sitting ------------------------------

    def _instant_left(self) -> list[str]:
        """Instant items of the accepted case not decided yet."""
        if self.decision is None or not self.decision.promised:
            return []
        return [
            code
            for code in self.decision.promised
            if self.catalog.items[code].promised_days == 0 and code not in self.instant_done
        ]

    def action_instant(self) -> None:
        """Record the result of the next instant item: its name, number and form."""
        left = self._instant_left()
        if not left:
            return
        item = self.catalog.items[left[0]]
        t = self.t
        ask_result(
            self.app,
            t,
            t("intake.instant_title", item=item.name),
            item.result or item.name,
            lambda answers: self.decide_instant(item.code, answers),
            ask_date=False,  # decided now: issued today
        )

    @work(group="instant", exclusive=True)
    async def decide_instant(self, item: str, body: dict[str, Any]) -> None:
        client = self.console.client
        assert self.decision is not None
        if client is None:
            self._say(self.t("intake.queued", error=self.console.platform_error), error=True)
            return
        try:
            await client.decide_instant(self.decision.case_number, item, body)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._say(explain(self.t, exc), error=True)
            return
        self.instant_done.add(item)
        self.refresh_bindings()
        name = self.catalog.items[item].name
        more = self._instant_left()
        self._say(self.t("intake.instant_done", item=name, left=len(more)))

    def action_print_queue(self) -> None:
        from clerk_console.tui.screens.print_queue import PrintQueueScreen

        clerk = self.intake.clerk if self.intake else ""
        self.app.push_screen(PrintQueueScreen(self.t, clerk, self.counter))

    def _problem(self, problem: Problem) -> str:
        return self.t(f"problem.{problem.code}", materials="、".join(problem.materials))

    def _show_decision(
        self, decision: Decision, documents: list[Document], unrouted: list[str]
    ) -> None:
        t = self.t
        lines = [
            t(f"intake.decided_{decision.kind.value}"),
            t("intake.case_number", number=decision.case_number),
        ]
        if decision.query_password:
            lines.append(t("intake.query_password", password=decision.query_password))
        for code, due in decision.promised.items():
            lines.append(
                t("intake.promised", item=self.catalog.items[code].name, day=due.day.isoformat())
            )
        for code, day in decision.deferred.items():
            name = self.catalog.materials[code].name
            lines.append(t("intake.deferred_line", material=name, day=day.isoformat()))
        for line in decision.supplement:
            lines.append(
                t(
                    "intake.supplement_line",
                    material=line.material,
                    shortfalls="、".join(t(f"shortfall.{s.value}") for s in line.shortfalls),
                )
            )
        if decision.reason_code:
            reason = self.catalog.rejection_reasons[decision.reason_code].text
            lines.append(t("intake.reason_line", reason=reason, text=decision.reason_text))
        wording = self.console.wording
        title = wording.title if wording else str
        printed = [d.kind for d in documents if d.kind not in unrouted]
        if printed:
            lines.append(t("intake.printing", documents="、".join(map(title, printed))))
        if unrouted:
            lines.append(t("intake.not_printed", documents="、".join(map(title, unrouted))))
        instant = [self.catalog.items[c].name for c in self._instant_left()]
        if instant:
            lines.append(t("intake.instant_hint", items="、".join(instant)))
        self.query_one("#decision-result", Static).update("\n".join(lines))

    async def _send(self) -> None:
        client = self.console.client
        if client is None:
            self._say(self.t("intake.queued", error=self.console.platform_error), error=True)
            return
        report = await push_outbox(self.store, client)
        if report.waiting:
            self._say(self.t("intake.queued", error=report.error), error=True)
        else:
            self._say(self.t("intake.sent"))
