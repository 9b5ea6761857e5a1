"""The plan's allotment and vesting rules as pure functions (R-VE1..R-VE11, R-CL6).

No ORM and no clock: every date is passed in. Amounts are ``Decimal`` cents
(``staywell.money``). Plan-year numbers (the deductible, the maximum vest per year) and
plan settings for the alternative readings are arguments with the default reading's
values. Months of a policy year are indexed 0..11, 0 = July (R-PY1).

Decisions (the spec is silent; chosen as a plan administrator would):

- Decision (R-PY2 as clarified): every FULL-tier month adds the same share, deductible /
  12 rounded half-up (41.67), and the months of a year are added up as n x 41.67 capped at
  the deductible: twelve months are exactly 500.00, nine months 375.03, April-June and
  July-September both 125.01. No month carries the rounding. The monthly trust-fund
  contribution is the premium schedule's own figure (R-PR1 data, 41.67 in the 1983
  schedule), booked as entered; twelve contributions (500.04) are four cents more than
  a full year's allotment (500.00), and those cents stay in the General Deductible
  Trust Fund like any unspent, unvested money.
- Decision (R-PY3 as clarified): "six months after" a day D (III.D.5, III.D.7) is the
  first day of a month on or after D plus six calendar months (a day past the end of the
  target month is its last day): June 30, 1984 -> January 1, 1985 (the plan's own
  example); September 30, 1984 -> April 1, 1985; January 1, 1985 -> July 1, 1985;
  August 31, 1984 -> (February 28, 1985) -> March 1, 1985; March 10, 1985 -> October 1,
  1985.
- Decision: a year without any full year of coverage is transferred to the district at
  the July 1 rollover that ends the year of separation (the year-end vesting run, where
  the 1986 report shows "unvested transfers to the district"); before the separation it
  is pending (no date), since a later full year could still vest it.
- Decision: a partial year that follows a full year but is not the separation year (a
  gap in coverage during employment) vests at the July 1 rollover after it ends.
- Decision: a separation year that is itself a full year (separation on June 30) vests on
  July 1 like any full year, also under the strict ``separation_year_vests=False``
  setting, which only forfeits a *partial* year of leaving.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from accounts.rules import (
    add_months,
    monthly_deductible_shares,
    months_of_deductible,
    policy_year_end,
    policy_year_of,
    policy_year_start,
)
from staywell.money import ZERO, from_cents, money, to_cents

__all__ = [
    "DEDUCTIBLE",
    "MAX_VEST",
    "OTHER_SEPARATION_MONTHS",
    "AccountPosition",
    "ContinuationPayment",
    "Payout",
    "PayoutKind",
    "PolicyYearCredit",
    "RunoutReduction",
    "VestingDecision",
    "account_position",
    "allotment",
    "beneficiary_due_date",
    "continuation_limit",
    "continuation_payments",
    "lump_sum_schedule",
    "monthly_shares",
    "payout_refusal",
    "policy_month_index",
    "reduce_vested_amount",
    "six_months_after",
    "spouse_split",
    "unused_amount",
    "vesting_decisions",
]

DEDUCTIBLE = Decimal("500.00")  # R-VE1: the plan year's deductible (default)
MAX_VEST = Decimal("500.00")  # R-VE2: maximum vest per contract year, III.D.6 (default)
OTHER_SEPARATION_MONTHS = 3  # R-VE9: continuation after a separation other than retirement


# --- Allotment (R-VE1, R-VE2) -------------------------------------------------------------


def policy_month_index(day: date) -> int:
    """R-PY1: the month's place in its policy year, 0 = July ... 11 = June."""
    return (day.month - 7) % 12


def monthly_shares(deductible: Decimal = DEDUCTIBLE) -> list[Decimal]:
    """R-VE1 with R-PY2: the twelve monthly shares, July first, each deductible / 12
    rounded half-up (41.67); added up they are capped at the deductible (:func:`allotment`)."""
    return monthly_deductible_shares(deductible)


def allotment(full_tier_months: Collection[int], deductible: Decimal = DEDUCTIBLE) -> Decimal:
    """R-VE1: the year's allotment for the months covered in the FULL tier.

    ``full_tier_months`` are month indexes (0 = July ... 11 = June), each at most once.
    R-PY2: n months x 41.67 capped at the deductible: all twelve make exactly 500.00,
    nine make 375.03, April-June 125.01.
    """
    months = list(full_tier_months)
    if len(set(months)) != len(months):
        raise ValueError("each month may be counted only once")
    if any(not 0 <= m <= 11 for m in months):
        raise ValueError("month indexes run from 0 (July) to 11 (June)")
    return months_of_deductible(len(months), deductible)


