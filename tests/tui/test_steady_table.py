"""The checklist's table keeps its drawn cells when only the focus moves (a step change),
and still redraws what changed: a cell's value, the theme; and fits a new size."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Input

from clerk_console.tui.widgets.table import SteadyTable

ROWS = [("公司章程", "缺少"), ("住所（经营场所）租赁合同", "已齐全"), ("社会保险登记表", "缺少")]


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield SteadyTable(id="table", cursor_type="row", zebra_stripes=True)
        yield Input(id="field")

    def on_mount(self) -> None:
        table = self.query_one(SteadyTable)
        table.add_column("材料", key="material")
        table.add_column("状态", key="state")
        for n, row in enumerate(ROWS):
            table.add_row(*row, key=str(n))
        table.focus()


class CountingConsole:
    """Counts the cells Rich draws for the app (each DataTable cell is one render_lines)."""

    def __init__(self, app: App[None]) -> None:
        self.count = 0
        drawing = app.console.render_lines

        def render_lines(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return drawing(*args, **kwargs)

        app.console.render_lines = render_lines  # type: ignore[method-assign]


def shown(app: App[None]) -> str:
    table = app.query_one(SteadyTable)
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def test_focus_back_and_forth_draws_no_cell_again() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.pause()
        drawn = CountingConsole(app)
        for _ in range(3):  # as a step change does: away to a field and back
            app.query_one("#field", Input).focus()
            await pilot.pause()
            app.query_one(SteadyTable).focus()
            await pilot.pause()
        table_cells = drawn.count
        assert "公司章程" in shown(app)
        # The first time away draws the cells unfocused once; coming back draws none.
        app.query_one("#field", Input).focus()
        await pilot.pause()
        app.query_one(SteadyTable).focus()
        await pilot.pause()
        assert drawn.count == table_cells


async def test_a_changed_cell_or_theme_is_drawn_again_and_a_new_size_fits() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.pause()
        table = app.query_one(SteadyTable)
        table.update_cell("0", "state", "已齐全")
        await pilot.pause()
        assert "缺少" not in shown(app).splitlines()[1]
        cursor_before = table.render_line(1)
        app.theme = "textual-light"
        await pilot.pause()
        assert table.render_line(1).text == cursor_before.text
        assert list(table.render_line(1)) != list(cursor_before)  # new colours
        await pilot.resize_terminal(30, 12)  # narrower than the table: it scrolls
        await pilot.pause()
        assert table.size.width == 30
        lines = shown(app).splitlines()
        assert lines[2].startswith(" 住所（经营场所）租赁合同") and len(lines[2]) <= 30
