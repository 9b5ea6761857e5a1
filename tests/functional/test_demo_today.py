"""``seed_demo`` builds a plan that lives on the day it is loaded: the dashboard, the
employee's own page and statement, and the payroll export follow the clock (R-PY1), and
no fund is below zero without a warning that says why."""

from __future__ import annotations

import html
import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from vesting.ledger import selectors
from vesting.models import PLAN_FUNDS, MonthClose, Payout, VestingRun

pytestmark = pytest.mark.django_db

# A run on July 1 (the rollover's own day), in December, and on June 30 (the year's last).
DAYS = [date(2026, 7, 1), date(2026, 12, 2), date(2027, 6, 30)]
YEAR_LABELS = {
    date(2026, 7, 1): "2026-27",
    date(2026, 12, 2): "2026-27",
    date(2027, 6, 30): "2026-27",
}
LAST_MONTH_CLOSED = {
    date(2026, 7, 1): (2026, 6),
    date(2026, 12, 2): (2026, 11),
    date(2027, 6, 30): (2027, 5),
}


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _long(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


@pytest.mark.parametrize("today", DAYS, ids=[d.isoformat() for d in DAYS])
def test_the_demo_lives_on_the_day_it_is_loaded(today):
    from pypdf import PdfReader

    moment = datetime(
        today.year, today.month, today.day, 10, tzinfo=ZoneInfo("America/Los_Angeles")
    )
    with time_machine.travel(moment, tick=False):
        call_command("seed_demo")

        dashboard = _text(_client("superintendent").get("/dashboard/"))
        assert f"for every employer of the pool, as of {_long(today)}." in dashboard
        # Last July 1's rollover is done; ten years of history before this one.
        assert VestingRun.objects.filter(status="completed").count() == 10
        assert VestingRun.objects.order_by("-policy_year").first().label == "2025-26"

        employee = _client("employee")
        page = employee.get("/my/")
        mine = _text(page)
        assert f"Figures as of {_long(today)}." in mine
        assert f"My family's deductible, {YEAR_LABELS[today]}" in mine
        assert "has no premium schedule" not in mine
        history = page.content.decode()
        assert history.count("<td>Pending</td>") + history.count("<td>In progress</td>") == 1
        pdf = employee.get("/my/statement.pdf")
        assert pdf["Content-Disposition"].endswith(f'stay-well-statement-{today:%Y-%m-%d}.pdf"')
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        assert _long(today) in re.sub(r"\s+", " ", text)

        payroll = _client("payroll").get("/payroll/").content.decode()
        assert f'value="{today:%Y-%m}"' in payroll
        # Every employer's months are closed up to last month: this month is the next.
        last = {
            (c.year, c.month)
            for c in MonthClose.objects.order_by("employer_id", "-year", "-month").distinct(
                "employer_id"
            )
        }
        assert last == {LAST_MONTH_CLOSED[today]}

        # Payouts of this year's resignation are due and held (R-VE7); a retiree's
        # premiums are paid from the side account (R-VE8); a beneficiary was paid (R-VE10).
        assert Payout.objects.filter(kind="lump_sum", status="held").exists()
        assert Payout.objects.filter(kind="lump_sum", status="scheduled", due_on__lte=today)
        assert Payout.objects.filter(kind="continuation", status="paid").exists()
        assert Payout.objects.filter(kind="beneficiary", status="paid").exists()

        # No fund below zero without its warning.
        below = {
            (owner, kind)
            for owner, kinds in selectors.fund_balances_by_employer().items()
            for kind, value in kinds.items()
            if kind in PLAN_FUNDS and value < 0
        }
        warned = {(w.employer.pk, w.kind) for w in selectors.negative_fund_warnings()}
        assert warned == below
        assert ("below zero" in dashboard) == bool(below)