def unused_amount(
    allotment: Decimal, trust_fund_paid: Decimal, max_vest: Decimal = MAX_VEST
) -> Decimal:
    """R-VE2: allotment less the trust fund's payments for the family's claims that year,
    never below zero and never above the maximum vest per year (III.D.6)."""
    if trust_fund_paid < ZERO:
        raise ValueError("trust-fund payments cannot be negative")
    return min(max(ZERO, money(allotment - trust_fund_paid)), max_vest)


@dataclass(frozen=True)
class AccountPosition:
    """What the introduction tells an employee about "the account in his name"."""

    vested: Decimal  # earlier years' savings carried ahead; never usable for claims (R-VE5)
    allotment: Decimal  # this year's allotment, held in the employee's name
    in_name: Decimal  # vested + allotment: "$800 in the account in his name"
    usable: Decimal  # what the trust fund can still pay this year: "$500 of which he can use"


def account_position(
    *,
    vested: Decimal,
    allotment: Decimal,
    absorbed: Decimal,
    deductible: Decimal = DEDUCTIBLE,
) -> AccountPosition:
    """R-VE2, R-VE5 (introduction): the account held in the employee's name this year.

    Carried-over savings are held in his name but only this year's deductible can pay
    claims (``absorbed``: what the family's deductible already took this year, R-CL1), so
    he "will always carry ahead the original or any previous year savings".
    """
    if min(vested, allotment, absorbed) < ZERO:
        raise ValueError("amounts cannot be negative")
    return AccountPosition(
        vested=vested,
        allotment=allotment,
        in_name=vested + allotment,
        usable=max(ZERO, deductible - absorbed),
    )


# --- Vesting timing (R-VE3, R-VE4) -------------------------------------------------------


@dataclass(frozen=True)
class PolicyYearCredit:
    """One policy year of an employee's coverage, as input to :func:`vesting_decisions`."""

    start_year: int  # R-PY1: 1980 means 1980-81
    full_year: bool  # covered on the first day of all twelve months, in any tier (R-VE3)
    unused: Decimal  # R-VE2: the year's unused amount


@dataclass(frozen=True)
class VestingDecision:
    """What happens to one year's unused amount.

    Exactly one of ``vest_on`` / ``to_district_on`` is set, or neither while pending
    (a partial year whose fate depends on a full year or a separation still to come).
    """

    start_year: int
    vest_on: date | None  # the day it moves to the employee's Vested Trust Fund account
    to_district_on: date | None  # the day it moves to the district account (unvested)
    amount: Decimal

    @property
    def pending(self) -> bool:
        return self.vest_on is None and self.to_district_on is None


def vesting_decisions(
    years: Sequence[PolicyYearCredit],
    *,
    separation_date: date | None = None,
    separation_year_vests: bool = True,
) -> list[VestingDecision]:
    """R-VE3, R-VE4: when each policy year's unused amount vests, or goes to the district.

    - A full year vests on the July 1 after it (R-VE3).
    - A partial year before the first full year vests when that full year completes, on
      the July 1 after it (III.D.4, example (a)).
    - A partial year after a full year: the separation year vests on the separation date
      (example (b)); Decision: any other such year vests on the July 1 after it.
    - No full year at all: nothing vests (example (c)); Decision: the amount goes to the
      district at the July 1 rollover ending the separation year, pending until then.
    - ``separation_year_vests=False`` (the introduction's stricter wording): a partial
      year of separation goes to the district at that same rollover.
    """
    starts = [y.start_year for y in years]
    if starts != sorted(set(starts)):
        raise ValueError("policy years must be given once each, in order")
    separation_year = policy_year_of(separation_date) if separation_date else None
    if separation_year is not None and any(s > separation_year for s in starts):
        raise ValueError("no policy year can follow the year of separation")
    first_full = next((y.start_year for y in years if y.full_year), None)
    district_day = policy_year_start(separation_year + 1) if separation_year is not None else None

    def decide(year: PolicyYearCredit) -> tuple[date | None, date | None]:
        if year.full_year:  # R-VE3
            return policy_year_start(year.start_year + 1), None
        if first_full is None:  # R-VE4 (c): no full year, nothing vests
            return None, district_day
        if year.start_year < first_full:  # R-VE4 (a)
            return policy_year_start(first_full + 1), None
        if year.start_year == separation_year:  # R-VE4 (b), or the strict setting
            if separation_year_vests:
                return separation_date, None
            return None, district_day
        return policy_year_start(year.start_year + 1), None  # Decision: gap year

    result: list[VestingDecision] = []
    for year in years:
        vest_on, to_district_on = decide(year)
        result.append(VestingDecision(year.start_year, vest_on, to_district_on, year.unused))
    return result


