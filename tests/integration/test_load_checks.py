"""The checks that end ``bench/load_day.py`` (the working day under load) catch what they
are there for: a claim the app said it saved that is not in the database, one saved
twice or without an answer, a void that did not happen, a family's trust-fund total above
the deductible or apart from its claims. The load itself is never run by the tests."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import PlanYear
from claims import services
from claims.models import Claim
from tests.factories import claims_family, enter_claim

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import load_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    employee, _spouse, _child = claims_family()
    return employee


def _said(claim: Claim) -> dict:
    return {"id": claim.pk, "number": claim.admin_claim_number, "employee": claim.employee_id}


def test_every_claim_said_saved_found_once_passes(family):
    first = enter_claim(family, Decimal("120.00"), number="LOADT-a-1")
    second = enter_claim(family, Decimal("80.00"), number="LOADT-a-2")
    services.claim_void(claim=second, reason="Wrong family", voided_by=None)
    enter_claim(family, Decimal("50.00"), number="OTHER-1")  # not the run's tag: not looked at

    assert load_day.check_claims("LOADT", [_said(first), _said(second)], [second.pk]) == []


def test_a_claim_said_saved_but_missing_is_reported_lost(family):
    claim = enter_claim(family, Decimal("120.00"), number="LOADT-a-1")
    ghost = {"id": claim.pk + 1000, "number": "LOADT-a-2", "employee": family.pk}

    problems = load_day.check_claims("LOADT", [_said(claim), ghost], [])

    assert problems == ["1 claim(s) saved but not in the database: " + repr([ghost])]


def test_a_claim_in_the_database_without_an_answer_is_reported(family):
    said = enter_claim(family, Decimal("120.00"), number="LOADT-a-1")
    enter_claim(family, Decimal("60.00"), number="LOADT-a-2")

    problems = load_day.check_claims("LOADT", [_said(said)], [])

    assert problems == [
        "1 claim(s) in the database without the app saying so (an answer lost): ['LOADT-a-2']"
    ]


def test_a_number_saved_twice_and_a_void_not_done_are_reported(family):
    first = enter_claim(family, Decimal("120.00"), number="LOADT-a-1")
    again = enter_claim(family, Decimal("30.00"), number="LOADT-a-1", confirm_duplicate=True)

    problems = load_day.check_claims("LOADT", [_said(first), _said(again)], [first.pk])

    assert problems == [
        "1 claim(s) in the database more than once: ['LOADT-a-1']",
        f"1 claim(s) said voided but not voided: [{first.pk}]",
    ]


def test_family_totals_within_the_deductible_pass_and_a_total_above_it_is_reported(family):
    enter_claim(family, Decimal("450.00"))
    enter_claim(family, Decimal("300.00"))  # the trust fund pays $50 of it: $500 in all
    assert load_day.check_families() == []

    # The database refuses a family-year above its own deductible; a plan year's deductible
    # lowered behind the services' back is what the check is left to find.
    PlanYear.objects.filter(start_year=1984).update(deductible=Decimal("400.00"))

    assert load_day.check_families() == ["1 family-year(s) above the deductible"]


def test_figures_give_each_kind_its_p95(capsys):
    records = [["page: my account", float(ms), "200"] for ms in range(1, 101)]
    records += [["claim POST: save (entry screen)", 20.0, "200"]] * 10
    records += [["page: dashboard (pool)", 30.0, "500"]]

    p95s = load_day.figures(records, seconds=10.0)

    assert round(p95s["page"], 2) == 95.0
    assert p95s["claim POST"] == 20.0
    assert "500: 1 x page: dashboard (pool)" in capsys.readouterr().out
