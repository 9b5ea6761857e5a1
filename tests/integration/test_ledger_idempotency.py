"""Idempotency keys: a replay returns the first transaction; a reused key is refused."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.factories import EmployeeFactory, EmployerFactory
from vesting import ledger as ledger_ops
from vesting.ledger import IdempotencyConflict, TransactionSpec, credit, debit, selectors
from vesting.models import Posting, Transaction

D = Decimal


@pytest.mark.django_db
def test_replaying_an_operation_ten_times_yields_one_transaction():
    employer = EmployerFactory()
    results = [
        ledger_ops.post_claim_payment(
            employer=employer,
            amount=D("125.40"),
            effective_date=date(1985, 3, 4),
            payee_name="Ukiah Valley Medical Center",
            reference="claim 123",
            idempotency_key="claim-123-payment",
        )
        for _ in range(10)
    ]
    assert {tx.pk for tx in results} == {results[0].pk}
    assert Transaction.objects.count() == 1
    assert Posting.objects.count() == 2
    ledger = ledger_ops.ledger_accounts_for_employer(employer)
    assert selectors.account_balance(ledger.general_trust) == D("-125.40")


@pytest.mark.django_db
def test_the_same_key_with_a_different_payload_is_refused_with_a_clear_error():
    employer = EmployerFactory()
    first = ledger_ops.post_claim_payment(
        employer=employer,
        amount=D("125.40"),
        effective_date=date(1985, 3, 4),
        idempotency_key="claim-123-payment",
    )
    with pytest.raises(IdempotencyConflict) as refused:
        ledger_ops.post_claim_payment(
            employer=employer,
            amount=D("125.41"),
            effective_date=date(1985, 3, 4),
            idempotency_key="claim-123-payment",
        )
    message = refused.value.message_dict["idempotency_key"][0]
    assert "claim-123-payment" in message
    assert f"#{first.pk}" in message
    assert "different payload" in message
    assert isinstance(refused.value, ValidationError)
    assert Transaction.objects.count() == 1


@pytest.mark.django_db
def test_a_replay_with_another_memo_or_author_is_the_same_operation(administrator_user):
    employer = EmployerFactory()
    first = ledger_ops.post_interest(
        employer=employer,
        amount="10.00",
        period_start=date(1985, 4, 1),
        period_end=date(1985, 6, 30),
        earned_by="general_trust",
        idempotency_key="i-1",
    )
    again = ledger_ops.post_interest(
        employer=employer,
        amount="10.00",
        period_start=date(1985, 4, 1),
        period_end=date(1985, 6, 30),
        earned_by="general_trust",
        idempotency_key="i-1",
        memo="typed again",
        posted_by=administrator_user,
    )
    assert again.pk == first.pk


@pytest.mark.django_db
def test_the_monthly_contribution_has_a_natural_key():
    employer = EmployerFactory()
    first = ledger_ops.post_employer_contribution(
        employer=employer, year=1985, month=1, amount="83.34"
    )
    second = ledger_ops.post_employer_contribution(
        employer=employer, year=1985, month=1, amount="83.34"
    )
    assert first.pk == second.pk
    with pytest.raises(IdempotencyConflict):
        ledger_ops.post_employer_contribution(
            employer=employer, year=1985, month=1, amount="125.01"
        )


@pytest.mark.django_db
def test_a_replayed_payout_returns_the_first_even_when_the_account_is_now_empty():
    employee = EmployeeFactory(separation_date=date(1985, 9, 30), separation_reason="resignation")
    ledger_ops.post_vesting_transfer(employee=employee, amount="300.00", policy_year=1984)
    first = ledger_ops.post_lump_sum_payout(
        employee=employee, amount="300.00", effective_date=date(1985, 10, 1), idempotency_key="ls-1"
    )
    again = ledger_ops.post_lump_sum_payout(
        employee=employee, amount="300.00", effective_date=date(1985, 10, 1), idempotency_key="ls-1"
    )
    assert again.pk == first.pk
    assert selectors.account_balance(ledger_ops.side_account_for(employee)) == 0


@pytest.mark.django_db
def test_a_batch_skips_entries_already_posted_and_refuses_a_changed_one():
    ledger = ledger_ops.ledger_accounts_for_employer(EmployerFactory())

    def spec(key: str, amount: str) -> TransactionSpec:
        return TransactionSpec(
            kind="unvested_transfer",
            effective_date=date(1985, 7, 1),
            lines=[debit(ledger.district, amount), credit(ledger.general_trust, amount)],
            idempotency_key=key,
        )

    first = ledger_ops.post_transactions_batch(entries=[spec("u-1", "1.00"), spec("u-2", "2.00")])
    again = ledger_ops.post_transactions_batch(
        entries=[spec("u-1", "1.00"), spec("u-2", "2.00"), spec("u-3", "3.00")]
    )
    assert again[:2] == first
    assert Transaction.objects.count() == 3
    with pytest.raises(IdempotencyConflict):
        ledger_ops.post_transactions_batch(entries=[spec("u-3", "3.01")])
    assert selectors.account_balance(ledger.district) == D("6.00")


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_of_one_key_post_once():
    ledger = ledger_ops.ledger_accounts_for_employer(EmployerFactory())
    barrier = threading.Barrier(8)
    ids: list[int] = []
    errors: list[BaseException] = []

    def replay() -> None:
        try:
            barrier.wait()
            tx = ledger_ops.post_unvested_transfer(
                employer=ledger.employer_id,
                amount="42.00",
                policy_year=1984,
                idempotency_key="unvested-1984-42",
            )
            ids.append(tx.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=replay) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(ids)) == 1
    assert Transaction.objects.count() == 1
    assert selectors.account_balance(ledger.district) == D("42.00")
