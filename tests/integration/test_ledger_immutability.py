"""R-FU3: entries are never updated or deleted, whatever the path: ORM, .update(), raw SQL.

Each attempt runs in a savepoint (``transaction.atomic``) so that the refused statement
does not poison the test's transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import EmployerFactory
from vesting import ledger as ledger_ops
from vesting.ledger import selectors
from vesting.models import Posting, Transaction

pytestmark = pytest.mark.django_db

IMMUTABLE = "immutable"


@pytest.fixture
def posted():
    employer = EmployerFactory()
    return ledger_ops.post_employer_contribution(
        employer=employer, year=1984, month=7, amount="41.67"
    )


def _refused(action, match: str = IMMUTABLE) -> None:
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        action()


def test_a_posting_cannot_be_saved_with_a_new_amount_through_the_orm(posted):
    posting = posted.postings.first()
    posting.amount = Decimal("1.00")
    _refused(posting.save)


def test_a_posting_cannot_be_deleted_through_the_orm(posted):
    _refused(posted.postings.first().delete)


def test_postings_cannot_be_changed_with_update(posted):
    _refused(lambda: Posting.objects.filter(transaction=posted).update(amount=Decimal("1.00")))


def test_postings_cannot_be_deleted_with_a_queryset_delete(posted):
    _refused(lambda: Posting.objects.filter(transaction=posted).delete())


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE vesting_posting SET amount = 1 WHERE transaction_id = %s",
        "UPDATE vesting_posting SET direction = 'credit' WHERE transaction_id = %s",
        "DELETE FROM vesting_posting WHERE transaction_id = %s",
    ],
)
def test_postings_cannot_be_changed_through_raw_sql(posted, sql):
    """R-FU3: entries are never updated or deleted, not even by raw SQL."""

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [posted.pk])

    _refused(run)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE vesting_transaction SET effective_date = '1999-01-01' WHERE id = %s",
        "UPDATE vesting_transaction SET memo = 'edited' WHERE id = %s",
        "DELETE FROM vesting_transaction WHERE id = %s",
    ],
)
def test_transactions_cannot_be_changed_through_raw_sql(posted, sql):
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [posted.pk])

    _refused(run)


def test_transactions_cannot_be_changed_through_the_orm(posted):
    tx = Transaction.objects.get(pk=posted.pk)
    tx.memo = "edited"
    _refused(tx.save)
    _refused(lambda: Transaction.objects.filter(pk=posted.pk).update(memo="edited"))
    # Django stops first: its postings PROTECT it (ProtectedError is an IntegrityError).
    _refused(Transaction.objects.get(pk=posted.pk).delete, match="protected")


def test_after_every_refusal_the_entries_and_balances_are_unchanged(posted):
    _refused(lambda: Posting.objects.filter(transaction=posted).update(amount=Decimal("1.00")))
    _refused(lambda: Posting.objects.filter(transaction=posted).delete())
    assert sorted(p.amount for p in posted.postings.all()) == [Decimal("41.67")] * 2
    ledger = ledger_ops.ledger_accounts_for_employer(posted.employer_id)
    assert selectors.account_balance(ledger.general_trust) == Decimal("41.67")
    assert selectors.balances_check() == []


def test_a_correction_is_a_reversing_transaction(posted):
    """R-FU3: a correction is a new, reversing transaction; the entries stay."""
    reversal = ledger_ops.post_reversal(
        transaction=posted, reason="wrong month", effective_date=date(1984, 7, 31)
    )
    ledger = ledger_ops.ledger_accounts_for_employer(posted.employer_id)
    assert reversal.reverses_id == posted.pk
    assert selectors.account_balance(ledger.general_trust) == 0
    assert selectors.account_balance(ledger.general_trust, as_of=date(1984, 7, 30)) == Decimal(
        "41.67"
    )
    assert Posting.objects.count() == 4


def test_an_accounts_side_and_floor_are_fixed_and_its_balance_row_stays(posted):
    from vesting.models import Account, AccountBalance

    account = Account.objects.get(
        name="General Deductible Trust Fund", fund__employer=posted.employer
    )
    assert AccountBalance.objects.filter(account=account).exists()  # made when it was opened
    _refused(lambda: Account.objects.filter(pk=account.pk).update(normal_balance="credit"), "fixed")
    _refused(lambda: Account.objects.filter(pk=account.pk).update(never_negative=True), "fixed")
    _refused(lambda: AccountBalance.objects.filter(account=account).delete(), "cannot be deleted")
    Account.objects.filter(pk=account.pk).update(name="General Deductible Trust Fund")  # allowed
    assert selectors.balances_check() == []
