"""The plan's eligibility, coverage and premium rules as pure functions.

No ORM and no clock: every date is passed in. Each rule cites its ID in
``../shared/plan-rules.md`` (R-PY*, R-EL*, R-PR*; R-VE3/R-VE8/R-VE9 where the coverage
timeline is read by vesting). Money is ``Decimal`` cents via ``staywell.money``. Plan-year
numbers (schedules, the deductible, the grandfathered share) are arguments; where the
plan's text is silent, the docstring says "Decision:" and why.

Entry points: :func:`tier_for` (R-EL1..R-EL5), the date rules (R-EL6..R-EL11),
:func:`coverage_timeline` (all of them together), :func:`tier_on`,
:func:`is_full_policy_year` and :func:`premium_lines_for_month` (R-PR1, R-PR2).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType

from staywell.money import ZERO, money


class Tier(StrEnum):
    """Coverage tier of an employee on a day (Administrative Procedures I and II)."""

    FULL = "full"  # R-EL2: regular, 30+ hours/week, employer pays 100%
    THREE_QUARTER = "three_quarter"  # R-EL3: regular, 20-29 hours/week, 75%
    SELF_PAY = "self_pay"  # R-EL4: regular, under 20 hours, pays the entire cost
    GRANDFATHERED = "grandfathered"  # R-EL5: under 20 hours, covered pro-rata before 7/1/1979
    NONE = "none"  # not covered (temporary, R-EL1; before coverage starts; after it ends)

    @property
    def label(self) -> str:
        return TIER_LABELS[self]


TIER_LABELS: dict[Tier, str] = {
    Tier.FULL: "Full (30+ hours)",
    Tier.THREE_QUARTER: "Three-quarter (20-29 hours)",
    Tier.SELF_PAY: "Self-pay (under 20 hours)",
    Tier.GRANDFATHERED: "Grandfathered (under 20 hours)",
    Tier.NONE: "Not covered",
}


# R-PY1: the policy (contract) year runs July 1 to June 30 and is named "1984-85".
_LABEL = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*$")


def policy_year_of(day: date) -> int:
    """R-PY1: the first calendar year of the policy year containing ``day``."""
    return day.year if day.month >= 7 else day.year - 1


def policy_year_start(start_year: int) -> date:
    """R-PY1: July 1 of the policy year's first year."""
    return date(start_year, 7, 1)


def policy_year_end(start_year: int) -> date:
    """R-PY1: June 30 of the policy year's second year."""
    return date(start_year + 1, 6, 30)


def policy_year_label(start_year: int) -> str:
    """R-PY1: ``1984`` -> ``"1984-85"``."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def parse_policy_year(label: str) -> int:
    """R-PY1: ``"1984-85"`` (or ``"1984-1985"``, ``"1984/85"``) -> ``1984``.

    Raises ``ValueError`` with a readable message for anything else.
    """
    match = _LABEL.match(label)
    if not match:
        raise ValueError(f"{label!r} is not a policy year; write it like 1984-85")
    first, second = int(match.group(1)), match.group(2)
    expected = first + 1
    if (len(second) == 2 and int(second) != expected % 100) or (
        len(second) == 4 and int(second) != expected
    ):
        raise ValueError(f"{label!r} is not a policy year; the second year must follow the first")
    return first


_START_YEAR = re.compile(r"^\s*(\d{4})\s*$")


def parse_policy_year_param(value: str) -> int:
    """R-PY1: a policy year in a URL or query string -> its first year.

    Every URL names a policy year by its label, ``1985-86``, as users read it
    (:func:`parse_policy_year`); a bare first year, ``1985``, is still read, for links
    written before (views redirect it to the label). ``ValueError`` otherwise.
    """
    match = _START_YEAR.match(value)
    return int(match.group(1)) if match else parse_policy_year(value)


def first_of_month(day: date) -> date:
    """The first day of ``day``'s month (R-PR2 charges by first days)."""
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month (R-EL6, R-EL7)."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def first_of_next_month(day: date) -> date:
    """R-EL7 / R-EL8 / R-EL11: the first day of the month after ``day``'s month."""
    return add_months(day, 1)


def last_of_month(day: date) -> date:
    """R-EL9: the last day of ``day``'s month."""
    return add_months(day, 1) - timedelta(days=1)


def policy_year_months(start_year: int) -> list[date]:
    """R-PY1: the first days of the twelve months of a policy year, July first."""
    return [add_months(policy_year_start(start_year), index) for index in range(12)]


def monthly_deductible_share(deductible: Decimal) -> Decimal:
    """R-PY2: a monthly share of the deductible, deductible / 12 rounded half-up (41.67)."""
    if money(deductible) < ZERO:
        raise ValueError("the deductible cannot be negative")
    return money(money(deductible) / 12)


