"""Each kind of catalog error is reported with its file and key, all of them at once."""

from __future__ import annotations

import pytest

from clerk_console.domain.catalog import Catalog
from clerk_console.domain.catalog_loader import CatalogInvalid, parse_catalog
from clerk_console.domain.hall import parse_hall

BASE = """
[[department]]
code = "SCJG"
name = "市场监督管理局"

[[line]]
prefix = "B"
name = "企业开办"

[[registry]]
code = "HUJI"
name = "户籍人口信息库"

[[material]]
code = "id_card"
name = "申请人身份证件"
kind = "certificate"
shareable = "HUJI"

[[question]]
code = "agent"
text = "是否委托？"
[[question.choice]]
code = "no"
label = "本人"
[[question.choice]]
code = "yes"
label = "委托"
"""

ITEM = """
[[item]]
code = "X-1"
name = "测试事项"
department = "SCJG"
legal_days = 5
promised_days = 1
line = "B"
fee = "不收费"
result = "结果"
material = [
  { material = "id_card", original = "verify", copies = 1, necessity = "required" },
]
"""


def errors_of(items_text: str, base: str = BASE) -> list[str]:
    with pytest.raises(CatalogInvalid) as info:
        parse_catalog({"base.toml": base, "items.toml": items_text})
    return [str(e) for e in info.value.errors]


def only_error(items_text: str, base: str = BASE) -> str:
    errors = errors_of(items_text, base)
    assert len(errors) == 1, errors
    return errors[0]


def test_the_minimal_catalog_is_valid() -> None:
    catalog = parse_catalog({"base.toml": BASE, "items.toml": ITEM})
    assert list(catalog.items) == ["X-1"]
    assert len(catalog.version) == 16


def test_version_ignores_comments_and_layout_but_not_content() -> None:
    one = parse_catalog({"base.toml": BASE, "items.toml": ITEM})
    two = parse_catalog({"all.toml": "# a comment\n" + BASE + ITEM})
    three = parse_catalog({"base.toml": BASE, "items.toml": ITEM.replace("不收费", "10元")})
    assert one.version == two.version != three.version


def test_syntax_error() -> None:
    assert only_error("[[item]\ncode = 1").startswith("items.toml: (syntax): not valid TOML")


def test_unknown_section() -> None:
    assert only_error("[[items]]\ncode = 'X'").startswith("items.toml: items: unknown section")


def test_unknown_key() -> None:
    error = only_error(ITEM.replace('fee = "不收费"', 'fee = "不收费"\nfees = "x"'))
    assert error.startswith("items.toml: item[X-1].fees: unknown key")


def test_missing_key() -> None:
    error = only_error(ITEM.replace('result = "结果"\n', ""))
    assert error == "items.toml: item[X-1].result: missing; expected a string"


def test_wrong_type() -> None:
    error = only_error(ITEM.replace("legal_days = 5", 'legal_days = "5"'))
    assert error == "items.toml: item[X-1].legal_days: expected an integer, got str"


def test_bad_enumerated_value() -> None:
    error = only_error(ITEM.replace('original = "verify"', 'original = "look"'))
    assert error.startswith(
        "items.toml: item[X-1].material[id_card].original: 'look' is not one of"
    )


def test_duplicate_code_names_both_files() -> None:
    error = only_error(ITEM + ITEM.replace("测试事项", "另一个"))
    assert error == "items.toml: item[X-1]: duplicate code 'X-1' (first in items.toml)"
    error = only_error(BASE.split("[[line]]")[0], base=BASE)
    assert error.startswith(
        "items.toml: department[SCJG]: duplicate code 'SCJG' (first in base.toml)"
    )


def test_unknown_department() -> None:
    error = only_error(ITEM.replace('department = "SCJG"', 'department = "NOPE"'))
    assert error == "items.toml: item[X-1].department: unknown department 'NOPE'"


def test_unknown_line() -> None:
    error = only_error(ITEM.replace('line = "B"', 'line = "Z"'))
    assert error == "items.toml: item[X-1].line: unknown line 'Z'"


def test_unknown_material() -> None:
    error = only_error(ITEM.replace('material = "id_card"', 'material = "passport"'))
    assert error == "items.toml: item[X-1].material[passport].material: unknown material 'passport'"


def test_unknown_question_and_choice() -> None:
    text = ITEM.replace('result = "结果"', 'result = "结果"\nquestions = ["who"]').replace(
        'necessity = "required" }',
        'necessity = "conditional", when = ["agent.maybe"] }',
    )
    errors = errors_of(text)
    assert "items.toml: item[X-1].questions: unknown question 'who'" in errors
    assert (
        "items.toml: item[X-1].material[id_card].when: unknown choice 'agent.maybe' "
        "(write it as question.choice)"
    ) in errors


def test_unknown_item_in_a_bundle_and_in_a_choice() -> None:
    bundle = '\n[[bundle]]\ncode = "B1"\nname = "一件事"\nline = "B"\nitems = ["X-1", "X-9"]\n'
    error = only_error(ITEM + bundle)
    assert error == "items.toml: bundle[B1].items: unknown item 'X-9'"
    base = BASE.replace('label = "委托"', 'label = "委托"\nadd_items = ["X-7"]')
    error = only_error(ITEM, base=base)
    assert error == "base.toml: question[agent].choice[yes].add_items: unknown item 'X-7'"


