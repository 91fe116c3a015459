"""Step 4, the one form (一表申请): every field of the catalog composed once, each on one
line with its label; those the application needs are shown, each once for all its items;
a field an item of the application produces is shown as coming from that item, not asked.
Enter goes to the next empty field, and from the last one on to the decision."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from clerk_console.domain.checklist import FormLine, merged_form
from clerk_console.domain.intake import Step, form_value, form_value_problem, prefill
from clerk_console.tui.screens.intake.applicant import MASKS
from clerk_console.tui.screens.intake.step import IntakeStep, fit_labels, problem_words
from clerk_console.tui.widgets.fields import FieldInput, set_shown, show_text

if TYPE_CHECKING:
    from clerk_console.tui.screens.intake.screen import IntakeScreen


class FormStep(IntakeStep):
    """The merged form of the application as it stands."""

    STEP = Step.FORM
    BINDINGS = [
        Binding("down", "field(1)", "key.next_field", show=False),
        Binding("up", "field(-1)", "key.previous_field", show=False),
    ]
    KEY_NOTES = (("Enter", "keys.note_next_empty"),)

    def compose(self) -> ComposeResult:
        yield Static(self.t("intake.form_hint"), id="form-hint")
        with VerticalScroll(id="form-scroll"):
            for spec in self.catalog.form_fields.values():
                with Horizontal(id=f"row-{spec.code}", classes="form-row"):
                    yield Label(spec.label, classes="form-label")
                    yield FieldInput(
                        id=f"form-{spec.code}",
                        classes="form-field",
                        on_enter=self.entered,
                        mask=MASKS.get(spec.kind),
                    )
                    yield Static("", id=f"note-{spec.code}", classes="form-note")

    def on_mount(self) -> None:
        fit_labels(self, ".form-label")

    # --- showing -----------------------------------------------------------------------

    def __init__(self, host: IntakeScreen) -> None:
        super().__init__(host)
        self._rows: dict[str, tuple[Horizontal, Label, FieldInput, Static]] = {}

    def lines(self) -> list[FormLine]:
        """The form's fields for the application as it now stands."""
        checklist = self.host.checklist()
        return merged_form(self.catalog, checklist.items) if checklist else []

    def show(self) -> None:
        self.refresh_from_draft()
        # At once, not after the next refresh: a key already on its way (F3 right after F4)
        # must not find the focus arriving in this step after it has been left.
        self._to_next_empty(None)

    def _widgets(self, code: str) -> tuple[Horizontal, Label, FieldInput, Static]:
        """A field's row, label, input and note (looked up once: a step shown again
        should not walk the screen's widgets for each of its 29 fields)."""
        found = self._rows.get(code)
        if found is None:
            row = self.query_one(f"#row-{code}", Horizontal)
            found = (
                row,
                row.query_one(".form-label", Label),
                row.query_one(f"#form-{code}", FieldInput),
                row.query_one(f"#note-{code}", Static),
            )
            self._rows[code] = found
        return found

    def refresh_from_draft(self) -> None:
        lines = {line.field.code: line for line in self.lines()}
        for spec in self.catalog.form_fields.values():
            row, label, field, note = self._widgets(spec.code)
            line = lines.get(spec.code)
            set_shown(row, line is not None)
            if line is None:
                continue
            mark = "*" if spec.required and line.asked else ""
            show_text(label, f"{spec.label}{mark}")
            if not line.asked:
                producer = self.t.join(self.catalog.items[c].name for c in line.produced_by)
                set_shown(field, False)
                produced = self.t("intake.form_produced", producer=producer)
                show_text(note, Text(produced, style="italic"))
                continue
            set_shown(field, True)
            value = form_value(spec, self.intake)
            if field.value != value:
                field.value = value
            show_text(note, self._note(line))

    def _note(self, line: FormLine) -> Text:
        """Where a value not typed came from, and which items use the field."""
        note = Text()
        if line.field.code not in self.intake.form:
            _value, source = prefill(line.field, self.intake)
            if source:
                note.append(self.t("intake.form_from", source=self._source(source)) + " ", "cyan")
        note.append(self.t.join(self.catalog.items[i].name for i in line.items), "dim")
        return note

    def _source(self, source: str) -> str:
        part = source.partition(".")[0]
        if part in ("person", "organisation", "agent"):
            return self.t(f"intake.source_{part}")
        registry = self.catalog.registries.get(part)
        return registry.name if registry else part

    def _fields(self, required_only: bool = False) -> list[Input]:
        asked = [
            line.field.code
            for line in self.lines()
            if line.asked and (line.field.required or not required_only)
        ]
        return [self._widgets(code)[2] for code in asked]

    def _to_next_empty(self, after: Input | None) -> bool:
        """Focus the next required field still empty (after `after`); False if there is
        none. Optional fields are a Tab or ↓ away."""
        fields = self._fields()
        required = self._fields(required_only=True)
        start = fields.index(after) + 1 if after in fields else 0
        empty = next((f for f in fields[start:] if f in required and not f.value.strip()), None)
        if empty is None:
            if after is None and fields:
                self.screen.set_focus(fields[0])
            return False
        self.screen.set_focus(empty)
        return True

    def action_field(self, step: int) -> None:
        """↑/↓: the field above or below, empty or not."""
        fields = self._fields()
        focused = self.screen.focused
        if focused in fields:
            index = fields.index(focused) + step
            if 0 <= index < len(fields):
                self.screen.set_focus(fields[index])

    # --- typing ------------------------------------------------------------------------

    @on(Input.Changed, ".form-field")
    def _typed(self, event: Input.Changed) -> None:
        """Kept in the draft as typed (saved when the field is left); a value equal to
        the prefill is not a change."""
        event.stop()
        code = (event.input.id or "")[5:]
        spec = self.catalog.form_fields.get(code)
        if spec is None or event.value == form_value(spec, self.intake):
            return
        self.host.adopt(replace(self.intake, form={**self.intake.form, code: event.value}))

    def entered(self, field: Input) -> None:
        """Enter in `field`: on to the next empty field (filled ones need no key); from the
        last, the decision. Called by the field, in order with the keys typed before."""
        self.keep()
        # Each value is checked as it is left, with the reason, as on the applicant step.
        spec = self.catalog.form_fields.get((field.id or "")[5:])
        reason = form_value_problem(spec.kind, field.value) if spec else ""
        if spec is not None and reason:
            why = problem_words(self.t, spec.kind, reason)
            self.say(self.t("intake.field_problem", field=spec.label, problem=why), error=True)
            return
        self.say("")
        if not self._to_next_empty(field):
            self.host.action_next_step()

    def on_descendant_blur(self) -> None:
        self.keep()

    def keep(self) -> None:
        saved = self.host.saved_form
        if self.intake.form != saved:
            changed = sorted(k for k in self.intake.form if self.intake.form[k] != saved.get(k))
            self.change(self.intake, "intake.form", fields=changed)

    def ready_to_leave(self) -> bool:
        self.keep()
        missing: list[str] = []
        wrong: list[str] = []
        first: Input | None = None
        for line in self.lines():
            if not line.asked:
                continue
            spec = line.field
            field = self._widgets(spec.code)[2]
            value = field.value.strip()
            reason = form_value_problem(spec.kind, value)
            if spec.required and not value:
                missing.append(spec.label)
            elif reason:
                why = problem_words(self.t, spec.kind, reason)
                wrong.append(self.t("intake.field_problem", field=spec.label, problem=why))
            else:
                continue
            first = first or field
        lines = wrong + (
            [self.t("intake.form_missing", fields=self.t.join(missing))] if missing else []
        )
        if lines:
            self.say("\n".join(lines), error=True)
            if first is not None:
                self.screen.set_focus(first)
            return False
        return True
