"""A clerk enters three claims for one family in a real browser.

Real Chromium: find the family by typing, choose it with the keyboard, type three claims
(the third crosses the $500 deductible: R-CL3), see the split before and after saving,
and see the General Deductible Trust Fund balance drop by what the trust fund paid.
axe finds no WCAG 2.1 AA violation on the entry page.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from claims.models import Claim
from tests.e2e.conftest import login
from tests.factories import EmployerFactory, ProgramFactory, UserFactory, claims_family
from vesting import ledger

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


@pytest.fixture
def family(transactional_db):
    employer = EmployerFactory(code="MCOE", name="Mendocino County Office of Education")
    employee, _spouse, _child = claims_family(
        program=ProgramFactory(employer=employer, code="6500", name="Special education"),
        number="1001",
    )
    ledger.post_employer_contribution(
        employer=employer, year=1984, month=10, amount=Decimal("1000.00")
    )
    UserFactory(username="clerk-e2e", role="clerk")
    return employer, employee


def general_trust_on_fund_page(page, base_url: str, employer) -> str:
    page.goto(f"{base_url}/funds/?employer={employer.pk}")
    row = page.locator("table tbody tr", has=page.get_by_role("rowheader", name=employer.name))
    return row.locator("td").first.inner_text().strip()


def type_claim(page, *, day: str, number: str, provider: str, billed: str, allowed: str) -> None:
    """Type a claim the way a clerk does: the focus starts in the date, Tab between fields."""
    keyboard = page.keyboard
    keyboard.type(day)
    keyboard.press("Tab")
    keyboard.type(number)
    keyboard.press("Tab")
    keyboard.type(provider)
    keyboard.press("Tab")
    keyboard.type(billed)
    keyboard.press("Tab")
    keyboard.type(allowed)


def choose_family(page, base_url: str, employee, axe_violations) -> None:
    """On the entry page, find the family by typing and choose it with the keyboard."""
    page.goto(f"{base_url}/claims/enter/")
    search = page.get_by_label("Employee (policyholder): name or employee number")
    assert search.evaluate("element => element === document.activeElement")
    assert axe_violations(page) == []
    page.keyboard.type("castillo")
    page.locator("#employee-options a.sw-employee-option").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/claims/enter/?employee={employee.pk}")
    assert page.locator("#family-name").inner_text() == "Castillo, Linda"
    assert page.locator("#id_patient").evaluate("element => element === document.activeElement")


def type_first_claim(page, number: str) -> None:
    """Claim 1 typed, not yet saved: the employee, 200.00 allowed, all from the trust fund."""
    page.keyboard.press("Tab")
    type_claim(
        page,
        day="10/15/1984",
        number=number,
        provider="Ukiah Valley Medical Center",
        billed="240.00",
        allowed="200.00",
    )
    expect(page.locator("#split-trust-fund")).to_have_text("$200.00")


def save_first_claim(page) -> None:
    """Enter saves it: the trust fund pays all 200.00."""
    page.keyboard.press("Enter")
    saved = page.locator("#saved-claim")
    saved.wait_for()
    assert "trust fund $200.00, employee $0.00, carrier $0.00" in saved.inner_text()


def enter_first_claim(page) -> None:
    """Claim 1: the employee, 200.00 allowed, all from the trust fund."""
    type_first_claim(page, "MC-1")
    save_first_claim(page)
    # Ready for the next claim of the same family: focus on the date, fields cleared.
    expect(page.locator("#id_date_of_service")).to_be_focused()
    assert page.locator("#id_allowed").input_value() == ""
    assert page.locator("#deductible-used").inner_text() == "$200.00"


def enter_second_claim(page) -> None:
    """Claim 2: the spouse, 250.00."""
    page.locator("#id_patient").select_option(label="Ramon Castillo (spouse)")
    page.locator("#id_date_of_service").focus()
    type_claim(
        page,
        day="11/02/1984",
        number="MC-2",
        provider="Dr. Helen Ames",
        billed="250.00",
        allowed="250.00",
    )
    page.keyboard.press("Enter")
    expect(page.locator("#saved-claim")).to_contain_text("MC-2")
    assert "trust fund $250.00" in page.locator("#saved-claim").inner_text()
    assert page.locator("#deductible-remaining").inner_text() == "$50.00"


def enter_third_claim(page, screenshot, axe_violations) -> None:
    """Claim 3: the child, 120.00: the preview shows the split before it is saved."""
    page.locator("#id_patient").select_option(label="Sofia Castillo (child)")
    page.locator("#id_date_of_service").focus()
    type_claim(
        page,
        day="12/03/1984",
        number="MC-3",
        provider="Mendocino Pharmacy",
        billed="130.00",
        allowed="120.00",
    )
    expect(page.locator("#split-carrier")).to_have_text("$70.00")
    assert page.locator("#split-trust-fund").inner_text() == "$50.00"
    assert axe_violations(page) == []
    screenshot(page, "claims-entry-preview")
    page.keyboard.press("Enter")
    expect(page.locator("#saved-claim")).to_contain_text("MC-3")
    assert (
        "trust fund $50.00, employee $0.00, carrier $70.00"
        in page.locator("#saved-claim").inner_text()
    )
    assert page.locator("#deductible-remaining").inner_text() == "$0.00"
    assert axe_violations(page) == []


def check_claim_pages(page, base_url: str, claim, screenshot, axe_violations) -> None:
    """The claim page and the list are clean for assistive technology too."""
    page.goto(f"{base_url}/claims/{claim.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == f"Claim {claim.pk}: Paid"
    assert axe_violations(page) == []
    screenshot(page, "claims-claim-page")
    page.goto(f"{base_url}/claims/?employee=castillo")
    assert "Totals of the 3 claims found" in page.locator("#claim-totals caption").inner_text()
    assert axe_violations(page) == []


def test_R_CL3_clerk_enters_three_claims_and_the_third_crosses_the_deductible(
    family, live_server, page, screenshot, axe_violations
):
    employer, employee = family
    login(page, live_server.url, "clerk-e2e", PASSWORD)
    assert general_trust_on_fund_page(page, live_server.url, employer) == "1,000.00"

    choose_family(page, live_server.url, employee, axe_violations)
    enter_first_claim(page)
    enter_second_claim(page)
    enter_third_claim(page, screenshot, axe_violations)

    third = Claim.objects.get(admin_claim_number="MC-3")
    assert (third.trust_fund_amount, third.carrier_amount) == (Decimal("50.00"), Decimal("70.00"))
    assert third.date_of_service == date(1984, 12, 3)
    # The trust fund paid 200 + 250 + 50 = 500.00 of the 1,000.00 it held.
    assert general_trust_on_fund_page(page, live_server.url, employer) == "500.00"
    check_claim_pages(page, live_server.url, third, screenshot, axe_violations)


def test_R_CL3_enter_saves_while_the_payee_suggestions_are_still_loading(
    family, live_server, page, axe_violations
):
    """A clerk who types fast presses Enter before the provider's payee suggestions come
    back: the claim is saved all the same (Save is disabled only while a save is on its
    way). The browser holds the suggestions' answer until the claim is saved."""
    _employer, employee = family
    held = []
    page.route("**/claims/payees/suggest/**", lambda route: held.append(route))
    login(page, live_server.url, "clerk-e2e", PASSWORD)
    choose_family(page, live_server.url, employee, axe_violations)
    type_first_claim(page, "MC-9")
    page.wait_for_function("() => document.querySelector('#id_provider.htmx-request')")
    save_first_claim(page)
    assert Claim.objects.get(admin_claim_number="MC-9").trust_fund_amount == Decimal("200.00")
    for route in held:
        route.continue_()
