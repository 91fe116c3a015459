"""Both message catalogues are complete, and every key the code uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from clerk_console.domain.decision import EntryStatus, Shortfall
from clerk_console.tui.i18n import LANGUAGES, load_catalogue

PACKAGE = Path(__file__).resolve().parent.parent / "clerk_console"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    zh, en = (load_catalogue(lang) for lang in LANGUAGES)
    assert set(zh) == set(en), set(zh) ^ set(en)
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key
        assert zh[key].strip() and en[key].strip(), key


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in (PACKAGE / "tui").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", text))
        keys |= set(re.findall(r"""Binding\([^)]*?["']((?:key)\.[a-z_]+)["']""", text))
        # f-string lookups such as t(f"original.{...}") name a section.
        for section in re.findall(r"""t\(f["']([a-z_]+)\.\{""", text):
            keys.add(section + ".*")
    return keys


def test_every_key_used_in_the_code_exists() -> None:
    zh = load_catalogue("zh")
    sections = {k.split(".")[0] for k in zh}
    for key in used_keys():
        if key.endswith(".*"):
            assert key[:-2] in sections, key
        else:
            assert key in zh, key


def test_domain_codes_have_messages() -> None:
    zh = load_catalogue("zh")
    decision = (PACKAGE / "domain" / "decision.py").read_text(encoding="utf-8")
    for code in re.findall(r'Problem\("([a-z_]+)"', decision):
        assert f"problem.{code}" in zh, code
    for s in Shortfall:
        assert f"shortfall.{s.value}" in zh
    for status in EntryStatus:
        assert f"status.{status.value}" in zh
    identifiers = (PACKAGE / "domain" / "identifiers.py").read_text(encoding="utf-8")
    for reason in set(re.findall(r'Checked\(value, "([a-z_]+)"\)', identifiers)):
        assert f"id_reason.{reason}" in zh, reason


COUNTS = r"\{(?:n|total|done|pages|size|bundles|items|left|count|waiting)\}"


def test_english_never_puts_a_plural_after_a_count_it_cannot_know() -> None:
    """ "1 copies", "1 people ahead": a count goes after a label instead ("copies: 1")."""
    en = load_catalogue("en")
    wrong = {
        key: text
        for key, text in en.items()
        if re.search(COUNTS + r" (?!min\b)[A-Za-z]+s\b|" + COUNTS + r" people\b", text)
    }
    assert wrong == {}
