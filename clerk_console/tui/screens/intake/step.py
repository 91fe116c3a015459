"""What every step of the intake shares: it is composed once, shown again and again, and
refreshed from the draft each time (never re-mounted), with its own keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from textual.containers import Vertical
from textual.widgets import Label

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.intake import Intake, Step
from clerk_console.tui.i18n import Messages, translate_bindings

if TYPE_CHECKING:
    from clerk_console.tui.screens.intake.screen import IntakeScreen


class IntakeStep(Vertical):
    """One step: its widgets, its keys (active while the focus is inside it), and how it
    shows the draft. The screen holds the draft; a step changes it through `host.change`."""

    STEP: ClassVar[Step]
    KEY_NOTES: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Keys its widgets take themselves (Enter on a row, arrows), for F9: (key, message)."""

    def __init__(self, host: IntakeScreen) -> None:
        super().__init__(id=f"step-{self.STEP.value}", classes="intake-step")
        self.host = host
        translate_bindings(self._bindings, host.t)

    @property
    def t(self) -> Messages:
        return self.host.t

    @property
    def catalog(self) -> Catalog:
        return self.host.catalog

    @property
    def intake(self) -> Intake:
        return self.host.intake

    def change(self, intake: Intake, what: str, **detail: Any) -> None:
        """The draft changed here: the screen keeps it and saves it."""
        self.host.change(intake, what, **detail)

    def say(self, text: str, error: bool = False) -> None:
        self.host.say(text, error)

    def show(self) -> None:
        """The step comes into view: show the draft as it is now and focus where work starts."""
        self.refresh_from_draft()

    def refresh_from_draft(self) -> None:
        """Show the draft as it is now."""

    def keep(self) -> None:
        """The step goes out of view: keep in the draft whatever was typed, checked or not."""

    def ready_to_leave(self) -> bool:
        """F4: whether the step is complete enough to go on; if not, say what is wrong."""
        return True


ID_REASONS = {"length", "format", "birth_date", "checksum", "region"}
"""Why an identifier is wrong (its check's reasons); other reasons are of a form value."""


def problem_words(t: Messages, kind: str, reason: str) -> str:
    """What is wrong with a value of `kind` (id_number, credit_code, mobile, date …), in
    words: a wrong length says the length it should have."""
    if reason == "required":
        return t("intake.required")
    if reason == "length" and t.has(f"id_reason.length_{kind}"):
        return t(f"id_reason.length_{kind}")
    return t(f"id_reason.{reason}" if reason in ID_REASONS else f"form_reason.{reason}")


def fit_labels(step: IntakeStep, selector: str) -> None:
    """Every label of `selector` as wide as the widest (plus the required mark), so the
    fields line up and no label of the clerk's language is cut; 16 to 30 columns."""
    labels = list(step.query(selector).results(Label))
    widest = max((cell_len(str(label.content)) for label in labels), default=16)
    width = max(16, min(30, widest + 2))
    for label in labels:
        label.styles.width = width
