"""The plan's calendar and money rules as the vesting and claim rules apply them.

R-PY2: a monthly share of the deductible is deductible / 12 rounded half-up (41.67); months
added up to a year's allotment make n x 41.67, capped at the deductible; an amount with more
than two decimals is refused. R-PY3: "six months after" a day D is the first day of a month on
or after D plus six calendar months. Expected values are worked by hand from the plan text.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.rules import monthly_deductible_shares
from claims.rules import validate_amounts
from vesting.rules import allotment, beneficiary_due_date, lump_sum_schedule, six_months_after

D = Decimal


# --- R-PY2: exact money, monthly shares, a year's allotment ------------------------------


def test_R_PY2_a_monthly_share_is_the_deductible_over_twelve_rounded_half_up() -> None:
    """R-PY2: 500.00 / 12 = 41.666... rounds half-up to 41.67 (July, the first month)."""
    assert monthly_deductible_shares(D("500.00"))[0] == D("41.67")
    assert allotment({0}) == D("41.67")


def test_R_PY2_nine_months_from_july_are_375_03() -> None:
    """R-PY2: the rule's own example, nine months x 41.67 = 375.03 (July to March)."""
    assert allotment(range(9)) == D("375.03")


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (1, "41.67"),
        (2, "83.34"),
        (3, "125.01"),
        (6, "250.02"),
        (11, "458.37"),
    ],
)
def test_R_PY2_n_months_from_july_are_n_times_41_67(months: int, expected: str) -> None:
    """R-PY2: a partial year of n months (July onwards) is n x 41.67, under the deductible."""
    assert allotment(range(months)) == D(expected)


def test_R_PY2_twelve_months_are_capped_at_exactly_the_deductible() -> None:
    """R-PY2: 12 x 41.67 = 500.04 is capped: a full year's allotment is exactly 500.00."""
    assert allotment(range(12)) == D("500.00")


@pytest.mark.parametrize("raw", ["12.345", "10.005", "0.001"])
def test_R_PY2_an_amount_with_more_than_two_decimals_is_refused_not_rounded(raw: str) -> None:
    """R-PY2: more than two decimal places is bad input, refused with a message."""
    errors = validate_amounts(raw, raw)
    assert "more than two decimals" in errors["billed"]
    assert "more than two decimals" in errors["allowed"]


# --- R-PY3: "six months after" a day ----------------------------------------------------


def _plus_six_calendar_months(day: date) -> date:
    """D plus six calendar months, the day clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + 6
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def test_R_PY3_a_year_ending_june_30_1984_is_followed_six_months_later_by_january_1_1985() -> None:
    """R-PY3: the plan's own example (III.D.5)."""
    assert six_months_after(date(1984, 6, 30)) == date(1985, 1, 1)


def test_R_PY3_a_separation_on_september_30_1984_is_followed_by_april_1_1985() -> None:
    """R-PY3: September 30, 1984 + six months = March 30, 1985 -> April 1, 1985."""
    assert six_months_after(date(1984, 9, 30)) == date(1985, 4, 1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(1985, 3, 10), date(1985, 10, 1)),  # September 10 -> October 1
        (date(1984, 8, 31), date(1985, 3, 1)),  # February 28, 1985 -> March 1
        (date(1987, 8, 30), date(1988, 3, 1)),  # February 29, 1988 (leap) -> March 1
        (date(1984, 12, 31), date(1985, 7, 1)),  # June 30, 1985 -> July 1
        (date(1985, 1, 2), date(1985, 8, 1)),  # July 2 -> August 1
        (date(1985, 1, 1), date(1985, 7, 1)),  # July 1 is a first of a month: itself
        (date(1984, 7, 1), date(1985, 1, 1)),  # January 1 is a first of a month: itself
    ],
)
def test_R_PY3_six_months_after_is_the_first_of_a_month_on_or_after_d_plus_six_months(
    day: date, expected: date
) -> None:
    """R-PY3: worked by hand: D + six calendar months, then the next first of a month."""
    assert six_months_after(day) == expected


@given(st.dates(min_value=date(1970, 1, 1), max_value=date(2090, 12, 31)))
def test_R_PY3_property_payable_on_the_first_first_of_a_month_on_or_after_d_plus_six_months(
    day: date,
) -> None:
    """R-PY3 for every day, the first of a month included: the due day is the first first
    of a month on or after D + six calendar months."""
    due = six_months_after(day)
    target = _plus_six_calendar_months(day)
    assert due.day == 1
    assert (due - timedelta(days=1)).replace(day=1) < target <= due


def test_R_PY3_lump_sums_and_beneficiary_payments_use_the_same_reckoning() -> None:
    """R-PY3 in R-VE7 and R-VE10: the prior year ending June 30, 1984 is payable January 1,
    1985; the separation year of a separation on September 30, 1984 on April 1, 1985; a
    death on September 30, 1984 is paid to the beneficiary on April 1, 1985."""
    payouts = lump_sum_schedule(
        separation_date=date(1984, 9, 30),
        vested_by_year=[(1983, D("420.00"))],
        separation_year_amount=D("125.01"),
    )
    assert [(p.start_year, p.due_on) for p in payouts] == [
        (1983, date(1985, 1, 1)),
        (1984, date(1985, 4, 1)),
    ]
    assert beneficiary_due_date(date(1984, 9, 30)) == date(1985, 4, 1)
