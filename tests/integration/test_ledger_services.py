"""The named operations, the sign convention, balances as of a date, statements, month close."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import EmployeeFactory, EmployerFactory, ProgramFactory
from vesting import ledger as ledger_ops
from vesting.ledger import (
    ADMINISTRATIVE_EXPENSES_ACCOUNT,
    BANK_ACCOUNT,
    CARRIER_ACCOUNT,
    PAYEES_ACCOUNT,
    PAYROLL_DEDUCTIONS_ACCOUNT,
    PROGRAM_CHARGES_ACCOUNT,
    TransactionSpec,
    credit,
    debit,
    selectors,
)
from vesting.models import (
    Account,
    FundKind,
    MonthClose,
    Posting,
    Transaction,
    TransactionKind,
)

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(1986, 7, 15)


@pytest.fixture
def employer():
    return EmployerFactory()


@pytest.fixture
def ledger(employer):
    return ledger_ops.ledger_accounts_for_employer(employer)


def separated(employer, reason="resignation", on=date(1985, 9, 30)):
    return EmployeeFactory(employer=employer, separation_date=on, separation_reason=reason)


def balance(account, as_of=None):
    return selectors.account_balance(account, as_of=as_of)


# --- The sign convention ------------------------------------------------------------------


def test_a_contribution_raises_the_trust_fund_and_what_the_employer_paid_in(employer, ledger):
    tx = ledger_ops.post_employer_contribution(
        employer=employer, year=1984, month=7, amount="6667.20", employee_amount="41.67"
    )
    assert tx.kind == TransactionKind.EMPLOYER_CONTRIBUTION
    assert tx.effective_date == date(1984, 7, 1)
    assert (tx.period_start, tx.period_end) == (date(1984, 7, 1), date(1984, 7, 31))
    lines = {(p.account_id, p.direction, p.amount) for p in tx.postings.all()}
    assert lines == {
        (ledger.general_trust.pk, "debit", D("6708.87")),
        (ledger.account(PROGRAM_CHARGES_ACCOUNT).pk, "credit", D("6667.20")),
        (ledger.account(PAYROLL_DEDUCTIONS_ACCOUNT).pk, "credit", D("41.67")),
    }
    assert balance(ledger.general_trust) == D("6708.87")  # held: positive
    assert balance(ledger.account(PROGRAM_CHARGES_ACCOUNT)) == D("6667.20")  # paid in: positive
    balances = selectors.employer_fund_balances(employer.pk)
    assert balances[FundKind.GENERAL_TRUST] == D("6708.87")
    assert balances[FundKind.EMPLOYER_BUDGET] == D("6708.87")


def test_every_named_operation_moves_money_between_the_right_funds(employer, ledger):
    """R-FU1: what flows in and out of each fund; held + paid out = paid in."""
    worker = separated(employer, reason="retirement")
    died = separated(employer, reason="death", on=date(1985, 11, 2))
    ledger_ops.post_employer_contribution(employer=employer, year=1984, month=7, amount="2000.00")
    ledger_ops.post_claim_payment(
        employer=employer,
        amount="300.00",
        effective_date=date(1984, 9, 1),
        payee_name="Dr. Ruth Gray",
        employee=worker,
        reference="claim 7",
    )
    ledger_ops.post_vesting_transfer(employee=worker, amount="400.00", policy_year=1984)
    ledger_ops.post_vesting_transfer(employee=died, amount="150.00", policy_year=1984)
    ledger_ops.post_unvested_transfer(employer=employer, amount="100.00", policy_year=1984)
    ledger_ops.post_runout_recovery(
        employee=worker, amount="20.00", policy_year=1984, effective_date=date(1985, 8, 1)
    )
    ledger_ops.post_lump_sum_payout(
        employee=worker, amount="50.00", effective_date=date(1985, 10, 1)
    )
    ledger_ops.post_continuation_premium(employee=worker, amount="141.30", month=date(1985, 10, 1))
    ledger_ops.post_beneficiary_payment(
        employee=died,
        amount="150.00",
        beneficiary_name="Alma Gray",
        effective_date=date(1986, 6, 1),
    )
    ledger_ops.post_interest(
        employer=employer,
        amount="80.00",
        period_start=date(1985, 4, 1),
        period_end=date(1985, 6, 30),
        earned_by="general_trust",
        today=TODAY,
    )
    ledger_ops.post_administrative_expense(
        employer=employer,
        amount="35.00",
        period_start=date(1985, 6, 1),
        period_end=date(1985, 6, 30),
        description="Claims administration",
        today=TODAY,
    )
    b = selectors.employer_fund_balances(employer.pk)
    assert b[FundKind.GENERAL_TRUST] == D("2000") - 300 - 400 - 150 - 100 + 20
    assert b[FundKind.VESTED_TRUST] == D("400") + 150 - 20 - 50 - D("141.30") - 150
    assert b[FundKind.DISTRICT] == D("100") + 80 - 35
    assert b[FundKind.PAYEES] == D("300") + 50 + 150 + 35
    assert b[FundKind.CARRIER] == D("141.30")
    assert b[FundKind.BANK] == D("80.00")
    held = b[FundKind.GENERAL_TRUST] + b[FundKind.VESTED_TRUST] + b[FundKind.DISTRICT]
    assert (
        held + b[FundKind.PAYEES] + b[FundKind.CARRIER]
        == b[FundKind.EMPLOYER_BUDGET] + b[FundKind.BANK]
    )
    assert balance(ledger.account(CARRIER_ACCOUNT)) == D("141.30")
    assert balance(ledger.account(ADMINISTRATIVE_EXPENSES_ACCOUNT)) == D("35.00")
    assert balance(ledger.account(BANK_ACCOUNT)) == D("80.00")
    assert Account.objects.get(fund__kind="payees", name="Dr. Ruth Gray").postings.count() == 1
    assert Account.objects.get(fund__kind="payees", name="Beneficiary Alma Gray")
    assert selectors.balances_check() == []


def test_interest_goes_to_the_district_whichever_fund_earned_it(employer, ledger):
    """R-FU2."""
    tx = ledger_ops.post_interest(
        employer=employer,
        amount="12.34",
        period_start=date(1985, 1, 1),
        period_end=date(1985, 3, 31),
        earned_by="vested_trust",
        today=TODAY,
    )
    assert tx.earned_by == "vested_trust"
    assert tx.effective_date == date(1985, 3, 31)
    assert balance(ledger.district) == D("12.34")
    assert selectors.employer_fund_balances(employer.pk)[FundKind.VESTED_TRUST] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"earned_by": "bank"}, "earned_by"),
        ({"period_end": date(1984, 12, 31)}, "period_end"),
        ({"period_end": date(1986, 9, 30)}, "period_end"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": 1.5}, "amount"),
    ],
)
def test_interest_input_is_checked(employer, changes, field):
    entry = {
        "employer": employer,
        "amount": "10.00",
        "period_start": date(1985, 1, 1),
        "period_end": date(1985, 3, 31),
        "earned_by": "general_trust",
        "today": TODAY,
        **changes,
    }
    with pytest.raises(ValidationError) as refused:
        ledger_ops.post_interest(**entry)
    assert field in refused.value.message_dict
    assert Transaction.objects.count() == 0


# --- Side accounts --------------------------------------------------------------------------


def test_an_employees_side_account_is_created_once_on_first_use(employer):
    employee = EmployeeFactory(employer=employer)
    first = ledger_ops.side_account_for(employee)
    assert ledger_ops.side_account_for(employee).pk == first.pk
    assert first.never_negative and first.fund.kind == FundKind.VESTED_TRUST
    assert str(first) == f"Vested account of {employee}"


@pytest.mark.parametrize(
    "pay",
    [
        lambda e: ledger_ops.post_lump_sum_payout(
            employee=e, amount="1.00", effective_date=date(1985, 1, 1)
        ),
        lambda e: ledger_ops.post_continuation_premium(
            employee=e, amount="1.00", month=date(1985, 1, 1)
        ),
        lambda e: ledger_ops.post_beneficiary_payment(
            employee=e, amount="1.00", beneficiary_name="X", effective_date=date(1985, 1, 1)
        ),
    ],
)
def test_nothing_leaves_a_side_account_during_employment(employer, pay):
    """R-VE5, R-VE6."""
    employee = EmployeeFactory(employer=employer)
    ledger_ops.post_vesting_transfer(employee=employee, amount="100.00", policy_year=1983)
    with pytest.raises(ValidationError) as refused:
        pay(employee)
    assert "employ" in refused.value.messages[0] or "death" in refused.value.messages[0]
    assert balance(ledger_ops.side_account_for(employee)) == D("100.00")


def test_a_beneficiary_is_paid_only_after_a_death(employer):
    employee = separated(employer, reason="retirement")
    ledger_ops.post_vesting_transfer(employee=employee, amount="100.00", policy_year=1983)
    with pytest.raises(ValidationError, match="death"):
        ledger_ops.post_beneficiary_payment(
            employee=employee,
            amount="100.00",
            beneficiary_name="Jo",
            effective_date=date(1986, 1, 1),
        )


def test_a_side_account_cannot_pay_more_than_it_holds(employer):
    employee = separated(employer)
    ledger_ops.post_vesting_transfer(employee=employee, amount="100.00", policy_year=1984)
    with pytest.raises(ValidationError) as refused:
        ledger_ops.post_lump_sum_payout(
            employee=employee, amount="100.01", effective_date=date(1985, 10, 1)
        )
    assert "holds 100.00" in refused.value.messages[0]
    assert "100.01" in refused.value.messages[0]
    assert balance(ledger_ops.side_account_for(employee)) == D("100.00")
    assert Transaction.objects.filter(kind=TransactionKind.LUMP_SUM_PAYOUT).count() == 0


# --- Reversals ----------------------------------------------------------------------------


def test_a_transaction_is_reversed_once(employer, ledger):
    tx = ledger_ops.post_claim_payment(
        employer=employer, amount="80.00", effective_date=date(1985, 2, 1)
    )
    reversal = ledger_ops.post_reversal(
        transaction=tx, reason="duplicate claim", effective_date=date(1985, 2, 5)
    )
    assert reversal.kind == TransactionKind.REVERSAL
    assert {(p.account_id, p.direction) for p in reversal.postings.all()} == {
        (ledger.general_trust.pk, "debit"),
        (ledger.account(PAYEES_ACCOUNT).pk, "credit"),
    }
    assert balance(ledger.general_trust) == 0
    assert balance(ledger.general_trust, as_of=date(1985, 2, 4)) == D("-80.00")
    with pytest.raises(ValidationError, match=f"already reversed by transaction #{reversal.pk}"):
        ledger_ops.post_reversal(transaction=tx, reason="again")
    with pytest.raises(ValidationError, match="cannot be reversed"):
        ledger_ops.post_reversal(transaction=reversal, reason="undo")
    with pytest.raises(ValidationError, match="reason"):
        ledger_ops.post_reversal(transaction=reversal, reason="  ")


def test_a_reversal_that_would_overdraw_a_side_account_is_refused(employer):
    employee = separated(employer)
    vest = ledger_ops.post_vesting_transfer(employee=employee, amount="60.00", policy_year=1984)
    ledger_ops.post_lump_sum_payout(
        employee=employee, amount="50.00", effective_date=date(1985, 10, 1)
    )
    with pytest.raises(ValidationError, match="never go below zero"):
        ledger_ops.post_reversal(transaction=vest, reason="vested in error")
    assert not Transaction.objects.filter(reverses=vest).exists()


# --- Balances as of a date and statements ---------------------------------------------------


def test_balances_as_of_any_date_per_account_fund_employer_and_pool(employer, ledger):
    other = EmployerFactory()
    for month in (7, 8, 9):
        ledger_ops.post_employer_contribution(
            employer=employer, year=1984, month=month, amount="100.00"
        )
        ledger_ops.post_employer_contribution(
            employer=other, year=1984, month=month, amount="10.00"
        )
    assert balance(ledger.general_trust, as_of=date(1984, 6, 30)) == 0
    assert balance(ledger.general_trust, as_of=date(1984, 7, 1)) == D("100.00")
    assert balance(ledger.general_trust, as_of=date(1984, 8, 31)) == D("200.00")
    assert selectors.fund_balance(
        ledger.funds[FundKind.GENERAL_TRUST], as_of=date(1984, 8, 1)
    ) == D("200.00")
    assert selectors.fund_balance(ledger.funds[FundKind.GENERAL_TRUST]) == D("300.00")
    assert selectors.employer_fund_balances(other.pk, as_of=date(1984, 7, 31))[
        "general_trust"
    ] == D("10.00")
    assert selectors.pool_fund_balances(as_of=date(1984, 8, 1))["general_trust"] == D("220.00")
    assert selectors.pool_fund_balances()["general_trust"] == D("330.00")
    assert selectors.employer_fund_balances(EmployerFactory().pk) == {k: 0 for k in FundKind.values}


def test_a_statement_has_a_running_balance_and_filters_keep_it(employer, ledger):
    ledger_ops.post_employer_contribution(employer=employer, year=1984, month=7, amount="500.00")
    ledger_ops.post_claim_payment(
        employer=employer, amount="120.00", effective_date=date(1984, 7, 10)
    )
    ledger_ops.post_employer_contribution(employer=employer, year=1984, month=8, amount="500.00")
    ledger_ops.post_claim_payment(
        employer=employer, amount="30.00", effective_date=date(1984, 8, 3)
    )
    opening, entries = selectors.account_statement(
        ledger.general_trust, date(1984, 7, 5), date(1984, 8, 31)
    )
    assert opening == D("500.00")
    assert [(e.signed_amount, e.running_balance) for e in entries] == [
        (D("-120.00"), D("380.00")),
        (D("500.00"), D("880.00")),
        (D("-30.00"), D("850.00")),
    ]
    _, claims = selectors.account_statement(
        ledger.general_trust, date(1984, 7, 1), date(1984, 8, 31), "claim_payment"
    )
    assert [(e.transaction.kind, e.running_balance) for e in claims] == [
        ("claim_payment", D("380.00")),
        ("claim_payment", D("850.00")),
    ]
    period = selectors.statement_range(ledger.general_trust)
    assert (period.date_from, period.date_to) == (date(1984, 7, 1), date(1984, 8, 3))


# --- Batch ----------------------------------------------------------------------------------


def test_a_batch_posts_balanced_transactions_in_one_go(employer, ledger):
    employees = [separated(employer) for _ in range(3)]
    sides = [ledger_ops.side_account_for(e) for e in employees]
    entries = [
        TransactionSpec(
            kind="vesting_transfer",
            effective_date=date(1985, 7, 1),
            lines=[debit(side, "100.00"), credit(ledger.general_trust, "100.00")],
            employee_id=employee.pk,
            idempotency_key=f"vest-1984-{employee.pk}",
        )
        for employee, side in zip(employees, sides, strict=True)
    ]
    ids = ledger_ops.post_transactions_batch(entries=entries)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert balance(ledger.general_trust) == D("-300.00")
    assert all(balance(side) == D("100.00") for side in sides)
    assert Transaction.objects.get(pk=ids[0]).employee_id == employees[0].pk
    assert selectors.balances_check() == []


def test_a_batch_that_would_overdraw_a_side_account_posts_nothing(employer, ledger):
    employee = separated(employer)
    side = ledger_ops.side_account_for(employee)
    payee = ledger_ops.payee_account_for(employer, employee=employee)

    def move(lines):
        return TransactionSpec(
            kind="lump_sum_payout", effective_date=date(1985, 10, 1), lines=lines
        )

    entries = [
        TransactionSpec(
            kind="vesting_transfer",
            effective_date=date(1985, 7, 1),
            lines=[debit(side, "50.00"), credit(ledger.general_trust, "50.00")],
        ),
        move([debit(payee, "60.00"), credit(side, "60.00")]),
    ]
    with pytest.raises(ValidationError, match="Entry 2"):
        ledger_ops.post_transactions_batch(entries=entries)
    assert Posting.objects.count() == 0
    with pytest.raises(ValidationError, match=r"Entry 1: .*does not balance"):
        ledger_ops.post_transactions_batch(
            entries=[move([debit(payee, "1.00"), credit(side, "2.00")])]
        )


# --- Month close ----------------------------------------------------------------------------


@dataclass
class FakeCharges:
    employer: Decimal
    employee: Decimal = Decimal("0.00")
    employee_count: int = 2
    lines: list = field(default_factory=list)

    def total(self, *, line=None, payer=None):
        assert line == "trust_fund"
        return self.employer if payer == "employer" else self.employee


@pytest.fixture
def charges(monkeypatch):
    """Stands in for accounts.selectors.monthly_premium_charges (same contract)."""
    table: dict[tuple[int, int], FakeCharges] = {}
    calls: list[tuple[int, int, int]] = []

    def fake(*, employer_id, year, month):
        calls.append((employer_id, year, month))
        return table.get((year, month), FakeCharges(D("0.00"), employee_count=0))

    import accounts.selectors

    monkeypatch.setattr(accounts.selectors, "monthly_premium_charges", fake, raising=False)
    return table


def test_closing_a_month_posts_its_contributions_once(
    employer, ledger, charges, superintendent_user
):
    charges[(1984, 7)] = FakeCharges(D("83.34"), D("41.67"), employee_count=3)
    close = ledger_ops.month_close(
        employer_id=employer.pk, year=1984, month=7, closed_by=superintendent_user
    )
    assert close.transaction is not None
    assert close.total == D("125.01") and close.employee_count == 3
    assert close.closed_by == superintendent_user
    assert balance(ledger.general_trust) == D("125.01")
    again = ledger_ops.month_close(employer_id=employer.pk, year=1984, month=7, closed_by=None)
    assert again.pk == close.pk
    assert Transaction.objects.count() == 1
    assert balance(ledger.general_trust) == D("125.01")


def test_a_month_without_contributions_is_closed_with_no_transaction(employer, charges):
    close = ledger_ops.month_close(employer_id=employer.pk, year=1984, month=7)
    assert close.transaction is None and close.total == 0
    assert Transaction.objects.count() == 0
    assert MonthClose.objects.filter(employer=employer).count() == 1


def test_months_are_closed_in_order_and_not_before_they_begin(employer, charges):
    ledger_ops.month_close(employer_id=employer.pk, year=1984, month=7)
    with pytest.raises(ValidationError, match="August 1984"):
        ledger_ops.month_close(employer_id=employer.pk, year=1984, month=9)
    with pytest.raises(ValidationError, match="has not begun"):
        ledger_ops.month_close(employer_id=employer.pk, year=1984, month=8, today=date(1984, 7, 31))
    assert ledger_ops.month_close(employer_id=employer.pk, year=1984, month=8).month == 8
    assert ledger_ops.next_month_to_close(employer.pk) == date(1984, 9, 1)


def test_closing_a_month_reads_the_members_premium_charges(employer):
    """The real selector (accounts): two FULL-tier employees and one THREE_QUARTER in
    October 1983 (the 1983 schedule ships with the plan): 2 x 41.67 to the trust fund."""
    from accounts import services as members

    program = ProgramFactory(employer=employer)
    for number, hours in (("1", "40"), ("2", "30"), ("3", "25")):
        members.employee_hire(
            employer_id=employer.pk,
            program_id=program.pk,
            number=number,
            first_name="A",
            last_name=f"Worker {number}",
            hire_date=date(1983, 8, 1),
            weekly_hours=D(hours),
        )
    close = ledger_ops.month_close(employer_id=employer.pk, year=1983, month=10)
    assert close.employer_amount == D("83.34")
    assert close.employee_count == 3
    ledger = ledger_ops.ledger_accounts_for_employer(employer)
    assert balance(ledger.general_trust) == D("83.34")
