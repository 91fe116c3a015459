"""What the clerk reads: message catalogues (简体中文 by default, English beside it).

Catalogues are TOML files in `messages/`, one per language, with the same keys. Key bindings
name a message key as their description; `translate_bindings` swaps in the text when a
screen is built, so the footer speaks the clerk's language too.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import replace
from importlib import resources
from typing import Any

from textual.binding import BindingsMap

LANGUAGES = ("zh", "en")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


def load_catalogue(lang: str) -> dict[str, str]:
    """Every message of one language, keyed `section.name`."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    text = (
        resources.files("clerk_console.tui")
        .joinpath("messages", f"{lang}.toml")
        .read_text(encoding="utf-8")
    )
    return _flatten(tomllib.loads(text))


class Messages:
    """Looks up and fills in messages: `t("guide.no_results", query="x")`."""

    def __init__(self, lang: str = "zh") -> None:
        self.lang = lang
        self._table = load_catalogue(lang)

    def has(self, key: str) -> bool:
        """Whether the catalogue has `key` (for codes that may have no message)."""
        return key in self._table

    def join(self, parts: Iterable[str]) -> str:
        """A list as the language writes one: 甲、乙 or A, B."""
        return self("list.separator").join(parts)

    def __call__(self, key: str, **params: object) -> str:
        text = self._table.get(key)
        if text is None:
            # A missing key shows itself rather than crashing the counter; a test keeps
            # every key used in the code present in both catalogues.
            return key
        return text.format(**params) if params else text


def translate_bindings(bindings: BindingsMap, t: Messages) -> None:
    """Replace message keys in binding descriptions with their text, in place."""
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            replace(b, description=t(b.description)) if b.description else b for b in items
        ]
