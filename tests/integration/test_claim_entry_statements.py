"""Claim entry's statements are prepared on the server: parsed and planned once per
connection (``staywell.db.prepared_rows``), not for every claim.

Planning was most of the database's time for a claim. Django leaves psycopg's preparing
off unless ``OPTIONS["prepare_threshold"]`` is set (``staywell.settings``); without it
``prepare=True`` is ignored and every claim's statements were planned again.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import claims_family, enter_claim

pytestmark = pytest.mark.django_db

D = Decimal


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_claim_entry_s_statements_are_prepared_once_and_reused():
    employee, _, _ = claims_family()
    first = enter_claim(employee, D("120.00"))
    statements = prepared_statements()

    assert any("INSERT INTO claims_claim" in sql for sql in statements)  # the claim
    assert any("FROM accounts_employee e" in sql for sql in statements)  # the family's rows
    assert any("FROM vesting_monthclose" in sql for sql in statements)  # month closed?
    assert any("INSERT INTO vesting_transaction" in sql for sql in statements)  # the payment

    second = enter_claim(employee, D("30.00"))
    # The second claim ran the same statements: none prepared again.
    assert sorted(prepared_statements()) == sorted(statements)
    assert (first.trust_fund_amount, second.trust_fund_amount) == (D("120.00"), D("30.00"))
