"""Small modal questions: pick one of a few choices, or type a short answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from clerk_console.tui.i18n import Messages, translate_bindings


class ChoiceModal(ModalScreen[str | None]):
    """Choose with ↑↓ and Enter, or a digit; Esc cancels. Returns the choice's id."""

    BINDINGS = [
        Binding("escape", "cancel", "key.cancel"),
        *(Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)),
    ]

    def __init__(self, t: Messages, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        translate_bindings(self._bindings, t)
        self.title_text, self.choices = title, choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(self.title_text, classes="modal-title")
            yield OptionList(
                *(
                    Option(f"{i + 1}. {label}", id=key)
                    for i, (key, label) in enumerate(self.choices)
                )
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_pick(self, number: int) -> None:
        if 1 <= number <= len(self.choices):
            self.dismiss(self.choices[number - 1][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextModal(ModalScreen[str | None]):
    """Type a short answer and press Enter; Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, t: Messages, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        translate_bindings(self._bindings, t)
        self.title_text, self.placeholder, self.value = title, placeholder, value

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(self.title_text, classes="modal-title")
            yield Input(self.value, placeholder=self.placeholder)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def ask_result(
    app: App[Any],
    t: Messages,
    title: str,
    default_name: str,
    done: Callable[[dict[str, Any]], object],
    ask_date: bool = True,
    on_bad_date: Callable[[str], None] | None = None,
) -> None:
    """Ask, one prompt after another, for a decision's result: its name (prefilled), its
    number (may be empty), its issue date (today unless changed; `ask_date`) and whether it
    is electronic or paper; then `done(answers)`. Esc at any prompt gives up."""
    answers: dict[str, Any] = {"issued_on": date.today().isoformat()}

    def medium(choice: str | None) -> None:
        if choice:
            done({**answers, "medium": choice})

    def ask_medium() -> None:
        choices = [("electronic", t("handoff.electronic")), ("paper", t("handoff.paper"))]
        app.push_screen(ChoiceModal(t, t("handoff.ask_medium"), choices), medium)

    def ask_date_again(title: str) -> None:
        prompt = TextModal(t, title, value=answers["issued_on"])
        app.push_screen(prompt, issued)

    def issued(day: str | None) -> None:
        if day is None:
            return
        try:
            answers["issued_on"] = date.fromisoformat(day.strip()).isoformat()
        except ValueError:
            if on_bad_date is not None:
                on_bad_date(day)
            # Asked again: the name and number given so far are kept.
            ask_date_again(t("handoff.bad_date", value=day))
            return
        ask_medium()

    def numbered(number: str | None) -> None:
        if number is None:
            return
        answers["number"] = number
        if ask_date:
            ask_date_again(t("handoff.ask_issued_on"))
        else:
            ask_medium()

    def named(name: str | None) -> None:
        if name:
            answers["name"] = name
            app.push_screen(TextModal(t, t("handoff.ask_number")), numbered)

    app.push_screen(TextModal(t, title, value=default_name), named)
