"""Step 3, the checklist (材料清单): one row per material, a key per state. Enter takes the
highlighted material as the checklist asks and moves on; `*` takes every material not yet
recorded as asked (a complete pile handed over at once)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from clerk_console.domain.catalog import OriginalRule
from clerk_console.domain.checklist import ChecklistEntry, merged_form
from clerk_console.domain.decision import (
    Assessment,
    EntryStatus,
    MaterialRecord,
    OriginalStatus,
)
from clerk_console.domain.intake import Step, form_value, prefill
from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.errors import explain
from clerk_console.tui.screens.intake.step import IntakeStep
from clerk_console.tui.widgets.fields import show_text
from clerk_console.tui.widgets.prompts import ChoiceModal, TextModal
from clerk_console.tui.widgets.table import SteadyTable

DEFAULT_DEFERRAL_DAYS = 7
COLUMNS = ("material", "state", "received", "asked", "items")
"""In this order so that on 80 columns what matters is in sight: the material, its state
and what was received; the items it serves come last, and only where there is room."""
WIDE = 110
"""From this many columns the table shows the items each material serves."""
STATUS_STYLE = {
    EntryStatus.MISSING: "red",
    EntryStatus.INSUFFICIENT: "yellow",
    EntryStatus.DEFERRED: "magenta",
}


def as_required(record: MaterialRecord, entry: ChecklistEntry) -> MaterialRecord:
    """The material handed over as the checklist asks: the original seen or kept, the
    copies, a scan where nothing else is asked."""
    status = {
        OriginalRule.COLLECT: OriginalStatus.COLLECTED,
        OriginalRule.VERIFY: OriginalStatus.VERIFIED,
        OriginalRule.NONE: record.original,
    }[entry.original]
    scans = record.scans or (1 if entry.original is OriginalRule.NONE and not entry.copies else 0)
    return replace(
        record.with_original(status).with_copies(max(record.copies, entry.copies)),
        scans=scans,
        deferred_until=None,
    )


class ChecklistStep(IntakeStep):
    """The materials, their states, and the keys that change them."""

    STEP = Step.CHECKLIST
    BINDINGS = [
        Binding("asterisk", "all_as_required", "key.all_as_required", key_display="*"),
        Binding("m", "missing", "key.missing"),
        Binding("d", "defer", "key.defer"),
        Binding("v", "share", "key.share", show=False),
        Binding("o", "original", "key.original", show=False),
        Binding("k", "collect", "key.collect", show=False),
        Binding("c", "copy", "key.copy", show=False),
        Binding("minus", "uncopy", "key.uncopy", key_display="-", show=False),
        Binding("a", "from_inbox", "key.from_inbox", show=False),
        Binding("n", "not_applicable", "key.not_applicable", show=False),
    ]

    KEY_NOTES = (("Enter", "keys.note_as_required"), ("↑↓", "keys.note_materials"))

    def compose(self) -> ComposeResult:
        yield SteadyTable(id="intake-checklist", cursor_type="row", zebra_stripes=True)
        yield Static("", id="intake-completeness")

    _widths: dict[str, int] = {}

    def on_resize(self) -> None:
        widths = self._column_widths(self.size.width)
        if widths == self._widths:
            return
        self._widths = widths
        table = self.query_one("#intake-checklist", DataTable)
        table.clear(columns=True)
        for column, width in widths.items():
            table.add_column(self.t(f"intake.col_{column}"), key=column, width=width)
        self.refresh_from_draft()

    def _column_widths(self, total: int) -> dict[str, int]:
        """Each column's width for a table `total` columns wide: headings never cut
        ("Original" was "Origin"), the material's name and what was received sharing what
        is left, the items only from WIDE columns."""
        heading = {c: cell_len(self.t(f"intake.col_{c}")) for c in COLUMNS}
        state = max(
            8, heading["state"], *(cell_len(self.t(f"status.{s.value}")) for s in EntryStatus)
        )
        asked = max(cell_len(self._asked(o, 9)) for o in OriginalRule)
        widths = {"state": state, "asked": max(heading["asked"], asked)}
        shown = COLUMNS if total >= WIDE else COLUMNS[:-1]
        room = total - sum(widths.values()) - 2 * len(shown) - 2  # cell padding, scroll bar
        if "items" in shown:
            widths["items"] = max(heading["items"], room // 4)
            room -= widths["items"]
        widths["material"] = max(heading["material"], room * 5 // 9)
        widths["received"] = max(heading["received"], room - widths["material"])
        return {c: widths[c] for c in shown}

    def show(self) -> None:
        self.refresh_from_draft()
        self.screen.set_focus(self.query_one("#intake-checklist", DataTable))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.host.decision is None  # a decided intake is no longer changed

    # --- showing -----------------------------------------------------------------------

    def refresh_from_draft(self) -> None:
        assessment = self.host.assessment()
        table = self.query_one("#intake-checklist", DataTable)
        if assessment is None:
            table.clear()
            show_text(self.query_one("#intake-completeness", Static), "")
            return
        if not self._widths:
            return  # no columns before the first size is known (on_resize makes them)
        rows = [self._cells(a) for a in assessment.entries]
        keys = [a.entry.material.code for a in assessment.entries]
        shown = [str(k.value) for k in table.rows]
        if shown == keys:
            # The same materials: only the cells that changed are redrawn (a key's work).
            for key, cells in zip(keys, rows, strict=True):
                old = table.get_row(key)
                for column, before, after in zip(self._widths, old, cells, strict=True):
                    style = getattr(before, "style", None), getattr(after, "style", None)
                    if str(before) != str(after) or style[0] != style[1]:
                        table.update_cell(key, column, after)
        else:
            row = table.cursor_row
            table.clear()
            for key, cells in zip(keys, rows, strict=True):
                table.add_row(*cells, key=key)
            if table.row_count:
                table.move_cursor(row=min(row, table.row_count - 1))
        self._show_completeness(assessment)

    def _cells(self, a: Any) -> tuple[Any, ...]:
        entry, record = a.entry, a.record
        state = Text(self.t(f"status.{a.status.value}"), style=STATUS_STYLE.get(a.status, "green"))
        cells = (
            entry.material.name + ("" if entry.required else self.t("intake.optional")),
            state,
            self._received(record),
            self._asked(entry.original, entry.copies),
            self.t.join(self.catalog.items[i].name for i in entry.items),
        )
        return tuple(self._fit(c, w) for c, w in zip(cells, self._widths.values(), strict=False))

    def _asked(self, original: OriginalRule, copies: int) -> str:
        """What the checklist asks of a material in one cell (fewer cells to draw: a step
        change redraws every cell of the table): the original, and the copies."""
        parts = [] if original is OriginalRule.NONE else [self.t(f"original.{original.value}")]
        if copies:
            parts.append(self.t("intake.asked_copies", n=copies))
        return " ".join(parts) or "—"

    @staticmethod
    def _fit(cell: str | Text, width: int) -> str | Text:
        """A cell cut to its column with an ellipsis, so a cut name shows that it is cut."""
        text = cell if isinstance(cell, Text) else Text(cell)
        if text.cell_len <= width:
            return cell
        text = text.copy()
        text.truncate(width, overflow="ellipsis")
        return text

    def _show_completeness(self, assessment: Assessment) -> None:
        blocking = [a.entry.material.name for a in assessment.blocking]
        done = self.t(
            "intake.completeness", done=assessment.complete_count, total=len(assessment.entries)
        )
        # A few names and a count: the table above shows them all, and rows are scarce.
        named = self.t.join(blocking[:3])
        if len(blocking) > 3:
            named = self.t("intake.and_more", names=named, n=len(blocking))
        still = self.t("intake.still_missing", materials=named) if blocking else ""
        show_text(
            self.query_one("#intake-completeness", Static),
            Text(f"{done}  {still}", style="bold red" if blocking else "bold green"),
        )

    def _received(self, record: MaterialRecord) -> str:
        t = self.t
        parts = []
        if record.original is not OriginalStatus.NONE:
            parts.append(t(f"intake.original_{record.original.value}"))
        if record.copies:
            parts.append(t("intake.copies_n", n=record.copies))
        if record.scans:
            parts.append(t("intake.scans_n", n=record.scans))
        if record.verified_by_sharing:
            parts.append(t("status.verified_by_sharing"))
        if record.deferred_until:
            parts.append(t("intake.deferred_until", day=record.deferred_until.isoformat()))
        if record.marked_missing:
            parts.append(t("status.missing"))
        if record.not_applicable:
            parts.append(t("status.not_applicable"))
        return t.join(parts) or "—"

    # --- the highlighted material --------------------------------------------------------

    def registry_name(self, code: str) -> str:
        registry = self.catalog.registries.get(code)
        return registry.name if registry else code

    def current_material(self) -> str | None:
        """The code of the highlighted material, if any."""
        table = self.query_one("#intake-checklist", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def _entry(self, code: str) -> ChecklistEntry | None:
        checklist = self.host.checklist()
        return checklist.entry(code) if checklist else None

    def _change(self, what: str, change: Any, advance: bool = False) -> None:
        """Apply `change` (record, entry → record) to the highlighted material and save."""
        code = self.current_material()
        entry = self._entry(code) if code else None
        if code is None or entry is None:
            return
        try:
            record = change(self.intake.record(code), entry)
        except ValueError as exc:
            self.say(str(exc), error=True)
            return
        self.change(
            self.intake.with_record(code, record), "intake.material", material=code, change=what
        )
        self.refresh_from_draft()
        if advance:
            self.query_one("#intake-checklist", DataTable).action_cursor_down()

    @on(DataTable.RowSelected, "#intake-checklist")
    def _row_entered(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.host.decision is None:
            self._change("as_required", as_required, advance=True)

    def action_all_as_required(self) -> None:
        """*: every material not yet recorded, handed over as asked."""
        checklist = self.host.checklist()
        if checklist is None:
            return
        intake, taken = self.intake, []
        for entry in checklist.entries:
            if entry.material.code not in intake.records:
                intake = intake.with_record(
                    entry.material.code, as_required(MaterialRecord(), entry)
                )
                taken.append(entry.material.code)
        if not taken:
            self.say(self.t("intake.nothing_left_to_take"))
            return
        self.change(intake, "intake.material", materials=taken, change="as_required")
        self.refresh_from_draft()
        self.say(self.t("intake.all_taken", n=len(taken)))

    def action_original(self) -> None:
        self._change("original", lambda r, e: r.with_original(OriginalStatus.VERIFIED))

    def action_collect(self) -> None:
        self._change("collect", lambda r, e: r.with_original(OriginalStatus.COLLECTED))

    def action_copy(self) -> None:
        self._change("copy", lambda r, e: r.with_copies(r.copies + 1))

    def action_uncopy(self) -> None:
        self._change("uncopy", lambda r, e: r.with_copies(max(0, r.copies - 1)))

    def action_missing(self) -> None:
        self._change("missing", lambda r, e: r.missing())

    def action_not_applicable(self) -> None:
        def not_applicable(record: MaterialRecord, entry: ChecklistEntry) -> MaterialRecord:
            if entry.required:
                raise ValueError(self.t("intake.required_material"))
            return MaterialRecord(not_applicable=True, scans=record.scans)

        self._change("not_applicable", not_applicable)

    def action_defer(self) -> None:
        code = self.current_material()
        entry = self._entry(code) if code else None
        if code is None or entry is None:
            return
        if not entry.deferrable:
            self.say(self.t("problem.not_deferrable", materials=entry.material.name), True)
            return

        longest = self.host.console.settings.intake.max_deferral_days

        def typed(answer: str | None) -> None:
            if answer is None:
                return
            days = answer or str(min(DEFAULT_DEFERRAL_DAYS, longest))
            # The hall's limit is said now, not first at the decision.
            if not days.isdigit() or not 1 <= int(days) <= longest:
                self.say(self.t("intake.bad_days", answer=answer, longest=longest), error=True)
                return
            until = datetime.now(UTC).date() + timedelta(days=int(days))
            self._change("defer", lambda r, e: r.deferred(until))

        title = self.t("intake.ask_deferral", material=entry.material.name, longest=longest)
        default = str(min(DEFAULT_DEFERRAL_DAYS, longest))
        self.app.push_screen(TextModal(self.t, title, default), typed)

    # --- verified by sharing ----------------------------------------------------------------

    def action_share(self) -> None:
        """v: ask the registry that holds the highlighted material instead of the paper."""
        code = self.current_material()
        entry = self._entry(code) if code else None
        if code is None or entry is None:
            return
        registry = entry.material.shareable
        if not registry:
            self.say(self.t("intake.not_shareable", material=entry.material.name), True)
            return
        # The applicant's own number is a fair guess for a person's or a company's papers;
        # for a birth certificate or a property title it would only give "no record".
        applicant = self.intake.applicant
        guess = {"HUJI": applicant.id_number, "BIZREG": applicant.credit_code}.get(registry, "")

        def typed(key: str | None) -> None:
            if key:
                self.look_up(code, registry, key)

        title = self.t("intake.ask_registry_key", material=entry.material.name)
        self.app.push_screen(TextModal(self.t, title, value=guess), typed)

    def scanned_licence(self, registry: str, key: str) -> None:
        """An e-licence scanned: it verifies the first material its registry holds."""
        checklist = self.host.checklist()
        entry = next(
            (
                e
                for e in (checklist.entries if checklist else ())
                if e.material.shareable == registry
                and not self.intake.record(e.material.code).verified_by_sharing
            ),
            None,
        )
        if entry is None:
            name = (
                self.catalog.registries[registry].name
                if registry in self.catalog.registries
                else registry
            )
            self.say(self.t("scan.licence_not_needed", registry=name), error=True)
            return
        self.look_up(entry.material.code, registry, key)

    @work(group="registry")
    async def look_up(self, material: str, registry: str, key: str) -> None:
        client = self.host.console.client
        try:
            if client is None:
                raise PlatformUnreachable(self.host.console.platform_error or "no platform")
            record = await client.registry_record(registry, key)
        except PlatformRefused as exc:
            if exc.code == "no_record":
                self.say(self.t("intake.no_record", code=key), error=True)
            else:
                self.say(explain(self.t, exc), error=True)
            return
        except PlatformUnreachable as exc:
            self.say(explain(self.t, exc), error=True)
            return
        verified = replace(self.intake.record(material), verified_by_sharing=True)
        fields = {str(k): str(v) for k, v in dict(record.get("fields") or {}).items()}
        before = self.intake
        intake = before.with_record(material, verified)
        intake = replace(intake, shared={**intake.shared, material: fields})
        self.change(intake, "intake.shared", material=material, registry=registry)
        # What the record gave the form: the fields of this application that were empty
        # and now hold a value from it (a value the clerk typed is never replaced).
        checklist = self.host.checklist()
        lines = merged_form(self.catalog, checklist.items) if checklist else []
        filled = [
            line.field.label
            for line in lines
            if line.asked
            and not form_value(line.field, before).strip()
            and prefill(line.field, intake)[1].startswith(f"{material}.")
        ]
        name = (
            self.catalog.registries[registry].name
            if registry in self.catalog.registries
            else registry
        )
        if filled:
            self.say(self.t("intake.shared_ok", registry=name, fields=self.t.join(filled)))
        else:
            self.say(self.t("intake.shared_ok_nothing", registry=name))
        self.refresh_from_draft()

    # --- scans ----------------------------------------------------------------------------

    def scanned(self, material: str) -> None:
        """A scan was attached to `material` (the store counted it with the file)."""
        record = replace(self.intake.record(material), marked_missing=False)
        record = replace(record, scans=record.scans + 1)
        self.host.adopt(self.intake.with_record(material, record))
        self.refresh_from_draft()

    def action_from_inbox(self) -> None:
        """a: a scan that came with no intake open, attached to the highlighted material."""
        self.choose_from_inbox()

    @work(group="inbox")
    async def choose_from_inbox(self) -> None:
        material = self.current_material()
        if material is None:
            return
        store = self.host.store
        waiting = await asyncio.to_thread(store.inbox)
        if not waiting:
            self.say(self.t("intake.inbox_empty"))
            return
        choices = [
            (
                str(a.id),
                self.t("intake.inbox_file", file=a.file_name, pages=a.pages or "-", size=a.size),
            )
            for a in waiting
        ]
        name = self.catalog.materials[material].name
        title = self.t("intake.ask_inbox", material=name)

        def chosen(attachment: str | None) -> None:
            if attachment:
                self.assign(int(attachment), material)

        self.app.push_screen(ChoiceModal(self.t, title, choices), chosen)

    @work(group="inbox")
    async def assign(self, attachment: int, material: str) -> None:
        await self.host.saved()  # the draft is in the store before a file is attached to it
        intake = self.intake
        await asyncio.to_thread(
            self.host.store.assign_attachment, attachment, intake.key, material, intake.clerk
        )
        self.scanned(material)
        self.say(self.t("intake.inbox_assigned", material=self.catalog.materials[material].name))