def monthly_deductible_shares(deductible: Decimal) -> list[Decimal]:
    """R-PY2: the twelve monthly shares of the deductible, index 0 = July.

    Every month's share is the same, deductible / 12 rounded half-up to the cent (500.00
    gives 41.67 each month); no month carries the rounding. Added up to a year's amount
    they are capped at the deductible (:func:`months_of_deductible`).
    """
    return [monthly_deductible_share(deductible)] * 12


def months_of_deductible(months: int, deductible: Decimal) -> Decimal:
    """R-PY2, R-VE1: ``months`` monthly shares added up to a year's amount: n x 41.67,
    capped at the deductible (twelve months exactly 500.00, nine months 375.03).

    Decision: twelve months are exactly the deductible also when deductible / 12 rounds
    down (1,000.00: 83.33 a month, yet a full year is 1,000.00, not 999.96): a full year
    of coverage carries the whole deductible, as R-PY2 says of 500.00.
    """
    if not 0 <= months <= 12:
        raise ValueError("a policy year has 0 to 12 months")
    if months == 12:
        return money(deductible)
    return min(monthly_deductible_share(deductible) * months, money(deductible))


def year_allotments(deductible: Decimal) -> list[Decimal]:
    """R-PY2, R-VE1: the year's amount for 0..12 months (index = number of months), the
    table the set-based vesting SQL looks the allotment up in."""
    return [months_of_deductible(n, deductible) for n in range(13)]


# ---------------------------------------------------------------------------------------
# Eligibility tiers (R-EL1..R-EL5)
# ---------------------------------------------------------------------------------------


class EmploymentStatus(StrEnum):
    """An employee's status on a day (R-EL1)."""

    REGULAR = "regular"
    TEMPORARY = "temporary"


FULL_HOURS = Decimal("30")  # R-EL2: 30+ hours/week is FULL
THREE_QUARTER_HOURS = Decimal("20")  # R-EL3: 20-29.99 hours/week is THREE_QUARTER

# Order of tiers for telling an increase (R-EL7) from a reduction (R-EL8). The two
# under-20 tiers share a rank: nobody moves between them by hours.
_RANK: dict[Tier, int] = {
    Tier.NONE: 0,
    Tier.SELF_PAY: 1,
    Tier.GRANDFATHERED: 1,
    Tier.THREE_QUARTER: 2,
    Tier.FULL: 3,
}


def tier_for(
    *,
    status: EmploymentStatus,
    weekly_hours: Decimal,
    grandfathered: bool = False,
    grandfathered_elected: bool = True,
) -> Tier:
    """The tier that a status and weekly hours give (R-EL1..R-EL5).

    R-EL1 temporary -> NONE. R-EL2 regular 30.00+ -> FULL. R-EL3 regular 20.00-29.99 ->
    THREE_QUARTER. R-EL4 regular under 20 -> SELF_PAY. R-EL5 regular under 20 who meets
    the grandfather conditions (``grandfathered``: employed June 30, 1979 and covered
    pro-rata under the previous plan) and elected to continue -> GRANDFATHERED.

    Hours are compared exactly (Decimal): 29.99 is THREE_QUARTER, 19.99 SELF_PAY.

    Decision: SELF_PAY is the tier an under-20 regular is *eligible* for; whether they
    enrolled is a separate fact (``self_pay_enrolled`` in :func:`coverage_timeline`).
    Decision: a grandfathered employee who did not elect to continue is SELF_PAY.
    Decision: the grandfather right is personal: an employee who had 20+ hours for a
    while and drops under 20 again is GRANDFATHERED again, not SELF_PAY.
    """
    if isinstance(weekly_hours, float):
        raise TypeError("weekly hours must be a Decimal, not a float")
    if weekly_hours < 0:
        raise ValueError("weekly hours cannot be negative")
    if status is EmploymentStatus.TEMPORARY:
        return Tier.NONE  # R-EL1
    if weekly_hours >= FULL_HOURS:
        return Tier.FULL  # R-EL2
    if weekly_hours >= THREE_QUARTER_HOURS:
        return Tier.THREE_QUARTER  # R-EL3
    if grandfathered and grandfathered_elected:
        return Tier.GRANDFATHERED  # R-EL5
    return Tier.SELF_PAY  # R-EL4


# ---------------------------------------------------------------------------------------
# Coverage dates (R-EL6..R-EL11)
# ---------------------------------------------------------------------------------------


def coverage_start_for_hire(hire_date: date) -> date:
    """R-EL6: first of the next month; hired on the 11th or later, of the month after.

    Aug 1 -> Sep 1; Aug 10 -> Sep 1; Aug 11 -> Oct 1; Dec 11 -> Feb 1 of the next year.
    """
    return add_months(hire_date, 1 if hire_date.day <= 10 else 2)


