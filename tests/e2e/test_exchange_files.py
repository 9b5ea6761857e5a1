"""The exchange files in a real browser: the administrator sets the trading partners; a
clerk imports an 835 (a bad one listed by segment and element, then a good one), makes
the month's 834 and pays a run by ACH; every page clean under axe-core (WCAG 2.1 AA)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from claims.models import Claim
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.factories import (
    EmployerFactory,
    ProgramFactory,
    UserFactory,
    celery_eager,
    claims_family,
)
from tests.x12_samples import ClaimPayment, remittance

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

D = Decimal


def _partners(page, base: str, axe_violations) -> None:
    page.goto(f"{base}/administration/")
    page.get_by_role("link", name="Trading partners: the ids of the 835, 834 and ACH files").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Trading partners"
    assert axe_violations(page) == []
    page.get_by_label("The plan's interchange id").fill("STAYWELLPLAN")
    page.get_by_label("The claims administrator's interchange id").fill("VALLEYTPA")
    page.get_by_label("The carrier's interchange id").fill("PACMUTUAL")
    page.get_by_label("The carrier's name").fill("Pacific Mutual Life")
    page.get_by_label("The carrier's federal tax id").fill("941234567")
    page.get_by_label("The bank's routing number").fill("121000359")  # check digit wrong
    page.get_by_label("Immediate origin").fill("1946000123")
    page.get_by_label("Company name").fill("Stay Well Plan")
    page.get_by_label("Company id").fill("1946000123")
    page.get_by_role("button", name="Save the identifiers").click()
    assert "check digit is wrong" in page.locator("#id_bank_routing_number-error").inner_text()
    assert axe_violations(page) == []
    page.get_by_label("The bank's routing number").fill("121000358")
    page.get_by_role("button", name="Save the identifiers").click()
    assert "identifiers are saved" in page.locator(".sw-messages").inner_text()


def _import_835(page, base: str, tmp_path, axe_violations, member: str) -> None:
    good = remittance(
        {
            "DR HELEN AMES": [
                ClaimPayment(
                    "E2E-1",
                    D("150"),
                    D("120"),
                    member,
                    statement_from=date(1984, 10, 15),
                    covered=D("120"),
                )
            ]
        }
    )
    bad = tmp_path / "bad.835"
    bad.write_text(good.replace("AMT*AU*120", "AMT*AU*12O"))
    page.goto(f"{base}/claims/import/835/")
    assert axe_violations(page) == []
    page.locator("#id_file").set_input_files(str(bad))
    with celery_eager():
        page.get_by_role("button", name="Check and import the 835").click()
        page.wait_for_load_state("networkidle")
    page.reload()
    table = page.get_by_role("table", name="Problems by segment and element (the ISA is segment 1)")
    assert "AMT02" in table.inner_text()
    assert axe_violations(page) == []
    path = tmp_path / "good.835"
    path.write_text(good)
    page.locator("#id_file").set_input_files(str(path))
    with celery_eager():
        page.get_by_role("button", name="Check and import the 835").click()
        page.wait_for_load_state("networkidle")
    page.reload()
    assert page.get_by_text(
        "1 claims entered, 0 voided (reversals) of 1 claim payments."
    ).first.is_visible()
    assert axe_violations(page) == []
    assert Claim.objects.get(admin_claim_number="E2E-1").trust_fund_amount == D("120.00")


def _enrollment(page, base: str, axe_violations) -> None:
    page.goto(f"{base}/enrollment/")
    assert axe_violations(page) == []
    page.locator("#id_month").fill("1983-08")
    with celery_eager():
        page.get_by_role("button", name="Make the 834").click()
        page.wait_for_load_state("networkidle")
    page.reload()
    assert "valid 005010X220A1" in page.locator(".sw-job").inner_text()
    assert page.get_by_role("table", name="Members of the file").is_visible()
    assert axe_violations(page) == []


def _ach(page, base: str, axe_violations) -> None:
    page.goto(f"{base}/claims/payees/")
    page.get_by_role("link", name="DR HELEN AMES").click()
    page.get_by_label("Bank routing number (for direct deposit)").fill("322271627")
    page.get_by_label("Bank account number").fill("000111222333")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save the payee").click()
    assert page.get_by_text("ACH to ****2333").is_visible()
    page.goto(f"{base}/claims/payment-runs/")
    page.get_by_role("button", name="Make a payment run").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Make the ACH file").click()
    assert "Paid by ACH to DR HELEN AMES" in page.content()
    assert page.get_by_role("link", name="Download payment-run-1.ach").is_visible()
    assert axe_violations(page) == []


def test_trading_partners_835_834_and_ach(live_server, page, tmp_path, axe_violations):
    employee, _, _ = claims_family(
        program=ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))
    )
    UserFactory(username="admin-e2e", role="administrator")
    UserFactory(username="clerk-e2e", role="clerk")
    login(page, live_server.url, "admin-e2e", PASSWORD)
    _partners(page, live_server.url, axe_violations)
    page.context.clear_cookies()
    login(page, live_server.url, "clerk-e2e", PASSWORD)
    _import_835(page, live_server.url, tmp_path, axe_violations, f"MCOE-{employee.number}")
    _enrollment(page, live_server.url, axe_violations)
    _ach(page, live_server.url, axe_violations)
