"""The demo administrator sets up a plan year with its premium schedule and a user with
a role, in the app's own pages; the new user logs in.

Real Chromium: invalid values show inline errors and save nothing; axe finds no WCAG
2.1 AA violation on the forms (with and without errors) and the pages they lead to.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from accounts.models import PlanYear, PremiumSchedule
from reports.management.commands.seed_demo import DEMO_PASSWORD, seed_users
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _plan_year(page, base: str, axe_violations) -> None:
    page.goto(f"{base}/administration/")
    page.get_by_role("link", name="Plan years, their settings and premium schedules").click()
    page.get_by_role("link", name="New plan year").click()
    page.locator("#id_start_year").fill("1986")
    page.locator("#id_deductible").fill("-500")
    page.locator("#id_maximum_vest").fill("-1")
    page.locator("#id_grandfathered_employer_share").fill("7")
    page.get_by_role("button", name="Save the plan year").click()
    page.wait_for_load_state("networkidle")
    summary = page.locator("#error-summary")
    assert "nothing was saved" in summary.inner_text()
    assert page.locator("#id_deductible-error").inner_text() == "The amount cannot be negative."
    assert (
        "fraction from 0 to 1"
        in page.locator("#id_grandfathered_employer_share-error").inner_text()
    )
    assert summary.evaluate("element => element === document.activeElement")
    assert axe_violations(page) == []
    assert not PlanYear.objects.filter(start_year=1986).exists()

    page.locator("#id_deductible").fill("500.00")
    page.locator("#id_maximum_vest").fill("500.00")
    page.locator("#id_grandfathered_employer_share").fill("0.5")
    page.get_by_role("button", name="Save the plan year").click()
    page.wait_for_url("**/administration/plan-years/1986-87/")
    assert page.get_by_role("heading", level=1).inner_text() == "Plan year 1986-87"
    assert "Plan year 1986-87 saved." in page.locator(".sw-messages").inner_text()
    assert axe_violations(page) == []


def _schedule(page, base: str, axe_violations, screenshot) -> None:
    page.get_by_role("link", name="Set the premium schedule").click()
    page.locator("#id_effective_from").fill("1986-07")
    rates = {
        "full-major_medical_employer": "141.30",
        "full-trust_fund_employer": "41.67",
        "full-dental_employer": "34.005",  # three decimals: refused
        "three_quarter-major_medical_employer": "141.30",
        "three_quarter-dental_employer": "25.50",
        "three_quarter-dental_employee": "8.50",
        "self_pay-major_medical_employee": "141.30",
        "self_pay-dental_employee": "34.00",
    }
    for name, value in rates.items():
        page.locator(f"#id_{name}").fill(value)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save the schedule").click()
    page.wait_for_load_state("networkidle")
    assert "at most two decimals" in page.locator("#id_full-dental_employer-error").inner_text()
    screenshot(page, "administration-schedule-errors")
    assert axe_violations(page) == []
    assert not PremiumSchedule.objects.filter(plan_year__start_year=1986).exists()

    page.locator("#id_full-dental_employer").fill("34.00")
    page.get_by_role("button", name="Save the schedule").click()
    page.wait_for_url("**/administration/plan-years/1986-87/")
    table = page.get_by_role("table", name="From July 1986 (the year's schedule)")
    full = table.get_by_role("row").filter(has_text="Full")
    # Totals are computed: 141.30 + 41.67 + 34.00 for the employer.
    assert full.locator("td").nth(6).inner_text() == "216.97"
    assert full.locator("td").nth(7).inner_text() == "0.00"
    assert axe_violations(page) == []


def _user(page, base: str, axe_violations) -> None:
    page.goto(f"{base}/administration/")
    page.get_by_role("link", name="Users and their roles").click()
    page.get_by_role("link", name="New user").click()
    page.locator("#id_username").fill("rcole")
    page.locator("#id_first_name").fill("Rita")
    page.locator("#id_last_name").fill("Cole")
    page.locator("label[for=id_role_2]").click()  # USWDS draws the radio on its label
    assert page.get_by_role("radio", name="Payroll").is_checked()
    page.locator("#id_password1").fill("1234")
    page.locator("#id_password2").fill("1234")
    page.get_by_role("button", name="Create the user").click()
    page.wait_for_load_state("networkidle")
    assert "too short" in page.locator("#id_password1-error").inner_text()
    assert axe_violations(page) == []
    assert not User.objects.filter(username="rcole").exists()

    page.locator("#id_password1").fill("payroll-of-1986")
    page.locator("#id_password2").fill("payroll-of-1986")
    page.get_by_role("button", name="Create the user").click()
    page.wait_for_url("**/administration/users/")
    row = page.get_by_role("row").filter(has_text="rcole")
    assert "Payroll" in row.inner_text()
    assert axe_violations(page) == []


def test_administrator_sets_up_a_year_and_a_user_who_logs_in(
    live_server, page, browser, screenshot, axe_violations
):
    seed_users()
    base = live_server.url
    login(page, base, "administrator", DEMO_PASSWORD)
    _plan_year(page, base, axe_violations)
    _schedule(page, base, axe_violations, screenshot)
    screenshot(page, "administration-plan-year")
    _user(page, base, axe_violations)
    screenshot(page, "administration-users")
    assert PlanYear.objects.get(start_year=1986).deductible == Decimal("500.00")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    newcomer = context.new_page()
    login(newcomer, base, "rcole", "payroll-of-1986")
    assert newcomer.url == f"{base}/payroll/"
    assert newcomer.get_by_text("Log out rcole").is_visible()
    context.close()
