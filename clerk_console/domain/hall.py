"""A hall: its code and name, counters with the lines they serve in order, and staff.

Parsed from TOML text like the catalog (see docs/catalog.md, "The hall file") and checked
against the catalog: every line a counter serves exists, every approver's department exists.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.catalog_loader import CatalogInvalid, Collector, FieldSpec, spec


class Role(StrEnum):
    """What a member of staff may do."""

    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    APPROVER = "approver"
    GUIDE = "guide"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Counter:
    """A service window and the lines it serves, most preferred first."""

    number: int
    name: str
    lines: tuple[str, ...]

    @property
    def comprehensive(self) -> bool:
        """A counter serving more than one line takes any item of those lines (综合窗口)."""
        return len(self.lines) > 1


@dataclass(frozen=True, slots=True)
class Staff:
    """A member of staff. `pin` is the demo PIN in clear; the platform stores only a hash."""

    username: str
    name: str
    role: Role
    pin: str
    department: str | None = None
    # Departments that authorised this clerk to decide their instant items (即办件) at the
    # counter, in the same sitting as the acceptance.
    instant_departments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hall:
    """One service hall."""

    code: str
    name: str
    counters: tuple[Counter, ...]
    staff: tuple[Staff, ...]

    def counter(self, number: int) -> Counter | None:
        """The counter with this number, if any."""
        return next((c for c in self.counters if c.number == number), None)


_HALL = {"code": spec("str", True), "name": spec("str", True)}
_COUNTER: dict[str, FieldSpec] = {
    "number": spec("int", True),
    "name": spec("str", True),
    "lines": spec("strs", True),
}
_STAFF: dict[str, FieldSpec] = {
    "username": spec("str", True),
    "name": spec("str", True),
    "role": spec("str", True, frozenset(r.value for r in Role)),
    "pin": spec("str", True),
    "department": spec("str"),
    "instant_departments": spec("strs"),
}


def parse_hall(file: str, text: str, catalog: Catalog) -> Hall:
    """Build a hall from TOML text; raise `CatalogInvalid` listing every problem."""
    out = Collector()
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax(file, exc) from exc
    for key in doc:
        if key not in ("hall", "counter", "staff"):
            out.add(file, key, "unknown section (expected one of: counter, hall, staff)")
    head = doc.get("hall")
    code = name = ""
    if not isinstance(head, dict):
        out.add(file, "hall", "missing [hall] table with code and name")
    elif out.check(file, "hall", head, _HALL):
        code, name = head["code"], head["name"]
        if not re.fullmatch(r"[A-Z0-9]{2,8}", code):
            out.add(file, "hall.code", "must be 2–8 capital letters or digits, e.g. JY01")
    counters: list[Counter] = []
    for index, c in enumerate(_tables(out, file, doc, "counter")):
        where = f"counter[{c.get('number', f'#{index + 1}')}]"
        if not out.check(file, where, c, _COUNTER):
            continue
        if not 1 <= c["number"] <= 999:
            out.add(file, f"{where}.number", "must be between 1 and 999")
        elif any(x.number == c["number"] for x in counters):
            out.add(file, f"{where}.number", "duplicate counter number")
        if not c["lines"]:
            out.add(file, f"{where}.lines", "a counter serves at least one line")
        for line in c["lines"]:
            if line not in catalog.lines:
                out.add(file, f"{where}.lines", f"unknown line {line!r}")
        counters.append(Counter(c["number"], c["name"], tuple(c["lines"])))
    staff: list[Staff] = []
    for index, s in enumerate(_tables(out, file, doc, "staff")):
        where = f"staff[{s.get('username', f'#{index + 1}')}]"
        if not out.check(file, where, s, _STAFF):
            continue
        if any(x.username == s["username"] for x in staff):
            out.add(file, f"{where}.username", "duplicate username")
        if not re.fullmatch(r"\d{6}", s["pin"]):
            out.add(file, f"{where}.pin", "a PIN is 6 digits")
        department = s.get("department")
        if s["role"] == Role.APPROVER and not department:
            out.add(file, f"{where}.department", "an approver belongs to one department")
        if department and department not in catalog.departments:
            out.add(file, f"{where}.department", f"unknown department {department!r}")
        if department and s["role"] != Role.APPROVER:
            out.add(file, f"{where}.department", "only approvers belong to a department")
        instant = tuple(s.get("instant_departments", ()))
        for granted in instant:
            if granted not in catalog.departments:
                message = f"unknown department {granted!r}"
                out.add(file, f"{where}.instant_departments", message)
        if instant and s["role"] not in (Role.CLERK, Role.SUPERVISOR):
            out.add(
                file, f"{where}.instant_departments", "only counter staff decide at the counter"
            )
        staff.append(
            Staff(s["username"], s["name"], Role(s["role"]), s["pin"], department, instant)
        )
    if out.errors:
        raise CatalogInvalid(out.errors)
    return Hall(code, name, tuple(counters), tuple(staff))


def _syntax(file: str, exc: tomllib.TOMLDecodeError) -> CatalogInvalid:
    out = Collector()
    out.add(file, "(syntax)", f"not valid TOML: {exc}")
    return CatalogInvalid(out.errors)


def _tables(out: Collector, file: str, doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The [[key]] tables of a document; their values are checked by `Collector.check`."""
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        out.add(file, key, f"expected [[{key}]] tables")
        return []
    return value
