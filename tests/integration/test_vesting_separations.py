"""Separations and payouts through the real services and ledger (R-VE4..R-VE10, R-CL6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import services as members
from accounts.models import PlanYear
from reports import selectors as report_selectors
from tests.factories import (
    BeneficiaryDesignationFactory,
    EmployerFactory,
    ProgramFactory,
    hire,
    roll,
)
from vesting import ledger, payouts
from vesting.models import Payout, TransactionKind, VestingLine

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def program():
    return ProgramFactory(employer=EmployerFactory(code="MCOE"))


@pytest.fixture
def two_years(program):
    """Vested 1982-83 and 1983-84 (1,000.00), still employed."""
    employee = hire(program=program, hire_date=date(1982, 6, 1))
    roll(1982, 1983)
    return employee


def lump_sums(employee) -> dict[int, tuple[Decimal, date, str]]:
    return {
        p.policy_year: (p.amount, p.due_on, p.status)
        for p in Payout.objects.filter(employee=employee, kind="lump_sum")
    }


# --- R-VE5 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("withdrawal", "The vested money cannot be withdrawn during employment."),
        ("loan", "The vested money cannot be borrowed against."),
        ("interest", "Interest on the trust funds belongs to the employer"),
    ],
)
def test_R_VE5_withdrawals_loans_and_interest_are_refused_while_employed(two_years, kind, message):
    with pytest.raises(ValidationError) as refused:
        payouts.side_account_withdraw(
            employee=two_years, amount=D("100.00"), kind=kind, on=date(1984, 8, 1)
        )
    assert message in refused.value.messages[0]
    assert "(R-VE5)" in refused.value.messages[0]
    assert payouts.side_account_balance(two_years) == D("1000.00")


def test_R_VE6_after_separation_the_money_leaves_only_as_the_plans_payouts(two_years):
    members.employee_separate(
        employee=two_years, separation_date=date(1984, 9, 30), reason="resignation"
    )
    with pytest.raises(ValidationError) as refused:
        payouts.side_account_withdraw(
            employee=two_years, amount=D("100.00"), kind="withdrawal", on=date(1984, 10, 1)
        )
    assert "paid as a lump sum, not a withdrawal" in refused.value.messages[0]


# --- R-VE7 ------------------------------------------------------------------------------------


def test_R_VE7_termination_setting_holds_the_prior_year_six_months_after_separation(two_years):
    PlanYear.objects.update_or_create(
        start_year=1984, defaults={"prior_year_hold_from": "termination"}
    )
    members.employee_separate(
        employee=two_years, separation_date=date(1984, 9, 30), reason="resignation"
    )
    assert lump_sums(two_years) == {
        1982: (D("500.00"), date(1984, 9, 30), "scheduled"),
        1983: (D("500.00"), date(1985, 4, 1), "held"),  # not January 1, 1985
        1984: (D("125.01"), date(1985, 4, 1), "held"),
    }


def test_R_VE7_a_separation_recorded_before_the_rollover_gets_its_payouts_at_the_rollover(
    program,
):
    """The year before the separation vests at its July 1 rollover, after the separation
    was recorded: the rollover schedules it; the separation year vests at the rollover of
    its own year when nothing vested it before (a pool loaded without the signal)."""
    employee = hire(program=program, hire_date=date(1982, 6, 1))
    roll(1982)
    members.employee_separate(
        employee=employee, separation_date=date(1984, 6, 15), reason="resignation"
    )
    assert lump_sums(employee) == {1982: (D("500.00"), date(1984, 6, 15), "scheduled")}
    roll(1983)  # 1983-84 is the year of separation and a full one: it vests on July 1
    assert lump_sums(employee)[1983] == (D("500.00"), date(1985, 1, 1), "held")
    assert payouts.separation_record(employee=employee) == list(
        Payout.objects.filter(employee=employee).order_by("due_on", "policy_year", "id")
    )  # recording it again changes nothing
    assert Payout.objects.filter(employee=employee).count() == 2


# --- R-VE8 / R-VE9 ----------------------------------------------------------------------------


def test_R_VE9_other_separations_continue_at_most_three_months_paid_from_the_account(two_years):
    members.employee_separate(
        employee=two_years, separation_date=date(1984, 9, 30), reason="change_of_employer"
    )
    with pytest.raises(ValidationError) as early:
        payouts.continuation_premium_record(
            employee=two_years, month=date(1984, 9, 1), amount=D("175.30")
        )
    assert "continuation starts October 1984" in early.value.messages[0]
    for month in (date(1984, 10, 1), date(1984, 11, 1), date(1984, 12, 1)):
        payout = payouts.continuation_premium_record(
            employee=two_years, month=month, amount=D("175.30")
        )
        assert (payout.amount, payout.status) == (D("175.30"), "paid")
        assert payout.transaction.kind == TransactionKind.CONTINUATION_PREMIUM
    with pytest.raises(ValidationError) as late:
        payouts.continuation_premium_record(
            employee=two_years, month=date(1985, 1, 1), amount=D("175.30")
        )
    assert "at most 3 months" in late.value.messages[0]
    # 1,125.01 - 3 x 175.30 = 599.11 left; the premiums used the earliest lump sum first.
    assert payouts.side_account_balance(two_years) == D("599.11")
    assert lump_sums(two_years) == {
        1982: (D("0.00"), date(1984, 9, 30), "cancelled"),
        1983: (D("474.10"), date(1985, 1, 1), "held"),
        1984: (D("125.01"), date(1985, 4, 1), "held"),
    }
    payouts.payouts_process(today=date(1985, 4, 1))
    assert payouts.side_account_balance(two_years) == D("0.00")


def test_R_VE9_the_employees_own_page_shows_the_account_and_what_it_paid_out(two_years):
    """Self-service reads the side account's balance and its payouts with the page's other
    figures (one statement): after three continuation premiums, and after the lump sums."""
    members.employee_separate(
        employee=two_years, separation_date=date(1984, 9, 30), reason="change_of_employer"
    )
    for month in (date(1984, 10, 1), date(1984, 11, 1), date(1984, 12, 1)):
        payouts.continuation_premium_record(employee=two_years, month=month, amount=D("175.30"))
    page = report_selectors.self_service(two_years, today=date(1984, 12, 15))
    assert (page.vested_balance, page.refunds_paid) == (D("599.11"), D("525.90"))
    payouts.payouts_process(today=date(1985, 4, 1))
    page = report_selectors.self_service(two_years, today=date(1985, 4, 1))
    assert (page.vested_balance, page.refunds_paid) == (D("0.00"), D("1125.01"))
    other = hire(program=ProgramFactory(), hire_date=date(1984, 9, 1))  # no side account yet
    page = report_selectors.self_service(other, today=date(1984, 12, 15))
    assert (page.vested_balance, page.refunds_paid) == (D("0.00"), D("0.00"))


def test_R_VE8_lump_sums_are_held_while_the_retiree_continues(two_years):
    members.employee_separate(
        employee=two_years, separation_date=date(1984, 9, 30), reason="retirement"
    )
    members.separation_continuation_elect(employee=two_years, elected_on=date(1984, 9, 30))
    assert payouts.payouts_process(today=date(1984, 10, 1)) is None
    held = Payout.objects.get(employee=two_years, policy_year=1982)
    assert held.status == "held" and "continuation premiums" in held.reason


def test_continuation_refused_after_a_death_and_before_a_separation(two_years):
    with pytest.raises(ValidationError):
        payouts.continuation_premium_record(
            employee=two_years, month=date(1984, 10, 1), amount=D("10")
        )
    members.employee_separate(employee=two_years, separation_date=date(1984, 9, 30), reason="death")
    with pytest.raises(ValidationError) as refused:
        payouts.continuation_premium_record(
            employee=two_years, month=date(1984, 10, 1), amount=D("10")
        )
    assert "does not continue after death" in refused.value.messages[0]


# --- R-CL6 ------------------------------------------------------------------------------------


def test_R_CL6_runout_reduces_the_held_payout_before_it_is_paid(two_years):
    members.employee_separate(
        employee=two_years, separation_date=date(1984, 9, 30), reason="resignation"
    )
    payouts.payouts_process(today=date(1984, 9, 30))  # 1982-83 paid at separation
    ledger.post_claim_payment(
        employer=two_years.employer,
        employee=two_years,
        amount=D("90.00"),
        effective_date=date(1984, 10, 15),
        service_date=date(1984, 6, 2),
        payee_name="Dr. Lee",
    )
    recovered = payouts.runout_claim_paid(
        employee=two_years,
        policy_year=1983,
        amount=D("90.00"),
        paid_on=date(1984, 10, 15),
        reference="claim 90",
    )
    assert recovered == D("90.00")
    assert lump_sums(two_years)[1983] == (D("410.00"), date(1985, 1, 1), "held")
    # A late claim for the year already paid out: nothing held, the trust fund bears it.
    assert payouts.runout_claim_paid(
        employee=two_years,
        policy_year=1982,
        amount=D("40.00"),
        paid_on=date(1984, 10, 20),
        reference="claim 91",
    ) == D("0.00")
    line = VestingLine.objects.get(employee=two_years, policy_year=1982)
    assert (line.amount, line.adjustments.get().recovered) == (D("500.00"), D("0.00"))
    register = payouts.payouts_process(today=date(1985, 1, 1))
    assert register.total == D("410.00")


def test_R_CL6_a_runout_larger_than_the_year_takes_only_that_years_amount(two_years):
    recovered = payouts.runout_claim_paid(
        employee=two_years,
        policy_year=1983,
        amount=D("650.00"),
        paid_on=date(1984, 8, 1),
        reference="claim big",
    )
    assert recovered == D("500.00")
    assert payouts.side_account_balance(two_years) == D("500.00")  # 1982-83 untouched
    assert VestingLine.objects.get(employee=two_years, policy_year=1983).amount == D("0.00")


def test_R_CL6_runout_reduces_a_beneficiarys_payment_before_it_is_paid(two_years):
    BeneficiaryDesignationFactory(employee=two_years, name="Sam Lee", share_percent=D("60"))
    members.employee_separate(employee=two_years, separation_date=date(1984, 8, 20), reason="death")
    # July-August 1984 vest at death: 83.34; the balance 1,083.34 is 60% Sam Lee, 40% estate.
    beneficiaries = {
        p.payee_name: p.amount
        for p in Payout.objects.filter(employee=two_years, kind="beneficiary")
    }
    assert beneficiaries == {"Sam Lee": D("650.00"), "Estate of Pat Example": D("433.34")}
    payouts.runout_claim_paid(
        employee=two_years, policy_year=1983, amount=D("83.34"), paid_on=date(1984, 9, 1)
    )
    beneficiaries = {
        p.payee_name: p.amount
        for p in Payout.objects.filter(employee=two_years, kind="beneficiary")
    }
    assert beneficiaries == {"Sam Lee": D("600.00"), "Estate of Pat Example": D("400.00")}
    register = payouts.payouts_process(today=date(1985, 3, 1))
    assert (register.count, register.total) == (2, D("1000.00"))


def test_R_VE10_a_beneficiary_named_twice_is_paid_once_with_both_shares(two_years):
    BeneficiaryDesignationFactory(employee=two_years, name="Sam Lee", share_percent=D("50"))
    BeneficiaryDesignationFactory(employee=two_years, name="Sam Lee", share_percent=D("50"))
    members.employee_separate(employee=two_years, separation_date=date(1984, 6, 30), reason="death")
    payout = Payout.objects.get(employee=two_years, kind="beneficiary")
    assert (payout.payee_name, payout.amount) == ("Sam Lee", D("1000.00"))
    assert "100.00%" in payout.reason


# --- R-PY3: "six months after" a day ----------------------------------------------------------


def test_R_PY3_a_separation_on_january_1_1985_pays_the_year_of_leaving_on_july_1_1985(
    two_years,
):
    """R-PY3 with R-VE7: January 1, 1985 + six months is July 1, 1985, itself the first of a
    month, so the separation year's amount is payable then (not August 1). July 1984-January
    1985 is seven FULL-tier months: 7 x 41.67 = 291.69 (R-PY2)."""
    members.employee_separate(
        employee=two_years, separation_date=date(1985, 1, 1), reason="resignation"
    )
    assert lump_sums(two_years) == {
        1982: (D("500.00"), date(1985, 1, 1), "scheduled"),  # earlier year: at separation
        1983: (D("500.00"), date(1985, 1, 1), "scheduled"),  # June 30, 1984 + six months: Jan 1
        1984: (D("291.69"), date(1985, 7, 1), "held"),
    }
    assert payouts.payouts_process(today=date(1985, 6, 30)).total == D("1000.00")
    assert payouts.payouts_process(today=date(1985, 7, 1)).total == D("291.69")


def test_R_PY3_a_death_on_august_31_1984_is_paid_to_the_beneficiary_on_march_1_1985(program):
    """R-PY3 with R-VE10: August 31, 1984 + six months is February 28, 1985 (the month has
    no 31st), so the beneficiary is paid on March 1, 1985. July and August 1984: 2 x 41.67 =
    83.34 vests at death (R-PY2), with 1982-83 and 1983-84 (1,000.00)."""
    employee = hire(program=program, hire_date=date(1982, 6, 1))
    BeneficiaryDesignationFactory(employee=employee, name="Maria Lopez", share_percent=D("100"))
    roll(1982, 1983)
    members.employee_separate(employee=employee, separation_date=date(1984, 8, 31), reason="death")
    payout = Payout.objects.get(employee=employee, kind="beneficiary")
    assert (payout.amount, payout.due_on, payout.status) == (
        D("1083.34"),
        date(1985, 3, 1),
        "held",
    )
    assert payouts.payouts_process(today=date(1985, 2, 28)) is None
    assert payouts.payouts_process(today=date(1985, 3, 1)).total == D("1083.34")
