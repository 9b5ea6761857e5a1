"""Payment runs: the paid trust-fund claims not yet in a run, one check per payee; the
register's totals; each payment in at most one run; later reversals offset."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from claims import selectors, services
from claims.models import ClaimLedgerEntry
from tests.factories import claims_family, enter_claim

pytestmark = pytest.mark.django_db

D = Decimal


def test_payment_run_groups_unpaid_trust_fund_payments_per_payee():
    employee, spouse, _ = claims_family()
    enter_claim(employee, D("100.00"), provider="Dr. Helen Ames")
    enter_claim(employee, D("60.00"), provider="Dr. Helen Ames", date_of_service=date(1984, 11, 1))
    enter_claim(employee, D("300.00"), provider="Mendocino Pharmacy", patient=spouse)
    enter_claim(
        employee, D("90.00"), provider="Mendocino Pharmacy", date_of_service=date(1984, 12, 1)
    )
    # 100 + 60 + 300 = 460; the fourth: 40 trust fund + 50 carrier.
    run = services.payment_run_create()
    assert (run.number, run.total, run.check_count, run.claim_count) == (1, D("500.00"), 2, 4)
    register = selectors.payment_run_register(run)
    payees = {p.name: p.total for e in register.employers for p in e.payees}
    assert payees == {"Dr. Helen Ames": D("160.00"), "Mendocino Pharmacy": D("340.00")}
    assert register.total == D("500.00") and register.check_count == 2
    assert not ClaimLedgerEntry.objects.filter(payment_run__isnull=True).exists()
    with pytest.raises(ValidationError):
        services.payment_run_create()


def test_a_void_after_the_run_is_offset_in_the_next_run():
    employee, _, _ = claims_family()
    first = enter_claim(employee, D("100.00"), provider="Dr. Helen Ames")
    services.payment_run_create()
    services.claim_void(claim=first, reason="Billed to the wrong family")
    # Only a recovery of 100.00 is waiting: carried forward, no run.
    assert selectors.payments_waiting() == {
        "entries": 1,
        "payees": 0,
        "total": D("0.00"),
        "carried": 1,
    }
    with pytest.raises(ValidationError):
        services.payment_run_create()
    enter_claim(employee, D("150.00"), provider="Dr. Helen Ames", date_of_service=date(1984, 11, 5))
    run = services.payment_run_create()
    # 150.00 owed less the 100.00 recovered: one check of 50.00.
    assert (run.number, run.total, run.check_count) == (2, D("50.00"), 1)
    lines = [
        line.amount
        for e in selectors.payment_run_register(run).employers
        for p in e.payees
        for line in p.lines
    ]
    assert sorted(lines) == [D("-100.00"), D("150.00")]


def test_a_claim_paid_and_voided_before_a_run_is_cleared_without_a_check():
    employee, _, _ = claims_family()
    claim = enter_claim(employee, D("100.00"), provider="Dr. Helen Ames")
    services.claim_void(claim=claim, reason="Entered twice")
    enter_claim(employee, D("80.00"), provider="Mendocino Pharmacy")
    run = services.payment_run_create()
    assert (run.total, run.check_count, run.claim_count) == (D("80.00"), 1, 2)
