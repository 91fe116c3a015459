"""Step 2, what they came for (办理事项): search a bundle or item, then the scenario
questions, each shown with its answer and changeable here; `1`–`9` answer the highlighted
question, Enter picks, and Enter on the last line goes on to the checklist."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from clerk_console.domain.catalog import Question
from clerk_console.domain.checklist import Checklist, Selection
from clerk_console.domain.intake import Step, applicant_answers
from clerk_console.domain.search import HitKind
from clerk_console.tui.screens.intake.step import IntakeStep
from clerk_console.tui.widgets.fields import FieldInput, set_shown, show_text

GO_ON = "__go_on__"
"""The last line of the questions once all are answered: Enter there goes on."""


class SelectionStep(IntakeStep):
    """Search, then the questions and their answers."""

    STEP = Step.SELECTION
    BINDINGS = [
        *(Binding(str(n), f"answer({n})", show=False) for n in range(1, 10)),
        Binding("left", "other_question(-1)", show=False),
        Binding("right", "other_question(1)", show=False),
        Binding("slash", "search", "key.search_again", key_display="/"),
        Binding("down", "to_results", show=False),
    ]
    KEY_NOTES = (
        ("1–9", "keys.note_answer"),
        ("Enter", "keys.note_choose"),
        ("←→", "keys.note_other_question"),
        ("↑↓", "keys.note_choices"),
    )

    def compose(self) -> ComposeResult:
        yield FieldInput(
            placeholder=self.t("intake.search_placeholder"),
            id="intake-query",
            on_enter=self.query_entered,
        )
        yield OptionList(id="intake-results")
        yield Static("", id="intake-question")
        yield OptionList(id="intake-questions")
        yield OptionList(id="intake-choices")

    # --- showing -----------------------------------------------------------------------

    def show(self) -> None:
        query = self.query_one("#intake-query", Input)
        if not query.value and self.intake.selection is None:
            self._search("")  # nothing typed yet: the bundles, then the items
        self._show_questions(highlight="")  # the first unanswered, or the last line
        checklist = self.host.checklist()
        if checklist is None:
            self.screen.set_focus(self.query_one("#intake-query", Input))
        elif checklist.next_question is not None:
            self.screen.set_focus(self.query_one("#intake-choices", OptionList))
        else:
            self.screen.set_focus(self.query_one("#intake-questions", OptionList))

    def refresh_from_draft(self) -> None:
        query = self.query_one("#intake-query", Input)
        if not query.value and self.intake.selection is None:
            self._search("")
        self._show_questions()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer":
            return self.host.checklist() is not None
        if action == "to_results":
            return self.screen.focused is self.query_one("#intake-query")
        return True

    def action_other_question(self, step: int) -> None:
        """←/→: the question before or after, to answer or change it."""
        questions = self.query_one("#intake-questions", OptionList)
        if not questions.option_count:
            return
        current = questions.highlighted or 0
        questions.highlighted = max(0, min(questions.option_count - 1, current + step))
        checklist = self.host.checklist()
        if checklist is not None:
            self._show_choices(checklist)
        if questions.get_option_at_index(questions.highlighted).id == GO_ON:
            self.screen.set_focus(questions)

    def action_to_results(self) -> None:
        """↓ in the search: into the hits, to pick one with ↑↓ and Enter."""
        results = self.query_one("#intake-results", OptionList)
        if results.option_count:
            set_shown(results, True)
            self.screen.set_focus(results)

    # --- searching ------------------------------------------------------------------------

    def _show_results(self) -> None:
        """The search results while searching; once chosen, the room goes to the questions,
        and Tab no longer reaches the search (a digit meant for a question would change it):
        `/` searches again."""
        results = self.query_one("#intake-results", OptionList)
        query = self.query_one("#intake-query", Input)
        searching = self.screen.focused in (results, query)
        set_shown(results, searching or self.intake.selection is None)
        query.can_focus = searching or self.intake.selection is None

    def on_descendant_focus(self) -> None:
        self._show_results()

    def action_search(self) -> None:
        """/: search again (a new choice starts the questions afresh)."""
        query = self.query_one("#intake-query", Input)
        query.can_focus = True
        self.screen.set_focus(query)

    @on(Input.Changed, "#intake-query")
    def _query_changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, query: str) -> None:
        loaded = self.host.console.catalog
        results = self.query_one("#intake-results", OptionList)
        results.clear_options()
        if loaded is None:
            return
        for hit in loaded.index.search(query, limit=20):
            kind = self.t(f"guide.kind_{hit.kind.value}")
            results.add_option(Option(f"{kind} {hit.name}", id=f"{hit.kind.value}:{hit.code}"))
        if results.option_count:
            results.highlighted = 0
        set_shown(results, True)

    def query_entered(self, query: FieldInput) -> None:
        """Enter in the search: take the highlighted hit. Searched again with what the
        field holds now: a fast typist's Enter can come before the last key's search ran."""
        self._search(query.value)
        results = self.query_one("#intake-results", OptionList)
        if results.option_count:
            self._select(results.get_option_at_index(results.highlighted or 0).id or "")

    @on(OptionList.OptionSelected, "#intake-results")
    def _result_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._select(event.option.id or "")

    def _select(self, option_id: str) -> None:
        kind, code = option_id.split(":", 1)
        selection = (
            Selection(bundle=code) if kind == HitKind.BUNDLE.value else Selection(items=(code,))
        )
        if selection == self.intake.selection:
            self.show()  # the same again: its answers stay
            return
        intake = replace(self.intake, selection=selection, answers={})
        # Whether an agent acts is known from the applicant step: not asked again.
        intake = replace(intake, answers=applicant_answers(self.catalog, intake))
        self.change(intake, "intake.selection", selection=option_id)
        set_shown(self.query_one("#intake-results", OptionList), False)
        self.show()

    # --- the questions ------------------------------------------------------------------

    def _show_questions(self, highlight: str | None = None) -> None:
        """The questions with their answers; `highlight` a question's code (or GO_ON); by
        default the one highlighted stays, else the first unanswered, else GO_ON."""
        checklist = self.host.checklist()
        title = self.query_one("#intake-question", Static)
        questions = self.query_one("#intake-questions", OptionList)
        if checklist is None:
            show_text(title, Text(self.t("intake.selection_hint"), style="dim"))
            set_shown(questions, False)
            set_shown(self.query_one("#intake-choices", OptionList), False)
            return
        self._show_results()
        name = self.host.selection_name()
        if checklist.next_question is None:
            show_text(title, Text(self.t("intake.selected_settled", name=name), style="bold green"))
        else:
            left = sum(1 for q in checklist.questions if q.code not in checklist.answers)
            show_text(title, Text(self.t("intake.selected_open", name=name, n=left), style="bold"))
        if highlight is None and questions.highlighted is not None and questions.option_count:
            highlight = questions.get_option_at_index(questions.highlighted).id
        codes = [q.code for q in checklist.questions]
        if highlight not in codes and not (highlight == GO_ON and checklist.settled):
            nxt = checklist.next_question
            highlight = nxt.code if nxt is not None else GO_ON
        questions.clear_options()
        for q in checklist.questions:
            questions.add_option(Option(self._question_line(q, checklist), id=q.code))
        if checklist.settled:
            questions.add_option(Option(Text(self.t("intake.go_on"), style="bold"), id=GO_ON))
        set_shown(questions, True)
        questions.highlighted = codes.index(highlight) if highlight in codes else len(codes)
        self._show_choices(checklist)

    def _question_line(self, q: Question, checklist: Checklist) -> Text:
        code = checklist.answers.get(q.code)
        choice = q.choice(code) if code else None
        line = Text()
        if choice is None:
            line.append("? ", "bold yellow")
            line.append(q.text)
            return line
        line.append("✓ ", "green")
        line.append(f"{q.text} ")
        line.append(choice.label, "bold")
        if q.answered_by:
            line.append(" " + self.t(f"intake.answered_by_{q.answered_by}"), "dim")
        return line

    def _show_choices(self, checklist: Checklist) -> None:
        choices = self.query_one("#intake-choices", OptionList)
        question = self._highlighted_question(checklist)
        choices.clear_options()
        if question is None:
            set_shown(choices, False)
            return
        for i, choice in enumerate(question.choices, start=1):
            choices.add_option(Option(f"{i}. {choice.label}", id=choice.code))
        answer = checklist.answers.get(question.code)
        codes = [c.code for c in question.choices]
        choices.highlighted = codes.index(answer) if answer in codes else 0
        set_shown(choices, True)

    def _highlighted_question(self, checklist: Checklist) -> Question | None:
        questions = self.query_one("#intake-questions", OptionList)
        if questions.highlighted is None or not questions.option_count:
            return None
        code = questions.get_option_at_index(questions.highlighted).id
        return next((q for q in checklist.questions if q.code == code), None)

    @on(OptionList.OptionHighlighted, "#intake-questions")
    def _question_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        checklist = self.host.checklist()
        if checklist is not None:
            self._show_choices(checklist)

    @on(OptionList.OptionSelected, "#intake-questions")
    def _question_chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter on a question: change its answer; on the last line: go on."""
        event.stop()
        if event.option.id == GO_ON:
            self.host.action_next_step()
            return
        choices = self.query_one("#intake-choices", OptionList)
        if choices.display:
            self.screen.set_focus(choices)

    @on(OptionList.OptionSelected, "#intake-choices")
    def _choice_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._answer(event.option.id or "")

    def action_answer(self, number: int) -> None:
        """1–9: the highlighted question's choice of that number."""
        checklist = self.host.checklist()
        question = self._highlighted_question(checklist) if checklist else None
        if question is not None and 1 <= number <= len(question.choices):
            self._answer(question.choices[number - 1].code)

    def _answer(self, choice: str) -> None:
        checklist = self.host.checklist()
        question = self._highlighted_question(checklist) if checklist else None
        if question is None:
            return
        if question.answered_by:
            # Known from the applicant step: changed there, so the two never disagree.
            self.say(self.t(f"intake.change_in_applicant_{question.answered_by}"), error=True)
            return
        answers = {**self.intake.answers, question.code: choice}
        self.change(
            replace(self.intake, answers=answers),
            "intake.answer",
            question=question.code,
            choice=choice,
        )
        after = self.host.checklist()
        assert after is not None
        self._show_questions(highlight="")  # on to the next unanswered
        if after.next_question is not None:
            self.screen.set_focus(self.query_one("#intake-choices", OptionList))
        else:
            self.screen.set_focus(self.query_one("#intake-questions", OptionList))

    def ready_to_leave(self) -> bool:
        checklist = self.host.checklist()
        if checklist is None:
            self.say(self.t("intake.select_first"), error=True)
            return False
        if not checklist.settled:
            self.say(self.t("problem.questions_pending"), error=True)
            return False
        return True