def tier_increase_start(achieved_on: date) -> date:
    """R-EL7: a higher tier (or regular status with 20+ hours) starts on the first of
    the month after the month it was achieved, even when achieved on the 1st."""
    return first_of_next_month(achieved_on)


@dataclass(frozen=True)
class ReductionOutcome:
    """R-EL8: what a reduction in hours effective on a date leads to."""

    lower_tier_starts: date  # first day in the lower tier (unless a continuation is elected)
    election_offered: bool  # may the employee elect to continue the prior coverage?
    continuation_ends: date | None  # last day an elected continuation covers (June 30)


def reduction_outcome(effective: date) -> ReductionOutcome:
    """R-EL8: a reduction effective July 1-September 30 moves the employee to the lower
    tier on October 1 with no choice; one effective October 1-June 30 moves them on the
    first of the next month unless they elect to continue the prior coverage to the end
    of the policy year (June 30). On July 1 the tier follows the hours again.

    Decision: a reduction effective in June takes the lower tier on July 1, the first day
    of the next policy year, so there is nothing left to continue: no election offered.
    """
    if effective.month in (7, 8, 9):
        return ReductionOutcome(
            lower_tier_starts=date(effective.year, 10, 1),
            election_offered=False,
            continuation_ends=None,
        )
    starts = first_of_next_month(effective)
    if effective.month == 6:
        return ReductionOutcome(
            lower_tier_starts=starts, election_offered=False, continuation_ends=None
        )
    return ReductionOutcome(
        lower_tier_starts=starts,
        election_offered=True,
        continuation_ends=policy_year_end(policy_year_of(effective)),
    )


def coverage_end(separation_date: date) -> date:
    """R-EL9: coverage ends on the last day of the month in which employment ends."""
    return last_of_month(separation_date)


def marriage_policy_end(marriage_date: date) -> date:
    """R-EL11: the redundant policy ends on the first of the month after the marriage.

    The returned date is the first day *without* the person's own policy: from that day
    they are a dependent on the retained policy (the own policy's last day is the day
    before, the last day of the month of the marriage).
    """
    return first_of_next_month(marriage_date)


# ---------------------------------------------------------------------------------------
# The coverage timeline (R-EL6..R-EL11, R-VE8, R-VE9)
# ---------------------------------------------------------------------------------------


class CoverageSource(StrEnum):
    """Why a stretch of the timeline has the tier it has."""

    HIRE = "hire"  # R-EL6 (also the uncovered waiting period after the hire)
    INCREASE = "increase"  # R-EL7
    REDUCTION = "reduction"  # R-EL8 (also a loss of regular status)
    CONTINUATION_ELECTION = "continuation election"  # R-EL8 elected continuation
    OVERRIDE = "override"  # R-EL10
    MARRIAGE = "marriage"  # R-EL11: a dependent on the spouse's retained policy
    SEPARATION = "separation"  # R-EL9: after coverage ended
    SEPARATION_CONTINUATION = "separation continuation"  # R-VE8 / R-VE9


@dataclass(frozen=True)
class StatusChange:
    """An effective-dated status and hours (the first one of a history is the hire)."""

    effective: date
    status: EmploymentStatus
    weekly_hours: Decimal


@dataclass(frozen=True)
class Override:
    """R-EL10: a clerk's override of the computed coverage from ``start`` to ``end``
    (inclusive; None = open). It keeps its reason and author."""

    start: date
    end: date | None
    tier: Tier
    reason: str
    author: str

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError("an override cannot end before it starts")
        if not self.reason.strip():
            raise ValueError("an override needs a reason (R-EL10)")
        if not self.author.strip():
            raise ValueError("an override needs an author (R-EL10)")


@dataclass(frozen=True)
class SeparationContinuation:
    """R-VE8 / R-VE9: coverage continued after coverage ended, paid by the person.

    ``until`` is the last covered day (inclusive); None = indefinitely, for a retiree
    only (R-VE8). Other separations continue at most to the end of the third month
    after coverage ended (R-VE9). ``dental`` says whether dental is continued too.
    """

    retiree: bool
    until: date | None = None
    dental: bool = True


@dataclass(frozen=True)
class CoverageSegment:
    """A stretch of coverage: ``start`` to ``end`` inclusive (None = open)."""

    start: date
    end: date | None
    tier: Tier
    source: CoverageSource
    # R-EL8 elected continuation: the tier the hours give, whose employer share the
    # employer still pays; the employee pays the rest. None otherwise.
    employer_basis: Tier | None = None
    reason: str = ""  # R-EL10: an override's reason
    author: str = ""  # R-EL10: an override's author
    dental: bool = True  # False when a separation continuation dropped dental (R-VE8)

    @property
    def employee_pays_difference(self) -> bool:
        """R-EL8: the employee pays what the employer no longer pays."""
        return self.source is CoverageSource.CONTINUATION_ELECTION

    def contains(self, day: date) -> bool:
        """R-PR2: is ``day`` within this segment (inclusive end)?"""
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class _Cover:
    """What a span of the timeline carries (a segment without its dates)."""

    tier: Tier
    source: CoverageSource
    employer_basis: Tier | None = None
    reason: str = ""
    author: str = ""
    dental: bool = True


