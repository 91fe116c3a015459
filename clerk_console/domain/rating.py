"""Ratings (政务服务“好差评”): the applicant's rating of one service, and the follow-up a bad
rating opens.

One rating per service (一次一评): a ticket's service at a counter, or a case. Five levels;
the two bad ones may name reasons from the hall's list and free text, and open a follow-up
(差评整改): verified (核实), put right (整改) within 15 working days, the applicant called back
(回访). A clerk may appeal (申诉) a wrongful rating; a supervisor decides, and a rating whose
appeal is granted no longer counts in the satisfaction rate.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum, StrEnum

from clerk_console.domain.workdays import WorkCalendar

FOLLOW_UP_DAYS = 15
"""Working days a bad rating has to be put right in (and the applicant called back)."""


class Level(IntEnum):
    """A rating's level; the number is the key the rating pad shows for it (1 is best)."""

    VERY_SATISFIED = 1  # 非常满意
    SATISFIED = 2  # 满意
    BASICALLY_SATISFIED = 3  # 基本满意
    DISSATISFIED = 4  # 不满意
    VERY_DISSATISFIED = 5  # 非常不满意

    @property
    def code(self) -> str:
        """The level's name in the API and the message catalogues (`very_satisfied` …)."""
        return self.name.lower()

    @property
    def good(self) -> bool:
        """One of the three good levels, which the satisfaction rate counts."""
        return self <= Level.BASICALLY_SATISFIED

    @classmethod
    def of(cls, code: str) -> Level:
        """The level named `code`; ValueError for another word."""
        try:
            return cls[code.upper()]
        except KeyError:
            raise ValueError(f"no rating level {code!r}") from None


LEVEL_CODES = tuple(level.code for level in Level)


@dataclass(frozen=True, slots=True)
class Reason:
    """A reason an applicant may give for a bad rating (态度, 效率 …), as the hall lists them."""

    code: str
    zh: str
    en: str


def parse_reasons(name: str, text: str) -> tuple[Reason, ...]:
    """The hall's reasons for bad ratings from its TOML file (`[[reason]] code, zh, en`)."""
    data = tomllib.loads(text)
    out: list[Reason] = []
    for n, entry in enumerate(data.get("reason", []), start=1):
        missing = [k for k in ("code", "zh", "en") if not str(entry.get(k, "")).strip()]
        if missing:
            raise ValueError(f"{name}: reason {n} has no {', '.join(missing)}")
        out.append(Reason(str(entry["code"]), str(entry["zh"]), str(entry["en"])))
    codes = [r.code for r in out]
    if len(set(codes)) != len(codes):
        raise ValueError(f"{name}: a reason code is listed twice")
    if not out:
        raise ValueError(f"{name}: no [[reason]] listed")
    return tuple(out)


def check_rating(level: Level, reasons: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    """The reasons a rating keeps: only a bad rating has them, each from the hall's list.
    ValueError names what is wrong."""
    given = tuple(dict.fromkeys(reasons))
    if given and level.good:
        raise ValueError("only a bad rating gives reasons")
    unknown = [r for r in given if r not in set(known)]
    if unknown:
        raise ValueError(f"unknown reasons: {', '.join(unknown)}")
    return given


def satisfaction_rate(levels: Iterable[Level]) -> float | None:
    """满意度: the share of the three good levels among the ratings; None without any."""
    counted = list(levels)
    if not counted:
        return None
    return sum(1 for level in counted if level.good) / len(counted)


class FollowUpStatus(StrEnum):
    """Where a bad rating's follow-up is."""

    OPEN = "open"  # 待核实
    VERIFIED = "verified"  # 已核实, to be put right
    RECTIFIED = "rectified"  # 已整改, the applicant to be called back
    APPEALED = "appealed"  # 申诉中, waiting for the supervisor's decision
    CLOSED = "closed"  # called back
    WITHDRAWN = "withdrawn"  # the appeal granted: the rating was wrongful


DONE = frozenset({FollowUpStatus.CLOSED, FollowUpStatus.WITHDRAWN})


class Step(StrEnum):
    """A step of a follow-up, as recorded."""

    VERIFY = "verify"  # 核实
    RECTIFY = "rectify"  # 整改
    CALL_BACK = "call_back"  # 回访
    APPEAL = "appeal"  # 申诉
    UPHOLD = "uphold"  # the appeal refused: the rating stands, the follow-up goes on
    GRANT = "grant"  # the appeal granted: the rating no longer counts


_NEXT: dict[tuple[FollowUpStatus, Step], FollowUpStatus] = {
    (FollowUpStatus.OPEN, Step.VERIFY): FollowUpStatus.VERIFIED,
    (FollowUpStatus.VERIFIED, Step.RECTIFY): FollowUpStatus.RECTIFIED,
    (FollowUpStatus.RECTIFIED, Step.CALL_BACK): FollowUpStatus.CLOSED,
    (FollowUpStatus.OPEN, Step.APPEAL): FollowUpStatus.APPEALED,
    (FollowUpStatus.VERIFIED, Step.APPEAL): FollowUpStatus.APPEALED,
    (FollowUpStatus.APPEALED, Step.UPHOLD): FollowUpStatus.VERIFIED,
    (FollowUpStatus.APPEALED, Step.GRANT): FollowUpStatus.WITHDRAWN,
}

SUPERVISOR_STEPS = frozenset({Step.VERIFY, Step.RECTIFY, Step.CALL_BACK, Step.UPHOLD, Step.GRANT})
"""Steps only a supervisor takes; an appeal is also the rated clerk's to make."""


class StepRefused(ValueError):
    """A follow-up step that cannot be taken in the follow-up's status."""


def next_status(status: FollowUpStatus, step: Step, appealed_before: bool) -> FollowUpStatus:
    """The status after `step`; StepRefused when the step does not apply now. A rating is
    appealed once: a second appeal after a refusal is refused."""
    if step is Step.APPEAL and appealed_before:
        raise StepRefused("this rating was appealed already")
    after = _NEXT.get((status, step))
    if after is None:
        raise StepRefused(f"a follow-up that is {status.value} cannot take the step {step.value}")
    return after


def follow_up_due(rated_at: datetime, calendar: WorkCalendar) -> date:
    """The day a bad rating must be put right by: 15 working days after it was given."""
    return calendar.due_date(rated_at, FOLLOW_UP_DAYS).day


def overdue(status: FollowUpStatus, due_on: date, today: date) -> bool:
    """A follow-up not done by its due day."""
    return status not in DONE and today > due_on
