"""Allotment and vesting rules (R-VE1..R-VE11, R-CL6): pure, no database.

Each worked example of the plan (seed 003: the introduction, III "Vesting examples",
III.D.5, IV.D; Delsol's article) is a test named after it. Expected amounts and dates
are worked out by hand from the plan text, never by the code under test.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.rules import policy_year_months
from staywell.money import from_cents
from vesting.rules import (
    ContinuationPayment,
    Payout,
    PayoutKind,
    PolicyYearCredit,
    VestingDecision,
    account_position,
    allotment,
    beneficiary_due_date,
    continuation_payments,
    lump_sum_schedule,
    monthly_shares,
    payout_refusal,
    policy_month_index,
    reduce_vested_amount,
    six_months_after,
    spouse_split,
    unused_amount,
    vesting_decisions,
)

D = Decimal
Z = D("0.00")
ALL_YEAR = range(12)


def covered_months(start: date, end: date, year: int) -> frozenset[int]:
    """R-VE3 / R-PR2: the months (0 = July) of policy year ``year`` whose first day lies in
    the coverage ``start``..``end``."""
    firsts = policy_year_months(year)
    return frozenset(m for m, first in enumerate(firsts) if start <= first <= end)


# --- R-VE1, R-VE2: allotment and unused amount -------------------------------------------


def test_R_VE1_monthly_shares_are_41_67_and_a_full_year_is_exactly_the_deductible() -> None:
    # R-PY2: every month 41.67 (June too); 12 x 41.67 = 500.04 is capped at 500.00.
    assert monthly_shares() == [D("41.67")] * 12
    assert allotment(ALL_YEAR) == D("500.00")


def test_R_VE1_partial_year_is_n_months_x_41_67() -> None:
    # April, May, June: 3 x 41.67 (no month carries the rounding, R-PY2).
    assert allotment({9, 10, 11}) == D("125.01")
    # July, August, September: 3 x 41.67.
    assert allotment({0, 1, 2}) == D("125.01")
    # September-June: 10 x 41.67; July-March: 9 x 41.67; eleven months 11 x 41.67.
    assert allotment(range(2, 12)) == D("416.70")
    assert allotment(range(9)) == D("375.03")
    assert allotment(range(1, 12)) == D("458.37")
    assert allotment(set()) == Z


def test_R_VE1_deductible_is_plan_year_data() -> None:
    assert allotment({0}, D("600.00")) == D("50.00")
    assert allotment(ALL_YEAR, D("600.00")) == D("600.00")


def test_R_VE1_month_indexes_are_checked() -> None:
    with pytest.raises(ValueError):
        allotment([3, 3])
    with pytest.raises(ValueError):
        allotment([12])


def test_R_VE1_policy_month_index_starts_in_july() -> None:
    assert policy_month_index(date(1984, 7, 15)) == 0
    assert policy_month_index(date(1985, 6, 1)) == 11


def test_R_VE2_unused_amount_is_allotment_less_trust_fund_payments() -> None:
    assert unused_amount(D("500.00"), D("120.00")) == D("380.00")


def test_R_VE2_unused_amount_is_never_below_zero() -> None:
    assert unused_amount(D("125.01"), D("900.00")) == Z


def test_R_VE2_unused_amount_never_above_the_maximum_vest() -> None:
    assert unused_amount(D("600.00"), Z) == D("500.00")
    assert unused_amount(D("600.00"), Z, max_vest=D("600.00")) == D("600.00")


# --- R-VE3, R-VE4: the vesting examples -------------------------------------------------


def test_R_VE3_full_year_vests_on_the_july_1_after_it() -> None:
    years = [PolicyYearCredit(1983, True, D("420.00"))]
    assert vesting_decisions(years) == [VestingDecision(1983, date(1984, 7, 1), None, D("420.00"))]


def test_R_VE4_vesting_example_a_april_1980_to_june_1981_fifteen_months() -> None:
    """(a) Comes to work April 1, 1980, works through June 30, 1981: 15 months of vested
    credit, less any medical claims for that period."""
    start, end = date(1980, 4, 1), date(1981, 6, 30)
    partial = covered_months(start, end, 1979)
    full = covered_months(start, end, 1980)
    assert len(partial) + len(full) == 15
    # 15 months of credit: 3 x 41.67 = 125.01 (Apr-Jun 1980) + 500.00 = 625.01 (R-PY2).
    assert allotment(partial) == D("125.01")
    assert allotment(partial) + allotment(full) == D("625.01")
    # Less claims: the trust fund paid 25.01 in 1979-80 and 100.00 in 1980-81.
    years = [
        PolicyYearCredit(1979, False, unused_amount(allotment(partial), D("25.01"))),
        PolicyYearCredit(1980, len(full) == 12, unused_amount(allotment(full), D("100.00"))),
    ]
    decisions = vesting_decisions(years, separation_date=end)
    # Both vest when the first full year completes: July 1, 1981.
    assert decisions == [
        VestingDecision(1979, date(1981, 7, 1), None, D("100.00")),
        VestingDecision(1980, date(1981, 7, 1), None, D("400.00")),
    ]
    assert sum(d.amount for d in decisions) == D("500.00")  # 625.01 less 125.01 of claims


def test_R_VE4_vesting_example_b_july_1980_to_september_1981_fifteen_months() -> None:
    """(b) Comes to work July 1, 1980, works through September 30, 1981: 15 months of
    vested credit, less any medical claims for that period."""
    start, end = date(1980, 7, 1), date(1981, 9, 30)
    full = covered_months(start, end, 1980)
    leaving = covered_months(start, end, 1981)
    assert len(full) + len(leaving) == 15
    # 500.00 + 3 x 41.67 = 625.01; the trust fund paid 25.01 in the year of leaving.
    years = [
        PolicyYearCredit(1980, True, unused_amount(allotment(full), Z)),
        PolicyYearCredit(1981, False, unused_amount(allotment(leaving), D("25.01"))),
    ]
    assert vesting_decisions(years, separation_date=end) == [
        VestingDecision(1980, date(1981, 7, 1), None, D("500.00")),
        VestingDecision(1981, date(1981, 9, 30), None, D("100.00")),
    ]


def test_R_VE4_vesting_example_b_with_the_strict_setting_only_twelve_months() -> None:
    """The introduction's wording: no benefit from the allotment of the year of leaving;
    that year's unused amount goes to the district (at the rollover ending that year)."""
    years = [
        PolicyYearCredit(1980, True, D("500.00")),
        PolicyYearCredit(1981, False, D("100.00")),
    ]
    decisions = vesting_decisions(
        years, separation_date=date(1981, 9, 30), separation_year_vests=False
    )
    assert decisions == [
        VestingDecision(1980, date(1981, 7, 1), None, D("500.00")),
        VestingDecision(1981, None, date(1982, 7, 1), D("100.00")),
    ]
    assert sum(d.amount for d in decisions if d.vest_on) == D("500.00")  # 12 months


