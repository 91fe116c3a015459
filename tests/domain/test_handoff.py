"""Splitting a case into handoffs (pure): one per department, instant items kept at the
counter, the order the catalog implies (what needs another item's result waits for it)."""

from __future__ import annotations

from datetime import date

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.handoff import blocking_materials, ready_to_start, split_case


def test_a_company_opening_goes_to_five_departments(catalog: Catalog) -> None:
    items = list(catalog.bundles["QYKB"].items)
    split = split_case(items, catalog)
    assert [h.department for h in split.handoffs] == ["SCJG", "GA", "SW", "RS", "GJJ"]
    assert split.instant == ("SW-01",)  # 即办件: decided at the counter
    licence, *after = split.handoffs
    assert licence.waits_for == () and licence.days == 1
    assert all(h.waits_for == ("SCJG-QY01",) for h in after)  # the licence is their input


def test_a_department_with_two_items_takes_the_earliest_limit(catalog: Catalog) -> None:
    (handoff,) = split_case(["GA-SFZ01", "GA-HJ02"], catalog).handoffs
    assert handoff.items == ("GA-SFZ01", "GA-HJ02") and handoff.days == 5


def test_a_result_of_an_item_outside_the_case_is_not_waited_for(catalog: Catalog) -> None:
    (seal,) = split_case(["GA-YZ01"], catalog).handoffs  # the licence was brought on paper
    assert seal.waits_for == ()
    assert ready_to_start(("SCJG-QY01",), {"SCJG-QY01"})
    assert not ready_to_start(("SCJG-QY01",), set())


def test_missing_and_overdue_deferred_materials_block(catalog: Catalog) -> None:
    records = {
        "sale_contract": {"marked_missing": True},
        "id_card": {"deferred_until": "2026-11-30"},  # not yet due: no block
        "real_estate_cert": {"deferred_until": "2026-11-20"},
    }
    blocking = blocking_materials(["BDC-01"], catalog, records, date(2026, 11, 23))
    assert sorted(blocking) == ["real_estate_cert", "sale_contract"]
