from __future__ import annotations

import pytest

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.search import HitKind, SearchIndex


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
