"""One handoff, for its department's approver: the applicant (masked; `Ctrl+R` reveals, and
the platform records it), the items, the one form, each material with its state; then the
decision: approve with the result, return for supplement (the clock stops), or reject."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.i18n import Messages
from clerk_console.tui.screens.staff import StaffScreen
from clerk_console.tui.widgets.keys import ConsoleFooter
from clerk_console.tui.widgets.prompts import TextModal, ask_result


class HandoffScreen(StaffScreen):
    """Read a handoff and decide it."""

    BINDINGS = [
        Binding("a", "approve", "key.approve"),
        Binding("s", "send_back", "key.send_back"),
        Binding("j", "reject", "key.reject_handoff"),
        Binding("e", "export", "key.export_file", show=False),
        Binding("ctrl+r", "reveal", "key.reveal", show=False),
        Binding("escape", "close", "key.back_to_inbox"),
    ]

    MESSAGE_ID = "#handoff-message"

    def __init__(self, t: Messages, handoff_id: int) -> None:
        super().__init__(t)
        self.handoff_id = handoff_id
        self.detail: dict[str, Any] | None = None
        self.revealed = False
        self.files: list[dict[str, Any]] = []  # every attachment, numbered as shown

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="handoff"):
            yield Static("", id="handoff-head")
            yield Static("", id="handoff-applicant")
            yield Static("", id="handoff-materials")
            yield Static("", id="handoff-form")
        yield Static("", id="handoff-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        login = self.console.client.login_info if self.console.client else None
        self.title = self.t("title.approver")  # not the counter's name
        self.place(self.department_name(login.department if login else None))
        self.load()

    @work(exclusive=True, group="handoff")
    async def load(self) -> None:
        try:
            self.detail = await self.client.handoff(self.handoff_id, reveal=self.revealed)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        self._show(self.detail)
        self.refresh_bindings()

    def _show(self, d: dict[str, Any]) -> None:
        t = self.t
        head = [
            t("handoff.case", number=d["case_number"], department=d["department_name"]),
            t("handoff.items", items=t.join(i["name"] for i in d["items"])),
            t(
                "handoff.state",
                status=t(f"handoff_status.{d['status']}"),
                due=d["due_on"] or "—",
                state=t(f"time_state.{d['time_state']}") if d["time_state"] else "",
            ),
        ]
        if d["returned"]:
            head.append(t("handoff.returned", reason=d["returned"].get("reason", "")))
        results = list((d.get("result") or {}).values())  # each item's result
        result = results[0] if results else {}
        if d["status"] == "approved" and result:
            head.append(
                t(
                    "handoff.result_line",
                    name=result.get("name", ""),
                    number=result.get("number", "") or "—",
                    by=d.get("decided_by", ""),
                )
            )
        if d["status"] == "rejected":
            head.append(t("handoff.rejected_line", reason=d.get("reason", "")))
        if d["reminded"]:
            head.append(t("handoff.reminded"))
        self.query_one("#handoff-head", Static).update("\n".join(head))
        a = d["applicant"]
        who = [
            a.get("name", ""),
            a.get("credit_code") or a.get("id_number", ""),
            a.get("mobile", ""),
        ]
        self.query_one("#handoff-applicant", Static).update(
            t(
                "handoff.applicant_revealed" if self.revealed else "handoff.applicant",
                who="  ".join(x for x in who if x),
            )
        )
        materials = Table(title=t("handoff.materials_title"), title_justify="left", expand=True)
        materials.add_column("#", width=3)
        materials.add_column(t("handoff.col_material"))
        materials.add_column(t("handoff.col_state"))
        materials.add_column(t("handoff.col_files"))
        self.files = []
        for n, m in enumerate(d["materials"], start=1):
            state = self._material_state(m["record"])
            style = "bold red" if m["code"] in d["blocking"] else ""
            shown = []
            for f in m["files"]:
                self.files.append(f)
                size = f"{f['size'] / 1024:.0f} KB"
                pages = t("handoff.pages", n=f["pages"]) if f["pages"] else ""
                shown.append(f"[{len(self.files)}] {f['file_name']} {pages} {size}".strip())
            materials.add_row(str(n), m["name"], Text(state, style=style), "\n".join(shown))
        self.query_one("#handoff-materials", Static).update(materials)
        form = Table(title=t("handoff.form_title"), title_justify="left", expand=True)
        form.add_column(t("handoff.col_field"))
        form.add_column(t("handoff.col_value"))
        for field in d["form"]:
            form.add_row(field["label"], field["value"])
        self.query_one("#handoff-form", Static).update(form)
        if d["blocking"]:
            names = t.join(m["name"] for m in d["materials"] if m["code"] in d["blocking"])
            self._say(t("handoff.blocking", materials=names), error=True)

    def _material_state(self, record: dict[str, Any]) -> str:
        t = self.t
        if record.get("marked_missing"):
            return t("handoff.missing")
        if record.get("deferred_until"):
            return t("handoff.deferred", day=record["deferred_until"])
        if record.get("verified_by_sharing"):
            return t("handoff.shared")
        parts = []
        if record.get("original") == "verified":
            parts.append(t("handoff.original_verified"))
        elif record.get("original") == "collected":
            parts.append(t("handoff.original_collected"))
        if record.get("copies"):
            parts.append(t("handoff.copies", n=record["copies"]))
        if record.get("scans"):
            parts.append(t("handoff.scans", n=record["scans"]))
        if record.get("not_applicable"):
            parts.append(t("handoff.not_applicable"))
        return t.join(parts) or t("handoff.not_recorded")

    def action_export(self) -> None:
        """Save an attachment to a folder, to open it with the desktop's viewer."""
        t = self.t
        if not self.files:
            self._say(t("handoff.no_files"), error=True)
            return

        def folder_given(folder: str | None, file: dict[str, Any]) -> None:
            if folder:
                self.export(file, Path(folder).expanduser())

        def chosen(number: str | None) -> None:
            if not number:
                return
            try:
                file = self.files[int(number) - 1]
            except (ValueError, IndexError):
                self._say(t("handoff.bad_numbers", value=number), error=True)
                return
            default = str(Path.home() / "clerk-exports")
            self.app.push_screen(
                TextModal(t, t("handoff.ask_folder"), value=default),
                lambda folder: folder_given(folder, file),
            )

        self.app.push_screen(TextModal(t, t("handoff.ask_file"), value="1"), chosen)

    @work(exclusive=True, group="handoff-export")
    async def export(self, file: dict[str, Any], folder: Path) -> None:
        assert self.detail is not None
        try:
            content = await self.client.download_file(self.detail["case_number"], file["sha256"])
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        target = folder / Path(file["file_name"]).name  # never outside the chosen folder
        try:
            await asyncio.to_thread(_write, target, content)
        except OSError as exc:
            self._say(
                self.t("handoff.export_failed", path=str(target), reason=str(exc)), error=True
            )
            return
        self._say(self.t("handoff.exported", path=str(target)))

    def action_reveal(self) -> None:
        self.revealed = not self.revealed
        self.load()

    def action_close(self) -> None:
        self.app.pop_screen()

    # --- decisions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "send_back", "reject"):
            # Only a handoff in the department's hands is decided (not one waiting for
            # another result, sent back, or decided already): greyed, not offered.
            return self.detail is not None and self.detail["status"] == "open"
        return True

    def action_approve(self) -> None:
        if self.detail is None:
            return
        t = self.t
        default_name = self.detail["items"][0]["name"] if self.detail["items"] else ""
        ask_result(
            self.app,
            t,
            t("handoff.ask_result_name"),
            default_name,
            lambda answers: self.decide("approve", answers),
            on_bad_date=lambda day: self._say(t("handoff.bad_date", value=day), error=True),
        )

    def action_send_back(self) -> None:
        if self.detail is None:
            return
        t = self.t
        materials = self.detail["materials"]

        def reason_given(reason: str | None, picked: list[str]) -> None:
            if reason:
                self.decide("return", {"materials": picked, "reason": reason})

        def chosen(numbers: str | None) -> None:
            if not numbers:
                return
            try:
                picked = [
                    materials[int(n) - 1]["code"] for n in numbers.replace("，", ",").split(",")
                ]
            except (ValueError, IndexError):
                self._say(t("handoff.bad_numbers", value=numbers), error=True)
                return
            self.app.push_screen(
                TextModal(t, t("handoff.ask_return_reason")),
                lambda reason: reason_given(reason, picked),
            )

        self.app.push_screen(TextModal(t, t("handoff.ask_materials"), "1,3"), chosen)

    def action_reject(self) -> None:
        def given(reason: str | None) -> None:
            if reason:
                self.decide("reject", {"reason": reason})

        self.app.push_screen(TextModal(self.t, self.t("handoff.ask_reject_reason")), given)

    @work(exclusive=True, group="handoff-decide")
    async def decide(self, decision: str, body: dict[str, Any]) -> None:
        try:
            done = await self.client.decide_handoff(self.handoff_id, decision, body)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        self._say(self.t(f"handoff.done_{decision}", number=done["case_number"]))
        self.load()


def _write(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