# A span: start, exclusive stop (None = open), payload.
_Span = tuple[date, date | None, _Cover]


def _before(day: date, stop: date | None) -> bool:
    """Timeline machinery (R-EL6..R-EL11): ``day`` is before an exclusive stop."""
    return stop is None or day < stop


def _paint(
    spans: list[_Span], start: date, stop: date | None, change: Callable[[_Cover], _Cover]
) -> list[_Span]:
    """Apply ``change`` to what the spans carry on [start, stop); split spans as needed."""
    result: list[_Span] = []
    for span_start, span_stop, cover in spans:
        if span_start < start:
            result.append((span_start, start if _before(start, span_stop) else span_stop, cover))
        overlap_start = max(span_start, start)
        overlap_stop = (
            span_stop if stop is None else stop if span_stop is None else min(span_stop, stop)
        )
        if _before(overlap_start, overlap_stop):
            result.append((overlap_start, overlap_stop, change(cover)))
        if stop is not None and _before(stop, span_stop):
            result.append((max(span_start, stop), span_stop, cover))
    return [span for span in result if _before(span[0], span[1])]


def _constant(cover: _Cover) -> Callable[[_Cover], _Cover]:
    """Timeline machinery: a change that puts ``cover`` in place (R-EL9..R-EL11)."""
    return lambda _: cover


def _cover_on(spans: list[_Span], day: date) -> _Cover | None:
    """Timeline machinery: what the spans carry on ``day`` (R-EL9 checks the last day)."""
    for start, stop, cover in spans:
        if start <= day and _before(day, stop):
            return cover
    return None


def _day_after(day: date | None) -> date | None:
    """Inclusive end to exclusive stop (R-EL8 June 30, R-EL10 override ends)."""
    return None if day is None else day + timedelta(days=1)


def _validate_history(
    hire_date: date, changes: Sequence[StatusChange], separation_date: date | None
) -> None:
    """R-EL6 / R-EL9: the history starts with the hire state and ends by separation."""
    if not changes:
        raise ValueError("the history needs at least the hire state")
    if changes[0].effective != hire_date:
        raise ValueError("the first status change must be the hire state, on the hire date")
    for earlier, later in pairwise(changes):
        if later.effective <= earlier.effective:
            raise ValueError("status changes must be in order, one per day")
    if separation_date is not None:
        if separation_date < hire_date:
            raise ValueError("employment cannot end before it begins")
        if changes[-1].effective > separation_date:
            raise ValueError("a status change after the separation date")


def _hours_entries(
    *,
    hire_date: date,
    changes: Sequence[StatusChange],
    grandfathered: bool,
    grandfathered_elected: bool,
    elections: Sequence[date],
) -> tuple[list[tuple[date, Tier, CoverageSource]], list[tuple[date, date, Tier]]]:
    """R-EL6..R-EL8: the dates from which each tier is in force, and elected windows.

    A change supersedes every earlier change that has not taken effect yet on its
    effective date. A change is an increase or a reduction relative to the tier in
    force on its effective date (nothing is in force before the R-EL6 start).
    """
    floor = coverage_start_for_hire(hire_date)

    def tier_of(change: StatusChange) -> Tier:
        return tier_for(
            status=change.status,
            weekly_hours=change.weekly_hours,
            grandfathered=grandfathered,
            grandfathered_elected=grandfathered_elected,
        )

    first = tier_of(changes[0])
    entries: list[tuple[date, Tier, CoverageSource]] = [(hire_date, Tier.NONE, CoverageSource.HIRE)]
    if first is not Tier.NONE:
        entries.append((floor, first, CoverageSource.HIRE))  # R-EL6
    windows: list[tuple[date, date, Tier]] = []
    unmatched = set(elections)
    for change in changes[1:]:
        day = change.effective
        new = tier_of(change)
        current = Tier.NONE
        if day >= floor:
            current = next(tier for start, tier, _ in reversed(entries) if start <= day)
        entries = [entry for entry in entries if entry[0] <= day]  # supersede pending ones
        if new is current:
            continue
        if _RANK[new] >= _RANK[current]:
            start, source = tier_increase_start(day), CoverageSource.INCREASE  # R-EL7
        elif new is Tier.NONE:
            # Decision: losing regular status ends coverage like the end of employment
            # (R-EL9: the last day of that month); no R-EL8 choice.
            start, source = first_of_next_month(day), CoverageSource.REDUCTION
        else:
            outcome = reduction_outcome(day)  # R-EL8
            start, source = outcome.lower_tier_starts, CoverageSource.REDUCTION
            if day in unmatched and outcome.election_offered and outcome.continuation_ends:
                windows.append((start, outcome.continuation_ends, current))
                unmatched.discard(day)
        entries.append((start, new, source))
    if unmatched:
        listed = ", ".join(sorted(d.isoformat() for d in unmatched))
        raise ValueError(
            f"no reduction offering a continuation election (R-EL8) is effective on {listed}"
        )
    return entries, windows


