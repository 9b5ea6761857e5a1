"""The demonstration claims: realistic histories entered through the services, fast."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Count, Max

from accounts.demo import seed_members
from accounts.models import Employer
from claims.demo import seed_claims
from claims.models import Claim, FamilyYear, PaymentRun
from vesting.models import Transaction

pytestmark = pytest.mark.django_db


def test_demo_claims_most_families_under_the_deductible_some_far_over_some_none():
    seed_members()
    counts = seed_claims(Employer.objects.all())
    assert counts["claims"] > 1000 and counts["voided"] > 0 and counts["adjusted"] > 0
    assert counts["runs"] == 4
    assert set(Claim.objects.values_list("policy_year", flat=True)) == {1982, 1983, 1984, 1985}
    years = FamilyYear.objects.filter(policy_year=1984)
    under = years.filter(absorbed__lt=Decimal("500.00")).count()
    assert under > years.count() / 2  # most families stay under the deductible
    assert Claim.objects.filter(policy_year=1984, allowed__gt=Decimal("2000")).exists()
    assert years.aggregate(m=Max("trust_fund_paid"))["m"] == Decimal("500.00")
    assert Claim.objects.filter(status="denied").exists()
    assert PaymentRun.objects.count() == 4
    # Every trust-fund claim transaction carries the employee and the date of service.
    assert not Transaction.objects.filter(
        reference__startswith="claim ", employee__isnull=True
    ).exists()
    assert not Transaction.objects.filter(
        reference__startswith="claim ", period_start__isnull=True
    ).exists()
    # Idempotent: a second call enters nothing.
    assert seed_claims(Employer.objects.all())["claims"] == 0
    assert Claim.objects.values("employee").annotate(n=Count("id")).count() > 100
