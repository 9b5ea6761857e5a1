"""Unit tests of the eligibility, coverage and premium rules (accounts/rules.py).

Pure rules, no database. Every expected value is written by hand from
../shared/plan-rules.md and the plan's Administrative Procedures (seed 003).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.rules import (
    SCHEDULE_1983,
    CoverageSegment,
    CoverageSource,
    EmploymentStatus,
    Override,
    Payer,
    PremiumLine,
    PremiumLineKind,
    PremiumRates,
    SeparationContinuation,
    StatusChange,
    Tier,
    coverage_end,
    coverage_start_for_hire,
    coverage_timeline,
    covered_on_first_of_month,
    is_full_policy_year,
    marriage_policy_end,
    monthly_deductible_share,
    monthly_deductible_shares,
    months_in_tier,
    months_of_deductible,
    parse_policy_year,
    policy_year_end,
    policy_year_label,
    policy_year_months,
    policy_year_of,
    policy_year_start,
    premium_lines_for_month,
    reduction_outcome,
    tier_for,
    tier_increase_start,
    tier_on,
)

D = Decimal
REG = EmploymentStatus.REGULAR
TEMP = EmploymentStatus.TEMPORARY
MM = PremiumLineKind.MAJOR_MEDICAL
TF = PremiumLineKind.TRUST_FUND
DENTAL = PremiumLineKind.DENTAL
ER = Payer.EMPLOYER
EE = Payer.EMPLOYEE


def reg(day: date, hours: str) -> StatusChange:
    return StatusChange(effective=day, status=REG, weekly_hours=D(hours))


def temp(day: date, hours: str) -> StatusChange:
    return StatusChange(effective=day, status=TEMP, weekly_hours=D(hours))


def seg(
    start: date,
    end: date | None,
    tier: Tier,
    source: CoverageSource,
    **extra: Any,
) -> CoverageSegment:
    return CoverageSegment(start=start, end=end, tier=tier, source=source, **extra)


def lines(
    segments: list[CoverageSegment],
    year: int,
    month: int,
    *,
    rates_by_tier: Mapping[Tier, PremiumRates] = SCHEDULE_1983,
    grandfathered_employer_share: Decimal | None = None,
) -> set[tuple[PremiumLineKind, Payer, Decimal]]:
    found = premium_lines_for_month(
        segments,
        year=year,
        month=month,
        rates_by_tier=rates_by_tier,
        grandfathered_employer_share=grandfathered_employer_share,
    )
    return {(p.line, p.payer, p.amount) for p in found}


def paid_by(segments: list[CoverageSegment], year: int, month: int, payer: Payer) -> Decimal:
    found = premium_lines_for_month(segments, year=year, month=month, rates_by_tier=SCHEDULE_1983)
    return sum((p.amount for p in found if p.payer is payer), D("0.00"))


# ---------------------------------------------------------------------------------------
# R-PY1 policy year, R-PY2 monthly deductible shares
# ---------------------------------------------------------------------------------------


def test_R_PY1_a_date_belongs_to_the_year_running_july_to_june() -> None:
    assert policy_year_of(date(1984, 6, 30)) == 1983
    assert policy_year_of(date(1984, 7, 1)) == 1984
    assert policy_year_of(date(1984, 12, 31)) == 1984
    assert policy_year_start(1984) == date(1984, 7, 1)
    assert policy_year_end(1984) == date(1985, 6, 30)


def test_R_PY1_labels_and_parsing() -> None:
    assert policy_year_label(1984) == "1984-85"
    assert policy_year_label(1999) == "1999-00"
    assert parse_policy_year("1984-85") == 1984
    assert parse_policy_year("1984/1985") == 1984
    assert parse_policy_year("1999-00") == 1999
    with pytest.raises(ValueError, match="second year must follow"):
        parse_policy_year("1984-86")
    with pytest.raises(ValueError, match="not a policy year"):
        parse_policy_year("July 1984")


def test_R_PY1_twelve_months_from_july_to_june() -> None:
    months = policy_year_months(1983)
    assert len(months) == 12
    assert months[0] == date(1983, 7, 1)
    assert months[6] == date(1984, 1, 1)
    assert months[11] == date(1984, 6, 1)


def test_R_PY2_every_month_of_500_is_41_67_june_included() -> None:
    shares = monthly_deductible_shares(D("500.00"))
    assert shares == [D("41.67")] * 12
    assert monthly_deductible_share(D("500.00")) == D("41.67")


def test_R_PY2_months_add_up_to_n_x_41_67_capped_at_the_deductible() -> None:
    assert months_of_deductible(12, D("500.00")) == D("500.00")  # not 500.04
    assert months_of_deductible(11, D("500.00")) == D("458.37")
    assert months_of_deductible(10, D("500.00")) == D("416.70")  # September-June
    assert months_of_deductible(9, D("500.00")) == D("375.03")
    assert months_of_deductible(3, D("500.00")) == D("125.01")
    assert months_of_deductible(0, D("500.00")) == D("0.00")


def test_R_PY2_a_full_year_is_the_whole_deductible_when_the_share_rounds_down() -> None:
    # 1,000.00 / 12 = 83.333... -> 83.33; eleven months 916.63, twelve exactly 1,000.00.
    assert months_of_deductible(11, D("1000.00")) == D("916.63")
    assert months_of_deductible(12, D("1000.00")) == D("1000.00")


def test_R_PY2_a_negative_deductible_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        monthly_deductible_shares(D("-1.00"))


def test_R_PY2_a_year_has_at_most_twelve_months() -> None:
    with pytest.raises(ValueError, match="0 to 12 months"):
        months_of_deductible(13, D("500.00"))


@given(st.decimals(min_value=D("0.00"), max_value=D("100000.00"), places=2))
def test_R_PY2_twelve_shares_are_equal_and_a_full_year_is_exactly_the_deductible(
    deductible: Decimal,
) -> None:
    shares = monthly_deductible_shares(deductible)
    assert len(shares) == 12
    assert len(set(shares)) == 1
    assert abs(shares[0] * 12 - deductible) <= D("0.06")  # within half a cent a month
    assert months_of_deductible(12, deductible) == deductible
    assert all(share.as_tuple().exponent == -2 for share in shares)


# ---------------------------------------------------------------------------------------
# R-EL1..R-EL5 tiers
# ---------------------------------------------------------------------------------------


def test_R_EL1_temporary_employees_are_not_eligible_whatever_their_hours() -> None:
    assert tier_for(status=TEMP, weekly_hours=D("40.00")) is Tier.NONE
    assert tier_for(status=TEMP, weekly_hours=D("10.00"), grandfathered=True) is Tier.NONE


def test_R_EL2_thirty_hours_exactly_is_full() -> None:
    assert tier_for(status=REG, weekly_hours=D("30.00")) is Tier.FULL
    assert tier_for(status=REG, weekly_hours=D("40")) is Tier.FULL


def test_R_EL3_twenty_to_29_99_hours_is_three_quarter() -> None:
    assert tier_for(status=REG, weekly_hours=D("29.99")) is Tier.THREE_QUARTER
    assert tier_for(status=REG, weekly_hours=D("20.00")) is Tier.THREE_QUARTER


def test_R_EL4_under_twenty_hours_is_self_pay() -> None:
    assert tier_for(status=REG, weekly_hours=D("19.99")) is Tier.SELF_PAY
    assert tier_for(status=REG, weekly_hours=D("0")) is Tier.SELF_PAY


def test_R_EL5_grandfathered_under_twenty_who_elected_to_continue() -> None:
    assert tier_for(status=REG, weekly_hours=D("19.99"), grandfathered=True) is Tier.GRANDFATHERED
    not_elected = tier_for(
        status=REG, weekly_hours=D("15"), grandfathered=True, grandfathered_elected=False
    )
    assert not_elected is Tier.SELF_PAY
    # At 20+ hours the ordinary tiers apply.
    assert tier_for(status=REG, weekly_hours=D("20.00"), grandfathered=True) is Tier.THREE_QUARTER
    assert tier_for(status=REG, weekly_hours=D("30.00"), grandfathered=True) is Tier.FULL


def test_R_EL2_hours_must_be_decimal_and_not_negative() -> None:
    with pytest.raises(TypeError, match="float"):
        tier_for(status=REG, weekly_hours=30.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        tier_for(status=REG, weekly_hours=D("-1"))


# ---------------------------------------------------------------------------------------
# R-EL6 new hire
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hired", "starts"),
    [
        (date(1983, 8, 1), date(1983, 9, 1)),
        (date(1983, 8, 10), date(1983, 9, 1)),
        (date(1983, 8, 11), date(1983, 10, 1)),
        (date(1983, 8, 31), date(1983, 10, 1)),
        (date(1983, 12, 10), date(1984, 1, 1)),
        (date(1983, 12, 11), date(1984, 2, 1)),
        (date(1983, 11, 11), date(1984, 1, 1)),
        (date(1984, 2, 10), date(1984, 3, 1)),
        (date(1984, 2, 29), date(1984, 4, 1)),
    ],
)
def test_R_EL6_coverage_start_for_hire(hired: date, starts: date) -> None:
    assert coverage_start_for_hire(hired) == starts


def test_R_EL6_hire_on_the_10th_starts_next_month() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 10), changes=[reg(date(1983, 8, 10), "30")]
    )
    assert segments == [
        seg(date(1983, 8, 10), date(1983, 8, 31), Tier.NONE, CoverageSource.HIRE),
        seg(date(1983, 9, 1), None, Tier.FULL, CoverageSource.HIRE),
    ]


def test_R_EL6_hire_on_the_11th_starts_second_month() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 11), changes=[reg(date(1983, 8, 11), "30")]
    )
    assert segments == [
        seg(date(1983, 8, 11), date(1983, 9, 30), Tier.NONE, CoverageSource.HIRE),
        seg(date(1983, 10, 1), None, Tier.FULL, CoverageSource.HIRE),
    ]


def test_R_EL6_hire_on_december_11th_crosses_the_year() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 12, 11), changes=[reg(date(1983, 12, 11), "25")]
    )
    assert tier_on(segments, date(1984, 1, 31)) is Tier.NONE
    assert tier_on(segments, date(1984, 2, 1)) is Tier.THREE_QUARTER


def test_R_EL6_start_is_a_floor_even_when_placed_on_regular_status_in_the_hire_month() -> None:
    # Hired Aug 15 as a temporary, regular Aug 20: R-EL7 alone would say Sep 1, but
    # nobody hired on the 11th or later is covered before the second month (Oct 1).
    segments = coverage_timeline(
        hire_date=date(1983, 8, 15),
        changes=[temp(date(1983, 8, 15), "40"), reg(date(1983, 8, 20), "40")],
    )
    assert segments == [
        seg(date(1983, 8, 15), date(1983, 9, 30), Tier.NONE, CoverageSource.HIRE),
        seg(date(1983, 10, 1), None, Tier.FULL, CoverageSource.HIRE),
    ]


def test_R_EL6_hours_cut_before_coverage_starts_set_the_starting_tier() -> None:
    # Hired at 30 h, cut to 25 h before coverage began: never FULL, no R-EL8 reduction.
    segments = coverage_timeline(
        hire_date=date(1983, 8, 15),
        changes=[reg(date(1983, 8, 15), "30"), reg(date(1983, 9, 20), "25")],
    )
    assert segments == [
        seg(date(1983, 8, 15), date(1983, 9, 30), Tier.NONE, CoverageSource.HIRE),
        seg(date(1983, 10, 1), None, Tier.THREE_QUARTER, CoverageSource.HIRE),
    ]


def test_R_EL1_a_temporary_never_placed_on_regular_status_is_never_covered() -> None:
    segments = coverage_timeline(hire_date=date(1983, 8, 1), changes=[temp(date(1983, 8, 1), "40")])
    assert segments == [seg(date(1983, 8, 1), None, Tier.NONE, CoverageSource.HIRE)]


# ---------------------------------------------------------------------------------------
# R-EL7 becoming eligible later
# ---------------------------------------------------------------------------------------


def test_R_EL7_new_tier_starts_first_of_the_following_month() -> None:
    assert tier_increase_start(date(1984, 3, 1)) == date(1984, 4, 1)  # even on the 1st
    assert tier_increase_start(date(1984, 3, 31)) == date(1984, 4, 1)
    assert tier_increase_start(date(1984, 12, 15)) == date(1985, 1, 1)


def test_R_EL7_temporary_placed_on_regular_status_with_20_hours() -> None:
    segments = coverage_timeline(
        hire_date=date(1984, 1, 5),
        changes=[temp(date(1984, 1, 5), "25"), reg(date(1984, 3, 12), "25")],
    )
    assert segments == [
        seg(date(1984, 1, 5), date(1984, 3, 31), Tier.NONE, CoverageSource.HIRE),
        seg(date(1984, 4, 1), None, Tier.THREE_QUARTER, CoverageSource.INCREASE),
    ]


def test_R_EL7_hours_raised_from_25_to_30_gives_full_next_month() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1),
        changes=[reg(date(1983, 8, 1), "25"), reg(date(1984, 11, 20), "30")],
    )
    assert segments == [
        seg(date(1983, 8, 1), date(1983, 8, 31), Tier.NONE, CoverageSource.HIRE),
        seg(date(1983, 9, 1), date(1984, 11, 30), Tier.THREE_QUARTER, CoverageSource.HIRE),
        seg(date(1984, 12, 1), None, Tier.FULL, CoverageSource.INCREASE),
    ]


def test_R_EL7_self_pay_raised_to_20_hours_is_covered_next_month() -> None:
    # An under-20 regular who did not enroll at own cost is not covered until 20 hours.
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1),
        changes=[reg(date(1983, 8, 1), "15"), reg(date(1984, 1, 16), "20")],
    )
    assert tier_on(segments, date(1983, 9, 1)) is Tier.NONE
    assert tier_on(segments, date(1984, 1, 31)) is Tier.NONE
    assert tier_on(segments, date(1984, 2, 1)) is Tier.THREE_QUARTER


def test_R_EL4_self_pay_enrolled_is_covered_from_the_hire_start() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1), changes=[reg(date(1983, 8, 1), "15")], self_pay_enrolled=True
    )
    assert segments[-1] == seg(date(1983, 9, 1), None, Tier.SELF_PAY, CoverageSource.HIRE)


def test_R_EL7_a_raise_cancelled_before_it_takes_effect_changes_nothing() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1),
        changes=[
            reg(date(1983, 8, 1), "25"),
            reg(date(1983, 11, 5), "30"),
            reg(date(1983, 11, 20), "25"),
        ],
    )
    assert segments == [
        seg(date(1983, 8, 1), date(1983, 8, 31), Tier.NONE, CoverageSource.HIRE),
        seg(date(1983, 9, 1), None, Tier.THREE_QUARTER, CoverageSource.HIRE),
    ]


# ---------------------------------------------------------------------------------------
# R-EL8 reductions
# ---------------------------------------------------------------------------------------


def test_R_EL8_reduction_july_to_september_moves_on_october_1_without_choice() -> None:
    for effective in (date(1983, 7, 1), date(1983, 8, 15), date(1983, 9, 30)):
        outcome = reduction_outcome(effective)
        assert outcome.lower_tier_starts == date(1983, 10, 1)
        assert outcome.election_offered is False
        assert outcome.continuation_ends is None


def test_R_EL8_reduction_on_october_1_moves_on_november_1_with_a_choice() -> None:
    outcome = reduction_outcome(date(1983, 10, 1))
    assert outcome.lower_tier_starts == date(1983, 11, 1)
    assert outcome.election_offered is True
    assert outcome.continuation_ends == date(1984, 6, 30)


def test_R_EL8_reduction_in_january_continuation_ends_june_30() -> None:
    outcome = reduction_outcome(date(1984, 1, 31))
    assert outcome.lower_tier_starts == date(1984, 2, 1)
    assert outcome.election_offered is True
    assert outcome.continuation_ends == date(1984, 6, 30)


def test_R_EL8_reduction_in_june_takes_effect_july_1_with_nothing_to_continue() -> None:
    outcome = reduction_outcome(date(1984, 6, 15))
    assert outcome.lower_tier_starts == date(1984, 7, 1)
    assert outcome.election_offered is False


def full_then_cut(cut: date, hours: str) -> list[StatusChange]:
    return [reg(date(1983, 8, 1), "35"), reg(cut, hours)]


def test_R_EL8_september_30_reduction_lower_tier_october_1() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1), changes=full_then_cut(date(1983, 9, 30), "25")
    )
    assert segments[1:] == [
        seg(date(1983, 9, 1), date(1983, 9, 30), Tier.FULL, CoverageSource.HIRE),
        seg(date(1983, 10, 1), None, Tier.THREE_QUARTER, CoverageSource.REDUCTION),
    ]


def test_R_EL8_august_reduction_keeps_full_through_september() -> None:
    segments = coverage_timeline(
        hire_date=date(1982, 8, 1),
        changes=[reg(date(1982, 8, 1), "35"), reg(date(1983, 8, 15), "25")],
    )
    assert tier_on(segments, date(1983, 9, 30)) is Tier.FULL
    assert tier_on(segments, date(1983, 10, 1)) is Tier.THREE_QUARTER


def test_R_EL8_october_1_reduction_without_election_lower_tier_november_1() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1), changes=full_then_cut(date(1983, 10, 1), "25")
    )
    assert segments[1:] == [
        seg(date(1983, 9, 1), date(1983, 10, 31), Tier.FULL, CoverageSource.HIRE),
        seg(date(1983, 11, 1), None, Tier.THREE_QUARTER, CoverageSource.REDUCTION),
    ]


def test_R_EL8_elected_continuation_to_june_30_then_july_1_follows_hours() -> None:
    cut = date(1983, 11, 15)
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1), changes=full_then_cut(cut, "25"), elections=[cut]
    )
    assert segments[1:] == [
        seg(date(1983, 9, 1), date(1983, 11, 30), Tier.FULL, CoverageSource.HIRE),
        seg(
            date(1983, 12, 1),
            date(1984, 6, 30),
            Tier.FULL,
            CoverageSource.CONTINUATION_ELECTION,
            employer_basis=Tier.THREE_QUARTER,
        ),
        seg(date(1984, 7, 1), None, Tier.THREE_QUARTER, CoverageSource.REDUCTION),
    ]
    assert segments[2].employee_pays_difference is True
    assert segments[1].employee_pays_difference is False


def test_R_EL8_elected_continuation_employee_pays_what_the_employer_no_longer_pays() -> None:
    cut = date(1983, 11, 15)
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1), changes=full_then_cut(cut, "25"), elections=[cut]
    )
    # January 1984: the employer pays the three-quarter shares (133.93 + 22.50 = 156.43);
    # the employee the rest of the full tier's 205.60 (41.67 + 7.50 = 49.17).
    assert lines(segments, 1984, 1) == {
        (MM, ER, D("133.93")),
        (TF, EE, D("41.67")),
        (DENTAL, ER, D("22.50")),
        (DENTAL, EE, D("7.50")),
    }
    assert paid_by(segments, 1984, 1, ER) == D("156.43")
    assert paid_by(segments, 1984, 1, EE) == D("49.17")
    # July 1984: the three-quarter tier again.
    assert paid_by(segments, 1984, 7, ER) == D("156.43")
    assert paid_by(segments, 1984, 7, EE) == D("7.50")


def test_R_EL8_elected_continuation_below_20_hours_employee_pays_the_entire_amount() -> None:
    cut = date(1984, 2, 10)
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1), changes=full_then_cut(cut, "15"), elections=[cut]
    )
    assert tier_on(segments, date(1984, 3, 1)) is Tier.FULL
    assert lines(segments, 1984, 3) == {
        (MM, EE, D("133.93")),
        (TF, EE, D("41.67")),
        (DENTAL, EE, D("30.00")),
    }
    # July 1: under 20 hours and not enrolled at own cost: no coverage.
    assert tier_on(segments, date(1984, 7, 1)) is Tier.NONE
    assert lines(segments, 1984, 7) == set()


def test_R_EL8_election_on_a_july_to_september_reduction_is_refused() -> None:
    cut = date(1983, 9, 30)
    with pytest.raises(ValueError, match="R-EL8"):
        coverage_timeline(
            hire_date=date(1983, 8, 1), changes=full_then_cut(cut, "25"), elections=[cut]
        )


def test_R_EL8_election_without_a_reduction_on_that_date_is_refused() -> None:
    with pytest.raises(ValueError, match="1983-12-01"):
        coverage_timeline(
            hire_date=date(1983, 8, 1),
            changes=full_then_cut(date(1983, 11, 15), "25"),
            elections=[date(1983, 12, 1)],
        )


def test_R_EL8_continuation_ends_when_hours_give_the_tier_back() -> None:
    cut = date(1983, 11, 15)
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1),
        changes=[*full_then_cut(cut, "25"), reg(date(1984, 2, 6), "30")],
        elections=[cut],
    )
    assert segments[2:] == [
        seg(
            date(1983, 12, 1),
            date(1984, 2, 29),
            Tier.FULL,
            CoverageSource.CONTINUATION_ELECTION,
            employer_basis=Tier.THREE_QUARTER,
        ),
        seg(date(1984, 3, 1), None, Tier.FULL, CoverageSource.INCREASE),
    ]


def test_R_EL8_further_cut_during_continuation_employer_share_follows_new_hours() -> None:
    cut = date(1983, 11, 15)
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1),
        changes=[*full_then_cut(cut, "25"), reg(date(1984, 2, 6), "10")],
        elections=[cut],
    )
    assert paid_by(segments, 1984, 2, ER) == D("156.43")
    assert paid_by(segments, 1984, 3, ER) == D("0.00")
    assert paid_by(segments, 1984, 3, EE) == D("205.60")


def test_R_EL8_becoming_temporary_ends_coverage_at_month_end_without_choice() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1),
        changes=[reg(date(1983, 8, 1), "35"), temp(date(1984, 8, 20), "35")],
    )
    assert tier_on(segments, date(1984, 8, 31)) is Tier.FULL
    assert tier_on(segments, date(1984, 9, 1)) is Tier.NONE
    with pytest.raises(ValueError, match="R-EL8"):
        coverage_timeline(
            hire_date=date(1983, 8, 1),
            changes=[reg(date(1983, 8, 1), "35"), temp(date(1984, 11, 20), "35")],
            elections=[date(1984, 11, 20)],
        )


def test_R_EL8_no_election_when_the_cut_comes_before_coverage_starts() -> None:
    # Hired Oct 15 (covered Dec 1 at the earliest), regular at 30 h Oct 20, cut to 25 h
    # Nov 20: never covered in FULL, so there is no prior coverage to continue.
    changes = [temp(date(1983, 10, 15), "30"), reg(date(1983, 10, 20), "30")]
    changes.append(reg(date(1983, 11, 20), "25"))
    segments = coverage_timeline(hire_date=date(1983, 10, 15), changes=changes)
    assert segments == [
        seg(date(1983, 10, 15), date(1983, 11, 30), Tier.NONE, CoverageSource.HIRE),
        seg(date(1983, 12, 1), None, Tier.THREE_QUARTER, CoverageSource.HIRE),
    ]
    with pytest.raises(ValueError, match="R-EL8"):
        coverage_timeline(
            hire_date=date(1983, 10, 15), changes=changes, elections=[date(1983, 11, 20)]
        )


def test_R_EL8_a_raise_supersedes_a_pending_reduction() -> None:
    segments = coverage_timeline(
        hire_date=date(1982, 8, 1),
        changes=[
            reg(date(1982, 8, 1), "35"),
            reg(date(1983, 8, 5), "25"),
            reg(date(1983, 9, 10), "30"),
        ],
    )
    assert tier_on(segments, date(1983, 10, 1)) is Tier.FULL
    assert segments[-1] == seg(date(1982, 9, 1), None, Tier.FULL, CoverageSource.HIRE)


# ---------------------------------------------------------------------------------------
# R-EL9 separation (and the R-VE8 / R-VE9 continuations it excepts)
# ---------------------------------------------------------------------------------------


def test_R_EL9_coverage_ends_on_the_last_day_of_the_month() -> None:
    assert coverage_end(date(1984, 9, 10)) == date(1984, 9, 30)
    assert coverage_end(date(1984, 2, 10)) == date(1984, 2, 29)
    assert coverage_end(date(1983, 2, 10)) == date(1983, 2, 28)
    assert coverage_end(date(1984, 12, 1)) == date(1984, 12, 31)


def test_R_EL9_separation_in_the_first_month_of_coverage_covers_that_month() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 5),
        changes=[reg(date(1983, 8, 5), "30")],
        separation_date=date(1983, 9, 10),
    )
    assert segments == [
        seg(date(1983, 8, 5), date(1983, 8, 31), Tier.NONE, CoverageSource.HIRE),
        seg(date(1983, 9, 1), date(1983, 9, 30), Tier.FULL, CoverageSource.HIRE),
        seg(date(1983, 10, 1), None, Tier.NONE, CoverageSource.SEPARATION),
    ]


def test_R_EL9_separation_before_coverage_starts_means_no_coverage() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 15),
        changes=[reg(date(1983, 8, 15), "30")],
        separation_date=date(1983, 9, 20),
    )
    assert segments == [
        seg(date(1983, 8, 15), date(1983, 9, 30), Tier.NONE, CoverageSource.HIRE),
        seg(date(1983, 10, 1), None, Tier.NONE, CoverageSource.SEPARATION),
    ]
    assert lines(segments, 1983, 10) == set()


def test_R_EL9_R_VE9_other_separation_may_continue_three_months_paying_everything() -> None:
    segments = coverage_timeline(
        hire_date=date(1979, 7, 1),
        changes=[reg(date(1979, 7, 1), "40")],
        separation_date=date(1984, 9, 30),
        continuation=SeparationContinuation(retiree=False, until=date(1984, 12, 31)),
    )
    assert segments[-2:] == [
        seg(
            date(1984, 10, 1),
            date(1984, 12, 31),
            Tier.SELF_PAY,
            CoverageSource.SEPARATION_CONTINUATION,
        ),
        seg(date(1985, 1, 1), None, Tier.NONE, CoverageSource.SEPARATION),
    ]
    assert lines(segments, 1984, 11) == {(MM, EE, D("133.93")), (DENTAL, EE, D("30.00"))}
    assert lines(segments, 1985, 1) == set()


def test_R_EL9_R_VE9_continuation_past_three_months_is_refused() -> None:
    with pytest.raises(ValueError, match="R-VE9"):
        coverage_timeline(
            hire_date=date(1979, 7, 1),
            changes=[reg(date(1979, 7, 1), "40")],
            separation_date=date(1984, 9, 30),
            continuation=SeparationContinuation(retiree=False, until=date(1985, 1, 31)),
        )


def test_R_EL9_R_VE8_retiree_continues_indefinitely_dental_optional() -> None:
    segments = coverage_timeline(
        hire_date=date(1979, 7, 1),
        changes=[reg(date(1979, 7, 1), "40")],
        separation_date=date(1984, 6, 30),
        continuation=SeparationContinuation(retiree=True, dental=False),
    )
    assert segments[-1] == seg(
        date(1984, 7, 1),
        None,
        Tier.SELF_PAY,
        CoverageSource.SEPARATION_CONTINUATION,
        dental=False,
    )
    assert lines(segments, 1990, 3) == {(MM, EE, D("133.93"))}


def test_R_EL9_continuation_needs_coverage_when_it_ended() -> None:
    with pytest.raises(ValueError, match="covered"):
        coverage_timeline(
            hire_date=date(1983, 8, 15),
            changes=[reg(date(1983, 8, 15), "30")],
            separation_date=date(1983, 9, 20),
            continuation=SeparationContinuation(retiree=True),
        )


def test_R_EL9_status_change_after_separation_is_refused() -> None:
    with pytest.raises(ValueError, match="after the separation"):
        coverage_timeline(
            hire_date=date(1983, 8, 1),
            changes=full_then_cut(date(1984, 3, 1), "25"),
            separation_date=date(1984, 2, 15),
        )


# ---------------------------------------------------------------------------------------
# R-EL10 overrides
# ---------------------------------------------------------------------------------------


def test_R_EL10_override_replaces_dates_and_keeps_reason_and_author() -> None:
    # A transfer from another district: covered from the hire date, not Oct 1.
    override = Override(
        start=date(1983, 8, 20),
        end=date(1983, 9, 30),
        tier=Tier.FULL,
        reason="Transfer from Ukiah USD, coverage continuous",
        author="clerk.lynn",
    )
    segments = coverage_timeline(
        hire_date=date(1983, 8, 20), changes=[reg(date(1983, 8, 20), "40")], overrides=[override]
    )
    assert segments == [
        seg(
            date(1983, 8, 20),
            date(1983, 9, 30),
            Tier.FULL,
            CoverageSource.OVERRIDE,
            reason="Transfer from Ukiah USD, coverage continuous",
            author="clerk.lynn",
        ),
        seg(date(1983, 10, 1), None, Tier.FULL, CoverageSource.HIRE),
    ]
    # R-PR2: the override started Aug 20, so August is not charged; September is.
    assert lines(segments, 1983, 8) == set()
    assert paid_by(segments, 1983, 9, ER) == D("205.60")


def test_R_EL10_open_override_wins_over_later_changes_and_the_last_override_wins() -> None:
    first = Override(date(1984, 1, 1), None, Tier.THREE_QUARTER, "Correction", "clerk.a")
    second = Override(date(1984, 3, 1), date(1984, 3, 31), Tier.NONE, "Leave", "clerk.b")
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1),
        changes=[reg(date(1983, 8, 1), "35"), reg(date(1984, 5, 3), "20")],
        overrides=[first, second],
    )
    assert segments[2:] == [
        seg(
            date(1984, 1, 1),
            date(1984, 2, 29),
            Tier.THREE_QUARTER,
            CoverageSource.OVERRIDE,
            reason="Correction",
            author="clerk.a",
        ),
        seg(
            date(1984, 3, 1),
            date(1984, 3, 31),
            Tier.NONE,
            CoverageSource.OVERRIDE,
            reason="Leave",
            author="clerk.b",
        ),
        seg(
            date(1984, 4, 1),
            None,
            Tier.THREE_QUARTER,
            CoverageSource.OVERRIDE,
            reason="Correction",
            author="clerk.a",
        ),
    ]


def test_R_EL10_override_needs_reason_and_author() -> None:
    with pytest.raises(ValueError, match="reason"):
        Override(date(1984, 1, 1), None, Tier.FULL, "  ", "clerk")
    with pytest.raises(ValueError, match="author"):
        Override(date(1984, 1, 1), None, Tier.FULL, "Correction", "")
    with pytest.raises(ValueError, match="before it starts"):
        Override(date(1984, 1, 1), date(1983, 12, 31), Tier.FULL, "Correction", "clerk")


# ---------------------------------------------------------------------------------------
# R-EL11 marriage
# ---------------------------------------------------------------------------------------


def test_R_EL11_policy_ends_first_of_the_month_after_the_marriage() -> None:
    assert marriage_policy_end(date(1984, 6, 15)) == date(1984, 7, 1)
    assert marriage_policy_end(date(1983, 12, 31)) == date(1984, 1, 1)
    assert marriage_policy_end(date(1984, 6, 1)) == date(1984, 7, 1)


def test_R_EL11_married_employee_becomes_a_dependent_with_no_own_premium() -> None:
    segments = coverage_timeline(
        hire_date=date(1980, 7, 1),
        changes=[reg(date(1980, 7, 1), "40")],
        marriage_end=date(1984, 7, 1),
    )
    assert segments[-1] == seg(date(1984, 7, 1), None, Tier.NONE, CoverageSource.MARRIAGE)
    assert paid_by(segments, 1984, 6, ER) == D("205.60")
    assert lines(segments, 1984, 7) == set()


# ---------------------------------------------------------------------------------------
# R-PR1 schedule, R-PR2 monthly charges
# ---------------------------------------------------------------------------------------


def test_R_PR1_1983_schedule_totals() -> None:
    full = SCHEDULE_1983[Tier.FULL]
    three_quarter = SCHEDULE_1983[Tier.THREE_QUARTER]
    self_pay = SCHEDULE_1983[Tier.SELF_PAY]
    assert full.total(ER) == D("205.60")
    assert full.total(EE) == D("0.00")
    assert three_quarter.total(ER) == D("156.43")
    assert three_quarter.total(EE) == D("7.50")
    assert self_pay.total(ER) == D("0.00")
    assert self_pay.total(EE) == D("163.93")  # 133.93 + 30.00
    assert Tier.GRANDFATHERED not in SCHEDULE_1983


def test_R_PR1_full_month_is_three_employer_lines_totalling_205_60() -> None:
    segments = coverage_timeline(hire_date=date(1983, 8, 1), changes=[reg(date(1983, 8, 1), "30")])
    found = premium_lines_for_month(segments, year=1983, month=9, rates_by_tier=SCHEDULE_1983)
    assert found == [
        PremiumLine(MM, ER, D("133.93")),
        PremiumLine(TF, ER, D("41.67")),
        PremiumLine(DENTAL, ER, D("30.00")),
    ]


def test_R_PR1_three_quarter_month_is_156_43_plus_7_50() -> None:
    segments = coverage_timeline(hire_date=date(1983, 8, 1), changes=[reg(date(1983, 8, 1), "20")])
    assert lines(segments, 1983, 9) == {
        (MM, ER, D("133.93")),
        (DENTAL, ER, D("22.50")),
        (DENTAL, EE, D("7.50")),
    }
    assert paid_by(segments, 1983, 9, ER) == D("156.43")
    assert paid_by(segments, 1983, 9, EE) == D("7.50")


def test_R_PR1_self_pay_pays_everything_without_trust_fund() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 1), changes=[reg(date(1983, 8, 1), "10")], self_pay_enrolled=True
    )
    assert lines(segments, 1983, 9) == {(MM, EE, D("133.93")), (DENTAL, EE, D("30.00"))}


def test_R_PR1_later_revision_is_just_another_schedule() -> None:
    revised = {
        Tier.THREE_QUARTER: PremiumRates(
            D("141.30"), D("0.00"), D("0.00"), D("0.00"), D("25.50"), D("7.50")
        ),
        Tier.FULL: PremiumRates(
            D("141.30"), D("0.00"), D("41.67"), D("0.00"), D("34.00"), D("0.00")
        ),
    }
    segments = coverage_timeline(hire_date=date(1984, 8, 1), changes=[reg(date(1984, 8, 1), "25")])
    assert lines(segments, 1984, 9, rates_by_tier=revised) == {
        (MM, ER, D("141.30")),
        (DENTAL, ER, D("25.50")),
        (DENTAL, EE, D("7.50")),
    }


def test_R_PR1_rates_must_be_cents() -> None:
    with pytest.raises(ValueError, match="cents"):
        PremiumRates(D("133.935"), D("0"), D("0"), D("0"), D("0"), D("0"))
    with pytest.raises(ValueError, match="non-negative"):
        PremiumRates(D("-1.00"), D("0"), D("0"), D("0"), D("0"), D("0"))


def test_R_PR1_R_EL5_grandfathered_employer_share_is_a_plan_year_fraction() -> None:
    segments = coverage_timeline(
        hire_date=date(1978, 9, 1), changes=[reg(date(1978, 9, 1), "15")], grandfathered=True
    )
    assert tier_on(segments, date(1979, 7, 1)) is Tier.GRANDFATHERED
    # Half of 133.93 is 66.965: the employer's 66.97 (half-up), the employee the 66.96 rest.
    assert lines(segments, 1983, 9, grandfathered_employer_share=D("0.50")) == {
        (MM, ER, D("66.97")),
        (MM, EE, D("66.96")),
        (DENTAL, ER, D("15.00")),
        (DENTAL, EE, D("15.00")),
    }
    with pytest.raises(ValueError, match="Grandfathered"):
        premium_lines_for_month(segments, year=1983, month=9, rates_by_tier=SCHEDULE_1983)


def test_R_PR1_an_explicit_grandfathered_row_wins_over_the_fraction() -> None:
    segments = coverage_timeline(
        hire_date=date(1978, 9, 1), changes=[reg(date(1978, 9, 1), "15")], grandfathered=True
    )
    schedule = {
        **SCHEDULE_1983,
        Tier.GRANDFATHERED: PremiumRates(
            D("100.00"), D("33.93"), D("0.00"), D("0.00"), D("20.00"), D("10.00")
        ),
    }
    assert lines(
        segments, 1983, 9, rates_by_tier=schedule, grandfathered_employer_share=D("1")
    ) == {
        (MM, ER, D("100.00")),
        (MM, EE, D("33.93")),
        (DENTAL, ER, D("20.00")),
        (DENTAL, EE, D("10.00")),
    }


def test_R_PR2_a_month_is_charged_when_covered_on_its_first_day() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 8, 5),
        changes=[reg(date(1983, 8, 5), "30")],
        separation_date=date(1984, 1, 10),
    )
    assert covered_on_first_of_month(segments, year=1983, month=8) is Tier.NONE
    assert covered_on_first_of_month(segments, year=1983, month=9) is Tier.FULL
    assert covered_on_first_of_month(segments, year=1984, month=1) is Tier.FULL
    assert covered_on_first_of_month(segments, year=1984, month=2) is Tier.NONE
    assert lines(segments, 1983, 8) == set()
    assert paid_by(segments, 1984, 1, ER) == D("205.60")
    assert lines(segments, 1984, 2) == set()
    # Before the hire date too.
    assert tier_on(segments, date(1983, 1, 1)) is Tier.NONE


def test_R_PR2_months_in_tier_counts_first_days() -> None:
    cut = date(1983, 11, 15)
    plain = coverage_timeline(hire_date=date(1983, 8, 1), changes=full_then_cut(cut, "25"))
    assert months_in_tier(plain, policy_start_year=1983, tier=Tier.FULL) == 3  # Sep-Nov
    assert months_in_tier(plain, policy_start_year=1983, tier=Tier.THREE_QUARTER) == 7
    assert months_in_tier(plain, policy_start_year=1983, tier=Tier.NONE) == 2  # Jul, Aug
    elected = coverage_timeline(
        hire_date=date(1983, 8, 1), changes=full_then_cut(cut, "25"), elections=[cut]
    )
    assert months_in_tier(elected, policy_start_year=1983, tier=Tier.FULL) == 10


# ---------------------------------------------------------------------------------------
# Full policy year (read by vesting, R-VE3)
# ---------------------------------------------------------------------------------------


def test_R_VE3_full_policy_year_means_covered_on_twelve_first_days_any_tier() -> None:
    from_july = coverage_timeline(
        hire_date=date(1983, 6, 5),
        changes=[reg(date(1983, 6, 5), "35"), reg(date(1984, 1, 9), "20")],
    )
    assert is_full_policy_year(from_july, 1983) is True
    from_august = coverage_timeline(
        hire_date=date(1983, 6, 15), changes=[reg(date(1983, 6, 15), "35")]
    )
    assert is_full_policy_year(from_august, 1983) is False
    assert is_full_policy_year(from_august, 1984) is True


def test_R_VE3_post_separation_continuation_months_do_not_make_a_full_year() -> None:
    segments = coverage_timeline(
        hire_date=date(1983, 6, 1),
        changes=[reg(date(1983, 6, 1), "35")],
        separation_date=date(1984, 3, 15),
        continuation=SeparationContinuation(retiree=False, until=date(1984, 6, 30)),
    )
    assert tier_on(segments, date(1984, 6, 1)) is Tier.SELF_PAY
    assert is_full_policy_year(segments, 1983) is False


# ---------------------------------------------------------------------------------------
# Validation and properties of the timeline
# ---------------------------------------------------------------------------------------


def test_R_EL6_history_must_start_with_the_hire_state_in_order() -> None:
    with pytest.raises(ValueError, match="hire state"):
        coverage_timeline(hire_date=date(1983, 8, 1), changes=[reg(date(1983, 8, 2), "30")])
    with pytest.raises(ValueError, match="in order"):
        coverage_timeline(
            hire_date=date(1983, 8, 1),
            changes=[reg(date(1983, 8, 1), "30"), reg(date(1983, 8, 1), "20")],
        )
    with pytest.raises(ValueError, match="at least"):
        coverage_timeline(hire_date=date(1983, 8, 1), changes=[])


_statuses = st.sampled_from([REG, REG, REG, TEMP])
_hours = st.integers(min_value=0, max_value=4500).map(lambda c: Decimal(c) / 100)


@st.composite
def histories(draw: st.DrawFn) -> tuple[date, list[StatusChange], date | None, list[Override]]:
    hire = draw(st.dates(min_value=date(1979, 1, 1), max_value=date(1990, 12, 31)))
    changes = [StatusChange(hire, draw(_statuses), draw(_hours))]
    day = hire
    for gap in draw(st.lists(st.integers(min_value=1, max_value=400), max_size=8)):
        day += timedelta(days=gap)
        changes.append(StatusChange(day, draw(_statuses), draw(_hours)))
    separation = None
    if draw(st.booleans()):
        separation = day + timedelta(days=draw(st.integers(min_value=0, max_value=400)))
    overrides = []
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        start = hire + timedelta(days=draw(st.integers(min_value=0, max_value=2000)))
        length = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=400)))
        end = None if length is None else start + timedelta(days=length)
        tier = draw(st.sampled_from(list(Tier)))
        overrides.append(Override(start, end, tier, "Correction", "clerk"))
    return hire, changes, separation, overrides


@given(histories(), st.booleans(), st.booleans())
def test_R_EL6_R_EL9_timeline_is_contiguous_and_respects_start_and_end(
    history: tuple[date, list[StatusChange], date | None, list[Override]],
    enrolled: bool,
    with_overrides: bool,
) -> None:
    hire, changes, separation, overrides = history
    segments = coverage_timeline(
        hire_date=hire,
        changes=changes,
        separation_date=separation,
        self_pay_enrolled=enrolled,
        overrides=overrides if with_overrides else (),
    )
    assert segments[0].start == hire
    assert segments[-1].end is None
    for earlier, later in pairwise(segments):
        assert earlier.end is not None
        assert earlier.start <= earlier.end
        assert later.start == earlier.end + timedelta(days=1)
        same = (earlier.tier, earlier.source, earlier.employer_basis, earlier.reason)
        assert same != (later.tier, later.source, later.employer_basis, later.reason)
    if with_overrides and overrides:
        return
    # R-EL6: nothing covered before the hire start; R-EL9: nothing after the month's end.
    first_covered = next((s.start for s in segments if s.tier is not Tier.NONE), None)
    if first_covered is not None:
        assert first_covered >= coverage_start_for_hire(hire)
        assert first_covered.day == 1
    if separation is not None:
        last = max(
            (s.end for s in segments if s.tier is not Tier.NONE and s.end is not None),
            default=None,
        )
        assert all(s.end is not None for s in segments if s.tier is not Tier.NONE)
        if last is not None:
            assert last <= coverage_end(separation)
