"""The service guide (办事指南): search the catalog, open a bundle or item, answer its
scenario questions and watch the tailored checklist change. Needs no login."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from clerk_console.domain.checklist import Selection, build_checklist
from clerk_console.domain.search import Hit, HitKind
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.base import ConsoleScreen
from clerk_console.tui.widgets.guide_detail import GuideDetail
from clerk_console.tui.widgets.keys import ConsoleFooter

if TYPE_CHECKING:  # the store behind it loads in a worker, after the first frame
    from clerk_console.sync.catalog import LoadedCatalog


class GuideScreen(ConsoleScreen):
    """Search on the left, the opened guide on the right."""

    BINDINGS = [
        Binding("slash", "focus_search", "key.search", key_display="/"),
        Binding("escape", "back", "key.back"),
        Binding("u", "undo", "key.undo"),
        Binding("r", "reset", "key.reset"),
        Binding("f1", "close", "key.close_guide"),
        Binding("f2", "login", "key.login"),
        Binding("down", "focus_results", show=False),
        # Digits answer the current question directly (outside the search box).
        *(Binding(str(n), f"choose({n})", show=False) for n in range(1, 10)),
    ]

    def __init__(self, t: Messages) -> None:
        super().__init__(t)
        self.loaded: LoadedCatalog | None = None
        self.hits: list[Hit] = []
        self.selection: Selection | None = None
        self.answers: dict[str, str] = {}  # in the order given, so undo takes the last

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="guide"):
            with Vertical(id="search-pane"):
                yield Input(placeholder=self.t("guide.search_placeholder"), id="query")
                yield Static(self.t("guide.loading"), id="search-status")
                yield OptionList(id="results")
            yield GuideDetail(self.t, id="detail")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = self.t("title.guide")  # not the counter's name
        self.place(self.t("place.guide"))
        self.query_one("#query", Input).focus()
        self.watch(self.app, "catalog", self._catalog_changed)
        self.watch(self.app, "catalog_error", self._catalog_failed)

    # --- catalog arrival ------------------------------------------------------------

    def _catalog_changed(self, loaded: LoadedCatalog | None) -> None:
        if loaded is None:
            return
        self.loaded = loaded
        if loaded.source == "cache":
            self.notify(
                self.t("guide.using_cache", version=loaded.catalog.version),
                severity="warning",
                timeout=10,
            )
        self._run_search(self.query_one("#query", Input).value)

    def _catalog_failed(self, error: str) -> None:
        if error:
            self.query_one("#search-status", Static).update(
                self.t("guide.load_failed", error=error)
            )

    # --- searching ------------------------------------------------------------------

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        self._run_search(event.value)

    def _run_search(self, query: str) -> None:
        if self.loaded is None:
            return
        catalog = self.loaded.catalog
        self.hits = self.loaded.index.search(query)
        results = self.query_one("#results", OptionList)
        results.clear_options()
        results.add_options(
            Option(self._hit_label(h), id=f"{h.kind.value}:{h.code}") for h in self.hits
        )
        status = self.query_one("#search-status", Static)
        if self.hits:
            results.highlighted = 0
            status.update(
                self.t("guide.results_count", n=len(self.hits))
                + "  ·  "
                + self.t(
                    "guide.status",
                    version=catalog.version[:8],
                    bundles=len(catalog.bundles),
                    items=len(catalog.items),
                )
            )
        else:
            status.update(self.t("guide.no_results", query=query.strip()))

    def _hit_label(self, hit: Hit) -> str:
        if hit.kind is HitKind.BUNDLE:
            return f"★ {hit.name}  [dim]{self.t('guide.kind_bundle')}[/]"
        return f"  {hit.name}  [dim]{hit.department}[/]"

    @on(Input.Submitted, "#query")
    def _query_submitted(self) -> None:
        if self.hits:
            self._open(self.hits[0])

    @on(OptionList.OptionSelected, "#results")
    def _result_chosen(self, event: OptionList.OptionSelected) -> None:
        self._open(self.hits[event.option_index])

    # --- the opened guide -----------------------------------------------------------

    def _open(self, hit: Hit) -> None:
        if hit.kind is HitKind.BUNDLE:
            self.selection = Selection(bundle=hit.code)
        else:
            self.selection = Selection(items=(hit.code,))
        self.answers = {}
        self._refresh_detail()
        choices = self.query_one("#choices", OptionList)
        if choices.display:
            choices.focus()

    def _refresh_detail(self) -> None:
        if self.loaded is None or self.selection is None:
            return
        checklist = build_checklist(self.loaded.catalog, self.selection, self.answers)
        self.query_one(GuideDetail).show(self.loaded.catalog, self.selection, checklist)

    @on(OptionList.OptionSelected, "#choices")
    def _choice_made(self, event: OptionList.OptionSelected) -> None:
        self._answer(event.option_index)

    def _answer(self, index: int) -> None:
        """Answer the current question with its `index`-th choice."""
        if self.loaded is None or self.selection is None:
            return
        checklist = build_checklist(self.loaded.catalog, self.selection, self.answers)
        question = checklist.next_question
        if question is None or not 0 <= index < len(question.choices):
            return
        self.answers.pop(question.code, None)
        self.answers[question.code] = question.choices[index].code
        self._refresh_detail()
        choices = self.query_one("#choices", OptionList)
        if not choices.display:
            self.query_one("#results", OptionList).focus()

    # --- actions --------------------------------------------------------------------

    def action_choose(self, number: int) -> None:
        if self.focused is not self.query_one("#query", Input):
            self._answer(number - 1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Opened over another screen (F1), the guide closes back to it; as a lobby terminal's
        # own first screen, it leads to the staff login instead.
        opened_over = len(self.app.screen_stack) > 1
        if action == "close":
            return opened_over
        if action == "login":
            return not opened_over
        return True

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_login(self) -> None:
        from clerk_console.tui.app import ClerkConsoleApp
        from clerk_console.tui.screens.login import LoginScreen

        assert isinstance(self.app, ClerkConsoleApp)
        self.app.push_screen(LoginScreen(self.t, self.app.settings.counter.number))

    def action_focus_search(self) -> None:
        self.query_one("#query", Input).focus()

    def action_focus_results(self) -> None:
        if self.focused is self.query_one("#query", Input) and self.hits:
            self.query_one("#results", OptionList).focus()

    def action_back(self) -> None:
        query = self.query_one("#query", Input)
        query.focus()
        query.select_all()

    def action_undo(self) -> None:
        if not self.answers:
            return
        self.answers.pop(next(reversed(self.answers)))
        self._refresh_detail()
        choices = self.query_one("#choices", OptionList)
        if choices.display:
            choices.focus()

    def action_reset(self) -> None:
        if self.selection is None:
            return
        self.answers = {}
        self._refresh_detail()
        choices = self.query_one("#choices", OptionList)
        if choices.display:
            choices.focus()
