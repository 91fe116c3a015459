"""Handoffs (分办): the parts of an accepted case that each department decides.

A case's items are split by department, one handoff each, due after the earliest promised
time limit of its items, in working days counted on the platform's clock. An item whose
input is another item's result (the seal after the licence) waits for that result before
its clock starts. An instant item (即办件, 0 days) is decided at the counter: no handoff.
A handoff returned for supplement (退回补正) stops its clock until the applicant brings the
material; its due date then moves by the working days the clock stood still.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.workdays import DueDate, Pause, TimeState, WorkCalendar


class HandoffStatus(StrEnum):
    """Where a handoff is."""

    WAITING = "waiting"  # for another item's result; the clock has not started
    OPEN = "open"  # in the department, the clock running
    RETURNED = "returned"  # 退回补正: the clock stands still until the applicant supplements
    APPROVED = "approved"
    REJECTED = "rejected"


DECIDED = frozenset({HandoffStatus.APPROVED, HandoffStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class HandoffPlan:
    """One department's share of a case, before any clock runs."""

    department: str
    items: tuple[str, ...]
    days: int  # the earliest promised time limit of its items
    waits_for: tuple[str, ...]  # items of other departments whose result it needs first


@dataclass(frozen=True, slots=True)
class Split:
    """How a case's items go to the departments."""

    handoffs: tuple[HandoffPlan, ...]
    instant: tuple[str, ...]  # 即办件: decided at the counter, in the same sitting


def split_case(items: Sequence[str], catalog: Catalog) -> Split:
    """The handoffs of a case with these items, in the order of the items."""
    groups: dict[str, list[str]] = {}
    instant = []
    for code in items:
        item = catalog.items[code]
        if item.promised_days == 0:
            instant.append(code)
        else:
            groups.setdefault(item.department, []).append(code)
    plans = []
    for department, codes in groups.items():
        needs: list[str] = []
        for code in codes:
            for need in catalog.items[code].materials:
                for producer in catalog.materials[need.material].produced_by:
                    other = catalog.items.get(producer)
                    if (
                        producer in items
                        and other is not None
                        and other.department != department
                        and producer not in needs
                    ):
                        needs.append(producer)
        days = min(catalog.items[code].promised_days for code in codes)
        plans.append(HandoffPlan(department, tuple(codes), days, tuple(needs)))
    return Split(tuple(plans), tuple(instant))


def ready_to_start(plan_waits_for: Iterable[str], approved_items: Iterable[str]) -> bool:
    """Whether every result a handoff needs exists (its clock may start)."""
    return set(plan_waits_for) <= set(approved_items)


def due(
    calendar: WorkCalendar,
    started: datetime,
    days: int,
    pauses: Sequence[Pause] = (),
) -> DueDate:
    """The due date of a handoff whose clock started at `started`, given its pauses."""
    return calendar.due_date(started, days, pauses)


def time_state(calendar: WorkCalendar, due_on: date, today: date, warning_days: int) -> TimeState:
    """Normal, warning or overdue, for the inbox and the supervisor."""
    return calendar.time_state(due_on, today, warning_days)


def blocking_materials(
    items: Sequence[str],
    catalog: Catalog,
    records: Mapping[str, Mapping[str, object]],
    today: date,
) -> list[str]:
    """Materials the items require that are missing, or deferred (容缺) past their due date
    and still not brought: while any remains, the handoff cannot be approved."""
    out = []
    for code in items:
        for need in catalog.items[code].materials:
            if need.necessity.value != "required" or need.material in out:
                continue
            record = records.get(need.material, {})
            deferred = record.get("deferred_until")
            if record.get("marked_missing") or (
                isinstance(deferred, str) and date.fromisoformat(deferred) < today
            ):
                out.append(need.material)
    return out
