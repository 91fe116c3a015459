"""The service guide driven from the keyboard, as a clerk (or a resident at a kiosk) would."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import Input, OptionList, Static

from clerk_console.catalog_files import default_data_dir
from clerk_console.cli import make_app
from clerk_console.config import ConsoleConfig
from clerk_console.domain.checklist import Selection
from clerk_console.store.local import LocalStore
from clerk_console.tui.screens.guide import GuideScreen

from tui.helpers import plain, settle

SIZE = (140, 45)


def guide(app: object) -> GuideScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, GuideScreen)
    return screen


async def test_qykb_open_answer_and_see_the_checklist(settings: ConsoleConfig) -> None:
    app = make_app(settings, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = guide(app)
        await pilot.press(*"qykb")
        results = screen.query_one("#results", OptionList)
        assert results.option_count == 1
        await pilot.press("enter")
        assert screen.selection == Selection(bundle="QYKB")
        questions = plain(screen.query_one("#detail-questions", Static))
        assert "拟设立的企业类型是？" in questions
        assert app.focused is screen.query_one("#choices", OptionList)
        # 有限责任公司, 租赁, 刻章, 不领发票, 招员工, 暂不办公积金, 本人办理
        await pilot.press("1", "2", "1", "2", "1", "2", "1")
        assert screen.answers == {
            "company_type": "llc",
            "premises": "rented",
            "need_seal": "yes",
            "need_invoice": "no",
            "hire_staff": "yes",
            "open_gjj": "no",
            "agent": "no",
        }
        questions = plain(screen.query_one("#detail-questions", Static))
        assert "情形已全部确定" in questions
        checklist = plain(screen.query_one("#detail-checklist", Static))
        assert "材料清单（10）" in checklist
        for name in (
            "公司章程",
            "住所（经营场所）租赁合同",
            "印章刻制备案申请表",
            "社会保险登记表",
        ):
            assert name in checklist
        assert "合伙协议" not in checklist and "发票票种核定" not in checklist
        items = plain(screen.query_one("#detail-items", Static))
        assert "办理事项（4）" in items and "住房公积金单位缴存登记" not in items
        produced = plain(screen.query_one("#detail-produced", Static))
        assert "营业执照" in produced and "企业设立登记" in produced


async def test_the_checklist_follows_undo_and_reset(settings: ConsoleConfig) -> None:
    app = make_app(settings, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = guide(app)
        await pilot.press(*"qykb", "enter", "1", "2", "2")  # llc, rented, no seal
        assert "GA-YZ01" not in plain(screen.query_one("#detail-items", Static))
        assert "公章刻制备案" not in plain(screen.query_one("#detail-items", Static))
        await pilot.press("u")  # the seal question again
        assert list(screen.answers) == ["company_type", "premises"]
        assert "公章刻制备案" in plain(screen.query_one("#detail-items", Static))
        await pilot.press("r")
        assert screen.answers == {}
        assert "拟设立的企业类型是？" in plain(screen.query_one("#detail-questions", Static))


async def test_open_an_item_from_the_results_list(settings: ConsoleConfig) -> None:
    app = make_app(settings, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = guide(app)
        await pilot.press(*"xsecs")
        await pilot.press("escape")
        await pilot.press(*"shbzk")  # 社会保障卡申领 by initials
        await pilot.press("down", "enter")
        assert screen.selection == Selection(items=("RS-04",))
        meta = plain(screen.query_one("#detail-meta", Static))
        assert "人力资源和社会保障局" in meta and "10 个工作日" in meta and "20 个工作日" in meta


async def test_an_unknown_search_says_so_clearly(settings: ConsoleConfig) -> None:
    app = make_app(settings, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = guide(app)
        await pilot.press(*"zzzz")
        assert screen.query_one("#results", OptionList).option_count == 0
        status = plain(screen.query_one("#search-status", Static))
        assert "没有找到与“zzzz”相关的事项" in status
        await pilot.press("enter")  # nothing to open, nothing breaks
        assert screen.selection is None


async def test_english_catalogue(settings: ConsoleConfig) -> None:
    app = make_app(settings, lang="en", start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = guide(app)
        assert app.title == "Comprehensive counter"
        await pilot.press(*"xsecs", "enter")
        questions = plain(screen.query_one("#detail-questions", Static))
        assert "Answer the question below" in questions
        footer_keys = {b.description for b in screen._bindings.shown_keys}
        assert {"Search", "Back to search", "Undo answer", "Start over"} <= footer_keys


async def test_first_start_caches_the_catalog_and_audits_it(settings: ConsoleConfig) -> None:
    app = make_app(settings, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        loaded = app.catalog
        assert loaded is not None and loaded.changed and loaded.source == "files"
    store = LocalStore.open(settings.data_path())
    try:
        cached = store.cached_catalog()
        assert cached is not None and cached.version == loaded.catalog.version
        entries = store.audit_entries()
        assert [(e.action, e.subject, e.counter) for e in entries] == [
            ("catalog.updated", loaded.catalog.version, 5)
        ]
    finally:
        store.close()
    # A second start finds the same version: nothing rebuilt, nothing audited again.
    app = make_app(settings, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.catalog is not None and not app.catalog.changed


async def test_broken_catalog_files_fall_back_to_the_cached_catalog(
    tmp_path: Path, settings: ConsoleConfig
) -> None:
    data = tmp_path / "hall-data"
    shutil.copytree(default_data_dir(), data)
    config = settings.with_changes(catalog_dir=str(data))
    app = make_app(config, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.catalog is not None
    (data / "catalog" / "bundles.toml").write_text("[[bundle]\n", encoding="utf-8")
    app = make_app(config, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.catalog is not None and app.catalog.source == "cache"
        assert app.catalog.problems[0].startswith("bundles.toml: (syntax)")
        messages = [n.message for n in app._notifications]
        assert any("正在使用上次的目录" in m for m in messages)
        await pilot.press(*"qykb")  # still works from the cache
        assert guide(app).query_one("#results", OptionList).option_count == 1


async def test_no_catalog_at_all_is_a_clear_message_not_a_crash(
    tmp_path: Path, settings: ConsoleConfig
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    app = make_app(settings.with_changes(catalog_dir=str(empty)), start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = guide(app)
        status = plain(screen.query_one("#search-status", Static))
        assert "事项目录无法加载" in status and "no *.toml catalog files" in status
        await pilot.press(*"qykb")  # typing does nothing harmful
        assert screen.query_one("#query", Input).value == "qykb"
        assert app.is_running
