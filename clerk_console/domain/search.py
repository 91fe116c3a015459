"""Catalog search by Chinese, full pinyin or initials (`qykb` → 企业开办), and by code.

The index keeps, for each bundle and item, its name, its pinyin without spaces and its
initials (lower-case), its keywords and its department. Ranking puts exact and prefix
matches first, bundles before items, shorter names before longer ones.
"""

from __future__ import annotations

import bisect
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


# Haystack punctuation: a field is \x00…\x02, records are joined by \x01. None of these
# occurs in a name, code, pinyin or keyword.
_OPEN, _SEP, _CLOSE = "\x00", "\x01", "\x02"

# Ranking, best first. Each tier is a score and the rules that give it; a rule is a field and
# how the query must occur in it. The same rules, in words: exact name; name or code starting
# with the query; initials or pinyin starting with it; (Chinese) name or keyword containing it;
# initials containing it; pinyin containing it; (Chinese) department containing it; the
# query's characters in order in the name.
_ASCII_TIERS = (
    (0, (("name", "exact"),)),
    (1, (("name", "prefix"), ("code", "prefix"))),
    (2, (("initials", "prefix"), ("pinyin", "prefix"))),
    (4, (("initials", "contains"),)),
    (5, (("pinyin", "contains"),)),
)
_TEXT_TIERS = (
    (0, (("name", "exact"),)),
    (1, (("name", "prefix"),)),
    (3, (("name", "contains"), ("keywords", "contains"))),
    (6, (("department", "contains"),)),
    (7, (("name", "in_order"),)),
)


class SearchIndex:
    """An in-memory index over a catalog's bundles and items.

    Each keystroke must stay within a few milliseconds over thousands of entries. So the
    entries are kept sorted by the tie-break order (bundles first, then shorter names, then
    code), each field's values are joined into one long string, and the tiers of the ranking
    are searched best first with C-level regex scans. Within a tier, string order is rank
    order, so a scan stops as soon as the page is full: the work is bounded by the page size,
    not by the size of the catalog.
    """

    def __init__(self, keys: Sequence[SearchKey]) -> None:
        self._keys = tuple(
            sorted(keys, key=lambda k: (k.kind != HitKind.BUNDLE, len(k.name), k.code))
        )
        columns = {
            "name": [k.name for k in self._keys],
            "code": [k.code.lower() for k in self._keys],
            "initials": [k.initials for k in self._keys],
            "pinyin": [k.pinyin for k in self._keys],
            "keywords": [k.keywords for k in self._keys],
            "department": [k.department for k in self._keys],
        }
        self._fields = {name: _Haystack(values) for name, values in columns.items()}
        self._fields["name_lower"] = _Haystack([k.name.lower() for k in self._keys])

    @classmethod
    def build(cls, catalog: Catalog, pinyin: PinyinFn = pypinyin_keys) -> SearchIndex:
        """Index every bundle and item of `catalog`."""
        return cls(list(index_keys(catalog, pinyin)))

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> tuple[SearchKey, ...]:
        """The indexed entries, in tie-break order."""
        return self._keys

    def search(self, query: str, limit: int = 50) -> list[Hit]:
        """Best matches first; an empty query lists bundles, then items, by code."""
        q = normalise_query(query)
        if not q:
            ordered = sorted(self._keys, key=lambda k: (k.kind != HitKind.BUNDLE, k.code))
            return [Hit(k.kind, k.code, k.name, k.department, 0) for k in ordered[:limit]]
        ascii_query = q.isascii()
        tiers = _ASCII_TIERS if ascii_query else _TEXT_TIERS
        hits: list[Hit] = []
        seen: set[int] = set()
        for score, rules in tiers:
            need = limit - len(hits)
            if need <= 0:
                break
            found: set[int] = set()
            for field_name, how in rules:
                if ascii_query and field_name == "name":
                    field_name = "name_lower"  # qykb-like queries are lower-case
                haystack = self._fields[field_name]
                found.update(haystack.find(_pattern(q, how), need, seen))
            for index in sorted(found)[:need]:
                seen.add(index)
                k = self._keys[index]
                hits.append(Hit(k.kind, k.code, k.name, k.department, score))
        return hits


def _pattern(q: str, how: str) -> re.Pattern[str]:
    escaped = re.escape(q)
    if how == "exact":
        return re.compile(re.escape(_OPEN + q + _CLOSE))
    if how == "prefix":
        return re.compile(re.escape(_OPEN + q))
    if how == "contains":
        return re.compile(escaped)
    # In order with anything between, within one record: 社保卡 finds 社会保障卡申领.
    return re.compile(f"[^{_SEP}]*?".join(map(re.escape, q)))


class _Haystack:
    """One field of every entry joined into a string, and where each entry starts."""

    def __init__(self, values: Sequence[str]) -> None:
        self.starts: list[int] = []
        offset = 0
        for value in values:
            self.starts.append(offset)
            offset += len(value) + 3  # open, close, separator
        self.text = _SEP.join(f"{_OPEN}{v}{_CLOSE}" for v in values)

    def find(self, pattern: re.Pattern[str], need: int, skip: set[int]) -> list[int]:
        """Up to `need` indices of entries matching `pattern`, ascending, none in `skip`."""
        found: list[int] = []
        pos = 0
        while len(found) < need and (m := pattern.search(self.text, pos)) is not None:
            index = bisect.bisect_right(self.starts, m.start()) - 1
            if index not in skip:
                found.append(index)
            if index + 1 >= len(self.starts):
                break
            pos = self.starts[index + 1]  # the rest of this entry cannot add anything
        return found


def index_keys(catalog: Catalog, pinyin: PinyinFn) -> Iterable[SearchKey]:
    """The search keys of every bundle and item."""
    for b in catalog.bundles.values():
        full, initials = pinyin(b.name)
        yield SearchKey(HitKind.BUNDLE, b.code, b.name, "", full, initials, "|".join(b.keywords))
    for i in catalog.items.values():
        full, initials = pinyin(i.name)
        dept = catalog.departments[i.department].name
        yield SearchKey(HitKind.ITEM, i.code, i.name, dept, full, initials, "|".join(i.keywords))
