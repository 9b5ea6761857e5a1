"""A clerk finds an employee by typing, opens the page and reads the timeline.

Real Chromium: the search-as-you-type swaps the results without a page load, the URL
follows the search, and axe finds no WCAG 2.1 AA violation on the list, the employee
page and a form showing its errors.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts import services
from tests.e2e.conftest import login
from tests.factories import (
    BeneficiaryDesignationFactory,
    DependentFactory,
    EmployerFactory,
    ProgramFactory,
    UserFactory,
    hire,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
DASH = "\u2013"  # the grid's "not covered" (an en dash)


@pytest.fixture
def members(transactional_db):
    program = ProgramFactory(
        employer=EmployerFactory(code="MCOE", name="Mendocino County Office of Education"),
        code="0100",
        name="General administration",
    )
    ana = hire(
        program=program,
        number="1234",
        last_name="Rivera",
        first_name="Ana",
        hire_date=date(1983, 8, 11),
        birth_date=date(1951, 4, 2),
    )
    change = services.employee_change_hours(
        employee=ana, effective_date=date(1984, 1, 15), weekly_hours=Decimal("25")
    )
    services.continuation_elect(employee=ana, reduction_id=change.pk, elected_on=date(1984, 1, 20))
    DependentFactory(employee=ana, first_name="Luz", last_name="Rivera")
    for index, last in enumerate(["Rivers", "Riviera", "Lee", "Moss", "Oak", "Reyes"]):
        hire(program=program, number=f"20{index}", last_name=last, first_name="Pat")
    BeneficiaryDesignationFactory(employee=ana, name="Luz Rivera", relationship="daughter")
    UserFactory(username="clerk-e2e", role="clerk")
    return ana


def test_clerk_finds_an_employee_by_typing_and_reads_the_timeline(
    members, live_server, page, screenshot, axe_violations
):
    login(page, live_server.url, "clerk-e2e", PASSWORD)
    page.goto(f"{live_server.url}/employees/")
    assert page.get_by_role("heading", level=1).inner_text() == "Employees"
    search = page.get_by_label("Search by name or employee number")
    assert search.evaluate("element => element === document.activeElement")  # autofocus
    assert axe_violations(page) == []
    screenshot(page, "members-list")

    page.keyboard.type("rivera")  # the focus is already in the box
    page.wait_for_url("**/employees/?*q=rivera*")
    results = page.locator("#employee-results tbody tr")
    results.first.wait_for()
    expect(page.locator("#employee-results tbody tr")).to_have_count(1)
    assert page.locator("#result-count").inner_text() == "1 employee matches."
    assert results.first.locator("th a").inner_text() == "Rivera, Ana"
    assert axe_violations(page) == []

    results.first.locator("th a").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Ana Rivera"
    grid = page.locator("table.sw-grid")
    first_year = grid.locator("tbody tr").first
    assert first_year.locator("th").inner_text() == "1983-84"
    cells = first_year.locator("td span[aria-hidden=true]").all_inner_texts()
    # R-EL6: hired August 11 -> covered from October 1; R-EL8: continued from February.
    assert cells == ["", "", DASH, "F", "F", "F", "F", "FE", "FE", "FE", "FE", "FE"]
    assert "Three-quarter" in grid.locator("tbody tr").nth(1).locator("td").first.inner_text()
    page.get_by_label("Month", exact=True).fill("1983-10")
    page.get_by_role("button", name="Show premiums").click()
    page.locator("#premium-lines").get_by_text("Premium lines for October 1983").wait_for()
    assert "205.60" in page.locator("#premium-lines tfoot").inner_text()
    screenshot(page, "members-employee")
    assert axe_violations(page) == []


def test_a_refused_form_is_accessible_and_says_what_to_fix(
    members, live_server, page, axe_violations, screenshot
):
    login(page, live_server.url, "clerk-e2e", PASSWORD)
    page.goto(f"{live_server.url}/employees/{members.pk}/overrides/add/")
    page.get_by_label("First overridden day").fill("1983-09-01")
    page.get_by_label("Tier in force").select_option("full")
    page.get_by_role("button", name="Save the override").click()
    page.wait_for_load_state("networkidle")
    summary = page.locator("#error-summary")
    assert summary.evaluate("element => element === document.activeElement")
    assert (
        "Give the reason for the override (R-EL10)."
        in page.locator("#id_reason-error").inner_text()
    )
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_reason"
    screenshot(page, "members-override-error")
    assert axe_violations(page) == []
