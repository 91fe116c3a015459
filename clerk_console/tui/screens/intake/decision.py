"""Step 5, the decision (决定): accept, accept with deferral (容缺), the one-time supplement
notice (一次性告知) or a refusal (不予受理), by `1`–`4` or Enter on the list. The case is
written to the local store with its outbox row and its printouts in one transaction, then
sent to the platform; instant items (即办件) are recorded with `j`."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from clerk_console.devices.spool import route
from clerk_console.domain.case_number import format_case_number, new_query_password
from clerk_console.domain.decision import DecisionKind, EntryStatus, Problem
from clerk_console.domain.documents import Document
from clerk_console.domain.intake import Decision, Step, decide, filled_form
from clerk_console.domain.printouts import Where, decision_documents
from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.sync.outbox import push_outbox
from clerk_console.tui.errors import explain
from clerk_console.tui.screens.intake.step import IntakeStep
from clerk_console.tui.widgets.fields import set_shown
from clerk_console.tui.widgets.prompts import ChoiceModal, TextModal, ask_result

KINDS = list(DecisionKind)


class DecisionStep(IntakeStep):
    """Where the materials stand, the four decisions, and what the decision made."""

    STEP = Step.DECISION
    _shown: tuple[list[Document], list[str]] = ([], [])
    _at: datetime  # when the decision was made (its documents say so)
    BINDINGS = [
        *(
            Binding(str(n), f"decide('{kind.value}')", f"key.decide_{kind.value}")
            for n, kind in enumerate(KINDS, start=1)
        ),
        Binding("j", "instant", "key.instant"),
    ]
    KEY_NOTES = (("Enter", "keys.note_decide"),)

    def compose(self) -> ComposeResult:
        # The decisions first (the clerk's next move, in sight on 80x24), then what is
        # still wanting, then, once decided, what the decision made.
        with VerticalScroll(id="decision-scroll"):
            yield Static("", id="decision-head")
            yield OptionList(id="decision-choices")
            yield Static("", id="decision-summary")
            yield Static("", id="decision-result")

    def on_mount(self) -> None:
        choices = self.query_one("#decision-choices", OptionList)
        for n, kind in enumerate(KINDS, start=1):
            label = self.t(f"intake.decide_{kind.value}")
            choices.add_option(Option(f"{n}. {label}", id=kind.value))
        choices.highlighted = 0

    def show(self) -> None:
        self.refresh_from_draft()
        choices = self.query_one("#decision-choices", OptionList)
        self.screen.set_focus(choices if choices.display else self.query_one("#decision-scroll"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            return self.host.decision is None
        if action == "instant":
            return bool(self.instant_left())
        return True

    # --- showing -----------------------------------------------------------------------

    def refresh_from_draft(self) -> None:
        head, rest = self._summary()
        self.query_one("#decision-head", Static).update(head)
        self.query_one("#decision-summary", Static).update(rest)
        set_shown(self.query_one("#decision-choices", OptionList), self.host.decision is None)

    def _summary(self) -> tuple[Any, Any]:
        """(the application and its counts, each material that is not complete)."""
        t = self.t
        if self.intake.selection is None:
            return Text(t("intake.summary_nothing_selected"), style="yellow"), ""
        assessment = self.host.assessment()
        if assessment is None:
            return "", ""
        head = Text.assemble(
            (self.host.selection_name(), "bold"),
            "  ",
            t(
                "intake.summary_counts",
                total=len(assessment.entries),
                done=assessment.complete_count,
            ),
        )
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column()
        for a in assessment.entries:
            if a.status in (EntryStatus.COMPLETE, EntryStatus.SHARED, EntryStatus.NOT_APPLICABLE):
                continue
            style = {
                EntryStatus.DEFERRED: "magenta",
                EntryStatus.OPTIONAL_MISSING: "dim",
            }.get(a.status, "red")
            table.add_row(
                Text("· " + a.entry.material.name), Text(t(f"status.{a.status.value}"), style=style)
            )
        return head, table

    # --- deciding ----------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#decision-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_decide(event.option.id or "")

    def action_decide(self, kind: str) -> None:
        if self.host.decision is not None:
            return
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
        host = self.host
        self.host.keep_all()
        settings = host.console.settings
        now = datetime.now(UTC)
        intake = replace(self.intake, form=filled_form(self.catalog, self.intake))

        def attempt(number: str, password: str) -> Decision | list[Problem]:
            return decide(
                intake,
                self.catalog,
                host.calendar(),
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
            self.say("\n".join(self._problem(p) for p in trial), error=True)
            return
        if intake.continues:
            number = intake.continues  # the same case, taken up again: its number stays
        else:
            tag = await asyncio.to_thread(host.store.console_tag)
            if tag is None:  # a store that never logged in online: no mark of its own yet
                self.say(self.t("intake.no_console_tag"), error=True)
                return
            sequence = await asyncio.to_thread(
                host.store.next_case_sequence, now.date(), host.counter
            )
            number = format_case_number(settings.hall.code, now.date(), host.counter, sequence, tag)
        result = attempt(number, new_query_password())
        assert isinstance(result, Decision)
        documents = self._documents(result, now)
        jobs, unrouted = route(settings, documents, number)
        host.adopt(intake)
        await host.saved()
        await asyncio.to_thread(
            host.store.close_intake,
            intake,
            settings.hall.code,
            number,
            result.query_password,
            result.status,
            result.to_data(),
            jobs,
        )
        host.console.wake_spool()
        host.decided(result)
        self._at = now
        self._shown = (documents, unrouted)
        self._show_decision(result, documents, unrouted)
        self.refresh_from_draft()
        # The choices are gone; the focus stays in this step, whose keys (j) still hold.
        self.screen.set_focus(self.query_one("#decision-scroll"))
        await self._send()

    def _problem(self, problem: Problem) -> str:
        t = self.t
        if problem.code == "applicant_incomplete":
            fields = t.join(t(f"field.{f.replace('.', '_')}") for f in problem.materials)
            return t("problem.applicant_incomplete", fields=fields)
        return t(f"problem.{problem.code}", materials=t.join(problem.materials))

    def _documents(self, decision: Decision, now: datetime) -> list[Document]:
        """What the decision prints (receipt, pledge, notice), in the hall's wording."""
        console = self.host.console
        wording = console.wording
        if wording is None:
            return []
        settings = console.settings
        where = Where(
            settings.hall.name,
            self.host.counter,
            self.host.clerk_name(),
            settings.printing.tracking_url,
        )
        return decision_documents(
            decision, self.intake, self.catalog, wording, where, now.astimezone()
        )

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
                    shortfalls=t.join(t(f"shortfall.{s.value}") for s in line.shortfalls),
                )
            )
        if decision.reason_code:
            reason = self.catalog.rejection_reasons[decision.reason_code].text
            lines.append(t("intake.reason_line", reason=reason, text=decision.reason_text))
        wording = self.host.console.wording
        title = wording.title if wording else str
        printed = [d.kind for d in documents if d.kind not in unrouted]
        if printed:
            lines.append(t("intake.printing", documents=t.join(map(title, printed))))
        if unrouted:
            lines.append(t("intake.not_printed", documents=t.join(map(title, unrouted))))
        instant = [self.catalog.items[c].name for c in self.instant_left()]
        if instant:
            lines.append(t("intake.instant_hint", items=t.join(instant)))
        if self.intake.ticket:
            lines.append(t("intake.finish_hint", ticket=self.intake.ticket))
        self.query_one("#decision-result", Static).update("\n".join(lines))

    async def _send(self) -> None:
        client = self.host.console.client
        if client is None:
            self.say(self.t("intake.queued", error=self.host.console.platform_error), error=True)
            return
        report = await push_outbox(self.host.store, client, self.host.console.wording)
        self.host.console.check_sync()
        decision = self.host.decision
        for old, new in report.renumbered:
            if decision is not None and decision.case_number == old:
                # Found taken on the platform: the case is this number now, and says so.
                decision = replace(decision, case_number=new)
                self.host.decision = decision
                self._shown = (self._documents(decision, self._at), self._shown[1])
                self._show_decision(decision, *self._shown)
                self.host.console.wake_spool()
                self.say(self.t("intake.renumbered", old=old, new=new), error=True)
                return
        if report.waiting:
            self.say(self.t("intake.queued", error=report.error), error=True)
        else:
            self.say(self.t("intake.sent"))

    # --- instant items (即办件), decided in the same sitting ------------------------------

    def instant_left(self) -> list[str]:
        """Instant items of the accepted case not decided yet."""
        decision = self.host.decision
        if decision is None or not decision.promised:
            return []
        return [
            code
            for code in decision.promised
            if self.catalog.items[code].promised_days == 0 and code not in self.host.instant_done
        ]

    def action_instant(self) -> None:
        """j: record the result of the next instant item: its name, number and form."""
        left = self.instant_left()
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
        client = self.host.console.client
        decision = self.host.decision
        assert decision is not None
        if client is None:
            self.say(self.t("intake.queued", error=self.host.console.platform_error), error=True)
            return
        try:
            await client.decide_instant(decision.case_number, item, body)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self.say(explain(self.t, exc), error=True)
            return
        self.host.instant_done.add(item)
        self.host.refresh_bindings()
        self._show_decision(decision, *self._shown)  # the instant items still to do
        name = self.catalog.items[item].name
        self.say(self.t("intake.instant_done", item=name, left=len(self.instant_left())))
