"""Concurrent posters to the same accounts: no lost update, no overdraft, no deadlock.

Each thread has its own database connection (closed at its end); the balances are
row-locked by the posting trigger, in account order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.factories import EmployeeFactory, EmployerFactory
from vesting import ledger as ledger_ops
from vesting.ledger import PAYEES_ACCOUNT, PROGRAM_CHARGES_ACCOUNT, selectors
from vesting.models import Posting

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
THREADS = 20
ROUNDS = 10


def _run_threads(work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            work(number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def _postings_sum(account) -> Decimal:
    total = D("0.00")
    for posting in Posting.objects.filter(account=account):
        total += posting.amount if posting.direction == account.normal_balance else -posting.amount
    return total


def test_twenty_threads_posting_to_the_same_accounts_lose_no_update():
    employer = EmployerFactory()
    employee = EmployeeFactory(
        employer=employer, separation_date=date(1985, 6, 30), separation_reason="resignation"
    )
    ledger_ops.post_employer_contribution(employer=employer, year=1984, month=7, amount="10000.00")
    ledger_ops.post_vesting_transfer(employee=employee, amount="100.00", policy_year=1983)
    ledger = ledger_ops.ledger_accounts_for_employer(employer)
    side = ledger_ops.side_account_for(employee)
    payouts: list[int] = []

    def work(number: int) -> None:
        for round_ in range(ROUNDS):
            day = date(1985, 7, 1 + round_)
            ledger_ops.post_claim_payment(employer=employer, amount="1.00", effective_date=day)
            ledger_ops.post_vesting_transfer(
                employee=employee, amount="2.00", policy_year=1984, effective_date=day
            )
            try:
                ledger_ops.post_lump_sum_payout(
                    employee=employee, amount="7.00", effective_date=day
                )
                payouts.append(number)
            except ValidationError as exc:
                assert "can never go below zero" in exc.messages[0]

    assert _run_threads(work) == []
    operations = THREADS * ROUNDS
    assert (
        selectors.account_balance(ledger.general_trust)
        == D("10000.00") - D("100.00") - 3 * operations
    )
    assert selectors.account_balance(side) == D("100.00") + 2 * operations - 7 * len(payouts)
    assert selectors.account_balance(side) >= 0
    assert selectors.account_balance(ledger.account(PAYEES_ACCOUNT)) == D(operations)
    assert selectors.account_balance(ledger.account(PROGRAM_CHARGES_ACCOUNT)) == D("10000.00")
    for account in (ledger.general_trust, side, ledger.account(PAYEES_ACCOUNT)):
        assert selectors.account_balance(account) == _postings_sum(account)
    assert selectors.balances_check() == []


def test_concurrent_withdrawals_never_overdraw_a_side_account():
    employee = EmployeeFactory(separation_date=date(1985, 6, 30), separation_reason="retirement")
    ledger_ops.post_vesting_transfer(employee=employee, amount="50.00", policy_year=1984)
    side = ledger_ops.side_account_for(employee)
    paid: list[int] = []
    refused: list[int] = []

    def work(number: int) -> None:
        try:
            ledger_ops.post_continuation_premium(
                employee=employee, amount="10.00", month=date(1985, 8, 1)
            )
            paid.append(number)
        except ValidationError:
            refused.append(number)

    assert _run_threads(work) == []
    assert len(paid) == 5
    assert len(refused) == THREADS - 5
    assert selectors.account_balance(side) == 0
    assert selectors.balances_check() == []
