"""A claim payment keeps its date of service on the ledger, and so does its reversal.

Vesting reads the trust fund's spending per family and policy year from the ledger
(R-VE2, R-CL6): a run-out claim paid in September 1985 for a service in May 1985 counts
against 1984-85, not 1985-86.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import EmployeeFactory, EmployerFactory
from vesting.ledger import post_claim_payment, post_reversal
from vesting.models import Transaction

pytestmark = pytest.mark.django_db


def test_R_CL6_runout_claim_payment_is_dated_paid_but_kept_in_its_service_year():
    employer = EmployerFactory()
    employee = EmployeeFactory(employer=employer)
    paid = post_claim_payment(
        employer=employer,
        amount=Decimal("120.00"),
        effective_date=date(1985, 9, 12),
        service_date=date(1985, 5, 20),
        payee_name="Ukiah Valley Medical Center",
        employee=employee,
        reference="claim 41",
    )
    paid.refresh_from_db()
    assert paid.effective_date == date(1985, 9, 12)
    assert (paid.period_start, paid.period_end) == (date(1985, 5, 20), date(1985, 5, 20))

    reversal = post_reversal(
        transaction=paid, reason="Duplicate of claim 40", effective_date=date(1985, 10, 1)
    )
    reversal = Transaction.objects.get(pk=reversal.pk)
    assert reversal.employee_id == employee.pk
    assert (reversal.period_start, reversal.period_end) == (date(1985, 5, 20), date(1985, 5, 20))
