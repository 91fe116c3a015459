"""Tailored checklists: every bundle, every combination of answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clerk_console.domain.catalog import Catalog, Necessity
from clerk_console.domain.checklist import Checklist, Selection, build_checklist, merged_form


def all_answer_paths(
    catalog: Catalog, selection: Selection
) -> Iterator[tuple[dict[str, str], Checklist]]:
    """Every way of answering a bundle's questions, in the order they are asked."""

    def walk(answers: dict[str, str]) -> Iterator[tuple[dict[str, str], Checklist]]:
        checklist = build_checklist(catalog, selection, answers)
        question = checklist.next_question
        if question is None:
            yield answers, checklist
            return
        for choice in question.choices:
            yield from walk({**answers, question.code: choice.code})

    yield from walk({})


def test_every_bundle_every_combination_gives_a_consistent_checklist(catalog: Catalog) -> None:
    paths = 0
    for code in catalog.bundles:
        for answers, checklist in all_answer_paths(catalog, Selection(bundle=code)):
            paths += 1
            assert checklist.settled
            codes = [e.material.code for e in checklist.entries]
            assert len(codes) == len(set(codes)), f"{code} {answers}: a material listed twice"
            active = set(checklist.items)
            for entry in checklist.entries:
                assert set(entry.items) <= active
                # Never ask for what an item of this application produces.
                assert not (set(entry.material.produced_by) & active - set(entry.items)), (
                    code,
                    answers,
                    entry.material.code,
                )
                # Each material comes from an item's own list (a conditional one only when
                # one of its choices was picked), from a chosen answer that adds it to every
                # item, or from a chosen answer that swaps it in for another.
                chosen = [
                    c
                    for q in checklist.questions
                    if (c := q.choice(answers.get(q.code, ""))) is not None
                ]
                added = {m.material for c in chosen for m in c.add_materials}
                swapped_in = {s.by: s.material for c in chosen for s in c.replace_materials}
                for item_code in entry.items:
                    code = entry.material.code
                    if code in added:
                        continue
                    code = swapped_in.get(code, code)
                    need = next(m for m in catalog.items[item_code].materials if m.material == code)
                    if need.necessity is Necessity.CONDITIONAL:
                        assert any(
                            answers.get(r.split(".")[0]) == r.split(".")[1] for r in need.when
                        )
            for produced in checklist.produced:
                assert produced.material.code not in codes
    assert paths > 100  # the walk really covers the combinations


QYKB_ANSWERS = {
    "company_type": "llc",
    "premises": "rented",
    "need_seal": "yes",
    "need_invoice": "no",
    "hire_staff": "yes",
    "open_gjj": "no",
    "agent": "no",
}


def test_qykb_llc_rented_with_seal_and_staff(catalog: Catalog) -> None:
    checklist = build_checklist(catalog, Selection(bundle="QYKB"), QYKB_ANSWERS)
    assert checklist.settled
    assert checklist.items == ("SCJG-QY01", "GA-YZ01", "SW-01", "RS-01")
    names = [e.material.name for e in checklist.entries]
    assert names == [
        "公司登记（备案）申请书",
        "法定代表人（负责人）身份证件",
        "公司章程",
        "股东（出资人）主体资格证明",
        "董事、监事、经理任职文件",
        "住所（经营场所）租赁合同",
        "印章刻制备案申请表",
        "新办纳税人套餐信息确认表",
        # Optional for the tax item but required by social insurance: merged as required.
        "单位银行结算账户信息",
        "社会保险登记表",
    ]
    bank = checklist.entry("bank_account_info")
    assert bank is not None and bank.required and bank.items == ("SW-01", "RS-01")
    legal_rep = checklist.entry("legal_rep_id")
    assert legal_rep is not None
    assert legal_rep.items == ("SCJG-QY01", "GA-YZ01", "SW-01", "RS-01")
    assert legal_rep.copies == 1 and legal_rep.shareable == "HUJI"
    # The licence comes out of this very application, so nobody asks for it.
    assert checklist.entry("business_licence") is None
    assert [p.material.code for p in checklist.produced] == ["business_licence"]
    # Not asked for a sole proprietorship, nor an agent's papers when acting in person.
    assert checklist.entry("partnership_agreement") is None
    assert checklist.entry("power_of_attorney") is None


