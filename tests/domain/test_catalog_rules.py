"""What real bundles need from the catalog: answers that add, remove and replace materials,
form fields produced inside the application, precise prefill sources, and the refusals of
`catalog check` (cycles, choice codes, errors beside an unknown key)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from domain.test_intake import NOW, PERSON, everything_handed_in, settled

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.catalog_loader import CatalogInvalid, parse_catalog
from clerk_console.domain.checklist import Selection, build_checklist, merged_form
from clerk_console.domain.decision import DecisionKind
from clerk_console.domain.intake import (
    Agent,
    Applicant,
    ApplicantKind,
    Decision,
    Intake,
    Step,
    applicant_answers,
    decide,
    form_problems,
    prefill,
    reopened,
)
from clerk_console.domain.workdays import WorkCalendar

BASE = """
[[department]]
code = "D"
name = "部门"

[[line]]
prefix = "B"
name = "企业开办"

[[registry]]
code = "HUJI"
name = "户籍人口信息库"
fields = ["name", "home_address"]

[[material]]
code = "form"
name = "申请书"
kind = "form"

[[material]]
code = "idcard"
name = "身份证件"
kind = "certificate"
shareable = "HUJI"

[[material]]
code = "title"
name = "产权证明"
kind = "certificate"

[[material]]
code = "lease"
name = "租赁合同"
kind = "other"

[[material]]
code = "attorney"
name = "授权委托书"
kind = "form"

[[material]]
code = "photo"
name = "照片"
kind = "other"

[[material]]
code = "licence"
name = "执照"
kind = "certificate"
produced_by = ["I-1"]

[[question]]
code = "premises"
text = "自有还是租赁？"
[[question.choice]]
code = "owned"
label = "自有"
[[question.choice]]
code = "rented"
label = "租赁"
replace_materials = [{ material = "title", by = "lease" }]

[[question]]
code = "agent"
text = "是否委托？"
answered_by = "agent"
[[question.choice]]
code = "no"
label = "本人"
[[question.choice]]
code = "yes"
label = "委托"
add_materials = [
  { material = "attorney", original = "collect", copies = 0, necessity = "required" },
]

[[question]]
code = "photo"
text = "已有电子照片？"
[[question.choice]]
code = "yes"
label = "有"
remove_materials = ["photo"]
[[question.choice]]
code = "no"
label = "没有"
"""

ITEMS = """
[[item]]
code = "I-1"
name = "设立登记"
department = "D"
legal_days = 3
promised_days = 1
line = "B"
fee = "不收费"
result = "执照"
questions = ["premises", "agent", "photo"]
material = [
  { material = "form", original = "collect", copies = 0, necessity = "required" },
  { material = "title", original = "verify", copies = 1, necessity = "required" },
  { material = "photo", original = "collect", copies = 0, necessity = "required" },
]

[[item]]
code = "I-2"
name = "刻章"
department = "D"
legal_days = 3
promised_days = 1
line = "B"
fee = "不收费"
result = "印章"
questions = ["agent"]
material = [
  { material = "licence", original = "verify", copies = 1, necessity = "required" },
]

[[bundle]]
code = "KB"
name = "开办"
line = "B"
items = ["I-1", "I-2"]
questions = ["premises", "agent", "photo"]

[[form_field]]
code = "company"
label = "企业名称"
kind = "text"
items = ["I-1", "I-2"]
prefill = ["organisation.name"]

[[form_field]]
code = "credit"
label = "统一社会信用代码"
kind = "credit_code"
items = ["I-2"]
prefill = ["organisation.credit_code"]
produced_by = ["I-1"]

[[form_field]]
code = "person"
label = "申请人姓名"
kind = "text"
items = ["I-1"]
prefill = ["person.name", "idcard.name"]