def test_R_VE4_vesting_example_c_nine_months_nothing_vests() -> None:
    """(c) Works only nine months total, September 1, 1980 through June 30, 1981: no
    vested credit; the unused amount is transferred to the district.

    (Coverage from September 1 spans ten month-starts; from October 1, under R-EL6, nine.
    Either way there is no full year, which is what decides it.)"""
    start, end = date(1980, 9, 1), date(1981, 6, 30)
    # Sep..Jun, ten month-starts: 10 x 41.67 = 416.70 (R-PY2).
    assert allotment(covered_months(start, end, 1980)) == D("416.70")
    # Hired September 1, covered from October 1 (R-EL6): nine months, 9 x 41.67 = 375.03.
    months = covered_months(date(1980, 10, 1), end, 1980)
    assert len(months) == 9
    assert allotment(months) == D("375.03")
    # The trust fund paid 15.03: 360.00 unused, and it all goes to the district.
    years = [PolicyYearCredit(1980, False, unused_amount(allotment(months), D("15.03")))]
    assert vesting_decisions(years, separation_date=end) == [
        VestingDecision(1980, None, date(1981, 7, 1), D("360.00"))
    ]


def test_R_VE4_partial_year_is_pending_until_a_full_year_or_a_separation() -> None:
    [decision] = vesting_decisions([PolicyYearCredit(1979, False, D("125.01"))])
    assert decision.pending


