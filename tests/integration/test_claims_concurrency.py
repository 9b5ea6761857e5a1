"""Two (here: twelve) clerks saving claims for the same family at the same moment can never
make the trust fund pay more than the deductible for that family and year (R-CL1, R-CL3).

Each thread has its own database connection (closed at its end) and enters its claim in
its own transaction; the family-year row lock serializes them.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from claims.models import Claim, FamilyYear
from tests.factories import claims_family, enter_claim
from vesting.models import Posting

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
THREADS = 12


def _run(work) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            work(number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_R_CL3_concurrent_claims_of_one_family_never_pay_more_than_the_deductible():
    employee, spouse, child = claims_family()
    patients = [None, spouse, child]

    def enter(number: int) -> None:
        enter_claim(
            employee,
            D("120.00"),
            number=f"RACE-{number}",
            patient=patients[number % 3],
            date_of_service=date(1984, 9, 1 + number),
        )

    assert _run(enter) == []

    claims = list(Claim.objects.filter(employee=employee).order_by("id"))
    assert len(claims) == THREADS
    # 12 x 120.00 = 1,440.00 allowed: the trust fund pays exactly 500.00, the carrier 940.00.
    assert sum(c.trust_fund_amount for c in claims) == D("500.00")
    assert sum(c.carrier_amount for c in claims) == D("940.00")
    # In processing order: four claims of 120.00, one of 20.00 + 100.00 carrier, the rest carrier.
    assert [c.trust_fund_amount for c in claims] == [D("120.00")] * 4 + [D("20.00")] + [
        D("0.00")
    ] * 7
    paid = sum(
        p.amount
        for p in Posting.objects.filter(
            transaction__employee=employee, account__fund__kind="general_trust"
        )
    )
    assert paid == D("500.00")
    family_year = FamilyYear.objects.get(employee=employee, policy_year=1984)
    assert (family_year.trust_fund_paid, family_year.claim_count) == (D("500.00"), THREADS)
