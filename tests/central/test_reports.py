"""The numbers of a day, a week and a month (报表), on SQLite and PostgreSQL, against
figures worked out by hand from a small scripted day:

Monday 23 November 2026, line A (the clock is the platform's; minutes after 09:00):
  +0   A001, A002, A003 issued            +60  A004 issued (never called)
  +5   counter 5 (clerk01) calls A001     +15  A001 finished; its case JY01-…-05-0001
                                               (SCJG-QY01, accepted) names A001
  +20  counter 6 (clerk02) calls A002     +22  A002 did not come (no-show)
  +25  counter 6 calls A003               +45  A003 finished
A001 is rated 非常满意 on counter 5's pad; A003 不满意 (效率) by phone at counter 6, which opens
a follow-up. Case JY01-…-06-0001 (SW-01) is a supplement notice. Case JY01-…-05-0002
(SCJG-QY01, accepted) is decided on time the same day; JY01-…-05-0001, due the 24th, late
on Thursday 26 November.

So for line A: 4 issued, 2 served, 1 no-show; waits 5, 20, 25 min (p50 20, p90 25); service
10 and 20 min (p50 10, p90 20), nearest rank.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from central.conftest import START, Platform
from central.test_back_office import APPROVERS, case_body, handoffs_of
from openpyxl import load_workbook

from clerk_console.domain.report import Period, Report
from clerk_console.report_files import as_csv, as_text, write_report
from clerk_console.tui.i18n import Messages

CLERK1 = ("clerk01", "111111")
CLERK2 = ("clerk02", "111112")
SUPER = ("super01", "222222")
FIRST = "JY01-20261123-05-0001"
NOTICE = "JY01-20261123-06-0001"
SECOND = "JY01-20261123-05-0002"


def at(p: Platform, minutes: float) -> None:
    p.clock.now = START + timedelta(minutes=minutes)


def post(p: Platform, path: str, headers: dict[str, str], **body: Any) -> Any:
    answer = p.client.post(path, json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def send_case(
    p: Platform, headers: dict[str, str], number: str, items: list[str], **data: Any
) -> None:
    body = case_body(number, items)
    body["data"].update(data)
    if data.get("status"):
        body["status"] = body["data"].pop("status")
    answer = p.client.post("/cases", json=body, headers=headers | {"Idempotency-Key": number})
    assert answer.status_code == 201, answer.text


def decide(p: Platform, number: str) -> None:
    licence = handoffs_of(p, number)["SCJG"]
    body = {"name": "营业执照", "number": "91X", "issued_on": "2026-11-23", "medium": "paper"}
    approver = p.login(*APPROVERS["SCJG"])
    post(p, f"/handoffs/{licence['id']}/approve", approver, **body)


def scripted_day(p: Platform) -> dict[str, int]:
    """The day above; the wait each slip promised, by ticket."""
    guide = p.login("guide01", "333333")
    promised = {}
    at(p, 0)
    for _ in range(3):
        slip = post(p, "/tickets", guide, line="A")
        promised[slip["ticket"]["number"]] = slip["estimated_wait_seconds"]
    one, two = p.login(*CLERK1, counter=5), p.login(*CLERK2, counter=6)
    at(p, 5)
    assert post(p, "/counters/5/call-next", one)["number"] == "A001"
    at(p, 15)
    post(p, "/counters/5/finish", one, outcome="accepted", ticket="A001")
    send_case(p, one, FIRST, ["SCJG-QY01"], ticket="A001")
    at(p, 16)
    post(p, "/ratings", one, ticket="A001", level="very_satisfied", channel="pad")
    send_case(p, one, SECOND, ["SCJG-QY01"])
    at(p, 20)
    assert post(p, "/counters/6/call-next", two)["number"] == "A002"
    at(p, 22)
    post(p, "/counters/6/no-show", two)
    at(p, 25)
    assert post(p, "/counters/6/call-next", two)["number"] == "A003"
    at(p, 45)
    post(p, "/counters/6/finish", two, outcome="consulted", ticket="A003")
    send_case(p, two, NOTICE, ["SW-01"], status="supplement")
    post(p, "/ratings", two, ticket="A003", level="dissatisfied", reasons=["efficiency"])
    at(p, 60)
    post(p, "/tickets", p.login("guide01", "333333"), line="A")  # logins last an hour here
    at(p, 120)
    decide(p, SECOND)  # due Tuesday 24th (one working day): on time
    p.clock.now = datetime(2026, 11, 26, 10, 0, tzinfo=START.tzinfo)
    decide(p, FIRST)  # due the 24th, decided the 26th: late
    return promised


def report(p: Platform, kind: str, day: str = "2026-11-23") -> Report:
    answer = p.client.get(f"/reports/{kind}", params={"day": day}, headers=p.login(*SUPER))
    assert answer.status_code == 200, answer.text
    return Report.from_dict(answer.json())


def hour(minutes: float) -> str:
    """An hour of the day as the report labels it: the hall's clock (this machine's zone)."""
    return (START + timedelta(minutes=minutes)).astimezone().strftime("%H:00")


MIN = 60


def test_the_days_numbers_are_the_hand_computed_ones(platform: Platform) -> None:
    p = platform
    promised = scripted_day(p)
    day = report(p, "day")
    assert day.period == Period.of("day", START.date())

    assert day.table("line_tickets").row("A") == {
        "line": "A",
        "name": "综合业务",
        "issued": 4,
        "served": 2,
        "no_show": 1,
        "wait_p50": 20 * MIN,
        "wait_p90": 25 * MIN,
        "service_p50": 10 * MIN,
        "service_p90": 20 * MIN,
    }
    hours = day.table("hour_tickets")
    assert hours.row(hour(0)) == {
        "hour": hour(0),
        "issued": 3,
        "served": 2,
        "no_show": 1,
        "wait_p50": 20 * MIN,
        "wait_p90": 25 * MIN,
    }
    assert hours.row(hour(60))["issued"] == 1 and hours.row(hour(60))["served"] == 0

    counters = day.table("counter_times")
    assert counters.row(5) == {
        "counter": 5, "name": "综合窗口", "served": 1, "wait_p50": 5 * MIN, "wait_p90": 5 * MIN,
        "service_p50": 10 * MIN, "service_p90": 10 * MIN,
    }  # fmt: skip
    # Counter 6 called A002 (waited 20, gone) and A003 (waited 25, served in 20).
    assert counters.row(6)["served"] == 1
    assert (counters.row(6)["wait_p50"], counters.row(6)["wait_p90"]) == (20 * MIN, 25 * MIN)
    assert counters.row(6)["service_p50"] == 20 * MIN
    clerks = day.table("clerk_times")
    assert clerks.row("clerk01")["name"] == "王敏" and clerks.row("clerk01")["served"] == 1
    assert clerks.row("clerk02")["wait_p90"] == 25 * MIN

    # Per item: only A001 was taken in for a case that names its ticket.
    assert day.table("item_times").rows == (
        ("SCJG-QY01", "企业设立登记", 1, 5 * MIN, 5 * MIN, 10 * MIN, 10 * MIN),
    )

    waits = {"A001": 5 * MIN, "A002": 20 * MIN, "A003": 25 * MIN}
    errors = [waits[n] - promised[n] for n in waits]
    estimates = day.table("estimates").row("A")
    assert estimates["tickets"] == 3
    assert estimates["mean_error"] == round(sum(abs(e) for e in errors) / 3)
    assert estimates["mean_bias"] == round(sum(errors) / 3)

    decisions = day.table("case_decisions")
    assert decisions.row("*") == {
        "item": "*", "name": "", "accepted": 2, "deferred": 0, "supplement": 1, "rejected": 0,
        "total": 3,
    }  # fmt: skip
    assert decisions.row("SCJG-QY01")["accepted"] == 2
    assert decisions.row("SW-01")["supplement"] == 1

    # The day: one handoff decided (on time); the other still open, not yet due.
    handoffs = day.table("department_handoffs").row("SCJG")
    assert (handoffs["decided"], handoffs["on_time"], handoffs["late"]) == (1, 1, 0)
    assert handoffs["on_time_rate"] == 1.0 and handoffs["open_overdue"] == 0

    levels = dict(day.table("rating_levels").rows)
    assert levels == {
        "very_satisfied": 1, "satisfied": 0, "basically_satisfied": 0, "dissatisfied": 1,
        "very_dissatisfied": 0,
    }  # fmt: skip
    by_clerk = day.table("ratings_clerk")
    assert by_clerk.row("clerk01")["very_satisfied"] == 1
    assert by_clerk.row("clerk01")["satisfaction"] == 1.0
    two = by_clerk.row("clerk02")
    assert (two["dissatisfied"], two["total"], two["satisfaction"]) == (1, 1, 0.0)
    assert (two["follow_ups"], two["follow_ups_done"], two["follow_ups_overdue"]) == (1, 0, 0)
    assert day.table("ratings_counter").row(6)["follow_ups"] == 1
    assert day.table("ratings_item").row("SCJG-QY01")["very_satisfied"] == 1
    assert day.table("ratings_department").row("SCJG")["satisfaction"] == 1.0
    assert day.table("follow_ups").rows == (("open", 1, 0),)


def test_the_week_and_the_month_gather_their_days(platform: Platform) -> None:
    p = platform
    scripted_day(p)
    week = report(p, "week", "2026-11-26")
    assert (week.period.start.isoformat(), week.period.end.isoformat()) == (
        "2026-11-23",
        "2026-11-30",
    )
    # The week sees both decisions: the 26th's was two days past its due day (the 24th).
    handoffs = week.table("department_handoffs").row("SCJG")
    assert (handoffs["decided"], handoffs["on_time"], handoffs["late"]) == (2, 1, 1)
    assert handoffs["on_time_rate"] == 0.5
    month = report(p, "month", "2026-11-02")
    assert month.period.label() == "2026-11"
    assert month.table("line_tickets").row("A")["issued"] == 4
    # The next month has none of it.
    december = report(p, "month", "2026-12-01")
    assert december.table("line_tickets").rows == ()
    assert december.table("ratings_clerk").rows == ()


def test_a_follow_up_past_its_due_day_counts_overdue(platform: Platform) -> None:
    p = platform
    scripted_day(p)
    # Due 15 working days on (Monday 14 December): by the 15th it is overdue, not done.
    p.clock.now = datetime(2026, 12, 15, 9, 0, tzinfo=START.tzinfo)
    month = report(p, "month", "2026-11-23")
    assert month.table("ratings_clerk").row("clerk02")["follow_ups_overdue"] == 1
    assert month.table("follow_ups").rows == (("open", 1, 1),)
    # On its due day it was not yet.
    p.clock.now = datetime(2026, 12, 14, 9, 0, tzinfo=START.tzinfo)
    assert report(p, "day").table("follow_ups").rows == (("open", 1, 0),)


def test_only_a_supervisor_reads_the_reports_and_a_bad_period_is_refused(
    platform: Platform,
) -> None:
    p = platform
    clerk = p.login(*CLERK1, counter=5)
    assert p.client.get("/reports/day", headers=clerk).status_code == 403
    boss = p.login(*SUPER)
    bad = p.client.get("/reports/year", headers=boss)
    assert bad.status_code == 422 and "day" in bad.json()["message"], bad.text
    no_such_day = p.client.get("/reports/day", params={"day": "2026-13-01"}, headers=boss)
    assert no_such_day.status_code == 422
    assert p.client.get("/reports/day", headers=boss).status_code == 200


@pytest.mark.parametrize("kind", ["day", "week", "month"])
def test_every_period_answers_on_an_empty_hall(platform: Platform, kind: str) -> None:
    answer = report(platform, kind)
    assert [t.key for t in answer.tables][:2] == ["line_tickets", "hour_tickets"]
    assert answer.table("line_tickets").rows == ()


def test_the_report_as_excel_csv_and_text(platform: Platform, tmp_path: Path) -> None:
    """The workbook read back with openpyxl: a sheet per table with the figures in minutes,
    the charts of the hours and the levels; CSV one raw value a row; text in both languages."""
    p = platform
    scripted_day(p)
    day = report(p, "day")
    zh, en = Messages("zh"), Messages("en")

    written = write_report(day, zh, "xlsx", tmp_path)
    assert written.name == "report-day-2026-11-23.xlsx"
    book = load_workbook(written)
    assert book.sheetnames[0] == "概要"
    assert len(book.sheetnames) == 1 + len(day.tables)
    lines = book["各业务类别取号与办结"]
    assert [c.value for c in lines[1]][:5] == ["业务类别", "名称", "取号", "办结", "过号"]
    assert [c.value for c in lines[2]] == ["A", "综合业务", 4, 2, 1, 20.0, 25.0, 10.0, 20.0]
    assert lines["F2"].number_format == "0.0"
    hours = book["各时段取号与等候"]
    assert len(hours._charts) == 1  # arrivals and served as bars, the median wait as a line
    levels = book["评价等级"]
    assert [r[0].value for r in levels.iter_rows(min_row=2)][:2] == ["非常满意", "满意"]
    assert len(levels._charts) == 1
    clerks = book["各工作人员评价"]
    header = [c.value for c in clerks[1]]
    rate = header.index("满意度") + 1
    assert clerks.cell(row=2, column=rate).value == 1.0
    assert clerks.cell(row=2, column=rate).number_format == "0.0%"

    rows = list(csv.DictReader(io.StringIO(as_csv(day))))
    assert rows[0].keys() == {"hall", "period", "table", "key", "name", "measure", "value"}
    wanted = ("line_tickets", "A", "wait_p90")
    p90 = [r for r in rows if (r["table"], r["key"], r["measure"]) == wanted]
    assert [r["value"] for r in p90] == ["1500"] and p90[0]["period"] == "2026-11-23"

    text = as_text(day, zh)
    assert "日报（2026-11-23）" in text and "综合业务" in text and "20.0" in text
    english = write_report(day, en, "txt", tmp_path / "day.txt").read_text(encoding="utf-8")
    assert "day report (2026-11-23)" in english and "Wait p50 (min)" in english
    assert "Satisfaction" in english and "100.0%" in english