def test_R_VE4_gap_year_after_a_full_year_vests_at_the_july_1_after_it() -> None:
    years = [
        PolicyYearCredit(1980, True, D("500.00")),
        PolicyYearCredit(1981, False, D("250.00")),  # unpaid leave, still employed
        PolicyYearCredit(1982, True, D("500.00")),
    ]
    assert [d.vest_on for d in vesting_decisions(years)] == [
        date(1981, 7, 1),
        date(1982, 7, 1),
        date(1983, 7, 1),
    ]


def test_R_VE4_years_must_be_in_order_and_not_after_separation() -> None:
    with pytest.raises(ValueError):
        vesting_decisions([PolicyYearCredit(1981, True, Z), PolicyYearCredit(1980, True, Z)])
    with pytest.raises(ValueError):
        vesting_decisions([PolicyYearCredit(1982, True, Z)], separation_date=date(1981, 9, 30))


# --- The introduction and the article ---------------------------------------------------


def test_introduction_300_remaining_next_year_800_in_the_account_500_usable() -> None:
    """ "if he has $300 remaining, the following year he will have $800 in the account in
    his name, $500 of which he can use for medical expense ... If he uses less than the
    $500 in the second year, he will carry forward that savings also." """
    first = unused_amount(allotment(ALL_YEAR), D("200.00"))
    assert first == D("300.00")
    position = account_position(vested=first, allotment=allotment(ALL_YEAR), absorbed=Z)
    assert position.in_name == D("800.00")
    assert position.usable == D("500.00")
    # Even after 500.00 of claims the 300.00 carried ahead is not usable.
    used_up = account_position(vested=first, allotment=allotment(ALL_YEAR), absorbed=D("500.00"))
    assert used_up.usable == Z
    assert used_up.vested == D("300.00")
    # Second year he uses 350.00: 150.00 more is carried forward, 450.00 in all.
    assert first + unused_amount(allotment(ALL_YEAR), D("350.00")) == D("450.00")


def test_article_five_years_perfect_bill_of_health_receives_2500() -> None:
    """Delsol: "If someone works for the Mendocino schools for five years and maintains a
    perfect bill of health, on leaving the schools he'll receive $2,500." """
    separation = date(1984, 6, 30)
    years = [
        PolicyYearCredit(y, True, unused_amount(allotment(ALL_YEAR), Z)) for y in range(1979, 1984)
    ]
    decisions = vesting_decisions(years, separation_date=separation)
    assert [d.vest_on for d in decisions] == [date(y, 7, 1) for y in range(1980, 1985)]
    payouts = lump_sum_schedule(
        separation_date=separation,
        vested_by_year=[(d.start_year, d.amount) for d in decisions[:-1]],
        separation_year_amount=decisions[-1].amount,
    )
    assert sum(p.amount for p in payouts) == D("2500.00")
    assert [p.due_on for p in payouts] == [separation] * 4 + [date(1985, 1, 1)]


# --- R-VE7, R-CL6: lump sums and run-out -------------------------------------------------

FIVE_YEARS = [
    (1979, D("500.00")),
    (1980, D("450.00")),
    (1981, D("500.00")),
    (1982, D("380.00")),
    (1983, D("420.00")),
]
SEPARATED = date(1984, 9, 30)


