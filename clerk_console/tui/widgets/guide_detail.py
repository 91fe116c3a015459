"""The right-hand pane of the service guide: one bundle or item, its scenario questions and
its tailored checklist. It only displays; the screen owns the answers."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.checklist import Checklist, Selection, merged_form
from clerk_console.tui.i18n import Messages


class GuideDetail(VerticalScroll):
    """Shows the guide of the current selection."""

    def __init__(self, t: Messages, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.t = t

    def compose(self) -> ComposeResult:
        yield Static(self.t("guide.hint"), id="detail-title")
        yield Static("", id="detail-meta")
        yield Static("", id="detail-questions")
        yield OptionList(id="choices")
        yield Static("", id="detail-items")
        yield Static("", id="detail-checklist")
        yield Static("", id="detail-produced")
        yield Static("", id="detail-form")

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).display = False

    def clear(self) -> None:
        """Back to the hint, as when nothing is selected."""
        self.query_one("#detail-title", Static).update(self.t("guide.hint"))
        for name in ("meta", "questions", "items", "checklist", "produced", "form"):
            self.query_one(f"#detail-{name}", Static).update("")
        self.query_one("#choices", OptionList).display = False

    def show(self, catalog: Catalog, selection: Selection, checklist: Checklist) -> None:
        """Render `selection` with its checklist as it stands after the answers so far."""
        t = self.t
        if selection.bundle is not None:
            bundle = catalog.bundles[selection.bundle]
            title = Text.assemble((bundle.name, "bold"), "  ", (t("guide.kind_bundle"), "dim"))
            meta = self._pairs(
                [
                    (t("detail.line"), f"{bundle.line} {catalog.lines[bundle.line].name}"),
                    (t("detail.description"), bundle.description),
                ]
            )
        else:
            item = catalog.items[selection.items[0]]
            title = Text.assemble((item.name, "bold"), "  ", (t("guide.kind_item"), "dim"))
            related = t.join(catalog.items[c].name for c in item.related)
            meta = self._pairs(
                [
                    (t("detail.code"), item.code),
                    (t("detail.department"), catalog.departments[item.department].name),
                    (t("detail.line"), f"{item.line} {catalog.lines[item.line].name}"),
                    (t("detail.legal"), self._days(item.legal_days)),
                    (t("detail.promised"), self._days(item.promised_days)),
                    (t("detail.fee"), item.fee),
                    (t("detail.result"), item.result),
                    *([(t("detail.related"), related)] if related else []),
                ]
            )
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#detail-meta", Static).update(meta)
        self._show_questions(checklist)
        self.query_one("#detail-items", Static).update(
            self._items_table(catalog, checklist) if selection.bundle else ""
        )
        self.query_one("#detail-checklist", Static).update(
            self._checklist_table(catalog, checklist)
        )
        self.query_one("#detail-produced", Static).update(self._produced(catalog, checklist))
        self.query_one("#detail-form", Static).update(self._form(catalog, checklist))

    def _days(self, n: int) -> str:
        return self.t("detail.instant") if n == 0 else self.t("detail.days", n=n)

    @staticmethod
    def _pairs(rows: list[tuple[str, str]]) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        for label, value in rows:
            table.add_row(label, value)
        return table

    def _show_questions(self, checklist: Checklist) -> None:
        t = self.t
        choices = self.query_one("#choices", OptionList)
        lines = Text()
        if not checklist.questions:
            lines.append(t("detail.no_questions"), "dim")
        else:
            lines.append(t("detail.questions"), "bold")
            lines.append(f"  {t('detail.answered', n=len(checklist.answers))}\n", "dim")
            for q in checklist.questions:
                code = checklist.answers.get(q.code)
                choice = q.choice(code) if code else None
                if choice is not None:
                    lines.append("✓ ", "green")
                    lines.append(f"{q.text} ")
                    lines.append(f"{choice.label}\n", "bold")
            nxt = checklist.next_question
            if nxt is None:
                lines.append(t("detail.settled"), "green")
            else:
                lines.append(t("detail.pending") + "\n", "yellow")
                lines.append("? ", "bold yellow")
                lines.append(nxt.text, "bold")
        self.query_one("#detail-questions", Static).update(lines)
        nxt = checklist.next_question
        choices.clear_options()
        if nxt is None:
            choices.display = False
            return
        choices.add_options(
            [Option(f"{i + 1}. {c.label}", id=c.code) for i, c in enumerate(nxt.choices)]
        )
        choices.highlighted = 0
        choices.display = True

    @staticmethod
    def _titled(title: str) -> Table:
        return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, expand=True)

    def _items_table(self, catalog: Catalog, checklist: Checklist) -> Table:
        t = self.t
        table = self._titled(t("detail.items", n=len(checklist.items)))
        table.add_column(t("col.item"), ratio=3, overflow="fold")
        table.add_column(t("col.department"), ratio=2, overflow="fold")
        table.add_column(t("col.promised"), no_wrap=True)
        table.add_column(t("col.legal"), no_wrap=True)
        for code in checklist.items:
            item = catalog.items[code]
            table.add_row(
                item.name,
                catalog.departments[item.department].name,
                self._days(item.promised_days),
                self._days(item.legal_days),
            )
        return table

    def _checklist_table(self, catalog: Catalog, checklist: Checklist) -> Table:
        t = self.t
        table = self._titled(t("detail.checklist", n=len(checklist.entries)))
        table.add_column("#", justify="right", no_wrap=True, style="dim")
        table.add_column(t("col.material"), ratio=4, overflow="fold")
        table.add_column(t("col.original"), no_wrap=True)
        table.add_column(t("col.copies"), justify="right", no_wrap=True)
        table.add_column(t("col.necessity"), no_wrap=True)
        table.add_column(t("col.deferrable"), no_wrap=True)
        table.add_column(t("col.shareable"), ratio=2, overflow="fold")
        table.add_column(t("col.items"), ratio=4, overflow="fold")
        for n, e in enumerate(checklist.entries, start=1):
            registry = catalog.registries[e.shareable].name if e.shareable else t("mark.no")
            table.add_row(
                str(n),
                e.material.name,
                t(f"original.{e.original.value}"),
                str(e.copies) if e.copies else t("mark.no"),
                t(f"necessity.{e.necessity.value}"),
                t("mark.yes") if e.deferrable else t("mark.no"),
                registry,
                t.join(catalog.items[c].name for c in e.items),
            )
        return table

    def _produced(self, catalog: Catalog, checklist: Checklist) -> Text:
        if not checklist.produced:
            return Text()
        text = Text(self.t("detail.produced") + "\n", style="bold")
        for p in checklist.produced:
            producer = self.t.join(catalog.items[c].name for c in p.produced_by)
            text.append(
                "  ↳ "
                + self.t("detail.produced_line", material=p.material.name, producer=producer)
                + "\n"
            )
        return text

    def _form(self, catalog: Catalog, checklist: Checklist) -> Text:
        lines = merged_form(catalog, checklist.items)
        asked = [line for line in lines if line.asked]
        if not lines:
            return Text()
        text = Text(self.t("detail.form", n=len(asked)) + "\n", style="bold")
        text.append(self.t.join(line.field.label for line in asked), style="dim")
        for line in lines:
            if not line.asked:
                producer = self.t.join(catalog.items[c].name for c in line.produced_by)
                text.append(
                    "\n  ↳ "
                    + self.t("detail.produced_line", material=line.field.label, producer=producer)
                )
        return text
