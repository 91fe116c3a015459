"""Tailor an application to the applicant: which items, which questions, which materials.

An application is a bundle or a list of items, plus the answers given so far. From it come
the active items (choices add and remove items), the questions that still matter (asked one
at a time, only when relevant given earlier answers) and the checklist (材料清单): each
material once, with every item it serves, minus what the bundle itself produces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from clerk_console.domain.catalog import (
    ORIGINAL_RANK,
    Catalog,
    Choice,
    FormField,
    ItemMaterial,
    Material,
    Necessity,
    OriginalRule,
    Question,
)

Answers = Mapping[str, str]
"""Question code → chosen choice code."""


@dataclass(frozen=True, slots=True)
class Selection:
    """What the applicant came for: one bundle, or one or more items."""

    bundle: str | None = None
    items: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.bundle is None) == (not self.items):
            raise ValueError("a selection is either one bundle or at least one item")


@dataclass(frozen=True, slots=True)
class ChecklistEntry:
    """One material of the checklist, merged over every item that needs it."""

    material: Material
    items: tuple[str, ...]
    original: OriginalRule
    copies: int
    necessity: Necessity  # REQUIRED or OPTIONAL once conditions are resolved

    @property
    def required(self) -> bool:
        """Whether acceptance waits for this material."""
        return self.necessity is Necessity.REQUIRED

    @property
    def deferrable(self) -> bool:
        """Whether it may be deferred under a pledge (容缺): deferrable and not key."""
        return self.material.deferrable and not self.material.key

    @property
    def shareable(self) -> str | None:
        """The registry that can verify it instead (免提交), if any."""
        return self.material.shareable


@dataclass(frozen=True, slots=True)
class ProducedMaterial:
    """A material that an item of this application produces, so it is not asked for."""

    material: Material
    produced_by: tuple[str, ...]
    needed_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Checklist:
    """The tailored result for one application at one moment of the questioning."""

    items: tuple[str, ...]
    entries: tuple[ChecklistEntry, ...]
    produced: tuple[ProducedMaterial, ...]
    questions: tuple[Question, ...]  # relevant questions, in asking order
    answers: Mapping[str, str]  # only the answers to relevant questions
    next_question: Question | None

    @property
    def settled(self) -> bool:
        """True when every relevant question has been answered."""
        return self.next_question is None

    def entry(self, material_code: str) -> ChecklistEntry | None:
        """The entry for a material, if it is on the checklist."""
        return next((e for e in self.entries if e.material.code == material_code), None)


@dataclass(slots=True)
class _Slot:
    original: OriginalRule
    copies: int
    necessity: Necessity
    items: list[str] = field(default_factory=list)


def _choice_selected(ref: str, answers: Answers) -> bool:
    question, _, choice = ref.partition(".")
    return answers.get(question) == choice


def _relevant_questions(
    catalog: Catalog, selection: Selection, items: Sequence[str], answers: Answers
) -> list[Question]:
    order: list[str] = []
    if selection.bundle is not None:
        order.extend(catalog.bundles[selection.bundle].questions)
    for code in items:
        order.extend(catalog.items[code].questions)
    relevant: list[Question] = []
    seen: set[str] = set()
    # A question is asked only when a choice it depends on was picked in a question that is
    # itself relevant; a later pass picks up dependencies listed out of order.
    for _ in range(2):
        relevant_answers = {q.code: answers[q.code] for q in relevant if q.code in answers}
        for code in order:
            if code in seen:
                continue
            q = catalog.questions[code]
            if not q.ask_if or any(_choice_selected(r, relevant_answers) for r in q.ask_if):
                seen.add(code)
                relevant.append(q)
                if q.code in answers:
                    relevant_answers[q.code] = answers[q.code]
    # Keep the declared asking order whatever pass found them.
    rank = {code: i for i, code in reversed(list(enumerate(order)))}
    relevant.sort(key=lambda q: rank[q.code])
    return relevant


def _apply_choices(
    base: Sequence[str], questions: Sequence[Question], answers: Answers
) -> tuple[str, ...]:
    items = list(base)
    for q in questions:
        choice = q.choice(answers.get(q.code, ""))
        if choice is None:
            continue
        items.extend(code for code in choice.add_items if code not in items)
        items = [code for code in items if code not in choice.remove_items]
    return tuple(items)


def resolve_items(
    catalog: Catalog, selection: Selection, answers: Answers
) -> tuple[tuple[str, ...], list[Question]]:
    """Active items and relevant questions, iterated until choices stop changing them."""
    base = catalog.bundles[selection.bundle].items if selection.bundle else selection.items
    items = tuple(base)
    questions: list[Question] = []
    # Each round can only add questions of newly added items; the number of questions bounds
    # the rounds, so a catalog whose choices undo each other still terminates.
    for _ in range(len(catalog.questions) + 2):
        questions = _relevant_questions(catalog, selection, items, answers)
        new_items = _apply_choices(base, questions, answers)
        if new_items == items:
            break
        items = new_items
    return items, questions


def _chosen(questions: Sequence[Question], answers: Answers) -> list[Choice]:
    """The choices picked for the relevant questions, in asking order."""
    picked = (q.choice(answers.get(q.code, "")) for q in questions)
    return [c for c in picked if c is not None]


def item_needs(
    catalog: Catalog, item_code: str, answers: Answers, chosen: Sequence[Choice]
) -> list[ItemMaterial]:
    """What one active item needs given the answers: its own materials (a conditional one
    only when a `when` choice was picked), plus those the choices add to every item, with
    the choices' replacements made and their removals taken out."""
    needs = [
        need
        for need in catalog.items[item_code].materials
        if need.necessity is not Necessity.CONDITIONAL
        or any(_choice_selected(ref, answers) for ref in need.when)
    ]
    for choice in chosen:
        needs.extend(choice.add_materials)
    swaps = {swap.material: swap.by for choice in chosen for swap in choice.replace_materials}
    removed = {code for choice in chosen for code in choice.remove_materials}
    out: list[ItemMaterial] = []
    for need in needs:
        seen: set[str] = set()
        while need.material in swaps and need.material not in seen:  # a chain: a→b, b→c
            seen.add(need.material)
            need = replace(need, material=swaps[need.material])
        if need.material not in removed:
            out.append(need)
    return out