def coverage_timeline(
    *,
    hire_date: date,
    changes: Sequence[StatusChange],
    grandfathered: bool = False,
    grandfathered_elected: bool = True,
    self_pay_enrolled: bool = False,
    separation_date: date | None = None,
    elections: Sequence[date] = (),
    marriage_end: date | None = None,
    continuation: SeparationContinuation | None = None,
    overrides: Sequence[Override] = (),
) -> list[CoverageSegment]:
    """The employee's coverage from the hire date on, as contiguous segments.

    The segments partition [hire_date, forever): the first starts on the hire date, each
    starts the day after the previous one ends, the last is open (``end`` None).
    Uncovered stretches are ``Tier.NONE`` segments; adjacent segments that carry the
    same tier, source and details are merged. Applied in this order:

    1. Hours and status (R-EL1..R-EL5 via :func:`tier_for`). Nothing is covered before
       the R-EL6 start, for every hire (a temporary placed on regular status in the
       month of hire too). A later increase takes effect per R-EL7, a reduction per
       R-EL8 (``elections`` lists the effective dates of reductions whose continuation
       the employee elected). A change supersedes earlier changes not yet in force.
    2. R-EL8 elected continuations: the prior tier runs to June 30, the employer pays
       the employer share of the tier the hours give (``employer_basis``); July 1 the
       tier follows the hours again.
    3. ``self_pay_enrolled``: without it, SELF_PAY stretches are not covered (NONE).
    4. R-EL9 separation: nothing after the last day of the month employment ends; if
       employment ends before coverage would start, there is no coverage at all.
    5. R-VE8 / R-VE9 ``continuation``: SELF_PAY from the day after coverage ended.
    6. R-EL11 ``marriage_end`` (:func:`marriage_policy_end`): NONE from that day on,
       the person being a dependent on the retained policy.
    7. R-EL10 ``overrides``, in the order given (the later wins): each replaces the
       computed coverage from its start to its end and keeps its reason and author.

    Decision: ``self_pay_enrolled`` defaults to False, so nobody is charged the
    entire cost without an enrolment on file.
    Decision: a change supersedes earlier changes not yet in force, and is an increase
    or reduction relative to the tier in force on its effective date.
    Decision: R-EL6 is a floor for everyone; coverage that begins on that date is
    labelled "hire" even when an earlier change (e.g. regular status) set its tier.
    Decision: a further reduction during an elected continuation does not end it; the
    employer then pays the (lower) share of the new hours' tier.
    Decision: an elected continuation ends early when the hours give the continued tier
    (or a higher one) again; it is dropped if the employee loses regular status.
    Decision: losing regular status (temporary) ends coverage at the end of that month.
    Decision: a post-separation continuation is SELF_PAY (the person pays the premium
    and carries the deductible; the trust fund pays nothing, R-VE8/R-VE9).
    """
    _validate_history(hire_date, changes, separation_date)
    _validate_later_events(hire_date, overrides, marriage_end)
    spans, windows = _hours_spans(
        hire_date=hire_date,
        changes=changes,
        grandfathered=grandfathered,
        grandfathered_elected=grandfathered_elected,
        elections=elections,
    )
    for window_start, window_end, continued in windows:  # R-EL8 elected continuations
        spans = _paint(spans, window_start, _day_after(window_end), _elect(continued))
    if not self_pay_enrolled:  # R-EL4: an under-20 regular is covered only if enrolled
        spans = _paint(spans, hire_date, None, _without_self_pay)
    spans = _paint_separation(spans, separation_date, continuation)
    if marriage_end is not None:  # R-EL11: a dependent on the retained policy from then on
        spans = _paint(
            spans, marriage_end, None, lambda _: _Cover(Tier.NONE, CoverageSource.MARRIAGE)
        )
    for override in overrides:  # R-EL10
        cover = _Cover(
            override.tier, CoverageSource.OVERRIDE, reason=override.reason, author=override.author
        )
        spans = _paint(spans, override.start, _day_after(override.end), _constant(cover))
    return _segments(spans)


