"""R-PY2: an amount with more than two decimal places is refused as bad input, never rounded
silently, on every path money is typed or uploaded: the API answers 400 with the field's
error, a page shows the error inline, an import names the row and the column; nothing is
saved. (The ledger's interest and expense pages and API, and the claim entry page, are
covered with their other bad inputs in their own test modules.)"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as members
from accounts.models import PlanYear, PremiumSchedule
from claims.models import Claim
from tests.factories import (
    EmployerFactory,
    ProgramFactory,
    claims_family,
    enter_claim,
    hire,
    roll,
)
from vesting import payouts
from vesting.models import Payout, Posting, Transaction

pytestmark = pytest.mark.django_db

D = Decimal
HEADER = (
    "admin_claim_number,employer_code,employee_number,patient,date_of_service,provider,"
    "billed,allowed\n"
)
CLAIM_MESSAGE = "has more than two decimals; enter dollars and cents"
DRF_MESSAGE = "Ensure that there are no more than 2 decimal places."
FORM_MESSAGE = "Enter dollars and cents: at most two digits after the decimal point."


def saved() -> tuple[int, int, int, int]:
    return (
        Claim.objects.count(),
        Transaction.objects.count(),
        Posting.objects.count(),
        Payout.objects.count(),
    )


@pytest.fixture
def family():
    return claims_family()


# --- Claims: API, pages, import ---------------------------------------------------------------


def test_R_PY2_api_claim_with_three_decimals_is_a_400_naming_the_field(clerk_client, family):
    employee, _, _ = family
    before = saved()
    response = clerk_client.post(
        "/api/v1/claims/",
        {
            "employee": employee.pk,
            "date_of_service": "1984-10-15",
            "provider": "Ukiah Valley Medical Center",
            "admin_claim_number": "R-PY2-1",
            "billed": "12.345",
            "allowed": "10.00",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["billed"] == [
        "The billed amount has more than two decimals; enter dollars and cents, like 125.50."
    ]
    assert saved() == before


def test_R_PY2_api_preview_with_three_decimals_is_a_400_naming_the_field(clerk_client, family):
    employee, _, _ = family
    response = clerk_client.post(
        "/api/v1/claims/preview/",
        {
            "employee": employee.pk,
            "date_of_service": "1984-10-15",
            "provider": "Ukiah Valley Medical Center",
            "billed": "150.00",
            "allowed": "120.005",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert CLAIM_MESSAGE in response.json()["allowed"][0]


def test_R_PY2_api_adjustment_with_three_decimals_is_a_400_and_changes_nothing(
    clerk_client, family
):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"), billed=D("200.00"))
    before = saved()
    response = clerk_client.post(
        f"/api/v1/claims/{claim.pk}/adjust/",
        {"allowed": "12.345", "reason": "Corrected EOB"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert CLAIM_MESSAGE in response.json()["allowed"][0]
    claim.refresh_from_db()
    assert (claim.allowed, claim.trust_fund_amount) == (D("120.00"), D("120.00"))
    assert saved() == before


def test_R_PY2_claim_page_entry_and_adjustment_refuse_three_decimals_inline(clerk_client, family):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"), billed=D("200.00"))
    before = saved()
    response = clerk_client.post(
        f"/claims/{claim.pk}/adjust/", {"adjust-allowed": "150.125", "adjust-reason": "Appeal"}
    )
    assert response.status_code == 400
    assert "The allowed amount has more than two decimals" in response.content.decode()
    response = clerk_client.post(
        "/claims/enter/",
        {
            "employee": employee.pk,
            "patient": "",
            "date_of_service": "10/15/1984",
            "provider": "Dr. Helen Ames",
            "admin_claim_number": "R-PY2-2",
            "billed": "99.999",
            "allowed": "90.00",
        },
    )
    assert response.status_code == 400
    assert "The billed amount has more than two decimals" in response.content.decode()
    claim.refresh_from_db()
    assert claim.allowed == D("120.00")
    assert saved() == before


def _import_file(employee, billed: str) -> str:
    code, number = employee.employer.code, employee.number
    return HEADER + (
        f"IMP-1,{code},{number},,1984-10-15,Dr. Ames,100.00,90.00\n"
        f"IMP-2,{code},{number},,1984-10-16,Dr. Ames,{billed},90.00\n"
    )


def test_R_PY2_import_page_names_the_row_and_column_and_saves_nothing(clerk_client, family):
    employee, _, _ = family
    before = saved()
    response = clerk_client.post(
        "/claims/import/",
        {"file": SimpleUploadedFile("c.csv", _import_file(employee, "100.005").encode())},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "The file was rejected: nothing was saved" in html
    assert "The billed amount has more than two decimals" in html
    assert saved() == before


def test_R_PY2_import_api_names_the_row_and_column_and_saves_nothing(clerk_client, family):
    employee, _, _ = family
    before = saved()
    response = clerk_client.post(
        "/api/v1/claims/import/",
        {"file": SimpleUploadedFile("c.csv", _import_file(employee, "100.005").encode())},
    )
    assert response.status_code == 400
    [error] = response.json()["rows"]
    assert (error["row"], error["field"]) == (3, "billed")  # the header is row 1
    assert CLAIM_MESSAGE in error["message"]
    assert saved() == before


def test_R_PY2_reimporting_an_entered_claim_with_three_decimals_is_an_error_not_a_skip(
    clerk_client, family
):
    """100.005 is not rounded to the entered 100.00 and taken for the same claim."""
    employee, _, _ = family
    enter_claim(employee, D("90.00"), billed=D("100.00"), number="IMP-9", provider="Dr. Ames")
    code, number = employee.employer.code, employee.number
    content = HEADER + f"IMP-9,{code},{number},,1984-10-15,Dr. Ames,100.005,90.00\n"
    before = saved()
    response = clerk_client.post(
        "/api/v1/claims/import/", {"file": SimpleUploadedFile("c.csv", content.encode())}
    )
    assert response.status_code == 400
    [error] = response.json()["rows"]
    assert (error["row"], error["field"]) == (2, "billed")
    assert CLAIM_MESSAGE in error["message"]
    assert saved() == before


# --- Side accounts: continuation premiums and withdrawals (API and page) ----------------------


@pytest.fixture
def separated():
    """Ana Rivera: 1982-83 and 1983-84 vested (1,000.00) and July-September 1984 at her
    separation on September 30, 1984 (3 x 41.67 = 125.01): 1,125.01 in her side account."""
    program = ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))
    employee = hire(
        program=program, hire_date=date(1982, 6, 1), first_name="Ana", last_name="Rivera"
    )
    roll(1982, 1983)
    members.employee_separate(
        employee=employee, separation_date=date(1984, 9, 30), reason="resignation"
    )
    return employee


def test_R_PY2_api_continuation_premium_with_three_decimals_is_a_400(clerk_client, separated):
    balance = payouts.side_account_balance(separated)
    assert balance == D("1125.01")
    before = saved()
    response = clerk_client.post(
        f"/api/v1/employees/{separated.pk}/continuation-payments/",
        {"month": "1984-10", "amount": "175.305"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["amount"] == [DRF_MESSAGE]
    assert payouts.side_account_balance(separated) == balance
    assert saved() == before


def test_R_PY2_api_withdrawal_amount_with_three_decimals_is_a_400(clerk_client, separated):
    before = saved()
    response = clerk_client.post(
        f"/api/v1/employees/{separated.pk}/side-account/withdrawals/",
        {"kind": "withdrawal", "amount": "200.001"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["amount"] == [DRF_MESSAGE]
    assert saved() == before


def test_R_PY2_continuation_page_refuses_a_premium_with_three_decimals_inline(
    clerk_client, separated
):
    before = saved()
    response = clerk_client.post(
        f"/employees/{separated.pk}/side-account/continuation/",
        {"month": "1984-10", "premium": "175.305"},
    )
    assert response.status_code == 400
    assert FORM_MESSAGE in response.content.decode()
    assert payouts.side_account_balance(separated) == D("1125.01")
    assert saved() == before


# --- Plan years and premium schedules (the administrator's admin pages) -----------------------


def test_R_PY2_plan_year_deductible_with_three_decimals_is_refused_inline(admin_client):
    response = admin_client.post(
        "/admin/accounts/planyear/add/",
        {
            "start_year": "1990",
            "deductible": "500.005",
            "maximum_vest": "500.00",
            "carrier_maximum": "1000000.00",
            "grandfathered_employer_share": "0.50",
            "separation_year_vests": "on",
            "prior_year_hold_from": "year_end",
            "premium_schedules-TOTAL_FORMS": "0",
            "premium_schedules-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form again, with its error
    assert "Ensure that there are no more than 2 decimal places." in response.content.decode()
    assert not PlanYear.objects.filter(start_year=1990).exists()


def test_R_PY2_premium_schedule_line_with_three_decimals_is_refused_inline(admin_client):
    schedule = PremiumSchedule.objects.get(plan_year__start_year=1983, tier="full")
    response = admin_client.post(
        f"/admin/accounts/premiumschedule/{schedule.pk}/change/",
        {
            "plan_year": schedule.plan_year_id,
            "tier": schedule.tier,
            "major_medical_employer": "133.93",
            "major_medical_employee": "0.00",
            "trust_fund_employer": "41.666",
            "trust_fund_employee": "0.00",
            "dental_employer": "30.00",
            "dental_employee": "0.00",
        },
    )
    assert response.status_code == 200
    assert "Ensure that there are no more than 2 decimal places." in response.content.decode()
    schedule.refresh_from_db()
    assert schedule.trust_fund_employer == D("41.67")  # R-PR1, as shipped
