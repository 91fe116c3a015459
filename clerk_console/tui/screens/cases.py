"""Cases at the counter (查件与出件): find a case by its number, a scanned receipt QR, an ID
number or a mobile; see where each handoff stands; take in what a department sent back for
(or a deferred material); list the ready cases and hand one out (pickup after an ID check,
or mail) with its pickup slip printed and what the applicant may need next."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any
from uuid import uuid4

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Header, Input, Static
from textual.worker import get_current_worker

from clerk_console.devices.hotfolder import POLL_SECONDS, Outcome, hot_folder_from
from clerk_console.devices.spool import route
from clerk_console.domain.documents import pickup_slip
from clerk_console.domain.intake import reopened
from clerk_console.domain.rating import Level
from clerk_console.domain.scan import CodeKind
from clerk_console.faults import redact
from clerk_console.sync.client import PlatformRefused, PlatformUnreachable
from clerk_console.tui.i18n import Messages
from clerk_console.tui.scanner import Scanned
from clerk_console.tui.screens.staff import StaffScreen
from clerk_console.tui.widgets.handoff_cells import handoff_cells
from clerk_console.tui.widgets.keys import ConsoleFooter
from clerk_console.tui.widgets.printer_status import PrinterStatus
from clerk_console.tui.widgets.prompts import ChoiceModal, TextModal, ask_result

RECEIVED: dict[str, dict[str, Any]] = {  # how a supplemented material was received
    "original_and_copy": {"original": "verified", "copies": 1},
    "original_kept": {"original": "collected"},
    "copy": {"copies": 1},
}


class CasesScreen(StaffScreen):
    """Find, supplement and hand out cases."""

    BINDINGS = [
        Binding("f5", "ready", "key.ready_cases"),
        Binding("f7", "deferrals", "key.deferrals"),
        Binding("u", "supplement", "key.supplement"),
        Binding("d", "deliver", "key.deliver"),
        Binding("j", "instant", "key.instant"),
        Binding("v", "phone_rating", "key.phone_rating", show=False),
        Binding("slash", "search", "key.search_again", key_display="/"),
        Binding("escape", "close", "key.back_to_counter"),
    ]

    MESSAGE_ID = "#cases-message"
    NARROW = 150  # the list and the detail side by side only on a wide terminal

    def __init__(self, t: Messages, ticket: str | None = None, find: str | None = None) -> None:
        """`ticket`: the ticket at hand at the counter (a supplement notice taken up again is
        its intake); `find`: a case to look up at once (a receipt or notice scanned)."""
        super().__init__(t)
        self.cases: list[dict[str, Any]] = []
        self.ticket, self.first_find = ticket, find

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Input(placeholder=self.t("cases.search_placeholder"), id="cases-query")
        with Horizontal(id="cases-body"):
            yield DataTable(id="cases-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="case-detail-box"):
                yield Static("", id="case-detail")
        yield PrinterStatus(self.t, id="printer-status")
        yield Static(self.t("cases.hint"), id="cases-message")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        login = self.console.client.login_info if self.console.client else None
        counter = login.counter if login else None
        self.place(self.t("place.counter", counter=counter) if counter else "")
        table = self.query_one(DataTable)
        for key in ("number", "applicant", "progress", "received"):
            table.add_column(self.t(f"cases.col_{key}"), key=key)
        self.query_one(Input).focus()
        if self.console.settings.intake.hot_folder and self.console.store is not None:
            self.watch_hot_folder()
        if self.first_find:
            self.query_one(Input).value = self.first_find
            self.find(self.first_find)

    @work(thread=True, exclusive=True, group="hot-folder")
    def watch_hot_folder(self) -> None:
        """Scans made for a supplement wait in the inbox until `u` attaches them."""
        settings, store = self.console.settings, self.console.store
        assert store is not None
        folder = hot_folder_from(settings, store)
        worker = get_current_worker()
        while not worker.is_cancelled:
            for taken in folder.poll(None):
                if taken.outcome is Outcome.REFUSED:
                    words = self.t(f"intake.scan_refused_{taken.reason}", file=taken.name)
                    self.app.call_from_thread(self._say, words, True)
                else:
                    words = self.t("cases.scan_waiting", file=taken.name)
                    self.app.call_from_thread(self._say, words)
            time.sleep(POLL_SECONDS)

    # --- finding ------------------------------------------------------------------------

    @on(Input.Submitted, "#cases-query")
    def _search(self, event: Input.Submitted) -> None:
        text = event.value.strip().rsplit("case=", 1)[-1]  # a receipt's QR holds the address
        if text:
            self.find(text)

    def on_scanned(self, message: Scanned) -> None:
        """A receipt's QR or a case number scanned: that case."""
        if message.code.kind is CodeKind.CASE:
            self.find(message.code.value)

    @work(exclusive=True, group="cases")
    async def find(self, query: str, announce: bool = True) -> None:
        try:
            found = await self.client.find_cases(query)
        except PlatformRefused as exc:
            self._failed(exc)
            return
        except PlatformUnreachable as exc:
            await self._find_here(query, exc)
            return
        # What was searched for is said back masked: an ID number typed is not left on screen.
        said = self.t("cases.found", n=len(found), query=redact(query)) if announce else ""
        self._show(found, said)

    async def _find_here(self, query: str, exc: PlatformUnreachable) -> None:
        """The platform away: this console's own cases, as the platform last showed them."""
        store = self.console.store
        found = await asyncio.to_thread(store.find_local_cases, query) if store else []
        if not found:
            self._failed(exc)
            return
        moments = [datetime.fromisoformat(c["as_of"]) for c in found if c.get("as_of")]
        as_of = max(moments).astimezone().strftime("%m-%d %H:%M") if moments else "—"
        said = self.t("cases.found_offline", n=len(found), query=redact(query), at=as_of)
        self._show(found, said)
        self._say(said, error=True)

    def action_ready(self) -> None:
        self.load_ready()

    @work(exclusive=True, group="cases")
    async def load_ready(self) -> None:
        try:
            ready = await self.client.ready_cases()
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        self._show(ready, self.t("cases.ready_list", n=len(ready)))

    def _show(self, cases: list[dict[str, Any]], message: str) -> None:
        self.cases = cases
        table = self.query_one(DataTable)
        table.clear()
        for case in cases:
            applicant = case["applicant"]
            table.add_row(
                case["number"],
                applicant["name"],
                self.t(f"progress.{case['progress'] or case['status']}"),
                datetime.fromisoformat(case["received_at"]).astimezone().strftime("%m-%d %H:%M"),
                key=case["number"],
            )
        if message:
            self._say(message)
        if cases:
            table.focus()
            self._detail(cases[0])
        else:
            self.query_one("#case-detail", Static).update("")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        case = self._selected()
        if case is not None:
            self._detail(case)

    def _selected(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        if not self.cases or not 0 <= table.cursor_row < len(self.cases):
            return None
        return self.cases[table.cursor_row]

    def _detail(self, case: dict[str, Any]) -> None:
        t = self.t
        table = Table(title=t("cases.detail_title", number=case["number"]), expand=True)
        for key in ("department", "items", "status", "due", "state"):
            table.add_column(t(f"cases.col_{key}"))
        for h in case["handoffs"]:
            table.add_row(h["department_name"], *handoff_cells(t, h))
        lines: list[Any] = [table]
        for h in case["handoffs"]:
            if h["status"] == "returned":
                asked = t.join(h["returned"]["names"])
                lines.append(
                    Text(
                        t(
                            "cases.asked",
                            department=h["department_name"],
                            materials=asked,
                            reason=h["returned"]["reason"],
                        ),
                        style="bold yellow",
                    )
                )
        waiting = [i["name"] for i in case.get("instant", []) if not i["decided"]]
        if waiting and case["status"] in ("accepted", "deferred"):
            lines.append(
                Text(t("cases.instant_waiting", items=t.join(waiting)), style="bold yellow")
            )
        if case.get("supplement"):
            lines.append(Text(t("cases.notice_heading"), style="bold yellow"))
            for line in case["supplement"]:
                lacks = t.join(t(f"shortfall.{s}") for s in line["shortfalls"])
                lines.append(Text(f"· {line['material']}（{lacks}）", style="yellow"))
            lines.append(Text(t("cases.take_up_hint"), style="bold"))
        for late in case.get("overdue_deferred", []):
            lines.append(Text(t("cases.deferred_overdue", **late), style="bold red"))
        if case["progress"] == "ready":
            lines.append(Text(t("cases.package"), style="bold"))
            for entry in case["package"]:
                lines.append(Text("· " + self._result_line(entry)))
        if case["delivery"]:
            lines.append(Text(t("cases.delivered", **self._delivery_words(case["delivery"]))))
        from rich.console import Group

        self.query_one("#case-detail", Static).update(Group(*lines))

    def _result_line(self, entry: dict[str, Any]) -> str:
        result = entry["result"]
        if entry["status"] == "approved" and result:
            number = f" {result['number']}" if result.get("number") else ""
            return f"{entry['name']}：{result['name']}{number}"
        return f"{entry['name']}：{self.t('handoff_status.' + entry['status'])} {entry['reason']}"

    def _delivery_words(self, delivery: dict[str, Any]) -> dict[str, str]:
        how = self.t(f"cases.how_{delivery['how']}")
        if delivery["how"] == "mail":
            how += f" {delivery.get('carrier', '')} {delivery.get('tracking', '')}"
        return {"how": how, "recipient": delivery["recipient"]}

    # --- supplement ---------------------------------------------------------------------

    @work(exclusive=True, group="cases-supplement")
    async def action_supplement(self) -> None:
        """Take in what the departments sent back for, one material at a time, each with a
        scan from the inbox if there is one."""
        store = self.console.store
        case = self._selected()
        if case is None:
            return
        if case["status"] == "supplement":
            await self.take_up(case["number"])
            return
        inbox = await asyncio.to_thread(store.inbox) if store is not None else []
        asked: list[str] = []
        names: dict[str, str] = {}
        for h in case["handoffs"]:
            if h["status"] == "returned":
                names.update(zip(h["returned"]["materials"], h["returned"]["names"], strict=True))
                asked += [m for m in h["returned"]["materials"] if m not in asked]
        if not asked:
            self._say(self.t("cases.nothing_asked"), error=True)
            return
        received: dict[str, dict[str, Any]] = {}
        scans: dict[int, str] = {}  # inbox attachment → the material it shows
        t = self.t
        choices = [(key, t(f"cases.received_{key}")) for key in RECEIVED]
        choices.append(("not_brought", t("cases.received_not_brought")))

        def ask(index: int) -> None:
            if index == len(asked):
                if received:
                    self.send_supplement(case["number"], received, scans)
                else:
                    self._say(t("cases.nothing_received"), error=True)
                return

            def answered(choice: str | None) -> None:
                if choice is None:
                    return  # Esc: nothing is sent
                if choice not in RECEIVED:
                    ask(index + 1)
                    return
                received[asked[index]] = dict(RECEIVED[choice])
                waiting = [a for a in inbox if a.id not in scans]
                if not waiting:
                    ask(index + 1)
                    return

                def scanned(attachment: str | None) -> None:
                    if attachment and attachment != "none":
                        scans[int(attachment)] = asked[index]
                        received[asked[index]]["scans"] = 1
                    ask(index + 1)

                files = [
                    (
                        str(a.id),
                        t("intake.inbox_file", file=a.file_name, pages=a.pages or "-", size=a.size),
                    )
                    for a in waiting
                ]
                files.append(("none", t("cases.no_scan")))
                title = t("cases.ask_scan", material=names[asked[index]])
                self.app.push_screen(ChoiceModal(t, title, files), scanned)

            title = t("cases.ask_received", material=names[asked[index]])
            self.app.push_screen(ChoiceModal(t, title, choices), answered)

        ask(0)

    async def take_up(self, number: str) -> None:
        """The applicant is back with what the one-time notice asked for: the case opens as
        an intake with everything recorded then, at its checklist, under the same number
        (an intake already taking it up reopens where it stopped)."""
        from clerk_console.tui.screens.intake import IntakeScreen

        store, login = self.console.store, self.client.login_info
        if store is None or self.console.catalog is None:
            self._say(self.t("counter.catalog_not_ready"), error=True)
            return
        if login is None or login.counter is None:
            self._say(self.t("cases.take_up_at_counter"), error=True)
            return
        counter, clerk = login.counter, login.username
        key = await asyncio.to_thread(store.draft_continuing, number)
        if key is not None:
            current = self.console.catalog.catalog
            where = (counter, self.ticket)
            screen = await IntakeScreen.reopen(self.t, store, current, where, key, clerk)
            if screen is not None:
                self.app.switch_screen(screen)  # in place of this one: Esc leads to the counter
                return
        try:
            # Taken up here, it needs the identifiers in full: a read the platform records.
            case = await self.client.case(number, reveal=True)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        if case["status"] != "supplement":
            self._say(self.t("cases.nothing_asked"), error=True)
            return
        key = f"{counter:03d}-{uuid4().hex[:12]}"
        intake = reopened(case, key, counter, clerk, self.ticket)
        # In place of this screen: Esc after the decision leads back to the counter, where
        # `f` finishes the ticket (as the decision's hint says).
        self.app.switch_screen(
            IntakeScreen(self.t, counter, self.ticket, intake, clerk=clerk, continued=True)
        )

    def on_screen_resume(self) -> None:
        """Back from an intake: the case as it stands now."""
        case = self._selected()
        if case is not None:
            self.find(case["number"], announce=False)

    async def _audit(self, action: str, number: str, detail: dict[str, Any]) -> None:
        """The counter's own trail (全程留痕) of what it did to a case, beside the platform's."""
        store, login = self.console.store, self.client.login_info
        if store is None or login is None:
            return
        await asyncio.to_thread(
            store.append_audit, login.username, action, number, detail, login.counter
        )

    async def _send_scans(self, number: str, scans: dict[int, str]) -> None:
        """Each chosen scan goes to the platform with the case, then leaves the inbox."""
        store, login = self.console.store, self.client.login_info
        assert store is not None and login is not None
        by_id = {a.id: a for a in await asyncio.to_thread(store.inbox)}
        for attachment_id, material in scans.items():
            file = by_id.get(attachment_id)
            blob = store.blob(file.sha256) if file else None
            if file is None or blob is None:
                continue
            content = await asyncio.to_thread(blob.read_bytes)
            meta = {
                "material": material,
                "file_name": file.file_name,
                "mime": file.mime,
                "pages": file.pages,
            }
            await self.client.upload_file(number, file.sha256, meta, content)
            await asyncio.to_thread(
                store.sent_from_inbox,
                attachment_id,
                number,
                material,
                login.username,
                login.counter or 0,
            )

    @work(exclusive=True, group="cases-action")
    async def send_supplement(
        self, number: str, received: dict[str, dict[str, Any]], scans: dict[int, str]
    ) -> None:
        try:
            await self._send_scans(number, scans)
            resumed = await self.client.supplement(number, received)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        await self._audit("case.supplemented", number, {"materials": sorted(received)})
        departments = self.t.join(h["department_name"] for h in resumed)
        self._say(self.t("cases.supplemented", number=number, departments=departments))
        self.find(number, announce=False)

    # --- delivery -----------------------------------------------------------------------

    def action_phone_rating(self) -> None:
        """v: record the rating the applicant of the chosen case gave by phone (好差评,
        one a case): the level, for a bad one a reason and what they said."""
        case = self._selected()
        if case is None:
            self._say(self.t("cases.none_chosen"), error=True)
            return
        t = self.t
        levels = [(level.code, t(f"rating.{level.code}")) for level in Level]

        def leveled(code: str | None) -> None:
            if code is None:
                return
            if Level.of(code).good:
                self.send_phone_rating(case["number"], code, [], "")
                return
            self.ask_reason(case["number"], code)

        title = t("cases.ask_rating", number=case["number"])
        self.app.push_screen(ChoiceModal(t, title, levels), leveled)

    @work(exclusive=True, group="cases-action")
    async def ask_reason(self, number: str, level: str) -> None:
        t = self.t
        try:
            reasons = await self.client.rating_reasons()
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        name = "en" if t.lang == "en" else "zh"
        choices = [(r["code"], r[name]) for r in reasons]

        def reasoned(code: str | None) -> None:
            if code is None:
                return

            def said(comment: str | None) -> None:
                if comment is not None:
                    self.send_phone_rating(number, level, [code], comment.strip())

            self.app.push_screen(TextModal(t, t("cases.ask_rating_comment")), said)

        self.app.push_screen(ChoiceModal(t, t("cases.ask_rating_reason"), choices), reasoned)

    @work(exclusive=True, group="cases-action")
    async def send_phone_rating(
        self, number: str, level: str, reasons: list[str], comment: str
    ) -> None:
        try:
            rated = await self.client.rate(
                level=level, channel="phone", case=number, reasons=reasons, comment=comment
            )
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        await self._audit("rating.phone", number, {"level": level})
        words = self.t("cases.rated", number=number, level=self.t(f"rating.{level}"))
        if rated.get("follow_up"):
            words += self.t("cases.rated_follow_up", due=rated["follow_up"]["due_on"])
        self._say(words)

    def action_deliver(self) -> None:
        """Pickup or mail: the ID number first (typed or scanned), checked at once; then the
        recipient (the name on file, prefilled) and, to mail, the address, carrier and
        tracking number."""
        case = self._selected()
        if case is None or case["progress"] != "ready":
            self._say(self.t("cases.not_ready"), error=True)
            return
        t = self.t

        def how(choice: str | None) -> None:
            if choice is None:
                return

            def typed(id_number: str | None) -> None:
                if id_number:
                    self.check_then_deliver(case, choice, id_number)

            self.app.push_screen(TextModal(t, t("cases.ask_id")), typed)

        choices = [("pickup", t("cases.how_pickup")), ("mail", t("cases.how_mail"))]
        self.app.push_screen(ChoiceModal(t, t("cases.ask_how"), choices), how)

    @work(exclusive=True, group="cases-action")
    async def check_then_deliver(self, case: dict[str, Any], how: str, id_number: str) -> None:
        try:
            found = await self.client.check_identity(case["number"], id_number)
        except (PlatformRefused, PlatformUnreachable) as exc:
            if isinstance(exc, PlatformRefused) and exc.code == "identity_mismatch":
                await self._audit("delivery.refused", case["number"], {"how": how})
            self._failed(exc)
            return
        t = self.t
        self._say(t("cases.identity_ok", name=found["name"]))
        body: dict[str, Any] = {"how": how, "id_number": id_number}
        steps: list[tuple[str, str, str]] = [("recipient", "cases.ask_recipient", found["name"])]
        if how == "mail":
            steps += [
                ("address", "cases.ask_address", ""),
                ("carrier", "cases.ask_carrier", ""),
                ("tracking", "cases.ask_tracking", ""),
            ]

        def ask(index: int) -> None:
            if index == len(steps):
                self.deliver(case, body)
                return
            name, prompt, value = steps[index]

            def given(answer: str | None) -> None:
                if answer:
                    body[name] = answer
                    ask(index + 1)

            self.app.push_screen(TextModal(t, t(prompt), value=value), given)

        ask(0)

    @work(exclusive=True, group="cases-action")
    async def deliver(self, case: dict[str, Any], body: dict[str, Any]) -> None:
        try:
            done = await self.client.deliver(case["number"], body)
        except (PlatformRefused, PlatformUnreachable) as exc:
            if isinstance(exc, PlatformRefused) and exc.code == "identity_mismatch":
                await self._audit("delivery.refused", case["number"], {"how": body["how"]})
            self._failed(exc)
            return
        await self._audit("case.delivered", case["number"], dict(done["delivery"]))
        related = [r["name"] for r in done["related"]]
        words = self._delivery_words(done["delivery"])
        message = self.t("cases.delivered", **words)
        if related:
            message += "\n" + self.t("cases.related", items=self.t.join(related))
        self._say(message)
        await self._print_slip(done, related)
        self.find(case["number"], announce=False)

    async def _print_slip(self, case: dict[str, Any], related: list[str]) -> None:
        wording, store = self.console.wording, self.console.store
        if wording is None or store is None:
            return
        settings = self.console.settings
        words = self._delivery_words(case["delivery"])
        slip = pickup_slip(
            wording,
            hall=settings.hall.name,
            case_number=case["number"],
            applicant=case["applicant"]["name"],
            results=[self._result_line(entry) for entry in case["package"]],
            recipient=words["recipient"],
            how=words["how"],
            delivered_at=datetime.now().astimezone(),
            related=related,
        )
        jobs, unrouted = route(settings, [slip], case["number"])
        for job in jobs:
            await asyncio.to_thread(store.queue_print, job)
        self.console.wake_spool()
        if unrouted:
            self._say(
                self.t("intake.not_printed", documents=wording.title("pickup_slip")), error=True
            )

    # --- deferred materials ---------------------------------------------------------------

    def action_deferrals(self) -> None:
        self.load_deferrals()

    @work(exclusive=True, group="cases")
    async def load_deferrals(self) -> None:
        try:
            due = await self.client.deferrals()
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        t = self.t
        table = Table(title=t("cases.deferrals_title", n=len(due)), expand=True)
        for key in ("number", "applicant", "material", "due"):
            table.add_column(t(f"cases.col_{key}"))
        for d in due:
            style = "bold red" if d["overdue"] else "yellow"
            table.add_row(
                d["case_number"],
                d["applicant"]["name"],
                d["material_name"],
                Text(d["due_on"], style=style),
            )
        self.query_one("#case-detail", Static).update(table)
        self._say(t("cases.deferrals_hint"))

    def action_search(self) -> None:
        """/: back to the search box for another case."""
        query = self.query_one(Input)
        query.focus()
        query.action_select_all()

    def action_instant(self) -> None:
        """j: the result of an instant item (即办件) of the selected case, if one was not
        recorded when it was accepted (the case is not ready until it is)."""
        case = self._selected()
        waiting = [i for i in (case or {}).get("instant", []) if not i["decided"]]
        if case is None or not waiting:
            self._say(self.t("cases.no_instant"), error=True)
            return
        item = (
            self.console.catalog.catalog.items.get(waiting[0]["code"])
            if self.console.catalog
            else None
        )
        default = (item.result if item else "") or waiting[0]["name"]
        ask_result(
            self.app,
            self.t,
            self.t("intake.instant_title", item=waiting[0]["name"]),
            default,
            lambda answers: self.record_instant(case["number"], waiting[0], answers),
            ask_date=False,
        )

    @work(exclusive=True, group="cases-action")
    async def record_instant(self, number: str, item: dict[str, Any], body: dict[str, Any]) -> None:
        try:
            await self.client.decide_instant(number, item["code"], body)
        except (PlatformRefused, PlatformUnreachable) as exc:
            self._failed(exc)
            return
        await self._audit("case.instant", number, {"item": item["code"]})
        self._say(self.t("cases.instant_done", item=item["name"]))
        self.find(number, announce=False)

    def action_close(self) -> None:
        self.app.pop_screen()