# --- Spouses (R-VE11) --------------------------------------------------------------------


def spouse_split(
    *, amount_a: Decimal, amount_b: Decimal, retained_is_a: bool
) -> tuple[Decimal, Decimal]:
    """R-VE11 (IV.D): a married couple's amounts for the marriage year and later are added
    together and vest half to each spouse; an odd cent goes to the holder of the retained
    policy. Returns ``(a_share, b_share)``."""
    total_cents = to_cents(amount_a) + to_cents(amount_b)
    if total_cents < 0:
        raise ValueError("vested amounts cannot be negative")
    half, odd = divmod(total_cents, 2)
    retained, other = from_cents(half + odd), from_cents(half)
    return (retained, other) if retained_is_a else (other, retained)


# --- Payouts (R-VE5..R-VE10, R-CL6) ------------------------------------------------------


def six_months_after(day: date) -> date:
    """R-PY3 (R-VE7, R-VE10): when something due "six months after" ``day`` is payable.

    The first day of a month on or after ``day`` plus six calendar months (a day past the
    end of the target month is its last day): June 30, 1984 -> January 1, 1985 (the plan's
    example in III.D.5); January 1, 1985 -> July 1, 1985; August 31, 1984 -> March 1, 1985.
    """
    # D + 6 months is the first of a month only when D is; any later day of the target
    # month (clamped to its end) is followed by the first of the next month.
    return add_months(day, 6 if day.day == 1 else 7)


class PayoutKind(StrEnum):
    """Ways money could leave an employee's side account (R-VE5, R-VE6)."""

    LUMP_SUM = "lump_sum"  # R-VE7
    CONTINUATION_PREMIUM = "continuation_premium"  # R-VE8, R-VE9
    BENEFICIARY = "beneficiary"  # R-VE10
    WITHDRAWAL = "withdrawal"
    LOAN = "loan"
    INTEREST = "interest"


def payout_refusal(*, kind: PayoutKind, on: date, separation_date: date | None) -> str | None:
    """R-VE5, R-VE6: why money may not leave the side account on ``on``, or ``None``.

    The vested money does not belong to the employee during employment: no interest
    (ever: it belongs to the employer, R-FU2), no loans, no withdrawals. Constructive
    receipt happens only on separation (a lump sum, continuation premiums or, after a
    death, the beneficiary's payment).
    """
    if kind == PayoutKind.INTEREST:
        return "Interest on the trust funds belongs to the employer; none is paid to employees."
    if kind == PayoutKind.LOAN:
        return "The vested money cannot be borrowed against."
    separated = separation_date is not None and on >= separation_date
    if kind == PayoutKind.WITHDRAWAL and not separated:
        return "The vested money cannot be withdrawn during employment."
    if not separated:
        return (
            "The vested money does not belong to the employee during employment; "
            "it can be paid only after separation."
        )
    if kind == PayoutKind.WITHDRAWAL:
        return "After separation the vested money is paid as a lump sum, not a withdrawal."
    return None


@dataclass(frozen=True)
class Payout:
    """One year's vested amount to be paid after separation (R-VE7)."""

    start_year: int  # the policy year the amount vested for
    amount: Decimal
    due_on: date
    reason: str


def lump_sum_schedule(
    *,
    separation_date: date,
    vested_by_year: Sequence[tuple[int, Decimal]],
    separation_year_amount: Decimal = ZERO,
    hold_prior_year_from: Literal["year_end", "termination"] = "year_end",
) -> list[Payout]:
    """R-VE7 (III.D.5): when each year's vested amount is payable as a lump sum.

    - years before the one preceding separation: at separation;
    - the year immediately before the separation year: six months after that year ends,
      or at separation if later (``hold_prior_year_from="termination"``: six months after
      separation, the text's other wording);
    - the separation year's own amount: six months after separation.

    ``vested_by_year`` holds the years before the separation year; the separation year's
    amount is ``separation_year_amount``. Decision: zero amounts are left out. Retirees
    drawing continuation premiums monthly (R-VE8) need no such wait.
    """
    separation_year = policy_year_of(separation_date)
    starts = [start for start, _ in vested_by_year]
    if len(set(starts)) != len(starts) or any(s >= separation_year for s in starts):
        raise ValueError("vested_by_year holds each year before the separation year once")
    prior_year = separation_year - 1
    if hold_prior_year_from == "year_end":
        prior_due = max(separation_date, six_months_after(policy_year_end(prior_year)))
        prior_reason = "Year before separation: payable six months after that year ended"
    else:
        prior_due = six_months_after(separation_date)
        prior_reason = "Year before separation: payable six months after separation"
    payouts: list[Payout] = []
    for start, amount in sorted(vested_by_year):
        if start == prior_year:
            payouts.append(Payout(start, amount, prior_due, prior_reason))
        else:
            payouts.append(
                Payout(start, amount, separation_date, "Earlier year: payable at separation")
            )
    payouts.append(
        Payout(
            separation_year,
            separation_year_amount,
            six_months_after(separation_date),
            "Year of separation: payable six months after separation",
        )
    )
    return [p for p in payouts if p.amount != ZERO]


