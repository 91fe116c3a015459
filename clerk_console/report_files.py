"""A report (报表) as the supervisor takes it away: plain text for the terminal, CSV for a
province's own system, and an Excel workbook with a sheet per table and native charts
(arrivals and waits per hour, ratings by level).

Text and Excel speak the supervisor's language through `label` (a message catalogue: keys
`report.table_<table>`, `report.col_<column>`, `rating.<level>`); CSV keeps the codes and the
raw values (seconds, shares from 0 to 1), one value a row, so another system reads it
without knowing our columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clerk_console.domain.report import Report, Table

Label = Callable[[str], str]
FORMATS = ("txt", "csv", "xlsx")

DURATIONS = ("_p50", "_p90", "_seconds", "mean_error", "mean_bias")
SHARES = ("satisfaction", "on_time_rate")


def is_duration(column: str) -> bool:
    return column.endswith(DURATIONS)


def is_share(column: str) -> bool:
    return column in SHARES


def minutes(seconds: Any) -> float | None:
    """Seconds as minutes with one decimal (what the supervisor reads)."""
    return None if seconds is None else round(float(seconds) / 60, 1)


def shown(label: Label, table: Table, column: str, value: Any) -> str:
    """One value as text reads it: minutes, a percentage, a level's name, — for none."""
    if value is None:
        return "—"
    if is_duration(column):
        return f"{minutes(value):.1f}"
    if is_share(column):
        return f"{float(value) * 100:.1f}%"
    if table.key == "rating_levels" and column == "level":
        return label(f"rating.{value}")
    if value == "*" and column == "item":
        return label("report.all_cases")
    if table.key == "follow_ups" and column == "status":
        return label(f"follow_ups.status_{value}")
    return str(value)


def heading(label: Label, column: str) -> str:
    if column in ("very_satisfied", "satisfied", "basically_satisfied") or column.endswith(
        "dissatisfied"
    ):
        return label(f"rating.{column}")
    words = label(f"report.col_{column}")
    if is_duration(column):
        words += label("report.in_minutes")
    return words


def title(label: Label, report: Report) -> str:
    return label(f"report.title_{report.period.kind.value}").format(
        hall=report.hall, period=report.period.label()
    )


def as_text(report: Report, label: Label, width: int = 160) -> str:
    """The report as aligned tables for a terminal or a printout."""
    from rich.console import Console
    from rich.table import Table as RichTable

    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(title(label, report))
    for table in report.tables:
        shown_table = RichTable(
            title=label(f"report.table_{table.key}"), title_justify="left", expand=False
        )
        for i, column in enumerate(table.columns):
            numeric = i > 0 and column != "name"
            shown_table.add_column(heading(label, column), justify="right" if numeric else "left")
        for row in table.rows:
            cells = zip(table.columns, row, strict=True)
            shown_table.add_row(*(shown(label, table, c, v) for c, v in cells))
        if not table.rows:
            shown_table.add_row(label("report.none"), *([""] * (len(table.columns) - 1)))
        console.print()
        console.print(shown_table)
    return console.export_text()