def _validate_later_events(
    hire_date: date, overrides: Sequence[Override], marriage_end: date | None
) -> None:
    """Overrides (R-EL10) and a marriage end (R-EL11) lie on or after the hire date."""
    for override in overrides:
        if override.start < hire_date:
            raise ValueError("an override cannot start before the hire date")
    if marriage_end is not None and marriage_end < hire_date:
        raise ValueError("the marriage end date cannot be before the hire date")


def _hours_spans(
    *,
    hire_date: date,
    changes: Sequence[StatusChange],
    grandfathered: bool,
    grandfathered_elected: bool,
    elections: Sequence[date],
) -> tuple[list[_Span], list[tuple[date, date, Tier]]]:
    """The spans the hours and status give (R-EL1..R-EL8), nothing covered before the
    R-EL6 start, and the windows of the elected continuations (R-EL8)."""
    entries, windows = _hours_entries(
        hire_date=hire_date,
        changes=changes,
        grandfathered=grandfathered,
        grandfathered_elected=grandfathered_elected,
        elections=elections,
    )
    floor = coverage_start_for_hire(hire_date)
    # Coverage that begins on the R-EL6 date is the hire's (Decision of coverage_timeline).
    at_floor = max(index for index, entry in enumerate(entries) if entry[0] <= floor)
    if entries[at_floor][1] is not Tier.NONE:
        entries[at_floor] = (entries[at_floor][0], entries[at_floor][1], CoverageSource.HIRE)
    spans: list[_Span] = [
        (start, entries[index + 1][0] if index + 1 < len(entries) else None, _Cover(tier, source))
        for index, (start, tier, source) in enumerate(entries)
    ]
    spans = _paint(spans, hire_date, floor, lambda _: _Cover(Tier.NONE, CoverageSource.HIRE))
    return spans, windows


def _elect(continued: Tier) -> Callable[[_Cover], _Cover]:
    """R-EL8: the change an elected continuation of ``continued`` makes in its window."""

    def elect(cover: _Cover) -> _Cover:
        electing = cover.source is CoverageSource.CONTINUATION_ELECTION
        hours_tier = cover.employer_basis if electing and cover.employer_basis else cover.tier
        if hours_tier is Tier.NONE or _RANK[hours_tier] >= _RANK[continued]:
            return cover
        tier = cover.tier if electing and _RANK[cover.tier] >= _RANK[continued] else continued
        return _Cover(tier, CoverageSource.CONTINUATION_ELECTION, employer_basis=hours_tier)

    return elect


def _without_self_pay(cover: _Cover) -> _Cover:
    """R-EL4: SELF_PAY is not covered without an enrolment at own cost."""
    return _Cover(Tier.NONE, cover.source) if cover.tier is Tier.SELF_PAY else cover


def _paint_separation(
    spans: list[_Span], separation_date: date | None, continuation: SeparationContinuation | None
) -> list[_Span]:
    """R-EL9: nothing after the last day of the month employment ends; R-VE8 / R-VE9: a
    continuation is SELF_PAY from the day after coverage ended."""
    if continuation is not None and separation_date is None:
        raise ValueError("a continuation after separation needs a separation date")
    if separation_date is None:
        return spans
    last_day = coverage_end(separation_date)
    covered_at_end = _cover_on(spans, last_day)
    after = last_day + timedelta(days=1)
    spans = _paint(spans, after, None, lambda _: _Cover(Tier.NONE, CoverageSource.SEPARATION))
    if continuation is None:
        return spans
    _validate_continuation(continuation, covered_at_end, last_day)
    dental = continuation.dental
    return _paint(
        spans,
        after,
        _day_after(continuation.until),
        lambda _: _Cover(Tier.SELF_PAY, CoverageSource.SEPARATION_CONTINUATION, dental=dental),
    )


def _validate_continuation(
    continuation: SeparationContinuation, covered_at_end: _Cover | None, last_day: date
) -> None:
    """R-VE8 / R-VE9: who may continue after separation, and for how long."""
    if covered_at_end is None or covered_at_end.tier is Tier.NONE:
        raise ValueError("only someone covered when coverage ended can continue it")
    if continuation.until is None and not continuation.retiree:
        raise ValueError("only a retiree may continue indefinitely (R-VE8)")
    if continuation.until is not None:
        if continuation.until < last_day + timedelta(days=1):
            raise ValueError("a continuation must end after coverage ended")
        limit = last_of_month(add_months(last_day, 3))
        if not continuation.retiree and continuation.until > limit:
            raise ValueError(f"a continuation may run at most to {limit} (R-VE9)")


def _segments(spans: list[_Span]) -> list[CoverageSegment]:
    """Timeline machinery: merge equal neighbours, inclusive ends (R-EL6..R-EL11)."""
    merged: list[_Span] = []
    for span in spans:
        if merged and merged[-1][2] == span[2] and merged[-1][1] == span[0]:
            merged[-1] = (merged[-1][0], span[1], span[2])
        else:
            merged.append(span)
    return [
        CoverageSegment(
            start=start,
            end=None if stop is None else stop - timedelta(days=1),
            tier=cover.tier,
            source=cover.source,
            employer_basis=cover.employer_basis,
            reason=cover.reason,
            author=cover.author,
            dental=cover.dental,
        )
        for start, stop, cover in merged
    ]


