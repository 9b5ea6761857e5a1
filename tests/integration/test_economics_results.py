"""Results since inception (section 8) tie to the ledger year by year: on the demo that
lives today, every figure of each policy year of a demo employer, and of the pool, is
recomputed here from the postings with the ORM (sums of its own, not the code under
test), and the savings of the last completed year agree with the dashboard's table."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from accounts.models import Employer, PremiumSchedule
from accounts.rules import add_months, policy_year_end, policy_year_start
from reports import selectors as report_selectors
from reports.economics.selectors import results_since_inception
from vesting.models import Posting, VestingLine

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 2)
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def _signed(debit_positive: bool):
    """A posting's amount on the side asked for: debits positive (the plan's funds hold
    money on the debit side) or credits positive (what came from or went to a party)."""
    plus, minus = (F("amount"), -F("amount")) if debit_positive else (-F("amount"), F("amount"))
    return Case(When(direction="debit", then=plus), default=minus, output_field=MONEY)


def ledger_sum(employer_id, start, end, *, fund, kinds=None, debit_positive=True):
    """The postings of ``fund``'s accounts dated ``start``..``end`` (of ``kinds``, a
    reversal counting as the kind it reverses), for an employer or the pool."""
    postings = Posting.objects.filter(
        account__fund__kind=fund, effective_date__gte=start, effective_date__lte=end
    )
    if employer_id is not None:
        postings = postings.filter(account__fund__employer_id=employer_id)
    if kinds is not None:
        postings = postings.filter(
            Q(transaction__kind__in=kinds)
            | Q(transaction__kind="reversal", transaction__reverses__kind__in=kinds)
        )
    total = postings.aggregate(
        total=Coalesce(Sum(_signed(debit_positive)), Value(ZERO), output_field=MONEY)
    )["total"]
    return total


def full_tier_months(employer_id, start, end):
    """Each month's contributions over the month's FULL-tier trust-fund rate, rounded
    half-up, and those months times the major-medical rate (premiums)."""
    months, premiums = 0, ZERO
    month = start
    while month <= end:
        following = add_months(month, 1)
        month_end = min(following - timedelta(days=1), end)
        contributed = ledger_sum(
            employer_id, month, month_end, fund="employer_budget", debit_positive=False
        )
        schedule = (
            PremiumSchedule.objects.filter(
                plan_year__start_year=month.year if month.month >= 7 else month.year - 1,
                tier="full",
                effective_from__lte=month,
            )
            .order_by("-effective_from")
            .first()
        )
        if schedule is not None and contributed:
            rate = schedule.trust_fund_employer + schedule.trust_fund_employee
            count = int((contributed / rate).to_integral_value(rounding=ROUND_HALF_UP))
            months += count
            premiums += count * (schedule.major_medical_employer + schedule.major_medical_employee)
        month = following
    return months, premiums


def families_under(employer_id, year):
    lines = VestingLine.objects.filter(policy_year=year, full_year=True, allotment__gte=500)
    if employer_id is not None:
        lines = lines.filter(employee__employer_id=employer_id)
    return lines.count(), lines.filter(trust_fund_claims__lt=500).count()


def expected_year(employer_id, year, as_of):
    start, end = policy_year_start(year), min(policy_year_end(year), as_of)
    contributions = ledger_sum(
        employer_id, start, end, fund="employer_budget", debit_positive=False
    )
    claims = ledger_sum(
        employer_id, start, end, fund="general_trust", kinds=["claim_payment"], debit_positive=False
    )
    admin = ledger_sum(
        employer_id,
        start,
        end,
        fund="district",
        kinds=["administrative_expense"],
        debit_positive=False,
    )
    interest = ledger_sum(employer_id, start, end, fund="district", kinds=["interest"])
    vested = ledger_sum(
        employer_id, start, end, fund="vested_trust", kinds=["vesting_transfer", "runout_recovery"]
    )
    payouts = ledger_sum(
        employer_id,
        start,
        end,
        fund="vested_trust",
        kinds=["lump_sum_payout", "continuation_premium", "beneficiary_payment"],
        debit_positive=False,
    )
    to_district = ledger_sum(employer_id, start, end, fund="district", kinds=["unvested_transfer"])
    liability = ledger_sum(employer_id, date(1900, 1, 1), end, fund="vested_trust")
    months, premiums = full_tier_months(employer_id, start, end)
    return {
        "contributions": contributions,
        "claims": claims,
        "admin_costs": admin,
        "interest": interest,
        "vested": vested,
        "payouts": payouts,
        "to_district": to_district,
        "vested_liability": liability,
        "full_months": months,
        "carrier_premiums": premiums,
        # Savings worked out here: contributions - claims - costs + interest.
        "savings": contributions - claims - admin + interest,
    }


FIGURES = (
    "contributions",
    "claims",
    "admin_costs",
    "interest",
    "vested",
    "payouts",
    "to_district",
    "vested_liability",
    "full_months",
    "carrier_premiums",
    "savings",
)


def assert_ties(employer_id, data):
    assert data.years, "no results"
    for year in data.years:
        expected = expected_year(employer_id, year.policy_year, data.as_of)
        found = {name: getattr(year, name) for name in FIGURES}
        assert found == expected, year.label
        if year.complete:
            assert (year.families, year.families_under) == families_under(
                employer_id, year.policy_year
            ), year.label


def test_results_since_inception_tie_to_the_ledger_year_by_year():
    """R-FU3: every figure of every year, from the postings; R-VE2: families under."""
    moment = datetime(
        TODAY.year, TODAY.month, TODAY.day, 10, tzinfo=ZoneInfo("America/Los_Angeles")
    )
    with time_machine.travel(moment, tick=False):
        call_command("seed_demo")
        employer = Employer.objects.get(code="MCOE")
        data = results_since_inception(employer_id=employer.pk)
        assert data.as_of == TODAY
        # Ten years of history and the year to date.
        assert [y.label for y in data.years] == [
            f"{y}-{(y + 1) % 100:02d}" for y in range(2016, 2027)
        ]
        assert [y.complete for y in data.years] == [True] * 10 + [False]
        # The demo pays claims, vests, pays out and earns interest: none of it is zero.
        totals = data.results.totals
        for name in ("claims", "vested", "payouts", "interest", "admin_costs", "savings"):
            assert totals[name] > 0, name
        assert_ties(employer.pk, data)

        pool = results_since_inception()
        assert_ties(None, pool)
        # The pool is its employers added up.
        assert pool.results.totals["savings"] == sum(
            (item.results.totals["savings"] for item in pool.employers), ZERO
        )
        # The last completed year's savings are the dashboard's (one formula).
        dashboard = report_selectors.dashboard(employer_id=employer.pk)
        last = data.completed[-1]
        assert dashboard.savings is not None and dashboard.savings.policy_year == last.policy_year
        assert last.savings == dashboard.savings.savings
        assert last.full_coverage_cost == dashboard.savings.full_coverage_cost
