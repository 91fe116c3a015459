"""Step 1, the applicant (申请人): a person or an organisation, and the agent if someone
acts for them. Each field on one line with its label, so the label of the field being typed
in is always in sight."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from clerk_console.domain.identifiers import mask_id_number, mask_mobile
from clerk_console.domain.intake import (
    Agent,
    Applicant,
    ApplicantKind,
    Intake,
    Step,
    applicant_answers,
    applicant_problems,
    form_value_problem,
    normalised,
)
from clerk_console.tui.screens.intake.step import IntakeStep, fit_labels, problem_words
from clerk_console.tui.widgets.fields import FieldInput, set_shown

PERSON_FIELDS = ("name", "id_number", "mobile")
ORGANISATION_FIELDS = ("name", "credit_code", "legal_representative", "contact", "mobile")
APPLICANT_FIELDS = (
    "name",
    "id_number",
    "credit_code",
    "legal_representative",
    "contact",
    "mobile",
)  # on screen in this order; each kind shows its own
AGENT_FIELDS = ("agent_name", "agent_id_number", "agent_mobile")
KIND_OF = {
    "id_number": "id_number",
    "agent_id_number": "id_number",
    "credit_code": "credit_code",
    "mobile": "mobile",
    "agent_mobile": "mobile",
}
"""The identifier kind each checked field holds."""
MASKS = {"id_number": mask_id_number, "mobile": mask_mobile}
"""How a number of a kind shows masked (as everywhere else on the console's screens)."""


class ApplicantStep(IntakeStep):
    """Who applies; Enter walks the applicant's fields and from the last goes on (the
    agent's fields, rarely needed, are a Tab away)."""

    STEP = Step.APPLICANT
    BINDINGS = [Binding("ctrl+t", "toggle_kind", "key.toggle_kind")]
    KEY_NOTES = (("Enter", "keys.note_next_field"), ("Tab", "keys.note_agent"))

    def compose(self) -> ComposeResult:
        t = self.t
        with VerticalScroll(id="applicant-scroll"):
            yield Static("", id="applicant-kind")
            for name in APPLICANT_FIELDS:
                yield self._row(name)
            yield Static(t("intake.agent_header"), id="agent-header")
            for name in AGENT_FIELDS:
                yield self._row(name)

    def _row(self, name: str) -> Horizontal:
        """A field with its label on one line; numbers masked while not being typed."""
        mask = MASKS.get(KIND_OF.get(name, ""))
        field = FieldInput(
            id=f"in-{name}", classes="intake-field", on_enter=self.entered, mask=mask
        )
        label = Label(self.t(f"field.{name}"), classes="field-label")
        return Horizontal(label, field, id=f"row-{name}", classes="field-row")

    def on_mount(self) -> None:
        fit_labels(self, ".field-label")

    # --- showing ---------------------------------------------------------------------

    def show(self) -> None:
        self.refresh_from_draft()
        first = next((f for f in self._fields(APPLICANT_FIELDS) if not f.value.strip()), None)
        self.screen.set_focus(first or self.query_one("#in-name", Input))

    def refresh_from_draft(self) -> None:
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
            field = self.query_one(f"#in-{name}", Input)
            if field.value != value:
                field.value = value
        self._show_kind()

    def _show_kind(self) -> None:
        kind = self.intake.applicant.kind
        self.query_one("#applicant-kind", Static).update(
            Text(self.t(f"intake.kind_{kind.value}"), style="bold")
        )
        shown = PERSON_FIELDS if kind is ApplicantKind.PERSON else ORGANISATION_FIELDS
        for name in APPLICANT_FIELDS:
            set_shown(self.query_one(f"#row-{name}"), name in shown)

    def _fields(self, group: tuple[str, ...]) -> list[Input]:
        kind = self.intake.applicant.kind
        shown = PERSON_FIELDS if kind is ApplicantKind.PERSON else ORGANISATION_FIELDS
        names = [n for n in group if n in shown or n in AGENT_FIELDS]
        return [self.query_one(f"#in-{n}", Input) for n in names]

    # --- the kind -------------------------------------------------------------------

    def action_toggle_kind(self) -> None:
        """Ctrl+T: a person or an organisation; what was typed in the common fields stays."""
        self.keep()
        kind = self.intake.applicant.kind
        other = ApplicantKind.ORGANISATION if kind is ApplicantKind.PERSON else ApplicantKind.PERSON
        intake = self.intake
        self.change(
            replace(intake, applicant=replace(intake.applicant, kind=other)),
            "intake.applicant_kind",
            kind=other.value,
        )
        self._show_kind()

    # --- taking the values ----------------------------------------------------------------

    def _typed(self) -> tuple[Applicant, Agent | None]:
        def value(name: str) -> str:
            return self.query_one(f"#in-{name}", Input).value.strip()

        kind = self.intake.applicant.kind
        shown = PERSON_FIELDS if kind is ApplicantKind.PERSON else ORGANISATION_FIELDS
        applicant = Applicant(kind=kind, **{name: value(name) for name in shown})
        agent_values = {name: value(name) for name in AGENT_FIELDS}
        agent = (
            Agent(
                name=agent_values["agent_name"],
                id_number=agent_values["agent_id_number"],
                mobile=agent_values["agent_mobile"],
            )
            if any(agent_values.values())
            else None
        )
        return applicant, agent

    def _with(self, applicant: Applicant, agent: Agent | None) -> Intake:
        """The draft with this applicant and agent, and the answers they give (whether an
        agent acts is known here, not asked again)."""
        intake = replace(self.intake, applicant=applicant, agent=agent)
        return replace(intake, answers=applicant_answers(self.catalog, intake))

    def keep(self) -> None:
        applicant, agent = self._typed()
        if (applicant, agent) != (self.intake.applicant, self.intake.agent):
            self.change(self._with(applicant, agent), "intake.applicant", checked=False)

    def ready_to_leave(self) -> bool:
        applicant, agent = self._typed()
        problems = applicant_problems(applicant, agent)
        if problems:
            self.keep()
            lines = []
            for p in problems:
                name = p.field.replace(".", "_")
                why = problem_words(self.t, KIND_OF.get(name, ""), p.code)
                lines.append(
                    self.t("intake.field_problem", field=self.t(f"field.{name}"), problem=why)
                )
            self.say("\n".join(lines), error=True)
            first = problems[0].field.replace(".", "_")
            self.screen.set_focus(self.query_one(f"#in-{first}", Input))
            return False
        fixed = self._with(normalised(applicant), agent)
        if (fixed.applicant, fixed.agent, fixed.answers) != (
            self.intake.applicant,
            self.intake.agent,
            self.intake.answers,
        ):
            self.change(fixed, "intake.applicant", kind=applicant.kind.value)
        self.refresh_from_draft()
        return True

    def entered(self, field: Input) -> None:
        """Enter in `field`: on to the next field of its group; from the applicant's last
        field (or the agent's), the next step. Called as the key is handled (the
        field's own, in order), so a fast typist's next keys land in the next field."""
        name = (field.id or "")[3:]
        # Each number is checked as it is left, not after the last field.
        kind = KIND_OF.get(name)
        reason = form_value_problem(kind, field.value) if kind else ""
        if reason:
            why = problem_words(self.t, kind or "", reason)
            self.say(
                self.t("intake.field_problem", field=self.t(f"field.{name}"), problem=why), True
            )
            return
        self.say("")
        group = AGENT_FIELDS if name in AGENT_FIELDS else APPLICANT_FIELDS
        fields = self._fields(group)
        index = fields.index(field)
        if index + 1 < len(fields):
            self.screen.set_focus(fields[index + 1])
        else:
            self.host.action_next_step()
