"""An amount no one could mean (twenty nines, 1e308, NaN, Infinity, -0, 1e-5, a huge
negative) typed or uploaded anywhere money is entered is answered with the field's error:
a 400 with field errors in the API, the form again with the message inline on a page, the
row and column in an import; never a 500, and nothing saved. Every money column is
``DecimalField(max_digits=14, decimal_places=2)`` (R-PY2), so the largest amount is
999,999,999,999.99 (``staywell.money.MONEY_MAX``)."""

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
from vesting import ledger as ledger_ops
from vesting.models import Payout, Posting, Transaction

pytestmark = pytest.mark.django_db

D = Decimal
ABSURD = [
    "99999999999999999999",
    "1e308",
    "1E+12",
    "1000000000000.00",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "-0",
    "1e-5",
    "-99999999999999999999",
    "-1e308",
]
HEADER = (
    "admin_claim_number,employer_code,employee_number,patient,date_of_service,provider,"
    "billed,allowed\n"
)
HTMX = {"HTTP_HX_REQUEST": "true"}


def saved() -> tuple[int, int, int, int]:
    return (
        Claim.objects.count(),
        Transaction.objects.count(),
        Posting.objects.count(),
        Payout.objects.count(),
    )


def field_errors(response, field: str) -> list[str]:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    errors = response.json()[field]
    assert errors and all(isinstance(e, str) and e for e in errors)
    return errors


def inline(response, status: int = 400) -> str:
    assert response.status_code == status, (response.status_code, response.content[:300])
    html = response.content.decode()
    assert "usa-error-message" in html or "errorlist" in html
    return html


@pytest.fixture
def family():
    return claims_family()


def claim_body(employee, **changes) -> dict:
    return {
        "employee": employee.pk,
        "date_of_service": "1984-10-15",
        "provider": "Ukiah Valley Medical Center",
        "admin_claim_number": "ABS-1",
        "billed": "150.00",
        "allowed": "120.00",
        **changes,
    }


def page_claim(employee, **changes) -> dict:
    return {**claim_body(employee, date_of_service="10/15/1984"), "patient": "", **changes}


# --- Claims: API --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ABSURD)
@pytest.mark.parametrize("field", ["billed", "allowed"])
def test_api_claim_and_preview_with_an_absurd_amount_are_400s(clerk_client, family, value, field):
    employee, _, _ = family
    before = saved()
    for url in ("/api/v1/claims/", "/api/v1/claims/preview/"):
        response = clerk_client.post(
            url, claim_body(employee, **{field: value}), content_type="application/json"
        )
        field_errors(response, field)
    assert saved() == before