def segment_on(segments: Sequence[CoverageSegment], day: date) -> CoverageSegment | None:
    """R-PR2: the segment containing ``day`` (None before the hire date)."""
    for segment in segments:
        if segment.contains(day):
            return segment
    return None


def tier_on(segments: Sequence[CoverageSegment], day: date) -> Tier:
    """R-PR2 / R-CL4: the tier on a day; NONE outside the timeline."""
    segment = segment_on(segments, day)
    return Tier.NONE if segment is None else segment.tier


def covered_on_first_of_month(
    segments: Sequence[CoverageSegment], *, year: int, month: int
) -> Tier:
    """R-PR2: the tier charged for a month is the tier on its first day (NONE: no charge)."""
    return tier_on(segments, date(year, month, 1))


def months_in_tier(
    segments: Sequence[CoverageSegment], *, policy_start_year: int, tier: Tier
) -> int:
    """R-PR2 / R-VE1: the months of a policy year (R-PY1) whose first day is in ``tier``.

    An elected R-EL8 continuation counts as the tier continued.
    """
    return sum(
        1 for first in policy_year_months(policy_start_year) if tier_on(segments, first) is tier
    )


def is_full_policy_year(segments: Sequence[CoverageSegment], start_year: int) -> bool:
    """R-VE3: covered on the first day of all twelve months of the policy year, any tier.

    Decision: months of post-separation continuation (R-VE8/R-VE9) do not count: the
    person is no longer an employee. Months as a dependent after R-EL11 are not covered
    in the person's own right (R-VE11 handles the couple's vesting).
    """
    for first in policy_year_months(start_year):
        segment = segment_on(segments, first)
        if (
            segment is None
            or segment.tier is Tier.NONE
            or segment.source is CoverageSource.SEPARATION_CONTINUATION
        ):
            return False
    return True


# ---------------------------------------------------------------------------------------
# Premiums (R-PR1, R-PR2)
# ---------------------------------------------------------------------------------------


class PremiumLineKind(StrEnum):
    """R-PR1: the three lines of the monthly premium."""

    MAJOR_MEDICAL = "major_medical"  # premium to the carrier
    TRUST_FUND = "trust_fund"  # Deductible Trust Fund contribution
    DENTAL = "dental"  # dental premium


class Payer(StrEnum):
    """R-PR2: employer shares are program charges, employee shares payroll deductions."""

    EMPLOYER = "employer"
    EMPLOYEE = "employee"


@dataclass(frozen=True)
class PremiumRates:
    """R-PR1: one tier's monthly rates for a plan year, each line split by payer."""

    major_medical_employer: Decimal
    major_medical_employee: Decimal
    trust_fund_employer: Decimal
    trust_fund_employee: Decimal
    dental_employer: Decimal
    dental_employee: Decimal

    def __post_init__(self) -> None:
        for name in (
            "major_medical_employer",
            "major_medical_employee",
            "trust_fund_employer",
            "trust_fund_employee",
            "dental_employer",
            "dental_employee",
        ):
            value = getattr(self, name)
            if money(value) != value or value < ZERO:
                raise ValueError(f"{name} must be a non-negative amount in cents, not {value}")

    def share(self, line: PremiumLineKind, payer: Payer) -> Decimal:
        """R-PR1: one cell of the schedule."""
        amount: Decimal = getattr(self, f"{line.value}_{payer.value}")
        return amount

    def line_total(self, line: PremiumLineKind) -> Decimal:
        """R-PR1: a line's employer and employee shares together."""
        return self.share(line, Payer.EMPLOYER) + self.share(line, Payer.EMPLOYEE)

    def total(self, payer: Payer) -> Decimal:
        """R-PR1: a payer's monthly total (FULL 1983: employer 205.60)."""
        return sum((self.share(line, payer) for line in PremiumLineKind), ZERO)


@dataclass(frozen=True)
class PremiumLine:
    """R-PR2: one charge of a month: a line, who pays it, how much."""

    line: PremiumLineKind
    payer: Payer
    amount: Decimal


def _rates(*lines: str) -> PremiumRates:
    """R-PR1: a row of a printed schedule, in PremiumRates field order."""
    return PremiumRates(*(Decimal(line) for line in lines))