def test_questions_are_progressive(catalog: Catalog) -> None:
    selection = Selection(bundle="QYKB")
    asked = build_checklist(catalog, selection, {"hire_staff": "yes"})
    assert "open_gjj" in [q.code for q in asked.questions]
    not_asked = build_checklist(catalog, selection, {"hire_staff": "no"})
    assert "open_gjj" not in [q.code for q in not_asked.questions]
    # An answer to a question that no longer matters is ignored.
    stale = build_checklist(catalog, selection, {"hire_staff": "no", "open_gjj": "yes"})
    assert "open_gjj" not in stale.answers
    assert "GJJ-01" not in stale.items
    assert build_checklist(catalog, selection, {}).next_question.code == "company_type"  # type: ignore[union-attr]


def test_newborn_birth_certificate_is_produced_or_verified_by_sharing(catalog: Catalog) -> None:
    selection = Selection(bundle="XSECS")
    base = {"parents_married": "yes", "newborn_ssc": "yes", "agent": "no"}
    with_hospital = build_checklist(catalog, selection, {**base, "birth_cert_held": "no"})
    assert "WJ-01" in with_hospital.items
    assert with_hospital.entry("birth_certificate") is None
    already = build_checklist(catalog, selection, {**base, "birth_cert_held": "yes"})
    assert "WJ-01" not in already.items
    cert = already.entry("birth_certificate")
    assert cert is not None and cert.shareable == "BIRTH"
    assert cert.items == ("GA-HJ01", "YB-01")
    assert already.entry("parents_marriage") is not None
    unmarried = build_checklist(
        catalog, selection, {**base, "birth_cert_held": "yes", "parents_married": "no"}
    )
    assert unmarried.entry("parents_marriage") is None
    assert unmarried.entry("non_marital_statement") is not None


def test_second_hand_house_with_loan_adds_the_mortgage(catalog: Catalog) -> None:
    answers = {
        "seller_married": "married",
        "seller_mortgaged": "no",
        "buyer_loan": "yes",
        "utilities": "water_power",
        "agent": "no",
    }
    checklist = build_checklist(catalog, Selection(bundle="ESFGH"), answers)
    assert checklist.items == ("SW-03", "BDC-01", "GS-01", "GD-01", "BDC-02")
    assert checklist.entry("spouse_consent") is not None
    # The new certificate and the tax receipt come out of the bundle itself.
    produced = {p.material.code for p in checklist.produced}
    assert produced == {"new_real_estate_cert", "tax_payment_proof"}


def test_restaurant_as_individual_over_300_square_metres(catalog: Catalog) -> None:
    answers = {
        "shop_entity": "individual",
        "shop_large": "yes",
        "fire_pledge": "pledge",
        "premises": "owned",
        "agent": "no",
    }
    checklist = build_checklist(catalog, Selection(bundle="KBCYD"), answers)
    assert set(checklist.items) == {"SCJG-GT01", "SCJG-SP01", "XF-01"}
    assert "company_type" not in [q.code for q in checklist.questions] or checklist.answers
    assert checklist.entry("fire_commitment") is not None
    assert checklist.entry("fire_system_test") is None


def test_strictest_demand_wins_when_merging(catalog: Catalog) -> None:
    # GA-HJ01 wants 1 copy of the birth certificate and the original seen; YB-01 the same.
    checklist = build_checklist(
        catalog,
        Selection(items=("GA-HJ01", "GJJ-03", "RS-05")),
        {"parents_married": "yes", "agent": "no", "special_job": "no"},
    )
    card = checklist.entry("bank_card")
    assert card is not None and card.items == ("GJJ-03", "RS-05") and card.copies == 1
    # pension_decision is produced by RS-05 for GJJ-03.
    assert checklist.entry("pension_decision") is None


def test_a_single_item_has_its_own_questions(catalog: Catalog) -> None:
    checklist = build_checklist(catalog, Selection(items=("SCJG-QY01",)), {})
    assert [q.code for q in checklist.questions] == ["agent", "company_type", "premises"]
    # With no bundle, the licence is asked for by items that need it.
    other = build_checklist(catalog, Selection(items=("GA-YZ01",)), {"agent": "no"})
    assert other.entry("business_licence") is not None


def test_merged_form_asks_each_field_once(catalog: Catalog) -> None:
    checklist = build_checklist(catalog, Selection(bundle="QYKB"), QYKB_ANSWERS)
    lines = merged_form(catalog, checklist.items)
    codes = [line.field.code for line in lines]
    assert len(codes) == len(set(codes))
    users = {line.field.code: line.items for line in lines}
    assert users["company_name"] == ("SCJG-QY01", "GA-YZ01", "SW-01", "RS-01")
    assert "newborn_name" not in users


def test_a_selection_is_a_bundle_or_items() -> None:
    with pytest.raises(ValueError):
        Selection()
    with pytest.raises(ValueError):
        Selection(bundle="QYKB", items=("SW-01",))
