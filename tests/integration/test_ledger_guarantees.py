"""R-FU3 in PostgreSQL itself: what raw SQL cannot do to the ledger.

Deferred constraint triggers fire at COMMIT, so these tests commit for real
(``transactional_db``) and look at what the database refused.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import EmployeeFactory, EmployerFactory
from vesting import ledger as ledger_ops
from vesting.ledger import PAYEES_ACCOUNT, credit, debit, selectors
from vesting.models import AccountBalance, FundKindMonthTotal, FundMonthTotal, Posting, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal


@pytest.fixture
def ledger():
    return ledger_ops.ledger_accounts_for_employer(EmployerFactory())


def _raw_transaction(cursor, employer_id: int, day: str = "1985-01-15") -> int:
    cursor.execute(
        "INSERT INTO vesting_transaction (employer_id, kind, effective_date, memo, reference, "
        "earned_by, payload_hash, posted_at) VALUES (%s, 'claim_payment', %s, 'raw', '', '', "
        "'x', now()) RETURNING id",
        [employer_id, day],
    )
    return cursor.fetchone()[0]


def _raw_posting(cursor, tx_id, account_id, direction, amount, day="1985-01-15") -> None:
    cursor.execute(
        "INSERT INTO vesting_posting (transaction_id, account_id, direction, amount, "
        "effective_date) VALUES (%s, %s, %s, %s, %s)",
        [tx_id, account_id, direction, amount, day],
    )


def test_an_unbalanced_transaction_is_refused_at_commit_even_through_raw_sql(ledger):
    """R-FU3: every movement of money is one balanced transaction, also in raw SQL."""
    payees = ledger.account(PAYEES_ACCOUNT)
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            tx_id = _raw_transaction(cursor, ledger.employer_id)
            _raw_posting(cursor, tx_id, payees.pk, "debit", "100.00")
            _raw_posting(cursor, tx_id, ledger.general_trust.pk, "credit", "99.99")
    assert Transaction.objects.count() == 0
    assert Posting.objects.count() == 0
    assert selectors.account_balance(ledger.general_trust) == 0


def test_an_unbalanced_autocommit_statement_is_refused_too(ledger):
    """No explicit transaction: the statement's own commit runs the deferred check."""
    with pytest.raises(IntegrityError, match="does not balance"), connection.cursor() as cursor:
        cursor.execute(
            "WITH t AS (INSERT INTO vesting_transaction (employer_id, kind, effective_date, memo, "
            "reference, earned_by, payload_hash, posted_at) VALUES (%s, 'interest', '1985-06-30', "
            "'', '', '', 'x', now()) RETURNING id) "
            "INSERT INTO vesting_posting (transaction_id, account_id, direction, amount, "
            "effective_date) SELECT t.id, v.account, v.direction, v.amount, '1985-06-30' "
            "FROM t CROSS JOIN (VALUES (%s::bigint, 'debit', 5.00), (%s::bigint, 'credit', 4.00)) "
            "AS v(account, direction, amount)",
            [ledger.employer_id, ledger.district.pk, ledger.general_trust.pk],
        )
    assert Transaction.objects.count() == 0


@pytest.mark.parametrize("lines", [0, 1])
def test_a_transaction_needs_at_least_two_postings(ledger, lines):
    with pytest.raises(IntegrityError, match="at least two"):
        with transaction.atomic(), connection.cursor() as cursor:
            tx_id = _raw_transaction(cursor, ledger.employer_id)
            if lines:
                _raw_posting(cursor, tx_id, ledger.general_trust.pk, "debit", "10.00")
    assert Transaction.objects.count() == 0


def test_a_balanced_raw_sql_transaction_is_accepted_and_balances_follow(ledger):
    """R-FU3: balances are derived from the entries, whoever wrote them."""
    payees = ledger.account(PAYEES_ACCOUNT)
    with transaction.atomic(), connection.cursor() as cursor:
        tx_id = _raw_transaction(cursor, ledger.employer_id)
        _raw_posting(cursor, tx_id, payees.pk, "debit", "60.00")
        _raw_posting(cursor, tx_id, payees.pk, "debit", "40.00")
        _raw_posting(cursor, tx_id, ledger.general_trust.pk, "credit", "100.00")
    assert selectors.account_balance(payees) == D("100.00")
    assert selectors.account_balance(ledger.general_trust) == D("-100.00")
    assert selectors.account_balance(ledger.general_trust, as_of=date(1985, 1, 14)) == 0
    assert selectors.balances_check() == []