# R-PR1: the 1983 schedule (Rev. 7/1/83). THREE_QUARTER and FULL as printed.
# Decision: SELF_PAY pays the entire major-medical premium and the entire dental premium
# (22.50 + 7.50 = 30.00, the same as every tier), carries its own deductible (no
# trust-fund line). GRANDFATHERED has no row: its employer share is a plan-year setting.
SCHEDULE_1983: Mapping[Tier, PremiumRates] = MappingProxyType(
    {
        Tier.THREE_QUARTER: _rates("133.93", "0.00", "0.00", "0.00", "22.50", "7.50"),
        Tier.FULL: _rates("133.93", "0.00", "41.67", "0.00", "30.00", "0.00"),
        Tier.SELF_PAY: _rates("0.00", "133.93", "0.00", "0.00", "0.00", "30.00"),
    }
)


def grandfathered_rates(full: PremiumRates, employer_share: Decimal) -> PremiumRates:
    """R-EL5 / R-PR1: the GRANDFATHERED tier's rates from the FULL tier's.

    Decision: a grandfathered employee has the full major-medical and dental premiums
    (the FULL tier's line totals) and carries their own deductible (no trust-fund line,
    as for every under-30 tier). The employer pays ``employer_share`` (a plan-year
    fraction, e.g. 0.50) of each line, rounded half-up to the cent; the employee pays
    the rest of the line.
    """
    if not ZERO <= employer_share <= 1:
        raise ValueError("the grandfathered employer share is a fraction from 0 to 1")
    major_medical = full.line_total(PremiumLineKind.MAJOR_MEDICAL)
    dental = full.line_total(PremiumLineKind.DENTAL)
    major_medical_employer = money(major_medical * employer_share)
    dental_employer = money(dental * employer_share)
    return PremiumRates(
        major_medical_employer=major_medical_employer,
        major_medical_employee=major_medical - major_medical_employer,
        trust_fund_employer=ZERO,
        trust_fund_employee=ZERO,
        dental_employer=dental_employer,
        dental_employee=dental - dental_employer,
    )


def rates_for_tier(
    tier: Tier,
    rates_by_tier: Mapping[Tier, PremiumRates],
    grandfathered_employer_share: Decimal | None = None,
) -> PremiumRates:
    """R-PR1: a tier's rates from the plan year's schedule.

    Decision: a GRANDFATHERED row in the schedule wins; without one the row is derived
    from the FULL row and ``grandfathered_employer_share`` (:func:`grandfathered_rates`).
    """
    if tier in rates_by_tier:
        return rates_by_tier[tier]
    if tier is Tier.GRANDFATHERED and grandfathered_employer_share is not None:
        return grandfathered_rates(
            rates_for_tier(Tier.FULL, rates_by_tier), grandfathered_employer_share
        )
    raise ValueError(f"the premium schedule has no rates for the {tier.label} tier")


def premium_lines_for_month(
    segments: Sequence[CoverageSegment],
    *,
    year: int,
    month: int,
    rates_by_tier: Mapping[Tier, PremiumRates],
    grandfathered_employer_share: Decimal | None = None,
) -> list[PremiumLine]:
    """R-PR1 / R-PR2: the month's premium lines, by line then employer before employee.

    Nothing when the employee is not covered on the month's first day (R-PR2).
    Decision: lines of 0.00 are left out (payroll gets no empty deductions).
    Otherwise the tier's rates, except:

    - R-EL8 elected continuation: for each line the employer pays its share under the
      tier the hours give (``employer_basis``), at most the line's total, and the
      employee pays the rest of the continued tier's line (below 20 hours: the entire
      amount). Decision: continuing FULL, the employee also pays the trust-fund
      contribution the employer no longer pays (the trust fund keeps paying claims).
    - R-VE8 / R-VE9 post-separation continuation: the person pays the whole major-medical
      and dental lines (dental only if continued); no trust-fund contribution.
    """
    segment = segment_on(segments, date(year, month, 1))
    if segment is None or segment.tier is Tier.NONE:
        return []

    def rates(tier: Tier) -> PremiumRates:
        return rates_for_tier(tier, rates_by_tier, grandfathered_employer_share)

    own = rates(segment.tier)
    result: list[PremiumLine] = []
    for line in PremiumLineKind:
        total = own.line_total(line)
        if segment.source is CoverageSource.SEPARATION_CONTINUATION:
            employer = ZERO
            employee = ZERO if line is PremiumLineKind.TRUST_FUND else total
        elif segment.employer_basis is not None:
            employer = min(total, rates(segment.employer_basis).share(line, Payer.EMPLOYER))
            employee = total - employer
        else:
            employer = own.share(line, Payer.EMPLOYER)
            employee = own.share(line, Payer.EMPLOYEE)
        if line is PremiumLineKind.DENTAL and not segment.dental:
            continue
        for payer, amount in ((Payer.EMPLOYER, employer), (Payer.EMPLOYEE, employee)):
            if amount != ZERO:
                result.append(PremiumLine(line=line, payer=payer, amount=amount))
    return result
