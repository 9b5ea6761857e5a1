"""The clerk's day in a real browser: a claim just entered is voided from the entry screen
in a handful of keystrokes (R-CL5), and the employee page's links open that family's
pages. axe finds no WCAG 2.1 AA violation on the pages seen.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from claims.models import Claim
from tests.e2e.conftest import login
from tests.factories import (
    EmployerFactory,
    ProgramFactory,
    UserFactory,
    claims_family,
    enter_claim,
    hire,
)
from vesting import ledger

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


class CountedKeyboard:
    """The page's keyboard, counting every key pressed (a typed text: one per character)."""

    def __init__(self, page) -> None:
        self.keyboard = page.keyboard
        self.count = 0

    def press(self, key: str) -> None:
        self.count += 1
        self.keyboard.press(key)

    def type(self, text: str) -> None:
        self.count += len(text)
        self.keyboard.type(text)


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


def focused_id(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def enter_claim_by_keyboard(page, base_url: str, employee) -> Claim:
    """The entry screen opened on the family; one claim typed and saved (not counted)."""
    page.goto(f"{base_url}/claims/enter/?employee={employee.pk}")
    page.locator("#id_date_of_service").focus()
    for text in ("10/15/1984", "MC-9", "Ukiah Valley Medical Center", "240.00", "200.00"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator("#saved-claim").wait_for()
    expect(page.locator("#id_date_of_service")).to_be_focused()
    assert page.locator("#deductible-remaining").inner_text() == "$300.00"
    return Claim.objects.get(admin_claim_number="MC-9")


def test_R_CL5_clerk_voids_the_claim_just_entered_in_15_keystrokes_or_fewer(
    family, live_server, page, axe_violations, screenshot
):
    _employer, employee = family
    login(page, live_server.url, "clerk-e2e", PASSWORD)
    claim = enter_claim_by_keyboard(page, live_server.url, employee)
    assert page.locator(f"#family-claim-{claim.pk}").inner_text().count("Paid") == 1

    keys = CountedKeyboard(page)
    while focused_id(page) != "void-saved" and keys.count < 5:
        keys.press("Shift+Tab")
    assert focused_id(page) == "void-saved"
    keys.press("Enter")
    expect(page.locator(f"#id_void-{claim.pk}-reason")).to_be_focused()
    assert axe_violations(page) == []
    keys.type("Duplicate")
    keys.press("Enter")
    page.locator("#family-claims-done").wait_for()

    assert keys.count <= 15, f"{keys.count} keystrokes"
    claim.refresh_from_db()
    assert claim.status == Claim.Status.VOIDED
    assert claim.void_reason == "Duplicate"
    assert "Claim" in page.locator("#family-claims-done").inner_text()
    # The family's deductible is whole again, in the list and in the preview panel.
    assert "$500.00 remains" in page.locator("#family-claims-deductible").inner_text()
    expect(page.locator("#deductible-remaining")).to_have_text("$500.00")
    assert "Voided" in page.locator(f"#family-claim-{claim.pk}").inner_text()
    assert axe_violations(page) == []
    screenshot(page, "claims-entry-voided-in-place")


def test_an_inline_form_opens_focused_and_escape_cancels_it(
    family, live_server, page, axe_violations
):
    _employer, employee = family
    claim = enter_claim(employee, Decimal("120.00"), number="MC-20")
    login(page, live_server.url, "clerk-e2e", PASSWORD)
    page.goto(f"{live_server.url}/claims/enter/?employee={employee.pk}")
    page.locator(f"#adjust-open-{claim.pk}").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#id_adjust-{claim.pk}-allowed")).to_be_focused()
    page.keyboard.type("abc")
    page.keyboard.press("Escape")
    assert page.locator(".sw-inline-form-row").count() == 0
    assert focused_id(page) == f"adjust-open-{claim.pk}"
    # A wrong value answers in place, with the message next to the field.
    page.keyboard.press("Enter")
    expect(page.locator(f"#id_adjust-{claim.pk}-allowed")).to_be_focused()
    page.keyboard.type("100.00")
    page.keyboard.press("Enter")
    page.locator(f"#id_adjust-{claim.pk}-reason-error").wait_for()
    assert axe_violations(page) == []
    claim.refresh_from_db()
    assert claim.allowed == Decimal("120.00")


def test_the_employee_page_links_open_that_familys_pages(family, live_server, page, axe_violations):
    _employer, employee = family
    enter_claim(employee, Decimal("80.00"), number="MC-31")
    other = hire(program=employee.program, number="2002", last_name="Ortega", first_name="Ana")
    enter_claim(other, Decimal("60.00"), number="OT-1")
    login(page, live_server.url, "clerk-e2e", PASSWORD)
    home = f"{live_server.url}/employees/{employee.pk}/"
    page.goto(home)
    page.locator("#family-claims table").wait_for()
    assert "MC-31" in page.locator("#family-claims").inner_text()
    assert axe_violations(page) == []

    page.locator("#link-enter-claim").click()
    page.wait_for_url(f"**/claims/enter/?employee={employee.pk}")
    assert page.locator("#family-name").inner_text() == "Castillo, Linda"

    page.goto(home)
    page.locator("#link-claims").click()
    page.wait_for_load_state()
    listed = page.locator("table.sw-table-full tbody").inner_text()
    assert "MC-31" in listed and "OT-1" not in listed

    page.goto(home)
    page.locator("#link-side-account").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Side account of Linda Castillo"

    page.goto(home)
    page.locator("#link-payouts").click()
    page.wait_for_load_state()
    assert f"employee={employee.pk}" in page.url
    assert page.get_by_role("heading", level=1).inner_text().startswith("Payouts")
    assert axe_violations(page) == []
