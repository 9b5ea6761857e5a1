"""generate_claims: set-based claims whose SQL splits agree with the pure rules, paid
through the ledger's batch function (balanced, balances maintained)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from accounts.rules import Tier
from claims.models import Claim, ClaimLedgerEntry, FamilyYear
from claims.rules import ClaimInput, resplit_family_year
from vesting.ledger import selectors as ledger_selectors
from vesting.models import Posting, Transaction

pytestmark = pytest.mark.django_db

D = Decimal


def test_generated_claims_are_split_as_the_rules_split_them_and_paid_through_the_ledger():
    call_command(
        "generate_pool", employers=2, employees=60, years=3, until=1985, seed=3, prefix="T"
    )
    call_command("generate_claims", per_employee_year=10, years=1, until=1985)

    claims = list(Claim.objects.order_by("id"))
    assert len(claims) > 400
    by_family: dict[tuple[int, int], list[Claim]] = defaultdict(list)
    for claim in claims:
        by_family[(claim.employee_id, claim.policy_year)].append(claim)
    for family_claims in by_family.values():
        inputs = [ClaimInput(c.pk, c.allowed, Tier(c.tier)) for c in family_claims]
        expected = resplit_family_year(inputs, D("500.00"))
        for claim, split in zip(family_claims, expected, strict=True):
            assert (claim.trust_fund_amount, claim.employee_amount, claim.carrier_amount) == (
                split.trust_fund,
                split.employee,
                split.carrier,
            )
            assert claim.status == ("denied" if split.denied else "paid")
    assert FamilyYear.objects.filter(trust_fund_paid__gt=D("500.00")).count() == 0
    paid = Claim.objects.filter(trust_fund_amount__gt=0)
    assert paid.count() == Transaction.objects.filter(kind="claim_payment").count()
    assert not paid.filter(payment_transaction__isnull=True).exists()
    assert ClaimLedgerEntry.objects.count() == paid.count()
    credits = Posting.objects.filter(account__fund__kind="general_trust").aggregate(s=Sum("amount"))
    assert credits["s"] == paid.aggregate(s=Sum("trust_fund_amount"))["s"]
    tx = Transaction.objects.filter(kind="claim_payment").first()
    claim = Claim.objects.get(payment_transaction=tx)
    assert (tx.employee_id, tx.period_start, tx.reference) == (
        claim.employee_id,
        claim.date_of_service,
        f"claim {claim.pk}",
    )
    assert ledger_selectors.balances_check() == []
