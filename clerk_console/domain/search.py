"""Catalog search by Chinese, full pinyin or initials (`qykb` → 企业开办), and by code.

The index keeps, for each bundle and item, its name, its pinyin without spaces and its
initials, all lower-case. Each keystroke scans these keys once; ranking puts exact and prefix
matches first, bundles before items, shorter names before longer ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from clerk_console.domain.catalog import Catalog


class HitKind(StrEnum):
    """What a search result is."""

    BUNDLE = "bundle"
    ITEM = "item"


@dataclass(frozen=True, slots=True)
class SearchKey:
    """One searchable entry with its precomputed keys."""

    kind: HitKind
    code: str
    name: str
    department: str
    pinyin: str
    initials: str
    keywords: str = ""  # aliases joined by "|", e.g. 社保卡


@dataclass(frozen=True, slots=True)
class Hit:
    """A search result."""

    kind: HitKind
    code: str
    name: str
    department: str
    score: int


PinyinFn = Callable[[str], tuple[str, str]]
"""Text → (full pinyin, initials), both lower-case without separators."""

_KEEP = re.compile(r"[a-z0-9]+")


def pypinyin_keys(text: str) -> tuple[str, str]:
    """Full pinyin and initials of `text` with pypinyin; other characters are kept as-is."""
    from pypinyin import Style, lazy_pinyin  # imported on first use: it costs ~0.4 s

    full = "".join(lazy_pinyin(text)).lower()
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()
    return "".join(_KEEP.findall(full)), "".join(_KEEP.findall(initials))


def normalise_query(query: str) -> str:
    """Lower-case, without spaces, apostrophes or full-width spaces."""
    return re.sub(r"[\s'’\u3000]+", "", query).lower()


class SearchIndex:
    """An in-memory index over a catalog's bundles and items."""

    def __init__(self, keys: Sequence[SearchKey]) -> None:
        self._keys = tuple(keys)

    @classmethod
    def build(cls, catalog: Catalog, pinyin: PinyinFn = pypinyin_keys) -> SearchIndex:
        """Index every bundle and item of `catalog`."""
        return cls(list(index_keys(catalog, pinyin)))

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> tuple[SearchKey, ...]:
        """The indexed entries."""
        return self._keys

    def search(self, query: str, limit: int = 50) -> list[Hit]:
        """Best matches first; an empty query lists bundles, then items, by code."""
        q = normalise_query(query)
        if not q:
            ordered = sorted(self._keys, key=lambda k: (k.kind != HitKind.BUNDLE, k.code))
            return [Hit(k.kind, k.code, k.name, k.department, 0) for k in ordered[:limit]]
        ascii_query = q.isascii()
        upper = q.upper()
        # Characters in order with anything between: 社保卡 finds 社会保障卡申领.
        in_order = None if ascii_query else re.compile(".*?".join(map(re.escape, q)))
        scored: list[tuple[int, int, int, str, SearchKey]] = []
        for k in self._keys:
            score = _score(k, q, upper, in_order)
            if score is not None:
                scored.append((score, k.kind != HitKind.BUNDLE, len(k.name), k.code, k))
        scored.sort(key=lambda s: s[:4])
        return [Hit(s[4].kind, s[4].code, s[4].name, s[4].department, s[0]) for s in scored[:limit]]


def _score(k: SearchKey, q: str, upper: str, in_order: re.Pattern[str] | None) -> int | None:
    if k.name == q:
        return 0
    if k.name.startswith(q):
        return 1
    if in_order is None:
        if k.code.upper().startswith(upper):
            return 1
        if k.initials.startswith(q):
            return 2
        if k.pinyin.startswith(q):
            return 2
        if q in k.initials:
            return 4
        if q in k.pinyin:
            return 5
        return None
    if q in k.name or q in k.keywords:
        return 3
    if q in k.department:
        return 6
    if in_order.search(k.name):
        return 7
    return None


def index_keys(catalog: Catalog, pinyin: PinyinFn) -> Iterable[SearchKey]:
    """The search keys of every bundle and item."""
    for b in catalog.bundles.values():
        full, initials = pinyin(b.name)
        yield SearchKey(HitKind.BUNDLE, b.code, b.name, "", full, initials, "|".join(b.keywords))
    for i in catalog.items.values():
        full, initials = pinyin(i.name)
        dept = catalog.departments[i.department].name
        yield SearchKey(HitKind.ITEM, i.code, i.name, dept, full, initials, "|".join(i.keywords))