def test_a_committed_transaction_cannot_gain_postings_even_balanced_ones(ledger):
    payees = ledger.account(PAYEES_ACCOUNT)
    tx = ledger_ops.post_transaction(
        kind="claim_payment",
        effective_date=date(1985, 1, 15),
        lines=[debit(payees, "10.00"), credit(ledger.general_trust, "10.00")],
    )
    with pytest.raises(IntegrityError, match="only when it is created"):
        with transaction.atomic(), connection.cursor() as cursor:
            _raw_posting(cursor, tx.pk, payees.pk, "debit", "5.00")
            _raw_posting(cursor, tx.pk, ledger.general_trust.pk, "credit", "5.00")
    assert tx.postings.count() == 2
    assert selectors.account_balance(payees) == D("10.00")


def test_a_posting_must_carry_its_transactions_date_and_employer(ledger):
    other = ledger_ops.ledger_accounts_for_employer(EmployerFactory())
    with pytest.raises(IntegrityError, match="is dated"):
        with transaction.atomic(), connection.cursor() as cursor:
            tx_id = _raw_transaction(cursor, ledger.employer_id)
            _raw_posting(cursor, tx_id, ledger.district.pk, "debit", "1.00", day="1985-01-16")
            _raw_posting(cursor, tx_id, ledger.general_trust.pk, "credit", "1.00")
    with pytest.raises(IntegrityError, match="posts to an account of employer"):
        with transaction.atomic(), connection.cursor() as cursor:
            tx_id = _raw_transaction(cursor, ledger.employer_id)
            _raw_posting(cursor, tx_id, other.district.pk, "debit", "1.00")
            _raw_posting(cursor, tx_id, ledger.general_trust.pk, "credit", "1.00")
    assert Transaction.objects.count() == 0


@pytest.mark.parametrize(
    ("direction", "amount", "constraint"),
    [
        ("debit", "0.00", "posting_amount_positive"),
        ("debit", "-5.00", "posting_amount_positive"),
        ("both", "5.00", "posting_direction_valid"),
    ],
)
def test_amounts_are_positive_cents_with_a_direction(ledger, direction, amount, constraint):
    with pytest.raises(IntegrityError, match=constraint):
        with transaction.atomic(), connection.cursor() as cursor:
            tx_id = _raw_transaction(cursor, ledger.employer_id)
            _raw_posting(cursor, tx_id, ledger.district.pk, direction, amount)


def test_a_side_account_cannot_go_negative_through_raw_sql(ledger):
    employee = EmployeeFactory(employer_id=ledger.employer_id)
    side = ledger_ops.side_account_for(employee)
    with pytest.raises(IntegrityError, match="side_account_never_negative"):
        with transaction.atomic(), connection.cursor() as cursor:
            tx_id = _raw_transaction(cursor, ledger.employer_id)
            _raw_posting(cursor, tx_id, ledger.general_trust.pk, "debit", "1.00")
            _raw_posting(cursor, tx_id, side.pk, "credit", "1.00")
    assert AccountBalance.objects.get(account=side).balance == 0


def test_the_service_refuses_what_the_database_would(ledger):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="does not balance"):
        ledger_ops.post_transaction(
            kind="claim_payment",
            effective_date=date(1985, 1, 15),
            lines=[debit(ledger.district, "1.00"), credit(ledger.general_trust, "2.00")],
        )
    with pytest.raises(ValidationError, match="at least two"):
        ledger_ops.post_transaction(
            kind="claim_payment",
            effective_date=date(1985, 1, 15),
            lines=[debit(ledger.district, "1.00")],
        )
    assert Transaction.objects.count() == 0


