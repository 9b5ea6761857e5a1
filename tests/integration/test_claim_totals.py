"""The claims list's totals per employer, policy year and status (``ClaimTotal``), kept by
the claim triggers: they follow an entry, a void, an adjustment, a file's batch and raw
SQL; ``ledger_check`` finds a total that no longer matches its claims; and the list reads
them instead of summing the claims."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import services
from claims.models import ClaimTotal
from claims.selectors import ClaimFilters, claim_totals, claim_totals_check
from claims.services.batch import BatchClaim, claims_enter_many
from tests.factories import claims_family, enter_claim

pytestmark = pytest.mark.django_db

D = Decimal
FIELDS = ("count", "billed", "allowed", "trust_fund_amount", "employee_amount", "carrier_amount")


def totals(employer_id: int) -> dict[tuple[int, str], tuple]:
    """``{(policy year, status): (count, billed, allowed, trust fund, employee, carrier)}``"""
    return {
        (row.policy_year, row.status): tuple(getattr(row, f) for f in FIELDS)
        for row in ClaimTotal.objects.filter(employer_id=employer_id)
        if row.count or any(getattr(row, f) for f in FIELDS[1:])
    }


def test_totals_follow_entry_void_and_adjustment():
    employee, _, _ = claims_family()
    employer = employee.employer_id
    first = enter_claim(employee, D("300.00"), billed=D("350.00"), number="T-1")
    # 300 absorbed; of 250, 200 trust fund and 50 carrier (R-CL3, FULL tier).
    second = enter_claim(employee, D("250.00"), number="T-2", provider="Dr. Ames")
    enter_claim(employee, D("40.00"), number="T-3", date_of_service=date(1985, 8, 1))
    assert totals(employer) == {
        (1984, "paid"): (2, D("600.00"), D("550.00"), D("500.00"), D("0.00"), D("50.00")),
        (1985, "paid"): (1, D("40.00"), D("40.00"), D("40.00"), D("0.00"), D("0.00")),
    }

    # The void moves the first claim to "voided"; the second is re-split: 250 trust fund.
    services.claim_void(claim=first, reason="Billed twice")
    assert totals(employer) == {
        (1984, "paid"): (1, D("250.00"), D("250.00"), D("250.00"), D("0.00"), D("0.00")),
        (1984, "voided"): (1, D("350.00"), D("300.00"), D("0.00"), D("0.00"), D("0.00")),
        (1985, "paid"): (1, D("40.00"), D("40.00"), D("40.00"), D("0.00"), D("0.00")),
    }

    services.claim_adjust(claim=second, allowed=D("200.00"), reason="Appeal")
    assert totals(employer)[(1984, "paid")] == (
        1,
        D("250.00"),
        D("200.00"),
        D("200.00"),
        D("0.00"),
        D("0.00"),
    )
    assert claim_totals_check() == []


def test_totals_follow_a_files_batch_and_raw_sql():
    employee, spouse, _ = claims_family()
    employer = employee.employer_id
    claims_enter_many(
        claims=[
            BatchClaim(
                employee=employee.pk,
                patient=None if n % 2 else spouse.pk,
                date_of_service=date(1984, 10, 1 + n),
                provider="Mendocino Pharmacy",
                admin_claim_number=f"B-{n}",
                billed=D("100.00"),
                allowed=D("100.00"),
                received_on=date(1984, 11, 1),
            )
            for n in range(7)
        ]
    )
    # 500 of 700 from the trust fund, then the carrier.
    assert totals(employer) == {
        (1984, "paid"): (7, D("700.00"), D("700.00"), D("500.00"), D("0.00"), D("200.00")),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_claim SET provider = 'Mendocino Pharmacy Inc.' WHERE employer_id = %s",
            [employer],
        )  # moves nothing between totals
        cursor.execute(
            "UPDATE claims_claim SET policy_year = 1983 WHERE admin_claim_number = 'B-0'"
        )
    assert totals(employer) == {
        (1983, "paid"): (1, D("100.00"), D("100.00"), D("100.00"), D("0.00"), D("0.00")),
        (1984, "paid"): (6, D("600.00"), D("600.00"), D("400.00"), D("0.00"), D("200.00")),
    }
    assert claim_totals_check() == []


def test_ledger_check_finds_a_total_that_differs_from_its_claims():
    employee, _, _ = claims_family()
    enter_claim(employee, D("120.00"), number="C-1")
    call_command("ledger_check")  # agrees
    ClaimTotal.objects.filter(employer_id=employee.employer_id).update(count=2)
    assert claim_totals_check() == [
        f"claim total: {employee.employer_id}, 1984, paid, 1, 2, 120.00, 120.00"
    ]
    with pytest.raises(CommandError, match="1 ledger disagreement"):
        call_command("ledger_check")


def test_the_unfiltered_list_reads_the_totals_not_the_claims(
    superintendent_client, superintendent_user
):
    employee, _, _ = claims_family()
    other, _, _ = claims_family(first_name="Ana", last_name="Rivera")
    enter_claim(employee, D("300.00"), number="L-1")
    enter_claim(other, D("80.00"), number="L-2", date_of_service=date(1985, 9, 1))
    with CaptureQueriesContext(connection) as queries:
        html = superintendent_client.get("/claims/").content.decode()
    assert "Totals of the 2 claims found" in re.sub(r"\s+", " ", html)
    assert '<td class="sw-money">380.00</td>' in html
    summed = [q["sql"] for q in queries if "SUM(" in q["sql"].upper()]
    assert summed and all('FROM "claims_claimtotal"' in sql for sql in summed)

    # Filtered by year and employer the totals agree with the claims' own sums.
    for filters in (
        ClaimFilters(policy_year=1985),
        ClaimFilters(employer_id=employee.employer_id, status="paid"),
        ClaimFilters(),
    ):
        from_totals = claim_totals(superintendent_user, filters)
        # A date filter takes the list's own aggregate over the claims.
        summed_up = claim_totals(superintendent_user, replace(filters, date_from=date(1900, 1, 1)))
        assert from_totals == summed_up
