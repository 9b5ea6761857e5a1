"""The ledger's set path (post_transfers_set): many two-line transfers in one statement,
with the guarantees of post_transaction (balanced, idempotent, side accounts floored)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import EmployeeFactory, EmployerFactory
from vesting import ledger
from vesting.ledger import IdempotencyConflict, Transfer, selectors
from vesting.models import (
    AccountDayTotal,
    FundDayTotal,
    FundMonthTotal,
    Posting,
    Transaction,
    TransactionKind,
)

D = Decimal
JULY_1 = date(1985, 7, 1)
YEAR = (date(1984, 7, 1), date(1985, 6, 30))


def _vest(side, general_trust, amount: str, key: str, employee) -> Transfer:
    return Transfer(
        debit_account=side.pk,
        credit_account=general_trust.pk,
        amount=D(amount),
        idempotency_key=key,
        employee_id=employee.pk,
        period_start=YEAR[0],
        period_end=YEAR[1],
        memo="Vested for 1984-85",
    )


@pytest.fixture
def pool():
    employer = EmployerFactory()
    books = ledger.ledger_accounts_for_employer(employer)
    ann, bob = EmployeeFactory(employer=employer), EmployeeFactory(employer=employer)
    return books, (ann, ledger.side_account_for(ann)), (bob, ledger.side_account_for(bob))


@pytest.mark.django_db
def test_a_set_of_vesting_transfers_moves_the_money_and_keeps_every_total(pool):
    books, (ann, ann_side), (bob, bob_side) = pool
    ids = ledger.post_transfers_set(
        kind=TransactionKind.VESTING_TRANSFER,
        effective_date=JULY_1,
        transfers=[
            _vest(ann_side, books.general_trust, "412.50", "vest:1984:ann", ann),
            _vest(bob_side, books.general_trust, "87.49", "vest:1984:bob", bob),
        ],
    )
    assert len(ids) == 2
    assert selectors.account_balance(ann_side) == D("412.50")
    assert selectors.account_balance(bob_side) == D("87.49")
    # 412.50 + 87.49 left the General Deductible Trust Fund (a credit on a debit account)
    assert selectors.account_balance(books.general_trust) == D("-499.99")
    assert selectors.account_balance(ann_side, as_of=date(1985, 6, 30)) == D("0")
    assert selectors.account_balance(ann_side, as_of=JULY_1) == D("412.50")
    assert AccountDayTotal.objects.get(account=bob_side, day=JULY_1).net_change == D("87.49")
    assert FundDayTotal.objects.get(fund=ann_side.fund, day=JULY_1).net_change == D("499.99")
    assert FundMonthTotal.objects.get(fund=ann_side.fund, month=JULY_1).net_change == D("499.99")
    first = Transaction.objects.get(pk=ids[0])
    assert (first.kind, first.effective_date, first.employee_id) == (
        "vesting_transfer",
        JULY_1,
        ann.pk,
    )
    assert (first.period_start, first.period_end, first.memo) == (*YEAR, "Vested for 1984-85")
    lines = sorted(Posting.objects.filter(transaction=first).values_list("direction", "amount"))
    assert lines == [("credit", D("412.50")), ("debit", D("412.50"))]  # balanced


@pytest.mark.django_db
def test_a_replay_of_the_set_posts_nothing_and_returns_the_same_transactions(pool):
    books, (ann, ann_side), (bob, bob_side) = pool
    transfers = [
        _vest(ann_side, books.general_trust, "412.50", "vest:1984:ann", ann),
        _vest(bob_side, books.general_trust, "87.49", "vest:1984:bob", bob),
    ]
    kwargs = {"kind": TransactionKind.VESTING_TRANSFER, "effective_date": JULY_1}
    first = ledger.post_transfers_set(transfers=transfers[:1], **kwargs)
    both = ledger.post_transfers_set(transfers=transfers, **kwargs)  # ann's is a replay
    again = ledger.post_transfers_set(transfers=transfers, **kwargs)
    assert both[0] == first[0] and again == both
    assert Transaction.objects.count() == 2
    assert Posting.objects.count() == 4
    assert selectors.account_balance(ann_side) == D("412.50")


@pytest.mark.django_db
def test_the_set_paths_payload_hash_is_the_one_post_transaction_checks(pool):
    """The same operation posted one way and replayed the other is one transaction."""
    books, (ann, ann_side), _ = pool
    [tx_id] = ledger.post_transfers_set(
        kind=TransactionKind.VESTING_TRANSFER,
        effective_date=JULY_1,
        transfers=[_vest(ann_side, books.general_trust, "412.50", "vest:1984:ann", ann)],
    )
    replay = ledger.post_transaction(
        kind=TransactionKind.VESTING_TRANSFER,
        effective_date=JULY_1,
        lines=[ledger.credit(books.general_trust, "412.50"), ledger.debit(ann_side, "412.50")],
        idempotency_key="vest:1984:ann",
        employee=ann,
        period_start=YEAR[0],
        period_end=YEAR[1],
        memo="reworded",
    )
    assert replay.pk == tx_id
    assert Transaction.objects.count() == 1


@pytest.mark.django_db
def test_a_reused_key_with_another_amount_refuses_the_whole_set(pool):
    books, (ann, ann_side), (bob, bob_side) = pool
    kwargs = {"kind": TransactionKind.VESTING_TRANSFER, "effective_date": JULY_1}
    ledger.post_transfers_set(
        transfers=[_vest(ann_side, books.general_trust, "412.50", "vest:1984:ann", ann)], **kwargs
    )
    with pytest.raises(IdempotencyConflict) as refused:
        ledger.post_transfers_set(
            transfers=[
                _vest(bob_side, books.general_trust, "87.49", "vest:1984:bob", bob),
                _vest(ann_side, books.general_trust, "412.51", "vest:1984:ann", ann),
            ],
            **kwargs,
        )
    assert "vest:1984:ann" in refused.value.message_dict["idempotency_key"][0]
    assert Transaction.objects.count() == 1  # bob's transfer was not posted either
    assert selectors.account_balance(bob_side) == D("0")


@pytest.mark.django_db
def test_a_side_account_is_never_taken_below_zero(pool):
    books, (_ann, ann_side), _ = pool
    with pytest.raises(ValidationError) as refused:
        ledger.post_transfers_set(
            kind=TransactionKind.LUMP_SUM_PAYOUT,
            effective_date=JULY_1,
            transfers=[
                Transfer(
                    debit_account=books.general_trust.pk,
                    credit_account=ann_side.pk,
                    amount=D("10.00"),
                    idempotency_key="take:ann",
                )
            ],
        )
    assert "can never go below zero" in refused.value.messages[0]
    assert "holds 0" in refused.value.messages[0]
    assert Transaction.objects.count() == 0
    assert selectors.account_balance(ann_side) == D("0")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "key", "message"),
    [
        ("0.00", "k", "Transfer 2: The amount must be more than zero."),
        ("1.005", "k", "Transfer 2: Enter dollars and cents"),
        ("5.00", "vest:1984:ann", "Transfer 2: Two transfers of the set have the same"),
    ],
)
def test_a_bad_transfer_refuses_the_set_naming_it(pool, amount, key, message):
    books, (ann, ann_side), (bob, bob_side) = pool
    with pytest.raises(ValidationError) as refused:
        ledger.post_transfers_set(
            kind=TransactionKind.VESTING_TRANSFER,
            effective_date=JULY_1,
            transfers=[
                _vest(ann_side, books.general_trust, "412.50", "vest:1984:ann", ann),
                _vest(bob_side, books.general_trust, amount, key, bob),
            ],
        )
    assert refused.value.messages[0].startswith(message)
    assert Transaction.objects.count() == 0


@pytest.mark.django_db
def test_a_transfer_between_two_employers_is_refused(pool):
    books, (ann, ann_side), _ = pool
    other = ledger.ledger_accounts_for_employer(EmployerFactory())
    with pytest.raises(ValidationError, match="within one employer's funds"):
        ledger.post_transfers_set(
            kind=TransactionKind.VESTING_TRANSFER,
            effective_date=JULY_1,
            transfers=[_vest(ann_side, other.general_trust, "1.00", "vest:x", ann)],
        )
    with pytest.raises(ValidationError, match="exact"):
        ledger.post_transfers_set(
            kind=TransactionKind.VESTING_TRANSFER,
            effective_date=JULY_1,
            transfers=[
                _vest(ann_side, books.general_trust, "1.00", "vest:y", ann)._replace(amount=1.0)
            ],
        )
    assert Transaction.objects.count() == 0
