"""The rules of ratings (好差评): five levels and which count as good, the satisfaction rate,
reasons only for a bad rating, the follow-up's steps in order, due 15 working days on."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from clerk_console.catalog_files import load_reasons
from clerk_console.domain.rating import (
    FollowUpStatus,
    Level,
    Step,
    StepRefused,
    check_rating,
    follow_up_due,
    next_status,
    overdue,
    parse_reasons,
    satisfaction_rate,
)
from clerk_console.domain.workdays import WorkCalendar


def test_three_good_levels_and_two_bad() -> None:
    assert [level.code for level in Level if level.good] == [
        "very_satisfied",
        "satisfied",
        "basically_satisfied",
    ]
    assert Level.of("DISSATISFIED") is Level.DISSATISFIED and int(Level.VERY_SATISFIED) == 1
    with pytest.raises(ValueError):
        Level.of("meh")


def test_the_satisfaction_rate_is_the_share_of_good_levels() -> None:
    levels = [Level.VERY_SATISFIED, Level.SATISFIED, Level.BASICALLY_SATISFIED, Level.DISSATISFIED]
    assert satisfaction_rate(levels) == 0.75
    assert satisfaction_rate([]) is None


def test_reasons_belong_to_bad_ratings_and_to_the_halls_list() -> None:
    known = [r.code for r in load_reasons()]
    assert check_rating(Level.DISSATISFIED, ["attitude", "attitude"], known) == ("attitude",)
    assert check_rating(Level.SATISFIED, [], known) == ()
    with pytest.raises(ValueError, match="only a bad rating"):
        check_rating(Level.SATISFIED, ["attitude"], known)
    with pytest.raises(ValueError, match="unknown reasons: rude"):
        check_rating(Level.VERY_DISSATISFIED, ["rude"], known)


def test_a_reasons_file_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="reason 1 has no en"):
        parse_reasons("r.toml", '[[reason]]\ncode = "a"\nzh = "甲"\n')
    with pytest.raises(ValueError, match="listed twice"):
        parse_reasons("r.toml", '[[reason]]\ncode="a"\nzh="甲"\nen="A"\n' * 2)
    with pytest.raises(ValueError, match="no \\[\\[reason\\]\\]"):
        parse_reasons("r.toml", "")


def test_the_follow_up_goes_verify_rectify_call_back() -> None:
    status = FollowUpStatus.OPEN
    for step in (Step.VERIFY, Step.RECTIFY, Step.CALL_BACK):
        status = next_status(status, step, appealed_before=False)
    assert status is FollowUpStatus.CLOSED
    with pytest.raises(StepRefused):
        next_status(FollowUpStatus.OPEN, Step.CALL_BACK, appealed_before=False)
    with pytest.raises(StepRefused):
        next_status(FollowUpStatus.CLOSED, Step.APPEAL, appealed_before=False)


def test_an_appeal_is_decided_once() -> None:
    appealed = next_status(FollowUpStatus.VERIFIED, Step.APPEAL, appealed_before=False)
    assert next_status(appealed, Step.GRANT, True) is FollowUpStatus.WITHDRAWN
    upheld = next_status(appealed, Step.UPHOLD, True)
    assert upheld is FollowUpStatus.VERIFIED
    with pytest.raises(StepRefused, match="appealed already"):
        next_status(upheld, Step.APPEAL, appealed_before=True)


def test_due_fifteen_working_days_on_across_a_holiday() -> None:
    calendar = WorkCalendar()
    # Monday 23 November 2026: three weeks of working days, the 14th of December.
    assert follow_up_due(datetime(2026, 11, 23, 10), calendar) == date(2026, 12, 14)
    # Wednesday 30 September 2026: 国庆 (1–7 October) not counted, the make-up Saturday
    # 10 October counted: 8, 9, 10, 12–16, 19–23, 26, 27.
    assert follow_up_due(datetime(2026, 9, 30, 10), calendar) == date(2026, 10, 27)
    assert overdue(FollowUpStatus.VERIFIED, date(2026, 12, 14), date(2026, 12, 15))
    assert not overdue(FollowUpStatus.CLOSED, date(2026, 12, 14), date(2026, 12, 15))
    assert not overdue(FollowUpStatus.OPEN, date(2026, 12, 14), date(2026, 12, 14))
