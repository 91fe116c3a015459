"""The catalog of record as immutable values: departments, lines, materials, service items,
questions, bundles, merged-form fields, shared registries and rejection reasons.

Parsing and validation live in `catalog_loader`; this module only describes the shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class MaterialKind(StrEnum):
    """What sort of document a material is."""

    CERTIFICATE = "certificate"
    FORM = "form"
    OTHER = "other"


class OriginalRule(StrEnum):
    """What the counter does with the original: nothing, look at it, or keep it."""

    NONE = "none"
    VERIFY = "verify"
    COLLECT = "collect"


class Necessity(StrEnum):
    """Whether a material must be handed in."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    CONDITIONAL = "conditional"


ORIGINAL_RANK = {OriginalRule.NONE: 0, OriginalRule.VERIFY: 1, OriginalRule.COLLECT: 2}


@dataclass(frozen=True, slots=True)
class Department:
    """A back-office department (部门)."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Line:
    """A waiting line (业务类别) with its ticket letter."""

    prefix: str
    name: str


@dataclass(frozen=True, slots=True)
class Registry:
    """A shared registry that can verify a material instead of it being handed in (免提交).

    `fields` are what its records carry, by the registry's own names (a household record's
    `home_address` is not a company's premises): a form field may name them as its prefill.
    """

    code: str
    name: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Material:
    """A document in the catalog's material library (材料库).

    `key` materials decide the matter and can never be deferred; `deferrable` ones may be
    accepted under a pledge (容缺). `produced_by` lists items whose result *is* this material,
    so inside a bundle with such an item it is never asked for.
    """

    code: str
    name: str
    kind: MaterialKind
    key: bool = False
    deferrable: bool = False
    shareable: str | None = None
    produced_by: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class ItemMaterial:
    """How one service item needs one material: original, copies, necessity.

    A conditional material is needed when any of the choices in `when` (``"question.choice"``)
    has been picked.
    """

    material: str
    original: OriginalRule
    copies: int
    necessity: Necessity
    when: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceItem:
    """A catalogued government service (事项)."""

    code: str
    name: str
    department: str
    legal_days: int
    promised_days: int
    line: str
    fee: str
    result: str
    materials: tuple[ItemMaterial, ...]
    questions: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @property
    def instant(self) -> bool:
        """An instant item (即办件) is decided at the counter, with no handoff."""
        return self.promised_days == 0


@dataclass(frozen=True, slots=True)
class MaterialSwap:
    """An answer's replacement of one material by another, for every item that needs it
    (a lease contract instead of a property certificate when the premises are rented). The
    new material is needed as the old one was: same original, copies and necessity."""

    material: str
    by: str


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer to a scenario question: the items it adds to or removes from a bundle, and
    the materials it adds to every active item, removes, or replaces by others. The material
    rules hold wherever the question is asked, in a bundle or for an item on its own."""

    code: str
    label: str
    add_items: tuple[str, ...] = ()
    remove_items: tuple[str, ...] = ()
    add_materials: tuple[ItemMaterial, ...] = ()
    remove_materials: tuple[str, ...] = ()
    replace_materials: tuple[MaterialSwap, ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    """A scenario question (情形). Asked only when one of `ask_if` was chosen (or always if
    `ask_if` is empty) and the bundle or an active item lists it."""

    code: str
    text: str
    choices: tuple[Choice, ...]
    ask_if: tuple[str, ...] = ()
    answered_by: str = ""  # "agent": the applicant step answers it (choices `yes` / `no`)

    def choice(self, code: str) -> Choice | None:
        """The choice with this code, if any."""
        return next((c for c in self.choices if c.code == code), None)


@dataclass(frozen=True, slots=True)
class FormField:
    """A field of the merged form (一表申请), and the items that use it.

    `prefill` names where a value may come from, first found first: a part of the applicant
    step (`person.name`, `organisation.name` …, see `PREFILL_SOURCES`) or a field a shared
    registry's record carries (`BIZREG.legal_rep`). `produced_by` lists items whose result
    gives the value (the new company's credit code comes with its licence): inside an
    application with such an item, the field is not asked."""

    code: str
    label: str
    kind: str
    items: tuple[str, ...]
    required: bool = True
    prefill: tuple[str, ...] = ()
    produced_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Bundle:
    """Several items of several departments taken in as one application (一件事)."""

    code: str
    name: str
    line: str
    items: tuple[str, ...]
    questions: tuple[str, ...]
    description: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RejectionReason:
    """A legal reason for refusing an application (不予受理)."""

    code: str
    text: str


PREFILL_SOURCES = frozenset(
    {
        "person.name",
        "person.id_number",
        "person.mobile",
        "organisation.name",
        "organisation.credit_code",
        "organisation.legal_representative",
        "organisation.contact",
        "organisation.mobile",
        "agent.name",
        "agent.id_number",
        "agent.mobile",
    }
)
"""What the applicant step gives a form field: a person's parts only for a person applicant,
an organisation's only for an organisation (its name is not the person's name)."""

ANSWERED_BY = frozenset({"agent"})
"""Questions the applicant step answers: `agent` is `yes` when an agent was entered."""

FORM_FIELD_KINDS = frozenset(
    {"text", "date", "number", "money", "id_number", "credit_code", "mobile", "address", "choice"}
)


@dataclass(frozen=True)
class Catalog:
    """The whole catalog, indexed by code, with its content-hash version."""

    version: str
    departments: Mapping[str, Department]
    lines: Mapping[str, Line]
    registries: Mapping[str, Registry]
    materials: Mapping[str, Material]
    items: Mapping[str, ServiceItem]
    questions: Mapping[str, Question]
    bundles: Mapping[str, Bundle]
    form_fields: Mapping[str, FormField]
    rejection_reasons: Mapping[str, RejectionReason]
    meta: Mapping[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        """Counts of each kind of entry, for `catalog check` and the guide's status line."""
        return {
            "departments": len(self.departments),
            "lines": len(self.lines),
            "registries": len(self.registries),
            "materials": len(self.materials),
            "items": len(self.items),
            "questions": len(self.questions),
            "bundles": len(self.bundles),
            "form_fields": len(self.form_fields),
            "rejection_reasons": len(self.rejection_reasons),
        }
