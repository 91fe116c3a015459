"""Shared registries (免提交): the demo hall's records, looked up by the counter."""

from __future__ import annotations

from pathlib import Path

import pytest
from central.conftest import Platform

from clerk_console.central.registries import Registries

CLERK = ("clerk01", "111111")


def test_a_match_gives_the_fields_it_carries(platform: Platform) -> None:
    p = platform
    clerk = p.login(*CLERK, counter=5)
    person = p.client.get("/registries/HUJI/11010519491231002x", headers=clerk)
    assert person.status_code == 200, person.text
    assert person.json()["fields"]["name"] == "张三"
    company = p.client.get("/registries/bizreg/91110000600037341L", headers=clerk).json()
    assert company["registry"] == "BIZREG" and company["fields"]["legal_rep"] == "李四"
    title = p.client.get("/registries/BDCDJ/川(2024)江阳区不动产权第0012345号", headers=clerk)
    assert title.json()["fields"]["owner"] == "张三"


def test_no_match_says_so(platform: Platform) -> None:
    p = platform
    clerk = p.login(*CLERK, counter=5)
    none = p.client.get("/registries/HUJI/110105194912310021", headers=clerk)
    assert none.status_code == 404 and none.json()["error"] == "no_record"
    unknown = p.client.get("/registries/NOPE/1", headers=clerk)
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_registry"


def test_a_broken_registry_file_names_the_record(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "registries.toml").write_text(
        '[[record]]\nregistry = "HUJI"\nkey = "1"\nfields = {}\n[[record]]\nkey = "2"\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="record 2: needs registry, key and fields"):
        Registries.load(tmp_path)
    assert Registries.load(tmp_path / "elsewhere").records == {}


def test_a_registry_is_asked_at_a_counter_and_every_lookup_is_recorded(
    platform: Platform,
) -> None:
    from sqlmodel import Session, select

    from clerk_console.central.models import CaseEvent

    p = platform
    key = "11010519491231002X"
    approver = p.login("scjg01", "444401")
    refused = p.client.get(f"/registries/HUJI/{key}", headers=approver)
    assert refused.status_code == 403 and refused.json()["error"] == "role_forbidden"
    away = p.client.get(f"/registries/HUJI/{key}", headers=p.login(*CLERK))
    assert away.status_code == 403 and away.json()["error"] == "no_counter"
    assert (
        p.client.get(f"/registries/HUJI/{key}", headers=p.login(*CLERK, counter=5)).status_code
        == 200
    )
    with Session(p.engine) as s:
        (lookup,) = s.exec(select(CaseEvent).where(CaseEvent.kind == "registry.lookup")).all()
    assert lookup.username == "clerk01"
    assert key not in lookup.detail_json  # the number itself is not kept in the record
    assert '"counter": 5' in lookup.detail_json and '"registry": "HUJI"' in lookup.detail_json
    from central.conftest import HASHER

    assert HASHER.keyed_digest(key) in lookup.detail_json  # but can be found by who holds it
