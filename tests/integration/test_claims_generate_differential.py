"""generate_claims' set-based split SQL against ``claims.rules``, on random claim sequences.

``claims.rules`` is the specification of the split; the SQL of
``claims/management/commands/generate_claims.py`` is what runs at scale. Hypothesis
generates random sequences of claims for three families over two policy years (amounts
with cents, small ones that stay under the deductible and large ones that cross it,
several per family per year, every tier, days without coverage), puts them in the
``gen_claims`` table the command's first step fills, and runs the command's own
``insert_generated_claims`` (the split SQL, the family years, the claims). Every claim's
split and status, and each family year's totals, must be what the rules decide, to the
cent:

- R-CL1: one deductible per family per policy year: claims of another family or of the
  other policy year never use it up; the family year's absorbed total is
  ``family_absorbed`` of its splits.
- R-CL2: only the allowed amount counts (the billed amount is a markup of it).
- R-CL3: FULL tier: the trust fund pays until the deductible is absorbed, the carrier the
  rest; the other tiers: the employee pays up to the deductible, the carrier the rest;
  absorbed counts both (``split_claim``).
- R-CL4: a day without coverage (tier none): denied, nothing paid, deductible untouched.
- R-CL5: the claims of a family year are split in entry order (claim id), as
  ``resplit_family_year`` splits them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.rules import Tier
from claims.management.commands.generate_claims import insert_generated_claims
from claims.models import Claim, FamilyYear
from claims.rules import (
    NO_COVERAGE_REASON,
    ClaimInput,
    family_absorbed,
    resplit_family_year,
)
from tests.factories import EmployeeFactory, EmployerFactory, PlanYearFactory

pytestmark = pytest.mark.django_db

D = Decimal
YEARS = (1984, 1985)
DEDUCTIBLE = D("500.00")  # R-CL1, the plan years' deductible here

# The columns of gen_claims as the command's first step (_GENERATE) creates them.
_GEN_CLAIMS = """
CREATE TEMP TABLE gen_claims (
    id bigint, employee_id bigint, employer_id bigint, hire_date date, policy_year int,
    deductible numeric(14, 2), n int, day date, allowed numeric, provider_index int,
    markup numeric, tier varchar(20)
) ON COMMIT DROP
"""

cents = st.one_of(
    st.integers(min_value=1, max_value=25_000),  # up to 250.00: stays under, a few add up
    st.integers(min_value=25_001, max_value=150_000),  # up to 1,500.00: crosses it
).map(lambda c: D(c) / 100)
# FULL (trust-funded) most often; the employee-paid tiers; a day without coverage.
tiers = st.sampled_from(
    (
        Tier.FULL,
        Tier.FULL,
        Tier.FULL,
        Tier.THREE_QUARTER,
        Tier.SELF_PAY,
        Tier.GRANDFATHERED,
        Tier.NONE,
    )
)
claim = st.tuples(
    st.integers(min_value=0, max_value=2),  # the family
    st.sampled_from(YEARS),  # the policy year
    st.integers(min_value=0, max_value=364),  # day of the policy year
    cents,  # allowed
    tiers,  # tier on the date of service
    st.integers(min_value=1, max_value=12),  # provider
)
claim_sequences = st.lists(claim, min_size=1, max_size=30)


@pytest.fixture
def families():
    for year in YEARS:
        PlanYearFactory(start_year=year, deductible=DEDUCTIBLE)
    employers = [EmployerFactory(code="DIFA"), EmployerFactory(code="DIFB")]
    return [
        EmployeeFactory(employer=employers[0], hire_date=date(1980, 7, 1)),
        EmployeeFactory(employer=employers[0], hire_date=date(1981, 7, 1)),
        EmployeeFactory(employer=employers[1], hire_date=date(1982, 7, 1)),
    ]


def fill_gen_claims(families, sequence) -> list[int]:
    """The claims into gen_claims in the order given (= entry order: ascending ids)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('claims_claim', 'id')) "
            "FROM generate_series(1, %s)",
            [len(sequence)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(_GEN_CLAIMS)
        for n, (claim_id, (family, year, offset, allowed, tier, provider)) in enumerate(
            zip(ids, sequence, strict=True)
        ):
            employee = families[family]
            cursor.execute(
                "INSERT INTO gen_claims VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    claim_id,
                    employee.pk,
                    employee.employer_id,
                    employee.hire_date,
                    year,
                    DEDUCTIBLE,
                    n,
                    date(year, 7, 1) + timedelta(days=offset),
                    allowed,
                    provider,
                    D("0.25"),
                    tier.value,
                ],
            )
    return ids


def expected_splits(families, sequence, ids):
    """The rules' split of every claim, family year by family year in entry order."""
    by_family_year = defaultdict(list)
    for claim_id, (family, year, _, allowed, tier, _) in zip(ids, sequence, strict=True):
        by_family_year[(families[family].pk, year)].append(ClaimInput(claim_id, allowed, tier))
    splits = {}
    for key, inputs in by_family_year.items():
        splits[key] = dict(
            zip(
                [c.claim_id for c in inputs],
                resplit_family_year(inputs, DEDUCTIBLE),
                strict=True,
            )
        )
    return splits


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=claim_sequences)
def test_R_CL1_to_R_CL5_generate_claims_sql_splits_random_claims_as_the_rules_do(
    families, sequence
):
    with transaction.atomic():
        ids = fill_gen_claims(families, sequence)
        count, payments = insert_generated_claims(now=timezone.now())
        assert count == len(sequence)
        expected = expected_splits(families, sequence, ids)

        claims = {c.pk: c for c in Claim.objects.filter(pk__in=ids)}
        assert sorted(claims) == ids
        for (employee_id, year), splits in expected.items():
            for claim_id, split in splits.items():
                row = claims[claim_id]
                assert (row.employee_id, row.policy_year) == (employee_id, year)
                assert (row.trust_fund_amount, row.employee_amount, row.carrier_amount) == (
                    split.trust_fund,
                    split.employee,
                    split.carrier,
                ), f"claim {claim_id} ({row.tier}, allowed {row.allowed})"
                assert row.status == ("denied" if split.denied else "paid")
                assert row.denied_reason == (NO_COVERAGE_REASON if split.denied else "")
                assert (row.forwarded_at is not None) == (split.carrier > 0)
            family = FamilyYear.objects.get(employee_id=employee_id, policy_year=year)
            values = list(splits.values())
            assert family.absorbed == family_absorbed(values)  # R-CL1
            assert family.absorbed <= DEDUCTIBLE
            assert (family.trust_fund_paid, family.employee_paid, family.carrier_paid) == (
                sum((s.trust_fund for s in values), D("0")),
                sum((s.employee for s in values), D("0")),
                sum((s.carrier for s in values), D("0")),
            )
            assert family.claim_count == len(values)
        # The trust-fund payments to make: exactly the claims the rules give a share to.
        assert [(p.claim_id, p.amount) for p in payments] == sorted(
            (claim_id, split.trust_fund)
            for splits in expected.values()
            for claim_id, split in splits.items()
            if split.trust_fund > 0
        )
        transaction.set_rollback(True)