def as_csv(report: Report) -> str:
    """One value a row: period, table, key, name, measure, value (raw: seconds, shares)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["hall", "period", "table", "key", "name", "measure", "value"])
    period = report.period.label()
    for table in report.tables:
        named = "name" in table.columns
        for row in table.rows:
            values = dict(zip(table.columns, row, strict=True))
            key = row[0]
            for column in table.columns[1:]:
                if column == "name":
                    continue
                value = values[column]
                writer.writerow(
                    [
                        report.hall,
                        period,
                        table.key,
                        key,
                        values["name"] if named else "",
                        column,
                        "" if value is None else value,
                    ]
                )
    return out.getvalue()


def _sheet_title(words: str, taken: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\, unique in the book.
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in words)[:31]
    name, n = clean, 2
    while name in taken:
        name = f"{clean[:28]}({n})"
        n += 1
    taken.add(name)
    return name


def write_xlsx(report: Report, label: Label, path: Path) -> None:
    """The report as a workbook: a cover sheet, then a sheet per table, with charts of the
    arrivals and waits per hour and of the ratings by level."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    book = Workbook()
    cover = book.active
    assert cover is not None
    taken: set[str] = set()
    cover.title = _sheet_title(label("report.sheet_cover"), taken)
    cover.append([title(label, report)])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append([label("report.col_period"), report.period.label()])
    cover.append([label("report.col_start"), report.period.start.isoformat()])
    cover.append([label("report.col_end"), report.period.last.isoformat()])
    cover.column_dimensions["A"].width = 24
    cover.column_dimensions["B"].width = 40
    for table in report.tables:
        sheet = book.create_sheet(_sheet_title(label(f"report.table_{table.key}"), taken))
        sheet.append([heading(label, c) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            cells = zip(table.columns, row, strict=True)
            sheet.append([_cell(label, table, c, v) for c, v in cells])
        for i, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=i).column_letter
            sheet.column_dimensions[letter].width = max(10, len(heading(label, column)) * 2)
            for cells in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                for cell in cells:
                    if is_duration(column):
                        cell.number_format = "0.0"
                    elif is_share(column):
                        cell.number_format = "0.0%"
        sheet.freeze_panes = "B2"
        count = len(table.rows)
        if table.key == "hour_tickets" and count:
            arrivals = BarChart()
            arrivals.title = label("report.chart_hours")
            arrivals.y_axis.title = label("report.col_issued")
            at = table.columns.index("issued") + 1
            arrivals.add_data(
                Reference(sheet, min_col=at, max_col=at + 1, min_row=1, max_row=count + 1),
                titles_from_data=True,
            )
            hours = Reference(sheet, min_col=1, min_row=2, max_row=count + 1)
            arrivals.set_categories(hours)
            waits = LineChart()
            w = table.columns.index("wait_p50") + 1
            waits.add_data(
                Reference(sheet, min_col=w, max_col=w, min_row=1, max_row=count + 1),
                titles_from_data=True,
            )
            waits.y_axis.axId = 200
            waits.y_axis.title = heading(label, "wait_p50")
            waits.y_axis.crosses = "max"
            arrivals += waits
            sheet.add_chart(arrivals, f"{_letter(len(table.columns) + 2)}2")
        if table.key == "rating_levels" and count:
            levels = BarChart()
            levels.title = label("report.chart_levels")
            levels.add_data(
                Reference(sheet, min_col=2, min_row=1, max_row=count + 1), titles_from_data=True
            )
            levels.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=count + 1))
            sheet.add_chart(levels, "D2")
    book.save(path)


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(column))


def _cell(label: Label, table: Table, column: str, value: Any) -> Any:
    if value is None:
        return None
    if is_duration(column):
        return minutes(value)
    if table.key == "rating_levels" and column == "level":
        return label(f"rating.{value}")
    if value == "*" and column == "item":
        return label("report.all_cases")
    if table.key == "follow_ups" and column == "status":
        return label(f"follow_ups.status_{value}")
    return value


def default_name(report: Report, fmt: str) -> str:
    """report-day-2026-11-23.xlsx, report-week-2026-11-23.csv, report-month-2026-11.txt."""
    kind = report.period.kind.value
    start = report.period.label() if kind == "month" else report.period.start.isoformat()
    return f"report-{kind}-{start}.{fmt}"


def write_report(report: Report, label: Label, fmt: str, path: Path) -> Path:
    """Write the report in `fmt` to `path` (a folder: under its default name); the file."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if path.is_dir():
        path = path / default_name(report, fmt)
    if fmt == "xlsx":
        write_xlsx(report, label, path)
    elif fmt == "csv":
        path.write_text(as_csv(report), encoding="utf-8", newline="")
    else:
        path.write_text(as_text(report, label), encoding="utf-8")
    return path
