"""The claims API's business dates: received and paid on entry, the date of a void, the
date of a payment run; a date in a closed month is a 400 field error with nothing saved; a
past policy year's claim is accepted (R-CL6); clerks enter, employees cannot; the pages
show the dates."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import PlanYear
from claims.models import Claim
from tests.factories import PremiumScheduleFactory, claims_family
from vesting import ledger
from vesting.models import Transaction, TransactionKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    return claims_family()


def body(policyholder, **changes):
    values = {
        "employee": policyholder.pk,
        "date_of_service": "1984-10-15",
        "provider": "Ukiah Valley Medical Center",
        "admin_claim_number": "DATES-1",
        "billed": "150.00",
        "allowed": "120.00",
    }
    values.update(changes)
    return values


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def close_november_1984(employee) -> None:
    PremiumScheduleFactory(plan_year=PlanYear.objects.get(start_year=1984))
    ledger.month_close(
        employer_id=employee.employer_id, year=1984, month=11, today=date(1985, 1, 2)
    )


def test_a_clerk_enters_the_dates_and_the_payment_is_dated_paid_on(clerk_client, family):
    employee, _, _ = family
    response = post(
        clerk_client,
        "/api/v1/claims/",
        body(employee, received_on="1984-10-22", paid_on="1984-11-05"),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["received_on"], data["paid_on"]) == ("1984-10-22", "1984-11-05")
    tx = Transaction.objects.get(pk=data["payment_transaction"])
    assert tx.effective_date == date(1984, 11, 5)
    detail = clerk_client.get(f"/api/v1/claims/{data['id']}/").json()
    assert (detail["received_on"], detail["paid_on"]) == ("1984-10-22", "1984-11-05")


def test_a_date_paid_in_a_closed_month_is_a_field_error_and_nothing_is_saved(clerk_client, family):
    employee, _, _ = family
    close_november_1984(employee)
    response = post(clerk_client, "/api/v1/claims/", body(employee, paid_on="1984-11-20"))
    assert response.status_code == 400
    assert response.json()["paid_on"] == [
        "November 1984 is closed in the employer's ledger (its month close is done); use a "
        "date in an open month."
    ]
    assert not Claim.objects.exists()
    assert not Transaction.objects.filter(kind=TransactionKind.CLAIM_PAYMENT).exists()


def test_a_bad_date_received_is_a_field_error(clerk_client, family):
    employee, _, _ = family
    response = post(clerk_client, "/api/v1/claims/", body(employee, received_on="1984-10-01"))
    assert response.status_code == 400
    assert "before the date of service (1984-10-15)" in response.json()["received_on"][0]
    response = post(clerk_client, "/api/v1/claims/", body(employee, received_on="1984-13-01"))
    assert response.status_code == 400 and "received_on" in response.json()
    assert not Claim.objects.exists()


def test_R_CL6_an_entry_for_a_past_policy_year_is_allowed(clerk_client, family):
    employee, _, _ = family
    close_november_1984(employee)
    # Service in 1984-85, received and paid in September 1986 (an open month).
    response = post(
        clerk_client,
        "/api/v1/claims/",
        body(employee, received_on="1986-08-28", paid_on="1986-09-02"),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["policy_year"], data["status"], data["paid_on"]) == (
        "1984-85",
        "paid",
        "1986-09-02",
    )
    assert data["split"]["trust_fund"] == "120.00"


def test_employees_cannot_enter_claims_with_dates(employee_client, payroll_client, family):
    employee, _, _ = family
    for client in (employee_client, payroll_client):
        response = post(client, "/api/v1/claims/", body(employee, paid_on="1984-11-05"))
        assert response.status_code == 403
    assert not Claim.objects.exists()


def test_a_void_through_the_api_is_dated_and_refused_in_a_closed_month(clerk_client, family):
    employee, _, _ = family
    data = post(clerk_client, "/api/v1/claims/", body(employee, paid_on="1984-11-05")).json()
    close_november_1984(employee)
    url = f"/api/v1/claims/{data['id']}/void/"
    refused = post(clerk_client, url, {"reason": "Billed twice", "effective_date": "1984-11-30"})
    assert refused.status_code == 400
    assert "November 1984 is closed" in refused.json()["effective_date"][0]
    voided = post(clerk_client, url, {"reason": "Billed twice", "effective_date": "1984-12-03"})
    assert voided.status_code == 200, voided.content
    assert voided.json()["status"] == "voided"
    reversal = Transaction.objects.get(reverses_id=data["payment_transaction"])
    assert reversal.effective_date == date(1984, 12, 3)


def test_a_payment_run_through_the_api_takes_the_payments_of_its_date(clerk_client, family):
    employee, _, _ = family
    post(clerk_client, "/api/v1/claims/", body(employee, paid_on="1984-11-05"))
    post(
        clerk_client,
        "/api/v1/claims/",
        body(employee, admin_claim_number="DATES-2", paid_on="1984-11-20", allowed="30.00"),
    )
    response = post(clerk_client, "/api/v1/payment-runs/", {"paid_on": "1984-11-05"})
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["paid_on"], run["total"], run["claim_count"]) == ("1984-11-05", "120.00", 1)
    lines = [
        line
        for employer in run["employers"]
        for payee in employer["payees"]
        for line in payee["lines"]
    ]
    assert [(line["received_on"], line["paid_on"], line["amount"]) for line in lines] == [
        ("1984-11-05", "1984-11-05", "120.00")
    ]
    page = clerk_client.get(f"/claims/payment-runs/{run['number']}/").content.decode()
    assert "Dated November 5, 1984" in page
    future = post(clerk_client, "/api/v1/payment-runs/", {"paid_on": "2999-01-01"})
    assert future.status_code == 400 and "paid_on" in future.json()


def test_the_schema_documents_the_claim_dates(clerk_client):
    schema = clerk_client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert {"received_on", "paid_on"} <= set(components["ClaimCreateRequest"]["properties"])
    assert {"received_on", "paid_on"} <= set(components["Claim"]["properties"])
    assert "effective_date" in components["VoidRequest"]["properties"]
    assert "effective_date" in components["AdjustRequest"]["properties"]
    assert "paid_on" in components["PaymentRunCreateRequest"]["properties"]
    assert "paid_on" in components["PaymentRun"]["properties"]


def test_the_pages_show_the_dates(clerk_client, family):
    employee, _, _ = family
    data = post(
        clerk_client,
        "/api/v1/claims/",
        body(employee, received_on="1984-10-22", paid_on="1984-11-05"),
    ).json()
    page = clerk_client.get(f"/claims/{data['id']}/").content.decode()
    assert "October 22, 1984" in page and "November 5, 1984" in page
    listing = clerk_client.get("/claims/").content.decode()
    assert "1984-10-22" in listing and "1984-11-05" in listing


def test_the_entry_page_saves_the_typed_dates_and_keeps_them(clerk_client, family):
    employee, _, _ = family
    form = {
        "employee": employee.pk,
        "patient": "",
        "date_of_service": "10/15/1984",
        "provider": "Dr. Helen Ames",
        "admin_claim_number": "PAGE-1",
        "billed": "80.00",
        "allowed": "80.00",
        "received_on": "10/22/1984",
        "paid_on": "11/05/1984",
    }
    response = clerk_client.post("/claims/enter/", form, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    claim = Claim.objects.get()
    assert (claim.received_on, claim.paid_on) == (date(1984, 10, 22), date(1984, 11, 5))
    html = response.content.decode()
    # The next claim of the batch starts with the same dates.
    assert 'value="1984-10-22"' in html and 'value="1984-11-05"' in html
    form.update(admin_claim_number="PAGE-2", received_on="10/01/1984")
    refused = clerk_client.post("/claims/enter/", form, HTTP_HX_REQUEST="true")
    assert "The date received is before the date of service" in refused.content.decode()
    assert Claim.objects.count() == 1
