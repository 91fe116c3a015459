"""The print spool: every print is a job in the local store, and this sends them.

A job is rendered for its printer when it is sent, so a printer swapped for another model
prints it right. A fault keeps the job queued with its reason and a time to try again (1, 2,
4 … seconds, up to a limit); jobs of one printer keep their order. A job whose printer is
gone, or whose document cannot be read, fails for good and shows as failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clerk_console.config import ConsoleConfig
from clerk_console.devices.escpos import Profile, render
from clerk_console.devices.network import PrinterFault
from clerk_console.devices.printers import Printer, printer_from, profile_of
from clerk_console.domain.documents import Document
from clerk_console.store.local import LocalStore, NewPrint

# How often a printer that reported a fault is asked whether it is well again: with jobs
# waiting, soon (they go out within two seconds of it being fixed); with none, now and then.
PROBE_WAITING_SECONDS = 1.0
PROBE_SECONDS = 5.0


@dataclass(frozen=True)
class PrinterState:
    """How one printer is, as the counter shows it."""

    name: str
    where: str
    fault: str | None  # a fault code (paper_out, refused, …), None when well
    detail: str
    waiting: int  # jobs still to print
    warning: str | None = None  # well, but: the paper nearly used up (paper_near_end)


@dataclass(frozen=True)
class Attached:
    """A printer as the spool uses it: how to reach it and how to render for it."""

    printer: Printer
    profile: Profile


def backoff(attempts: int, limit: float) -> float:
    """Seconds before try number `attempts + 1`: 1, 2, 4 … up to `limit`."""
    return float(min(2 ** max(attempts - 1, 0), limit))


class Spool:
    """Sends the store's print jobs to the configured printers."""

    def __init__(
        self,
        store: LocalStore,
        printers: Mapping[str, Attached],
        retry_max_seconds: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.printers = dict(printers)
        self.retry_max = retry_max_seconds
        self.clock = clock
        self.faults: dict[str, PrinterFault] = {}
        self.warnings: dict[str, str] = {}
        self.probed: dict[str, datetime] = {}  # when a faulty printer may be asked again
        store.recover_printing()

    def run_once(self) -> list[PrinterState]:
        """Send every job that is due, printer by printer; how each printer is now."""
        # Idle, this is one read: the write transactions are only taken for work to do.
        waiting = self.store.waiting_prints()
        if any(name not in self.printers for name in waiting):
            self.store.fail_prints_without_printer(list(self.printers), self.clock())
        busy = [name for name in self.printers if waiting.get(name) or name in self.faults]
        for name in busy:
            self._drain(name, self.printers[name])
        if busy:
            waiting = self.store.waiting_prints()
        return [
            PrinterState(
                name,
                attached.printer.where,
                self.faults[name].code if name in self.faults else None,
                self.faults[name].detail if name in self.faults else "",
                waiting.get(name, 0),
                self.warnings.get(name),
            )
            for name, attached in self.printers.items()
        ]

    def _drain(self, name: str, attached: Attached) -> None:
        sent = False
        while (job := self.store.claim_print_job(name, self.clock())) is not None:
            sent = True
            assert job.id is not None
            try:
                data = render(Document.from_data(json.loads(job.payload_json)), attached.profile)
            except (ValueError, LookupError) as exc:  # unreadable, or not in its encoding
                self.store.print_failed(job.id, f"bad_document: {exc}", self.clock(), None)
                continue
            try:
                warning = attached.printer.print(data)
            except PrinterFault as fault:
                self.faults[name] = fault
                now = self.clock()
                error = f"{fault.code}: {fault.detail}" if fault.detail else fault.code
                if fault.delivered:  # the printer holds the job; it prints once fixed
                    self.store.print_done(job.id, now, warning=error)
                else:
                    retry = now + timedelta(seconds=backoff(job.attempts, self.retry_max))
                    self.store.print_failed(job.id, error, now, retry)
                return  # the printer is unwell: its other jobs wait behind this one
            self.faults.pop(name, None)
            self._warn(name, warning)
            self.store.print_done(job.id, self.clock())
        # Found well again: its waiting jobs go now, not at their next try. Not after a
        # connection that broke mid-job: a printer that answers its status may still drop
        # the next job the same way, so that one keeps its backoff.
        reported = self.faults.get(name)
        recovered = (
            not sent
            and reported is not None
            and reported.code != "broken"
            and self._probe(name, attached.printer)
        )
        if recovered and self.store.resume_prints(name):
            self._drain(name, attached)

    def _warn(self, name: str, warning: str | None) -> None:
        if warning:
            self.warnings[name] = warning
        else:
            self.warnings.pop(name, None)

    def _probe(self, name: str, printer: Printer) -> bool:
        """A printer that reported a fault is asked whether it is well again: every second
        while jobs wait for it, now and then when none do (so the counter stops warning
        once it is fixed). Whether it was found well."""
        if not getattr(printer, "status", False):
            return False
        now = self.clock()
        if now < self.probed.get(name, now):
            return False
        waiting = self.store.waiting_prints().get(name, 0)
        pause = PROBE_WAITING_SECONDS if waiting else PROBE_SECONDS
        self.probed[name] = now + timedelta(seconds=pause)
        try:
            warning = printer.print(b"")  # status before and after, nothing between
        except PrinterFault as fault:
            self.faults[name] = fault
            return False
        self.faults.pop(name, None)
        self._warn(name, warning)
        return True


def spool_from(config: ConsoleConfig, store: LocalStore) -> Spool:
    """The spool for a console's configured printers."""
    printers = {
        p.name: Attached(printer_from(p, config.data_path()), profile_of(p))
        for p in config.printers
    }
    return Spool(store, printers, config.printing.retry_max_seconds)


def route(
    config: ConsoleConfig, documents: Iterable[Document], subject: str
) -> tuple[list[NewPrint], list[str]]:
    """Jobs for the documents, each to the printer that prints its kind; and the kinds no
    configured printer takes (the clerk is told; nothing is queued for them)."""
    jobs, unrouted = [], []
    for document in documents:
        printer = config.printer_for(document.kind)
        if printer is None:
            unrouted.append(document.kind)
        else:
            jobs.append(NewPrint(printer.name, document.to_data(), subject))
    return jobs, unrouted