[[form_field]]
code = "premises_address"
label = "住所（经营场所）"
kind = "address"
items = ["I-1"]
"""


@pytest.fixture
def small() -> Catalog:
    return parse_catalog({"base.toml": BASE, "items.toml": ITEMS})


def materials_of(catalog: Catalog, selection: Selection, answers: dict[str, str]) -> dict:
    checklist = build_checklist(catalog, selection, answers)
    return {e.material.code: e.items for e in checklist.entries}


# --- answers that change materials ------------------------------------------------------


@pytest.mark.parametrize("selection", [Selection(items=("I-1",)), Selection(bundle="KB")])
def test_an_answer_replaces_a_material_alone_and_in_a_bundle(
    small: Catalog, selection: Selection
) -> None:
    owned = materials_of(small, selection, {"premises": "owned", "agent": "no", "photo": "no"})
    rented = materials_of(small, selection, {"premises": "rented", "agent": "no", "photo": "no"})
    assert "title" in owned and "lease" not in owned
    assert "lease" in rented and "title" not in rented
    entry = build_checklist(
        small, selection, {"premises": "rented", "agent": "no", "photo": "no"}
    ).entry("lease")
    assert entry is not None and (entry.original.value, entry.copies) == ("verify", 1)


def test_an_answer_adds_a_material_to_every_item_of_the_bundle(small: Catalog) -> None:
    alone = materials_of(small, Selection(items=("I-2",)), {"agent": "yes"})
    assert alone["attorney"] == ("I-2",)
    both = materials_of(small, Selection(bundle="KB"), {"premises": "owned", "agent": "yes"})
    assert both["attorney"] == ("I-1", "I-2")  # listed once, for both items
    without = materials_of(small, Selection(bundle="KB"), {"premises": "owned", "agent": "no"})
    assert "attorney" not in without


@pytest.mark.parametrize("selection", [Selection(items=("I-1",)), Selection(bundle="KB")])
def test_an_answer_removes_a_material(small: Catalog, selection: Selection) -> None:
    kept = materials_of(small, selection, {"premises": "owned", "agent": "no", "photo": "no"})
    gone = materials_of(small, selection, {"premises": "owned", "agent": "no", "photo": "yes"})
    assert "photo" in kept and "photo" not in gone


def test_the_shipped_qykb_uses_the_rules(catalog: Catalog) -> None:
    answers = {
        "company_type": "llc",
        "premises": "rented",
        "need_seal": "yes",
        "need_invoice": "yes",
        "hire_staff": "yes",
        "open_gjj": "yes",
        "agent": "yes",
    }
    checklist = build_checklist(catalog, Selection(bundle="QYKB"), answers)
    lease = checklist.entry("premises_lease")
    assert lease is not None and checklist.entry("premises_title") is None
    attorney = checklist.entry("power_of_attorney")
    assert attorney is not None and attorney.items == checklist.items  # every item
    # The same rule for an item chosen on its own.
    alone = build_checklist(catalog, Selection(items=("SW-01",)), {"agent": "yes"})
    assert alone.entry("power_of_attorney") is not None
    assert catalog.questions["agent"].answered_by == "agent"


# --- the form ------------------------------------------------------------------------


def test_a_field_produced_inside_the_bundle_is_not_asked(small: Catalog) -> None:
    bundle = {line.field.code: line for line in merged_form(small, ("I-1", "I-2"))}
    assert bundle["credit"].produced_by == ("I-1",) and not bundle["credit"].asked
    alone = {line.field.code: line for line in merged_form(small, ("I-2",))}
    assert alone["credit"].asked and alone["credit"].produced_by == ()


def test_the_new_company_needs_no_credit_code_in_qykb(catalog: Catalog) -> None:
    intake = everything_handed_in(catalog, settled(catalog, Selection(bundle="QYKB")))
    intake = replace(intake, form={k: v for k, v in intake.form.items() if k != "credit_code"})
    missing, invalid = form_problems(catalog, intake)
    assert missing == [] and invalid == []
    decision = decide(
        intake,
        catalog,
        WorkCalendar(),
        DecisionKind.ACCEPT,
        NOW,
        case_number="JY01-20261123-05-0001",
        query_password="123456",
    )
    assert isinstance(decision, Decision), decision


def test_prefill_names_its_source_precisely(small: Catalog) -> None:
    fields = small.form_fields
    person = Intake(key="k", counter=5, clerk="c", applicant=PERSON)
    # A person's name is not an organisation's name.
    assert prefill(fields["company"], person) == ("", "")
    assert prefill(fields["person"], person) == ("张三", "person.name")
    company = Intake(
        key="k",
        counter=5,
        clerk="c",
        applicant=Applicant(kind=ApplicantKind.ORGANISATION, name="江阳示范科技有限公司"),
    )
    assert prefill(fields["company"], company) == ("江阳示范科技有限公司", "organisation.name")
    assert prefill(fields["person"], company) == ("", "")
    # A registry fills only the fields that name what its record carries, for the
    # material it verified.
    verified = replace(
        company, shared={"idcard": {"name": "李四", "home_address": "江阳区大山坪路 6 号"}}
    )
    assert prefill(fields["person"], verified) == ("李四", "idcard.name")
    assert prefill(fields["premises_address"], verified) == ("", "")


def test_verifying_the_household_does_not_fill_the_premises(catalog: Catalog) -> None:
    household = {"id_number": "11010519491231002X", "name": "张三", "home_address": "滨江路 18 号"}
    intake = Intake(
        key="k", counter=5, clerk="c", applicant=PERSON, shared={"legal_rep_id": household}
    )
    fields = catalog.form_fields
    assert prefill(fields["address"], intake) == ("", "")
    assert prefill(fields["company_name"], intake) == ("", "")
    # What the legal representative's own record does give: their name and number.
    assert prefill(fields["legal_rep"], intake) == ("张三", "legal_rep_id.name")
    assert prefill(fields["legal_rep_id_number"], intake)[0] == "11010519491231002X"


def test_a_shareholders_licence_is_not_the_new_company(catalog: Catalog) -> None:
    shareholder = {"name": "江阳示范科技有限公司", "domicile": "酒城大道 3 号"}
    intake = Intake(
        key="k", counter=5, clerk="c", applicant=PERSON, shared={"shareholder_proof": shareholder}
    )
    assert prefill(catalog.form_fields["company_name"], intake) == ("", "")
    assert prefill(catalog.form_fields["address"], intake) == ("", "")
    own = replace(intake, shared={"business_licence": shareholder})  # a change of this company
    assert prefill(catalog.form_fields["company_name"], own)[0] == "江阳示范科技有限公司"


def test_the_applicant_step_answers_whether_an_agent_acts(catalog: Catalog) -> None:
    alone = Intake(key="k", counter=5, clerk="c", applicant=PERSON)
    assert applicant_answers(catalog, alone)["agent"] == "no"
    agent = Agent(name="赵六", id_number="51050219900101123X", mobile="13912345678")
    assert applicant_answers(catalog, replace(alone, agent=agent))["agent"] == "yes"


# --- deciding -----------------------------------------------------------------------------


def test_a_rejection_needs_only_the_applicant_and_the_reason(catalog: Catalog) -> None:
    reason = next(iter(catalog.rejection_reasons))
    bare = Intake(key="k", counter=5, clerk="c", applicant=PERSON)
    decision = decide(
        bare,
        catalog,
        WorkCalendar(),
        DecisionKind.REJECT,
        NOW,
        case_number="n",
        query_password="",
        reason_code=reason,
    )
    assert isinstance(decision, Decision) and decision.status == "rejected"
    nobody = decide(
        Intake(key="k", counter=5, clerk="c"),
        catalog,
        WorkCalendar(),
        DecisionKind.REJECT,
        NOW,
        case_number="n",
        query_password="",
        reason_code=reason,
    )
    assert isinstance(nobody, list) and nobody[0].code == "applicant_incomplete"


def test_an_acceptance_names_the_form_fields_still_empty(catalog: Catalog) -> None:
    intake = everything_handed_in(catalog, settled(catalog, Selection(bundle="QYKB")))
    intake = replace(intake, form={**intake.form, "registered_capital": "", "staff_count": "x"})
    problems = decide(
        intake,
        catalog,
        WorkCalendar(),
        DecisionKind.ACCEPT,
        NOW,
        case_number="n",
        query_password="1",
    )
    assert isinstance(problems, list)
    codes = {p.code: p.materials for p in problems}
    assert codes["form_incomplete"] == ("注册资本（万元）",)
    assert codes["form_invalid"] == ("从业人数",)


def test_a_supplement_notice_reopens_with_everything_recorded(catalog: Catalog) -> None:
    intake = everything_handed_in(catalog, settled(catalog, Selection(bundle="QYKB")))
    intake = intake.with_record("articles", intake.record("articles").missing())
    data = intake.to_data()
    case = {
        "number": "JY01-20261123-05-0007",
        "counter": 5,
        "clerk": "clerk01",
        "received_at": "2026-11-23T10:00:00+00:00",
        "status": "supplement",
        "data": {
            "applicant": data["applicant"],
            "agent": data["agent"],
            "selection": data["selection"],
            "answers": data["answers"],
            "materials": data["records"],
            "form": data["form"],
            "decision": {"kind": "supplement", "supplement": [{"material": "公司章程"}]},
        },
    }
    again = reopened(case, "006-new", 6, "clerk02")
    assert again.continues == "JY01-20261123-05-0007" and again.step is Step.CHECKLIST
    assert again.records == intake.records and again.form == intake.form
    assert again.applicant == intake.applicant and again.answers == intake.answers
    assert [h["kind"] for h in again.history] == ["supplement"]
    assert again.history[0]["counter"] == 5
    assert Intake.from_data(again.to_data()) == again


# --- catalog check ------------------------------------------------------------------------


def errors(base: str = BASE, items: str = ITEMS) -> list[str]:
    with pytest.raises(CatalogInvalid) as info:
        parse_catalog({"base.toml": base, "items.toml": items})
    return [str(e) for e in info.value.errors]


def test_a_produced_by_cycle_is_refused_and_named() -> None:
    # The seal item (I-2) needs the licence produced by I-1; now I-1 needs the seal's result.
    base = BASE + '\n[[material]]\ncode = "seal"\nname = "印章"\nkind = "other"\n'
    base += 'produced_by = ["I-2"]\n'
    items = ITEMS.replace(
        '  { material = "photo", original = "collect", copies = 0, necessity = "required" },\n]',
        '  { material = "photo", original = "collect", copies = 0, necessity = "required" },\n'
        '  { material = "seal", original = "verify", copies = 0, necessity = "required" },\n]',
        1,
    )
    [error] = errors(base, items)
    assert "produced_by cycle I-1 → I-2 → I-1" in error
    assert (
        "I-1 needs seal produced by I-2" in error and "I-2 needs licence produced by I-1" in error
    )


def test_an_item_that_needs_what_it_produces_is_a_cycle() -> None:
    items = ITEMS.replace(
        '{ material = "form", original = "collect"', '{ material = "licence", original = "verify"'
    )
    [error] = errors(items=items)
    assert "produced_by cycle I-1 → I-1" in error


def test_choice_codes_are_checked_like_other_codes() -> None:
    [error] = errors(BASE.replace('code = "rented"', 'code = "rented out"'))
    assert error == (
        "base.toml: question[premises].choice[rented out].code: "
        "codes use letters, digits, - and _ only"
    )


def test_errors_beside_an_unknown_key_are_still_reported() -> None:
    base = BASE.replace('text = "自有还是租赁？"', 'text = "自有还是租赁？"\ncolour = "red"')
    base = base.replace(
        '{ material = "title", by = "lease" }', '{ material = "title", by = "nope" }'
    )
    found = errors(base)
    assert any("question[premises].colour: unknown key" in e for e in found)
    assert any(
        "question[premises].choice[rented].replace_materials[title].by: unknown material 'nope'"
        in e
        for e in found
    )
    # The question is still there: items that list it are not told it is unknown.
    assert not any("unknown question 'premises'" in e for e in found)


def test_the_new_rules_refuse_what_is_not_there() -> None:
    base = (
        BASE.replace('remove_materials = ["photo"]', 'remove_materials = ["fotograph"]')
        .replace(
            'material = "attorney", original = "collect"',
            'material = "atorney", original = "collect"',
        )
        .replace('answered_by = "agent"', 'answered_by = "spouse"')
    )
    items = ITEMS.replace(
        'prefill = ["person.name", "idcard.name"]', 'prefill = ["applicant.name", "idcard.address"]'
    )
    items = items.replace('produced_by = ["I-1"]', 'produced_by = ["I-2"]')
    found = errors(base, items)
    assert "base.toml: question[premises].choice[yes]" not in found  # sanity: names below
    expected = [
        "base.toml: question[photo].choice[yes].remove_materials: unknown material 'fotograph'",
        "base.toml: question[agent].choice[yes].add_materials[atorney].material: "
        "unknown material 'atorney'",
        "base.toml: question[agent].answered_by: 'spouse' is not one of: agent",
        "items.toml: form_field[credit].produced_by: I-2 cannot both use the field and produce it",
    ]
    for line in expected:
        assert line in found, (line, found)
    assert any(
        e.startswith(
            "items.toml: form_field[person].prefill: unknown prefill source 'applicant.name'"
        )
        for e in found
    )
    assert (
        "items.toml: form_field[person].prefill: idcard is verified by HUJI, which carries no "
        "field 'address' (it carries: name, home_address)"
    ) in found