def test_api_claim_billed_at_the_largest_amount_is_saved_and_one_cent_more_is_a_400(
    clerk_client, family
):
    employee, _, _ = family
    response = clerk_client.post(
        "/api/v1/claims/",
        claim_body(employee, billed="1000000000000.00"),
        content_type="application/json",
    )
    assert field_errors(response, "billed") == [
        "The billed amount is more than $999,999,999,999.99; check the amount."
    ]
    response = clerk_client.post(
        "/api/v1/claims/",
        claim_body(employee, billed="999,999,999,999.99"),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["billed"] == "999999999999.99"


@pytest.mark.parametrize("value", ABSURD)
def test_api_adjustment_with_an_absurd_amount_is_a_400_and_changes_nothing(
    clerk_client, family, value
):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"), billed=D("200.00"))
    before = saved()
    response = clerk_client.post(
        f"/api/v1/claims/{claim.pk}/adjust/",
        {"allowed": value, "reason": "Corrected EOB"},
        content_type="application/json",
    )
    field_errors(response, "allowed")
    claim.refresh_from_db()
    assert (claim.allowed, claim.trust_fund_amount) == (D("120.00"), D("120.00"))
    assert saved() == before


# --- Claims: pages --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ABSURD)
def test_claim_pages_refuse_an_absurd_amount_inline(clerk_client, family, value):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"), billed=D("200.00"))
    before = saved()
    inline(clerk_client.post("/claims/enter/", page_claim(employee, billed=value)))
    inline(clerk_client.post("/claims/enter/", page_claim(employee, allowed=value)))
    preview = clerk_client.post(
        "/claims/enter/preview/", page_claim(employee, billed=value), **HTMX
    )
    assert preview.status_code < 500
    assert "billed amount" in preview.content.decode()
    inline(
        clerk_client.post(
            f"/claims/{claim.pk}/adjust/", {"adjust-allowed": value, "adjust-reason": "Appeal"}
        )
    )
    claim.refresh_from_db()
    assert claim.allowed == D("120.00")
    assert saved() == before


# --- Claims: the CSV import (page and API) ------------------------------------------------


@pytest.mark.parametrize("value", ABSURD)
def test_import_with_an_absurd_amount_names_the_row_and_saves_nothing(clerk_client, family, value):
    employee, _, _ = family
    code, number = employee.employer.code, employee.number
    content = HEADER + (
        f"IMP-1,{code},{number},,1984-10-15,Dr. Ames,100.00,90.00\n"
        f"IMP-2,{code},{number},,1984-10-16,Dr. Ames,{value},90.00\n"
    )
    before = saved()
    response = clerk_client.post(
        "/api/v1/claims/import/", {"file": SimpleUploadedFile("c.csv", content.encode())}
    )
    assert response.status_code == 400, response.content[:300]
    [error] = response.json()["rows"]
    assert (error["row"], error["field"]) == (3, "billed")
    page = clerk_client.post(
        "/claims/import/", {"file": SimpleUploadedFile("c.csv", content.encode())}
    )
    assert page.status_code == 400
    assert "The file was rejected: nothing was saved" in page.content.decode()
    assert saved() == before


# --- The ledger: interest and expenses (API and pages) ------------------------------------


@pytest.fixture
def employer():
    employer = EmployerFactory(code="MCOE", name="Mendocino County Office of Education")
    ledger_ops.ledger_accounts_for_employer(employer)
    return employer


@pytest.mark.parametrize("value", ABSURD)
def test_ledger_interest_and_expense_with_an_absurd_amount_are_refused(
    superintendent_client, administrator_client, employer, value
):
    before = saved()
    period = {"period_start": "1984-04-01", "period_end": "1984-06-30"}
    interest = {"employer": employer.pk, "earned_by": "general_trust", "amount": value, **period}
    expense = {"employer": employer.pk, "description": "Postage", "amount": value, **period}
    for client, url, body in (
        (superintendent_client, "/api/v1/ledger/interest/", interest),
        (administrator_client, "/api/v1/ledger/expenses/", expense),
    ):
        field_errors(client.post(url, body, content_type="application/json"), "amount")
    inline(superintendent_client.post("/funds/interest/new/", {**interest, "idempotency_key": "f"}))
    inline(
        administrator_client.post("/funds/expenses/new/", {**expense, "payee_name": "Ukiah Post"})
    )
    assert saved() == before


# --- Side accounts: withdrawals and continuation premiums (API and pages) ------------------


@pytest.fixture
def separated():
    """1982-83 and 1983-84 vested, separated on September 30, 1984."""
    program = ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))
    employee = hire(
        program=program, hire_date=date(1982, 6, 1), first_name="Ana", last_name="Rivera"
    )
    roll(1982, 1983)
    members.employee_separate(
        employee=employee, separation_date=date(1984, 9, 30), reason="resignation"
    )
    return employee


@pytest.mark.parametrize("value", ABSURD)
def test_side_account_amounts_that_are_absurd_are_refused(clerk_client, separated, value):
    before = saved()
    api = f"/api/v1/employees/{separated.pk}"
    field_errors(
        clerk_client.post(
            f"{api}/continuation-payments/",
            {"month": "1984-10", "amount": value},
            content_type="application/json",
        ),
        "amount",
    )
    field_errors(
        clerk_client.post(
            f"{api}/side-account/withdrawals/",
            {"kind": "withdrawal", "amount": value},
            content_type="application/json",
        ),
        "amount",
    )
    page = f"/employees/{separated.pk}/side-account"
    inline(clerk_client.post(f"{page}/continuation/", {"month": "1984-10", "premium": value}))
    inline(clerk_client.post(f"{page}/withdrawal/", {"kind": "withdrawal", "amount": value}))
    assert saved() == before


# --- Plan years and premium schedules (the administrator's admin pages) --------------------


@pytest.mark.parametrize("value", ABSURD)
def test_plan_year_and_premium_schedule_refuse_absurd_amounts_inline(admin_client, value):
    response = admin_client.post(
        "/admin/accounts/planyear/add/",
        {
            "start_year": "1990",
            "deductible": value,
            "maximum_vest": "500.00",
            "carrier_maximum": "1000000.00",
            "grandfathered_employer_share": "0.50",
            "separation_year_vests": "on",
            "prior_year_hold_from": "year_end",
            "premium_schedules-TOTAL_FORMS": "0",
            "premium_schedules-INITIAL_FORMS": "0",
        },
    )
    inline(response, status=200)
    assert not PlanYear.objects.filter(start_year=1990).exists()
    schedule = PremiumSchedule.objects.get(plan_year__start_year=1983, tier="full")
    response = admin_client.post(
        f"/admin/accounts/premiumschedule/{schedule.pk}/change/",
        {
            "plan_year": schedule.plan_year_id,
            "tier": schedule.tier,
            "major_medical_employer": "133.93",
            "major_medical_employee": "0.00",
            "trust_fund_employer": value,
            "trust_fund_employee": "0.00",
            "dental_employer": "30.00",
            "dental_employee": "0.00",
        },
    )
    inline(response, status=200)
    schedule.refresh_from_db()
    assert schedule.trust_fund_employer == D("41.67")