def build_checklist(catalog: Catalog, selection: Selection, answers: Answers) -> Checklist:
    """The tailored, deduplicated checklist for `selection` given `answers` so far."""
    items, questions = resolve_items(catalog, selection, answers)
    relevant_answers = {
        q.code: answers[q.code]
        for q in questions
        if q.code in answers and q.choice(answers[q.code]) is not None
    }
    chosen = _chosen(questions, relevant_answers)
    active = set(items)
    merged: dict[str, _Slot] = {}
    produced: dict[str, tuple[list[str], list[str]]] = {}
    for item_code in items:
        for need in item_needs(catalog, item_code, relevant_answers, chosen):
            material = catalog.materials[need.material]
            producers = [p for p in material.produced_by if p in active and p != item_code]
            if producers:
                prod, needed = produced.setdefault(material.code, ([], []))
                prod.extend(p for p in producers if p not in prod)
                if item_code not in needed:
                    needed.append(item_code)
                continue
            necessity = (
                Necessity.OPTIONAL if need.necessity is Necessity.OPTIONAL else Necessity.REQUIRED
            )
            slot = merged.setdefault(material.code, _Slot(need.original, need.copies, necessity))
            if item_code not in slot.items:
                slot.items.append(item_code)
            # The strictest demand of any item wins: keep the original over only seeing it,
            # the most copies, required over optional.
            if ORIGINAL_RANK[need.original] > ORIGINAL_RANK[slot.original]:
                slot.original = need.original
            slot.copies = max(slot.copies, need.copies)
            if necessity is Necessity.REQUIRED:
                slot.necessity = Necessity.REQUIRED
    entries = [
        ChecklistEntry(catalog.materials[code], tuple(s.items), s.original, s.copies, s.necessity)
        for code, s in merged.items()
    ]
    # Required first, then optional; within each the order the items list them.
    entries.sort(key=lambda e: 0 if e.required else 1)
    next_question = next((q for q in questions if q.code not in relevant_answers), None)
    return Checklist(
        items=items,
        entries=tuple(entries),
        produced=tuple(
            ProducedMaterial(catalog.materials[c], tuple(p), tuple(n))
            for c, (p, n) in produced.items()
        ),
        questions=tuple(questions),
        answers=relevant_answers,
        next_question=next_question,
    )


@dataclass(frozen=True, slots=True)
class FormLine:
    """One field of the merged form for this application: the active items that use it, and
    the active items that produce its value (then it is not asked)."""

    field: FormField
    items: tuple[str, ...]
    produced_by: tuple[str, ...] = ()

    @property
    def asked(self) -> bool:
        """Whether the clerk fills it: not when an item of the application produces it."""
        return not self.produced_by


def merged_form(catalog: Catalog, items: Sequence[str]) -> list[FormLine]:
    """The merged form (一表): each field once, with the active items that use it; a field
    an active item produces is listed as produced, not asked."""
    active = list(items)
    lines = []
    for f in catalog.form_fields.values():
        users = tuple(code for code in active if code in f.items)
        if users:
            producers = tuple(code for code in f.produced_by if code in active)
            lines.append(FormLine(f, users, producers))
    return lines
