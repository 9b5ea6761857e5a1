"""The imports' set-based entry (``claims_enter_many``) against ``claim_enter`` one claim
at a time: the same claims give the same splits, statuses, duplicates, audit events,
history, ledger payments and family totals."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import services as members
from claims import services
from claims.models import Claim, FamilyYear
from claims.services.batch import BatchClaim, claims_enter_many
from tests.factories import PlanYearFactory, ProgramFactory, hire
from vesting.models import Posting

pytestmark = pytest.mark.django_db

D = Decimal


def families(tag: str):
    """A FULL family (spouse, child), a THREE_QUARTER employee and a child added late."""
    program = ProgramFactory()
    full = hire(program=program, hire_date=date(1983, 7, 1), number=f"{tag}1", last_name="Full")
    spouse = members.dependent_add(
        employee=full, relationship="spouse", first_name="Ramon", last_name="F"
    )
    late = members.dependent_add(
        employee=full,
        relationship="child",
        first_name="Ana",
        last_name="F",
        covered_from=date(1984, 11, 1),
    )
    part = hire(
        program=program,
        hire_date=date(1983, 7, 1),
        number=f"{tag}2",
        weekly_hours=D("25"),
        last_name="Part",
    )
    return full, spouse, late, part


def claims_of(tag: str, full, spouse, late, part) -> list[BatchClaim]:
    rows = [
        (full, None, date(1984, 10, 15), "Dr. Helen Ames", "300.00", "250.00", date(1984, 10, 20)),
        (full, spouse.pk, date(1984, 10, 16), "Mendocino Pharmacy", "180.00", "180.00", None),
        # Crosses the deductible: 250 + 180 = 430 absorbed; of 120, 70 trust fund, 50 carrier.
        (full, None, date(1984, 10, 17), "Dr. Helen Ames", "120.00", "120.00", None),
        # The same family, provider, day and amount: a duplicate of the one before.
        (full, None, date(1984, 10, 17), "DR. HELEN AMES", "120.00", "120.00", None),
        # Ana was not on the policy before November 1: denied.
        (full, late.pk, date(1984, 10, 20), "Redwood Pediatrics", "60.00", "60.00", None),
        # Before the coverage began (hired July 1, covered from August 1): denied.
        (full, None, date(1983, 7, 20), "Dr. Helen Ames", "40.00", "40.00", None),
        # Three-quarter: the employee's own deductible, then the carrier.
        (part, None, date(1984, 9, 1), "Ukiah Valley Medical Center", "700.00", "650.00", None),
        (part, None, date(1984, 9, 2), "Ukiah Valley Medical Center", "30.00", "30.00", None),
    ]
    return [
        BatchClaim(e.pk, p, day, provider, f"{tag}-{n}", billed, allowed, received)
        for n, (e, p, day, provider, billed, allowed, received) in enumerate(rows)
    ]


def observed(claims: list[Claim]) -> list[tuple]:
    """What a user sees of each claim, ids replaced by the claim's position."""
    position = {c.pk: n for n, c in enumerate(claims)}

    def words(text: str) -> str:
        text = re.sub(
            r"claim (\d+)", lambda m: f"claim #{position.get(int(m.group(1)), '?')}", text
        )
        return re.sub(r"\b[A-Z]-\d+\b", "NUMBER", text)

    return [
        (
            c.status,
            c.tier,
            c.trust_fund_amount,
            c.employee_amount,
            c.carrier_amount,
            c.denied_reason,
            c.patient_name.rsplit(" ", 1)[0],
            c.received_on,
            c.paid_on,
            position.get(c.duplicate_of_id),
            c.payee.name,
            [(e.action, words(e.message)) for e in c.events.order_by("id")],
            [e.amount for e in c.ledger_entries.order_by("id")],
            words(c.payment_transaction.memo) if c.payment_transaction_id else None,
            # The accounts paid and paid from (the batch makes a new employer's together).
            [
                (
                    p.direction,
                    p.amount,
                    p.account.name,
                    p.account.fund.kind,
                    p.account.normal_balance,
                    p.account.current_balance.balance,
                )
                for p in (
                    c.payment_transaction.postings.order_by("id")
                    if c.payment_transaction_id
                    else []
                )
            ],
            [
                (h.pgh_label, h.status, h.trust_fund_amount, h.paid_on, h.source, h.tier)
                for h in c.history.order_by("pgh_id")
            ],
        )
        for c in claims
    ]


def test_the_batch_enters_claims_as_claim_enter_does_one_by_one():
    for year in (1983, 1984):
        PlanYearFactory(start_year=year)
    one_by_one = families("A")
    for claim in claims_of("A", *one_by_one):
        services.claim_enter(
            employee=claim.employee,
            patient=claim.patient,
            date_of_service=claim.date_of_service,
            provider=claim.provider,
            admin_claim_number=claim.admin_claim_number,
            billed=claim.billed,
            allowed=claim.allowed,
            received_on=claim.received_on,
            confirm_duplicate=True,
            source=Claim.Source.IMPORT,
        )
    batched = families("B")
    ids = claims_enter_many(claims=claims_of("B", *batched), source=Claim.Source.IMPORT)
    first = list(Claim.objects.filter(admin_claim_number__startswith="A-").order_by("id"))
    second = list(Claim.objects.filter(pk__in=ids).order_by("id"))
    assert observed(first) == observed(second)
    # Worked by hand: the FULL family's trust fund pays 250 + 180 + 70 = 500.00.
    assert [c.trust_fund_amount for c in second[:4]] == [
        D("250.00"),
        D("180.00"),
        D("70.00"),
        D("0.00"),
    ]
    assert second[3].duplicate_of_id == second[2].pk
    assert [c.status for c in second[4:6]] == ["denied", "denied"]
    assert [(c.employee_amount, c.carrier_amount) for c in second[6:]] == [
        (D("500.00"), D("150.00")),
        (D("0.00"), D("30.00")),
    ]
    for a, b in zip(one_by_one[::3], batched[::3], strict=True):
        year_a = FamilyYear.objects.get(employee=a, policy_year=1984)
        year_b = FamilyYear.objects.get(employee=b, policy_year=1984)
        assert (
            year_a.absorbed,
            year_a.trust_fund_paid,
            year_a.employee_paid,
            year_a.carrier_paid,
            year_a.claim_count,
        ) == (
            year_b.absorbed,
            year_b.trust_fund_paid,
            year_b.employee_paid,
            year_b.carrier_paid,
            year_b.claim_count,
        )
    # Every payment is a balanced ledger transaction naming the claim.
    paid = [c for c in second if c.payment_transaction_id]
    assert all(
        sum(
            p.amount
            for p in Posting.objects.filter(
                transaction_id=c.payment_transaction_id, direction="debit"
            )
        )
        == c.trust_fund_amount
        for c in paid
    )
    assert {c.payment_transaction.reference for c in paid} == {f"claim {c.pk}" for c in paid}


def test_a_bad_claim_refuses_the_whole_batch():
    PlanYearFactory(start_year=1984)
    full, spouse, late, part = families("C")
    claims = claims_of("C", full, spouse, late, part)[:3]
    bad = BatchClaim(full.pk, None, date(1984, 10, 18), "Dr. Ames", "C-9", "10.00", "20.00")
    with pytest.raises(ValidationError, match="Claim 4"):
        claims_enter_many(claims=[*claims, bad])
    assert not Claim.objects.exists() and not FamilyYear.objects.filter(claim_count__gt=0).exists()