def test_R_VE7_payout_example_five_full_years_separated_september_30_1984() -> None:
    """III.D.5: five full years completed July 1, 1984, terminated September 30, 1984: the
    amount vested for the 5th year (ending June 30, 1984) is payable January 1, 1985;
    earlier years at separation; the separation year's amount six months after it."""
    payouts = lump_sum_schedule(
        separation_date=SEPARATED,
        vested_by_year=FIVE_YEARS,
        separation_year_amount=D("125.01"),  # July-September 1984, no claims
    )
    assert [(p.start_year, p.amount, p.due_on) for p in payouts] == [
        (1979, D("500.00"), SEPARATED),
        (1980, D("450.00"), SEPARATED),
        (1981, D("500.00"), SEPARATED),
        (1982, D("380.00"), SEPARATED),
        (1983, D("420.00"), date(1985, 1, 1)),
        (1984, D("125.01"), date(1985, 4, 1)),
    ]


def test_R_VE7_alternative_reading_holds_the_prior_year_six_months_from_termination() -> None:
    payouts = lump_sum_schedule(
        separation_date=SEPARATED, vested_by_year=FIVE_YEARS, hold_prior_year_from="termination"
    )
    assert [(p.start_year, p.due_on) for p in payouts][-1] == (1983, date(1985, 4, 1))
    assert len(payouts) == 5  # no separation-year amount: nothing to pay for it


def test_R_VE7_prior_year_payable_at_separation_if_that_is_later() -> None:
    payouts = lump_sum_schedule(
        separation_date=date(1985, 3, 15), vested_by_year=[(1983, D("420.00"))]
    )
    assert payouts == [
        Payout(
            1983,
            D("420.00"),
            date(1985, 3, 15),
            "Year before separation: payable six months after that year ended",
        )
    ]


def test_R_PY3_six_months_after_is_the_first_of_a_month_on_or_after_d_plus_six_months() -> None:
    assert six_months_after(date(1984, 6, 30)) == date(1985, 1, 1)  # Dec 30 -> Jan 1
    assert six_months_after(date(1984, 9, 30)) == date(1985, 4, 1)  # Mar 30 -> Apr 1
    assert six_months_after(date(1984, 9, 15)) == date(1985, 4, 1)  # Mar 15 -> Apr 1
    assert six_months_after(date(1985, 1, 1)) == date(1985, 7, 1)  # Jul 1 is a first
    assert six_months_after(date(1984, 8, 31)) == date(1985, 3, 1)  # Feb 28 -> Mar 1


def test_R_CL6_late_claim_for_a_vested_year_during_employment() -> None:
    effect = reduce_vested_amount(vested=D("380.00"), reduction=D("100.00"))
    assert (effect.amount, effect.recovered, effect.unrecovered) == (
        D("280.00"),
        D("100.00"),
        Z,
    )


# --- R-VE5, R-VE6: the money is not the employee's during employment --------------------


def test_R_VE5_no_withdrawal_loan_or_interest_during_employment() -> None:
    today = date(1984, 3, 1)
    for kind in (PayoutKind.WITHDRAWAL, PayoutKind.LOAN, PayoutKind.INTEREST):
        assert payout_refusal(kind=kind, on=today, separation_date=None)
    assert payout_refusal(kind=PayoutKind.WITHDRAWAL, on=today, separation_date=None) == (
        "The vested money cannot be withdrawn during employment."
    )


def test_R_VE6_constructive_receipt_only_on_separation() -> None:
    assert payout_refusal(kind=PayoutKind.LUMP_SUM, on=date(1984, 9, 1), separation_date=SEPARATED)
    assert payout_refusal(kind=PayoutKind.LUMP_SUM, on=SEPARATED, separation_date=SEPARATED) is None
    assert (
        payout_refusal(
            kind=PayoutKind.CONTINUATION_PREMIUM, on=date(1984, 10, 1), separation_date=SEPARATED
        )
        is None
    )
    assert payout_refusal(kind=PayoutKind.INTEREST, on=SEPARATED, separation_date=SEPARATED)


