"""A plan fund below zero is shown with a warning that says why, worked out from its
entries (R-FU1, R-FU3): on the dashboard and the ledger's fund pages."""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import EmployerFactory
from vesting import ledger
from vesting.ledger import selectors
from vesting.models import Fund, MonthClose

pytestmark = pytest.mark.django_db

D = Decimal
NOON = datetime(1985, 12, 10, 12, tzinfo=ZoneInfo("America/Los_Angeles"))


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def claims_ahead():
    """November 1985 closed (contributions 400.00); on December 10 claims of 650.00 were
    paid, December not yet closed: the trust fund is 250.00 below zero."""
    employer = EmployerFactory(name="Little River Elementary")
    ledger.post_employer_contribution(employer=employer, year=1985, month=11, amount=D("400.00"))
    MonthClose.objects.create(employer=employer, year=1985, month=11, employer_amount=D("400.00"))
    for amount in ("250.00", "400.00"):
        ledger.post_claim_payment(
            employer=employer, amount=D(amount), effective_date=date(1985, 12, 10)
        )
    return employer


@pytest.fixture
def expenses_over_interest():
    """A district account that paid 300.00 of expenses against 120.00 of interest."""
    employer = EmployerFactory(name="Albion Union School District")
    ledger.post_interest(
        employer=employer,
        amount=D("120.00"),
        period_start=date(1985, 7, 1),
        period_end=date(1985, 9, 30),
        earned_by="vested_trust",
        today=date(1985, 12, 10),
    )
    ledger.post_administrative_expense(
        employer=employer,
        amount=D("300.00"),
        period_start=date(1985, 7, 1),
        period_end=date(1985, 9, 30),
        description="Claims administration",
        today=date(1985, 12, 10),
    )
    return employer


CLAIMS_AHEAD = (
    "Little River Elementary, General Deductible Trust Fund: -250.00. Claims paid in "
    "December 1985 (650.00) are ahead of the month's contributions: December is not closed "
    "yet, and closing it posts them."
)
EXPENSES = (
    "Albion Union School District, District account: -180.00. More has gone out "
    "(administrative expenses 300.00) than has come in (interest earned 120.00)."
)


@time_machine.travel(NOON, tick=False)
def test_the_dashboard_says_why_a_fund_is_below_zero(
    superintendent_client, claims_ahead, expenses_over_interest
):
    text = _text(superintendent_client.get("/dashboard/"))
    assert "2 funds are below zero" in text
    assert CLAIMS_AHEAD in text
    assert EXPENSES in text
    one = _text(superintendent_client.get(f"/dashboard/?employer={claims_ahead.pk}"))
    assert "A fund is below zero" in one and CLAIMS_AHEAD in one and EXPENSES not in one


@time_machine.travel(NOON, tick=False)
def test_the_fund_pages_say_why_a_fund_is_below_zero(
    clerk_client, claims_ahead, expenses_over_interest
):
    text = _text(clerk_client.get("/funds/"))
    assert CLAIMS_AHEAD in text and EXPENSES in text
    trust = Fund.objects.get(employer=claims_ahead, kind="general_trust")
    assert CLAIMS_AHEAD in _text(clerk_client.get(f"/funds/{trust.pk}/"))
    vested = Fund.objects.get(employer=claims_ahead, kind="vested_trust")
    assert "below zero" not in _text(clerk_client.get(f"/funds/{vested.pk}/"))
    # On a day before the claims were paid the fund was not below zero: no warning.
    early = _text(clerk_client.get(f"/funds/?employer={claims_ahead.pk}&as_of=1985-12-01"))
    assert "below zero" not in early


@time_machine.travel(NOON, tick=False)
def test_claims_beyond_a_closed_months_contributions_are_named_as_such(claims_ahead):
    ledger.post_employer_contribution(employer=claims_ahead, year=1985, month=12, amount=D("100"))
    MonthClose.objects.create(employer=claims_ahead, year=1985, month=12, employer_amount=D("100"))
    [warning] = selectors.negative_fund_warnings(employer_id=claims_ahead.pk)
    assert (warning.fund_name, warning.balance) == ("General Deductible Trust Fund", D("-150.00"))
    assert warning.reason == (
        "Claims paid in December 1985 (650.00) are more than the month's contributions "
        "(100.00) and the balance it began with (400.00)."
    )


def test_no_fund_below_zero_no_warning(superintendent_client):
    employer = EmployerFactory()
    ledger.post_employer_contribution(employer=employer, year=1985, month=11, amount=D("400.00"))
    ledger.post_claim_payment(
        employer=employer, amount=D("400.00"), effective_date=date(1985, 11, 5)
    )
    assert selectors.negative_fund_warnings() == []
    assert "below zero" not in _text(superintendent_client.get("/dashboard/"))


def test_the_reason_counts_the_months_entries_up_to_the_day_asked(claims_ahead):
    """A claim paid later in December is left out of a warning as of December 10 (the
    month's postings are read) and counted in one as of December 20 (the month totals)."""
    ledger.post_claim_payment(
        employer=claims_ahead, amount=D("100.00"), effective_date=date(1985, 12, 20)
    )
    [tenth] = selectors.negative_fund_warnings(
        employer_id=claims_ahead.pk, as_of=date(1985, 12, 10)
    )
    assert (tenth.balance, tenth.reason) == (D("-250.00"), CLAIMS_AHEAD.split("-250.00. ")[1])
    [twentieth] = selectors.negative_fund_warnings(
        employer_id=claims_ahead.pk, as_of=date(1985, 12, 20)
    )
    assert twentieth.balance == D("-350.00")
    assert twentieth.reason.startswith("Claims paid in December 1985 (750.00) are ahead")
