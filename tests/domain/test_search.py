from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.search import HitKind, SearchIndex, normalise_query


@pytest.fixture(scope="module")
def index(catalog: Catalog) -> SearchIndex:
    return SearchIndex.build(catalog)


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("qykb", "企业开办"),
        ("xsecs", "新生儿出生"),
        ("QYKB", "企业开办"),
        ("qiyekaiban", "企业开办"),
        ("qi ye kai ban", "企业开办"),
        ("企业开办", "企业开办"),
        ("新生儿", "新生儿出生"),
        ("ershoufang", "二手房转移登记及水电气过户"),
        ("社保卡", "社会保障卡申领"),  # a keyword of the item
        ("BDC-01", "二手房（存量房）转移登记"),
    ],
)
def test_the_expected_entry_comes_first(index: SearchIndex, query: str, first: str) -> None:
    hits = index.search(query)
    assert hits and hits[0].name == first


def test_bundles_rank_before_items_for_the_same_match(index: SearchIndex) -> None:
    hits = index.search("企业")
    assert hits[0].kind is HitKind.BUNDLE
    assert {h.name for h in hits} >= {"企业开办", "企业设立登记"}


def test_characters_in_order_find_abbreviations(index: SearchIndex) -> None:
    assert "社会保险登记表" not in [h.name for h in index.search("社险")]
    assert "单位社会保险登记" in [h.name for h in index.search("社险")]


def test_nothing_matches(index: SearchIndex) -> None:
    assert index.search("zzzz") == []
    assert index.search("火星") == []


def test_empty_query_lists_bundles_first(index: SearchIndex, catalog: Catalog) -> None:
    hits = index.search("   ", limit=100)
    assert len(hits) == len(catalog.bundles) + len(catalog.items)
    assert all(h.kind is HitKind.BUNDLE for h in hits[: len(catalog.bundles)])


def reference_search(index: SearchIndex, query: str, limit: int = 50) -> list[tuple[str, int]]:
    """The ranking rules written plainly over every entry, to check the fast index against."""
    q = normalise_query(query)
    scored = []
    for k in index.keys:
        name = k.name.lower() if q.isascii() else k.name
        if name == q:
            score = 0
        elif name.startswith(q) or (q.isascii() and k.code.lower().startswith(q)):
            score = 1
        elif q.isascii():
            if k.initials.startswith(q) or k.pinyin.startswith(q):
                score = 2
            elif q in k.initials:
                score = 4
            elif q in k.pinyin:
                score = 5
            else:
                continue
        elif q in k.name or q in k.keywords:
            score = 3
        elif q in k.department:
            score = 6
        elif re.search(".*?".join(map(re.escape, q)), k.name):
            score = 7
        else:
            continue
        scored.append((score, k.kind != HitKind.BUNDLE, len(k.name), k.code))
    return [(s[3], s[0]) for s in sorted(scored)[:limit]]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_fast_index_ranks_exactly_like_the_plain_rules(
    index: SearchIndex, data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(index.keys))
    source = data.draw(st.sampled_from([key.name, key.pinyin, key.initials, key.code.lower()]))
    start = data.draw(st.integers(0, max(0, len(source) - 1)))
    length = data.draw(st.integers(1, 6))
    query = source[start : start + length] or source
    limit = data.draw(st.sampled_from([5, 50]))
    got = [(h.code, h.score) for h in index.search(query, limit=limit)]
    assert got == reference_search(index, query, limit)