# --- R-VE8, R-VE9: continuation of coverage ---------------------------------------------


def test_R_VE8_retiree_side_account_pays_premiums_until_it_runs_out() -> None:
    # 700.00 at 141.30 a month: four full months (565.20), then 134.80 of the fifth
    # (6.50 billed to the retiree), then billed in full.
    payments = continuation_payments(
        balance=D("700.00"), monthly_premium=D("141.30"), first_month=date(1984, 10, 1), months=7
    )
    full = D("141.30")
    assert payments == [
        ContinuationPayment(date(1984, 10, 1), full, Z),
        ContinuationPayment(date(1984, 11, 1), full, Z),
        ContinuationPayment(date(1984, 12, 1), full, Z),
        ContinuationPayment(date(1985, 1, 1), full, Z),
        ContinuationPayment(date(1985, 2, 1), D("134.80"), D("6.50")),
        ContinuationPayment(date(1985, 3, 1), Z, full),
        ContinuationPayment(date(1985, 4, 1), Z, full),
    ]


def test_R_VE9_other_separations_continue_at_most_three_months() -> None:
    def schedule(months: int) -> list[ContinuationPayment]:
        return continuation_payments(
            balance=D("900.00"),
            monthly_premium=D("141.30"),
            first_month=date(1984, 10, 1),
            months=months,
            retirement=False,
        )

    assert [p.month for p in schedule(3)] == [
        date(1984, 10, 1),
        date(1984, 11, 1),
        date(1984, 12, 1),
    ]
    with pytest.raises(ValueError, match="at most 3 months"):
        schedule(4)


# --- R-VE10: death --------------------------------------------------------------------


def test_R_VE10_death_beneficiary_payable_six_months_after_death() -> None:
    assert beneficiary_due_date(date(1985, 3, 10)) == date(1985, 10, 1)
    assert beneficiary_due_date(date(1985, 12, 31)) == date(1986, 7, 1)


# --- R-VE11: husband and wife ---------------------------------------------------------


def test_R_VE11_marriage_mid_year_vest_split_half_and_half_odd_cent_to_retained_policy() -> None:
    # Married in the 1984-85 year: 310.01 + 187.00 = 497.01 for the year, half each,
    # the odd cent to the spouse whose policy was retained.
    assert spouse_split(amount_a=D("310.01"), amount_b=D("187.00"), retained_is_a=True) == (
        D("248.51"),
        D("248.50"),
    )
    assert spouse_split(amount_a=D("310.01"), amount_b=D("187.00"), retained_is_a=False) == (
        D("248.50"),
        D("248.51"),
    )
    assert spouse_split(amount_a=D("300.00"), amount_b=D("200.00"), retained_is_a=True) == (
        D("250.00"),
        D("250.00"),
    )


# --- Properties ----------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10_000_000).map(from_cents)


@given(deductible=cents, months=st.sets(st.integers(0, 11)))
def test_R_VE1_property_n_months_are_n_shares_capped_at_the_deductible(
    deductible: Decimal, months: set[int]
) -> None:
    share = (deductible / 12).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    expected = deductible if len(months) == 12 else min(share * len(months), deductible)
    assert allotment(months, deductible) == expected
    assert allotment(months, deductible) <= deductible
    assert allotment(ALL_YEAR, deductible) == deductible


@given(a=cents, b=cents, retained_is_a=st.booleans())
def test_R_VE11_property_spouse_split_is_exact_and_even(
    a: Decimal, b: Decimal, retained_is_a: bool
) -> None:
    share_a, share_b = spouse_split(amount_a=a, amount_b=b, retained_is_a=retained_is_a)
    assert share_a + share_b == a + b
    retained, other = (share_a, share_b) if retained_is_a else (share_b, share_a)
    assert retained - other in (Z, D("0.01"))