def test_flush_between_tests_still_works(ledger):
    """TRUNCATE (the test-database flush) fires no row trigger: the previous tests'
    rows are gone and this one starts from an empty ledger."""
    assert Posting.objects.count() == 0
    ledger_ops.post_employer_contribution(
        employer=ledger.employer_id, year=1984, month=7, amount="41.67"
    )
    assert Posting.objects.count() == 2


def test_ledger_check_command_fails_when_a_balance_disagrees(ledger):
    from django.core.management import CommandError, call_command

    ledger_ops.post_employer_contribution(
        employer=ledger.employer_id, year=1984, month=7, amount="41.67"
    )
    call_command("ledger_check")
    with connection.cursor() as cursor:  # tamper with a maintained balance (not a posting)
        cursor.execute(
            "UPDATE vesting_accountbalance SET balance = balance + 1 WHERE account_id = %s",
            [ledger.general_trust.pk],
        )
    with pytest.raises(CommandError, match="1 ledger disagreement"):
        call_command("ledger_check")


def test_fund_month_totals_follow_raw_postings_month_by_month(ledger):
    payees = ledger.account(PAYEES_ACCOUNT)
    with transaction.atomic(), connection.cursor() as cursor:
        for day, amount in (
            ("1985-01-15", "100.00"),
            ("1985-01-31", "20.00"),
            ("1985-02-01", "7.50"),
        ):
            tx_id = _raw_transaction(cursor, ledger.employer_id, day)
            _raw_posting(cursor, tx_id, payees.pk, "debit", amount, day)
            _raw_posting(cursor, tx_id, ledger.general_trust.pk, "credit", amount, day)

    def months(account):
        rows = FundMonthTotal.objects.filter(fund_id=account.fund_id).order_by("month")
        return [(row.month, row.net_change) for row in rows]

    assert months(ledger.general_trust) == [
        (date(1985, 1, 1), D("-120.00")),
        (date(1985, 2, 1), D("-7.50")),
    ]
    assert months(payees) == [(date(1985, 1, 1), D("120.00")), (date(1985, 2, 1), D("7.50"))]
    assert selectors.balances_check() == []


def test_ledger_check_finds_a_month_total_that_disagrees(ledger):
    ledger_ops.post_employer_contribution(
        employer=ledger.employer_id, year=1984, month=7, amount="41.67"
    )
    fund_id = ledger.general_trust.fund_id
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE vesting_fundmonthtotal SET net_change = net_change + 1 WHERE fund_id = %s",
            [fund_id],
        )
    assert selectors.balances_check() == [f"fund month total: {fund_id}, 1984-07-01, 41.67, 42.67"]


def test_fund_kind_month_totals_follow_postings_month_and_kind(ledger):
    ledger_ops.post_employer_contribution(
        employer=ledger.employer_id, year=1984, month=7, amount="41.67"
    )
    payees = ledger.account(PAYEES_ACCOUNT)
    with transaction.atomic(), connection.cursor() as cursor:
        for day, amount in (("1985-01-15", "100.00"), ("1985-01-31", "20.00")):
            tx_id = _raw_transaction(cursor, ledger.employer_id, day)  # a claim payment
            _raw_posting(cursor, tx_id, payees.pk, "debit", amount, day)
            _raw_posting(cursor, tx_id, ledger.general_trust.pk, "credit", amount, day)
    fund_id = ledger.general_trust.fund_id
    rows = FundKindMonthTotal.objects.filter(fund_id=fund_id).order_by("month")
    assert [(row.month, row.kind, row.net_change) for row in rows] == [
        (date(1984, 7, 1), "employer_contribution", D("41.67")),
        (date(1985, 1, 1), "claim_payment", D("-120.00")),
    ]
    assert selectors.balances_check() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE vesting_fundkindmonthtotal SET net_change = net_change - 1 "
            "WHERE fund_id = %s AND kind = 'claim_payment'",
            [fund_id],
        )
    assert selectors.balances_check() == [
        f"fund kind month total: {fund_id}, 1985-01-01, claim_payment, -120.00, -121.00"
    ]