@dataclass(frozen=True)
class RunoutReduction:
    """The effect of a run-out claim on one year's vested amount (R-CL6)."""

    amount: Decimal  # the year's vested amount after the reduction
    recovered: Decimal  # taken back from the vested amount
    unrecovered: Decimal  # what the vested amount could not cover (the trust fund bears it)


def reduce_vested_amount(*, vested: Decimal, reduction: Decimal) -> RunoutReduction:
    """R-CL6: a late trust-fund payment for a vested year reduces that year's vested amount,
    never below zero; the part it cannot cover is reported as unrecovered."""
    if reduction < ZERO or vested < ZERO:
        raise ValueError("amounts cannot be negative")
    recovered = min(vested, reduction)
    return RunoutReduction(vested - recovered, recovered, reduction - recovered)


def beneficiary_due_date(date_of_death: date) -> date:
    """R-VE10 (III.D.7): the vested balance goes to the beneficiary six months after death.

    Decision: the same reckoning as III.D.5, the first of the month after six full months
    (death March 10, 1985 -> October 1, 1985).
    """
    return six_months_after(date_of_death)


# --- Continuation of coverage (R-VE8, R-VE9) ---------------------------------------------


@dataclass(frozen=True)
class ContinuationPayment:
    """One month of continued coverage and who pays its premium."""

    month: date  # the first day of the month covered
    from_account: Decimal  # paid from the vested side account
    billed_to_person: Decimal  # billed to the former employee


def continuation_limit(*, retirement: bool) -> int | None:
    """R-VE8, R-VE9: months coverage may continue after separation (``None``: no limit)."""
    return None if retirement else OTHER_SEPARATION_MONTHS


def continuation_payments(
    *,
    balance: Decimal,
    monthly_premium: Decimal,
    first_month: date,
    months: int,
    retirement: bool = True,
) -> list[ContinuationPayment]:
    """R-VE8, R-VE9: the premiums of ``months`` months of continued coverage.

    The side account pays each month's premium (no six-month wait) until exhausted; the
    month it runs out it pays what is left and the rest is billed, then every later month
    is billed in full. Other separations may continue at most three months (R-VE9).
    """
    if first_month.day != 1:
        raise ValueError("continued coverage starts on the first day of a month")
    if months < 0 or balance < ZERO or monthly_premium < ZERO:
        raise ValueError("months, balance and premium cannot be negative")
    limit = continuation_limit(retirement=retirement)
    if limit is not None and months > limit:
        raise ValueError(
            f"Coverage may continue at most {limit} months after a separation other than "
            "retirement."
        )
    payments: list[ContinuationPayment] = []
    left = balance
    for index in range(months):
        from_account = min(left, monthly_premium)
        left -= from_account
        payments.append(
            ContinuationPayment(
                month=add_months(first_month, index),
                from_account=from_account,
                billed_to_person=monthly_premium - from_account,
            )
        )
    return payments


# --- Re-vest of a completed year (vesting.revest) -----------------------------------------


def revest_amount(
    *, computed: Decimal, current: Decimal, borne: Decimal
) -> tuple[Decimal, Decimal]:
    """The amount a vested year should hold after a re-vest, and what the trust fund then
    bears of it. Returns ``(amount, borne_after)``.

    ``computed`` is the year's amount worked out again from what is known now (R-VE2,
    R-VE11); ``current`` what the year holds; ``borne`` the part of earlier run-out claims
    that could not be taken back because it had been paid out (R-CL6: the trust fund bears
    it). What the trust fund bears is kept, but never more than the year holds above the
    computed amount: ``amount = max(computed, min(current, computed + borne))``.
    """
    if computed < 0 or current < 0 or borne < 0:
        raise ValueError("amounts cannot be negative")
    amount = max(computed, min(current, computed + borne))
    return amount, amount - computed


def revest_decrease_split(*, decrease: Decimal, held: Decimal) -> tuple[Decimal, Decimal]:
    """A re-vested year lowered by ``decrease``: what is taken back from the side account
    (at most what is still ``held`` for the year: never a negative side account) and what
    was paid out already, recorded as an overpayment. Returns ``(taken, overpaid)``."""
    if decrease < 0:
        raise ValueError("a decrease is not negative")
    taken = min(decrease, max(held, ZERO))
    return taken, decrease - taken