def test_unknown_registry() -> None:
    error = only_error(ITEM, base=BASE.replace('shareable = "HUJI"', 'shareable = "NOPE"'))
    assert error == "base.toml: material[id_card].shareable: unknown registry 'NOPE'"


def test_promised_longer_than_legal() -> None:
    error = only_error(ITEM.replace("promised_days = 1", "promised_days = 9"))
    assert error == (
        "items.toml: item[X-1].promised_days: promised 9 days is longer than the legal limit of 5"
    )


def test_impossible_time_limits() -> None:
    errors = errors_of(ITEM.replace("legal_days = 5", "legal_days = 900"))
    assert "items.toml: item[X-1].legal_days: must be between 0 and 250 working days" in errors
    errors = errors_of(ITEM.replace("promised_days = 1", "promised_days = -1"))
    assert "items.toml: item[X-1].promised_days: must be between 0 and 250 working days" in errors


def test_key_material_cannot_be_deferrable() -> None:
    base = BASE.replace(
        'kind = "certificate"', 'kind = "certificate"\nkey = true\ndeferrable = true'
    )
    error = only_error(ITEM, base=base)
    assert error == "base.toml: material[id_card].deferrable: a key material can never be deferred"


def test_conditional_material_needs_when() -> None:
    error = only_error(ITEM.replace('necessity = "required"', 'necessity = "conditional"'))
    assert error == (
        "items.toml: item[X-1].material[id_card].when: a conditional material needs `when` choices"
    )


def test_question_needs_two_choices() -> None:
    base = BASE.replace('[[question.choice]]\ncode = "yes"\nlabel = "委托"\n', "")
    error = only_error(ITEM, base=base)
    assert error == "base.toml: question[agent].choice: a question needs at least two choices"


def test_all_errors_are_reported_at_once() -> None:
    text = (
        ITEM.replace('department = "SCJG"', 'department = "NOPE"')
        .replace('line = "B"', 'line = "Z"')
        .replace("promised_days = 1", "promised_days = 9")
    )
    assert len(errors_of(text)) == 3


def test_the_shipped_catalog_meets_the_issue(catalog: Catalog) -> None:
    assert len(catalog.departments) >= 9
    assert len(catalog.items) >= 35
    names = {b.name for b in catalog.bundles.values()}
    assert {
        "企业开办",
        "新生儿出生",
        "二手房转移登记及水电气过户",
        "企业职工退休",
        "员工录用",
        "开办餐饮店",
    } <= names
    assert len(catalog.bundles["QYKB"].questions) >= 3
    assert catalog.items["BDC-01"].related[0] == "BDC-02"  # 二手房转移 → 抵押登记


HALL = """
[hall]
code = "JY01"
name = "测试大厅"

[[counter]]
number = 5
name = "综合窗口"
lines = ["B"]

[[staff]]
username = "a1"
name = "审批"
role = "approver"
department = "SCJG"
pin = "123456"
"""


def test_hall_file_is_checked_against_the_catalog() -> None:
    catalog = parse_catalog({"base.toml": BASE, "items.toml": ITEM})
    hall = parse_hall("hall.toml", HALL, catalog)
    assert hall.counter(5) is not None and hall.counter(5).lines == ("B",)  # type: ignore[union-attr]
    bad = (
        HALL.replace('lines = ["B"]', 'lines = ["Q"]')
        .replace('department = "SCJG"', 'department = "XX"')
        .replace('pin = "123456"', 'pin = "12"')
    )
    with pytest.raises(CatalogInvalid) as info:
        parse_hall("hall.toml", bad, catalog)
    assert [str(e) for e in info.value.errors] == [
        "hall.toml: counter[5].lines: unknown line 'Q'",
        "hall.toml: staff[a1].pin: a PIN is 6 digits",
        "hall.toml: staff[a1].department: unknown department 'XX'",
    ]


def test_instant_rights_name_known_departments_and_counter_staff() -> None:
    catalog = parse_catalog({"base.toml": BASE, "items.toml": ITEM})
    clerk = '\n[[staff]]\nusername = "c1"\nname = "窗口"\nrole = "clerk"\npin = "111111"\n'
    good = HALL + clerk + 'instant_departments = ["SCJG"]\n'
    hall = parse_hall("hall.toml", good, catalog)
    assert hall.code == "JY01"  # the hall's code is not taken for a department's
    assert [s.instant_departments for s in hall.staff] == [(), ("SCJG",)]
    bad = (
        HALL.replace('pin = "123456"', 'pin = "123456"\ninstant_departments = ["SCJG"]')
        + clerk
        + 'instant_departments = ["XX"]\n'
    )
    with pytest.raises(CatalogInvalid) as info:
        parse_hall("hall.toml", bad, catalog)
    assert [str(e) for e in info.value.errors] == [
        "hall.toml: staff[a1].instant_departments: only counter staff decide at the counter",
        "hall.toml: staff[c1].instant_departments: unknown department 'XX'",
    ]
