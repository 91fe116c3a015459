"""Parse and validate catalog TOML texts into a `Catalog`.

Pure: it receives file names and their texts, never paths. Every problem is collected and
reported together, each naming the file and the key, so a hall fixing its own catalog sees
all of its mistakes in one run. See docs/catalog.md for the format.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clerk_console.domain.catalog import (
    ANSWERED_BY,
    FORM_FIELD_KINDS,
    PREFILL_SOURCES,
    Bundle,
    Catalog,
    Choice,
    Department,
    FormField,
    ItemMaterial,
    Line,
    Material,
    MaterialKind,
    MaterialSwap,
    Necessity,
    OriginalRule,
    Question,
    Registry,
    RejectionReason,
    ServiceItem,
)

# The longest legal time limit we accept, in working days: anything beyond a year of working
# days is a typo, not a law.
MAX_DAYS = 250
MAX_COPIES = 20
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")


@dataclass(frozen=True, slots=True)
class CatalogError:
    """One problem in a catalog: where it is and what is wrong."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class CatalogInvalid(Exception):
    """The catalog has errors; `errors` lists every one of them."""

    def __init__(self, errors: list[CatalogError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


# --- the schema ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: str  # "str" | "int" | "bool" | "strs" | "tables"
    required: bool = False
    choices: frozenset[str] | None = None
    nested: Mapping[str, FieldSpec] | None = None


def spec(kind: str, required: bool = False, choices: frozenset[str] | None = None) -> FieldSpec:
    return FieldSpec(kind, required, choices)


_ITEM_MATERIAL = {
    "material": spec("str", True),
    "original": spec("str", True, frozenset(o.value for o in OriginalRule)),
    "copies": spec("int"),
    "necessity": spec("str", True, frozenset(n.value for n in Necessity)),
    "when": spec("strs"),
}
_ADDED_MATERIAL = {
    "material": spec("str", True),
    "original": spec("str", True, frozenset(o.value for o in OriginalRule)),
    "copies": spec("int"),
    "necessity": spec("str", True, frozenset({Necessity.REQUIRED, Necessity.OPTIONAL})),
}
_SWAP = {"material": spec("str", True), "by": spec("str", True)}
_CHOICE = {
    "code": spec("str", True),
    "label": spec("str", True),
    "add_items": spec("strs"),
    "remove_items": spec("strs"),
    "add_materials": FieldSpec("tables", False, None, _ADDED_MATERIAL),
    "remove_materials": spec("strs"),
    "replace_materials": FieldSpec("tables", False, None, _SWAP),
}
_TABLES: dict[str, dict[str, FieldSpec]] = {
    "department": {"code": spec("str", True), "name": spec("str", True)},
    "line": {"prefix": spec("str", True), "name": spec("str", True)},
    "registry": {"code": spec("str", True), "name": spec("str", True), "fields": spec("strs")},
    "material": {
        "code": spec("str", True),
        "name": spec("str", True),
        "kind": spec("str", True, frozenset(k.value for k in MaterialKind)),
        "key": spec("bool"),
        "deferrable": spec("bool"),
        "shareable": spec("str"),
        "produced_by": spec("strs"),
        "note": spec("str"),
    },
    "item": {
        "code": spec("str", True),
        "name": spec("str", True),
        "department": spec("str", True),
        "legal_days": spec("int", True),
        "promised_days": spec("int", True),
        "line": spec("str", True),
        "fee": spec("str", True),
        "result": spec("str", True),
        "questions": spec("strs"),
        "related": spec("strs"),
        "keywords": spec("strs"),
        "material": FieldSpec("tables", True, None, _ITEM_MATERIAL),
    },
    "question": {
        "code": spec("str", True),
        "text": spec("str", True),
        "ask_if": spec("strs"),
        "answered_by": spec("str", False, ANSWERED_BY),
        "choice": FieldSpec("tables", True, None, _CHOICE),
    },
    "bundle": {
        "code": spec("str", True),
        "name": spec("str", True),
        "line": spec("str", True),
        "items": spec("strs", True),
        "questions": spec("strs"),
        "description": spec("str"),
        "keywords": spec("strs"),
    },
    "form_field": {
        "code": spec("str", True),
        "label": spec("str", True),
        "kind": spec("str", True, frozenset(FORM_FIELD_KINDS)),
        "items": spec("strs", True),
        "required": spec("bool"),
        "prefill": spec("strs"),
        "produced_by": spec("strs"),
    },
    "rejection_reason": {"code": spec("str", True), "text": spec("str", True)},
}
_META = {"name": spec("str"), "description": spec("str")}
_CODE_KEY = {"line": "prefix"}

_TYPE_WORDS = {
    "str": "a string",
    "int": "an integer",
    "bool": "true or false",
    "strs": "a list of strings",
    "tables": "a list of tables",
}


def _type_ok(kind: str, value: object) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "strs":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


class Collector:
    def __init__(self) -> None:
        self.errors: list[CatalogError] = []

    def add(self, file: str, key: str, message: str) -> None:
        self.errors.append(CatalogError(file, key, message))

    def check(
        self, file: str, where: str, table: dict[str, Any], spec: Mapping[str, FieldSpec]
    ) -> bool:
        """Check one table's keys and types against `spec`; True when it can be built.

        Only a problem with a required key stops the table being built. An unknown key, or
        an optional key of the wrong type or value, is reported and left out (the default
        holds), so the errors that do not depend on it (its references, its choices) are
        reported in the same run instead of the whole entry being dropped.
        """
        ok = True
        for name in list(table):
            if name not in spec:
                expected = ", ".join(sorted(spec))
                self.add(file, f"{where}.{name}", f"unknown key (expected one of: {expected})")
                del table[name]
        for name, fld in spec.items():
            if name not in table:
                if fld.required:
                    self.add(file, f"{where}.{name}", f"missing; expected {_TYPE_WORDS[fld.kind]}")
                    ok = False
                continue
            value = table[name]
            problem = ""
            if not _type_ok(fld.kind, value):
                problem = f"expected {_TYPE_WORDS[fld.kind]}, got {type(value).__name__}"
            elif fld.choices is not None and value not in fld.choices:
                problem = f"{value!r} is not one of: {', '.join(sorted(fld.choices))}"
            elif fld.kind == "str" and fld.required and not str(value).strip():
                problem = "must not be empty"
            if problem:
                self.add(file, f"{where}.{name}", problem)
                if fld.required:
                    ok = False
                else:
                    del table[name]
        return ok


# --- parsing ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    file: str
    where: str
    data: dict[str, Any]


def parse_catalog(sources: Mapping[str, str]) -> Catalog:
    """Build a catalog from `{file name: TOML text}`; raise `CatalogInvalid` listing all errors."""
    out = Collector()
    entries: dict[str, dict[str, _Entry]] = {name: {} for name in _TABLES}
    meta: dict[str, str] = {}
    for file in sorted(sources):
        try:
            doc = tomllib.loads(sources[file])
        except tomllib.TOMLDecodeError as exc:
            out.add(file, "(syntax)", f"not valid TOML: {exc}")
            continue
        for top, value in doc.items():
            if top == "catalog":
                if isinstance(value, dict) and out.check(file, "catalog", value, _META):
                    meta.update({k: str(v) for k, v in value.items()})
                elif not isinstance(value, dict):
                    out.add(file, "catalog", "expected a table")
                continue
            if top not in _TABLES:
                known = ", ".join(["catalog", *sorted(_TABLES)])
                out.add(file, top, f"unknown section (expected one of: {known})")
                continue
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                out.add(file, top, f"expected [[{top}]] tables")
                continue
            code_key = _CODE_KEY.get(top, "code")
            for index, table in enumerate(value):
                code = table.get(code_key)
                where = f"{top}[{code}]" if isinstance(code, str) and code else f"{top}#{index + 1}"
                if not out.check(file, where, table, _TABLES[top]):
                    continue
                if not _nested_ok(out, file, where, table, _TABLES[top]):
                    continue
                if not _CODE_RE.match(code):
                    out.add(file, f"{where}.{code_key}", "codes use letters, digits, - and _ only")
                    continue
                if code in entries[top]:
                    first = entries[top][code]
                    out.add(file, where, f"duplicate {code_key} {code!r} (first in {first.file})")
                    continue
                entries[top][code] = _Entry(file, where, table)
    catalog = _build(out, entries, meta)
    if out.errors:
        raise CatalogInvalid(out.errors)
    return catalog


def _nested_ok(
    out: Collector, file: str, where: str, table: dict[str, Any], spec: Mapping[str, FieldSpec]
) -> bool:
    ok = True
    for name, fld in spec.items():
        if fld.kind != "tables" or fld.nested is None:
            continue
        inner_key = "code" if "code" in fld.nested else "material"
        seen: set[str] = set()
        for index, inner in enumerate(table.get(name, [])):
            label = inner.get(inner_key)
            inner_where = f"{where}.{name}[{label}]" if label else f"{where}.{name}#{index + 1}"
            built = out.check(file, inner_where, inner, fld.nested)
            if not built or not _nested_ok(out, file, inner_where, inner, fld.nested):
                ok = False
            elif label in seen:
                out.add(file, inner_where, f"listed twice in {where}")
                ok = False
            else:
                seen.add(label)
                # Reported, but the entry is still built: its other errors follow.
                if inner_key == "code" and not _CODE_RE.match(str(label)):
                    out.add(file, f"{inner_where}.code", "codes use letters, digits, - and _ only")
        if fld.required and not table.get(name):
            out.add(file, f"{where}.{name}", "needs at least one entry")
            ok = False
    return ok


def _build(out: Collector, entries: dict[str, dict[str, _Entry]], meta: dict[str, str]) -> Catalog:
    departments = {c: Department(c, e.data["name"]) for c, e in entries["department"].items()}
    lines = {c: Line(c, e.data["name"]) for c, e in entries["line"].items()}
    registries = {
        c: Registry(c, e.data["name"], tuple(e.data.get("fields", ())))
        for c, e in entries["registry"].items()
    }
    reasons = {
        c: RejectionReason(c, e.data["text"]) for c, e in entries["rejection_reason"].items()
    }

    def refs(e: _Entry, key: str, known: Mapping[str, object], what: str) -> None:
        value = e.data.get(key)
        for ref in [value] if isinstance(value, str) else (value or []):
            if ref and ref not in known:
                out.add(e.file, f"{e.where}.{key}", f"unknown {what} {ref!r}")

    questions: dict[str, Question] = {}
    for code, e in entries["question"].items():
        choices = tuple(_choice(c) for c in e.data["choice"])
        if len(choices) < 2:
            out.add(e.file, f"{e.where}.choice", "a question needs at least two choices")
        answered_by = e.data.get("answered_by", "")
        if answered_by == "agent" and not {"yes", "no"} <= {c.code for c in choices}:
            out.add(
                e.file,
                f"{e.where}.answered_by",
                "a question the applicant step answers (agent) needs the choices 'yes' and 'no'",
            )
        questions[code] = Question(
            code, e.data["text"], choices, tuple(e.data.get("ask_if", ())), answered_by
        )
    choice_refs = {f"{q.code}.{c.code}" for q in questions.values() for c in q.choices}

    def choice_refs_ok(file: str, key: str, values: list[str]) -> None:
        for ref in values:
            if ref not in choice_refs:
                out.add(file, key, f"unknown choice {ref!r} (write it as question.choice)")

    materials: dict[str, Material] = {}
    for code, e in entries["material"].items():
        d = e.data
        m = Material(
            code,
            d["name"],
            MaterialKind(d["kind"]),
            key=d.get("key", False),
            deferrable=d.get("deferrable", False),
            shareable=d.get("shareable") or None,
            produced_by=tuple(d.get("produced_by", ())),
            note=d.get("note", ""),
        )
        if m.key and m.deferrable:
            out.add(e.file, f"{e.where}.deferrable", "a key material can never be deferred")
        refs(e, "shareable", registries, "registry")
        materials[code] = m

    items: dict[str, ServiceItem] = {}
    for code, e in entries["item"].items():
        d = e.data
        refs(e, "department", departments, "department")
        refs(e, "line", lines, "line")
        refs(e, "questions", questions, "question")
        _check_days(out, e)
        needs: list[ItemMaterial] = []
        for m in d["material"]:
            key = f"{e.where}.material[{m['material']}]"
            if m["material"] not in materials:
                out.add(e.file, f"{key}.material", f"unknown material {m['material']!r}")
            copies = m.get("copies", 0)
            if not 0 <= copies <= MAX_COPIES:
                out.add(e.file, f"{key}.copies", f"must be between 0 and {MAX_COPIES}")
            when = list(m.get("when", []))
            if m["necessity"] == Necessity.CONDITIONAL and not when:
                out.add(e.file, f"{key}.when", "a conditional material needs `when` choices")
            if when and m["necessity"] != Necessity.CONDITIONAL:
                out.add(e.file, f"{key}.when", "only a conditional material takes `when`")
            choice_refs_ok(e.file, f"{key}.when", when)
            needs.append(
                ItemMaterial(
                    m["material"],
                    OriginalRule(m["original"]),
                    copies,
                    Necessity(m["necessity"]),
                    tuple(when),
                )
            )
        items[code] = ServiceItem(
            code,
            d["name"],
            d["department"],
            d["legal_days"],
            d["promised_days"],
            d["line"],
            d["fee"],
            d["result"],
            tuple(needs),
            tuple(d.get("questions", ())),
            tuple(d.get("related", ())),
            tuple(d.get("keywords", ())),
        )
    for e in entries["item"].values():
        refs(e, "related", items, "item")
    for e in entries["material"].values():
        refs(e, "produced_by", items, "item")
    for e in entries["question"].values():
        choice_refs_ok(e.file, f"{e.where}.ask_if", list(e.data.get("ask_if", [])))
        for c in e.data["choice"]:
            ckey = f"{e.where}.choice[{c['code']}]"
            for key in ("add_items", "remove_items"):
                for ref in c.get(key, []):
                    if ref not in items:
                        out.add(e.file, f"{ckey}.{key}", f"unknown item {ref!r}")
            _choice_materials(out, e.file, ckey, c, materials)

    bundles: dict[str, Bundle] = {}
    for code, e in entries["bundle"].items():
        d = e.data
        refs(e, "line", lines, "line")
        refs(e, "items", items, "item")
        refs(e, "questions", questions, "question")
        bundles[code] = Bundle(
            code,
            d["name"],
            d["line"],
            tuple(d["items"]),
            tuple(d.get("questions", ())),
            d.get("description", ""),
            tuple(d.get("keywords", ())),
        )

    fields: dict[str, FormField] = {}
    for code, e in entries["form_field"].items():
        d = e.data
        refs(e, "items", items, "item")
        refs(e, "produced_by", items, "item")
        both = [i for i in d.get("produced_by", []) if i in d["items"]]
        if both:
            out.add(
                e.file,
                f"{e.where}.produced_by",
                f"{', '.join(both)} cannot both use the field and produce it",
            )
        for source in d.get("prefill", []):
            problem = _prefill_problem(source, registries, materials)
            if problem:
                out.add(e.file, f"{e.where}.prefill", problem)
        fields[code] = FormField(
            code,
            d["label"],
            d["kind"],
            tuple(d["items"]),
            d.get("required", True),
            tuple(d.get("prefill", ())),
            tuple(d.get("produced_by", ())),
        )
    _produced_by_cycles(out, entries["material"], items, materials)

    return Catalog(
        version=_version(entries, meta),
        departments=departments,
        lines=lines,
        registries=registries,
        materials=materials,
        items=items,
        questions=questions,
        bundles=bundles,
        form_fields=fields,
        rejection_reasons=reasons,
        meta=meta,
    )


def _choice(c: Mapping[str, Any]) -> Choice:
    return Choice(
        c["code"],
        c["label"],
        tuple(c.get("add_items", ())),
        tuple(c.get("remove_items", ())),
        tuple(
            ItemMaterial(
                m["material"],
                OriginalRule(m["original"]),
                m.get("copies", 0),
                Necessity(m["necessity"]),
            )
            for m in c.get("add_materials", ())
        ),
        tuple(c.get("remove_materials", ())),
        tuple(MaterialSwap(m["material"], m["by"]) for m in c.get("replace_materials", ())),
    )


def _choice_materials(
    out: Collector,
    file: str,
    where: str,
    choice: Mapping[str, Any],
    materials: Mapping[str, Material],
) -> None:
    """The materials a choice adds, removes or swaps must be in the material library."""

    def known(key: str, code: str) -> None:
        if code not in materials:
            out.add(file, key, f"unknown material {code!r}")

    for m in choice.get("add_materials", ()):
        key = f"{where}.add_materials[{m['material']}]"
        known(f"{key}.material", m["material"])
        if not 0 <= m.get("copies", 0) <= MAX_COPIES:
            out.add(file, f"{key}.copies", f"must be between 0 and {MAX_COPIES}")
    for code in choice.get("remove_materials", ()):
        known(f"{where}.remove_materials", code)
    for m in choice.get("replace_materials", ()):
        key = f"{where}.replace_materials[{m['material']}]"
        known(f"{key}.material", m["material"])
        known(f"{key}.by", m["by"])
        if m["material"] == m["by"]:
            out.add(file, f"{key}.by", "a material cannot replace itself")


def _prefill_problem(
    source: str, registries: Mapping[str, Registry], materials: Mapping[str, Material]
) -> str:
    """Why a form field's prefill source is wrong, or "" when it names something real: a
    part of the applicant step, or MATERIAL.field, a field the registry that verifies that
    material carries."""
    if source in PREFILL_SOURCES:
        return ""
    code, _, name = source.partition(".")
    material = materials.get(code)
    if material is not None and name:
        registry = registries.get(material.shareable or "")
        if registry is None:
            return f"material {code} is not verified by a registry (it has no shareable)"
        if name in registry.fields:
            return ""
        carried = ", ".join(registry.fields) or "nothing"
        return (
            f"{code} is verified by {registry.code}, which carries no field {name!r} "
            f"(it carries: {carried})"
        )
    known = ", ".join(sorted(PREFILL_SOURCES))
    return f"unknown prefill source {source!r} (expected one of: {known}, or MATERIAL.field)"


def _produced_by_cycles(
    out: Collector,
    material_entries: Mapping[str, _Entry],
    items: Mapping[str, ServiceItem],
    materials: Mapping[str, Material],
) -> None:
    """Refuse items that wait for each other's results: item A needs a material produced by
    B, and B (through others, perhaps) needs one produced by A. Each cycle is named once,
    at the material that closes it."""
    # needs[a] = [(b, material)]: a cannot be decided before b produced the material.
    needs: dict[str, list[tuple[str, str]]] = {code: [] for code in items}
    for code, item in items.items():
        for need in item.materials:
            material = materials.get(need.material)
            for producer in material.produced_by if material else ():
                if producer in items:
                    needs[code].append((producer, need.material))
    reported: set[frozenset[str]] = set()

    def walk(path: list[tuple[str, str]], start: str) -> None:
        here = path[-1][0] if path else start
        for producer, material in needs[here]:
            if producer == start:
                cycle = [*path, (producer, material)]
                members = frozenset(p for p, _ in cycle)
                if members in reported:
                    continue
                reported.add(members)
                steps = [start] + [p for p, _ in cycle]
                why = "; ".join(
                    f"{a} needs {m} produced by {b}"
                    for a, (b, m) in zip(steps, cycle, strict=False)
                )
                entry = material_entries[material]
                out.add(
                    entry.file,
                    f"{entry.where}.produced_by",
                    f"produced_by cycle {' → '.join(steps)}: {why}",
                )
            elif producer not in {p for p, _ in path} and producer > start:
                walk([*path, (producer, material)], start)

    for code in sorted(items):
        walk([], code)


def _check_days(out: Collector, e: _Entry) -> None:
    legal, promised = e.data["legal_days"], e.data["promised_days"]
    for key, days in (("legal_days", legal), ("promised_days", promised)):
        if not 0 <= days <= MAX_DAYS:
            out.add(e.file, f"{e.where}.{key}", f"must be between 0 and {MAX_DAYS} working days")
    if promised > legal:
        out.add(
            e.file,
            f"{e.where}.promised_days",
            f"promised {promised} days is longer than the legal limit of {legal}",
        )


def _version(entries: dict[str, dict[str, _Entry]], meta: Mapping[str, str]) -> str:
    """A content hash of what the catalog says, independent of file layout and comments."""
    canonical = {
        "meta": dict(meta),
        **{t: {c: e.data for c, e in sorted(es.items())} for t, es in sorted(entries.items())},
    }
    blob = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
