"""The optional service category of a claim (preventive, office, hospital, pharmacy,
other): entered by the clerk on the entry page, in the API and read from the claims file;
a value outside the five is a field error and nothing is saved."""

from __future__ import annotations

import io
import re

import pytest
from django.db import IntegrityError, transaction

from claims import importer
from claims.models import Claim
from claims.rules import parse_service_category
from tests.factories import celery_eager, claims_family, enter_claim
from vesting.models import Posting, Transaction

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def family():
    return claims_family()


def entry(policyholder, **changes):
    values = {
        "employee": policyholder.pk,
        "patient": "",
        "date_of_service": "10/15/1984",
        "provider": "Willits Family Practice",
        "admin_claim_number": "SC-1",
        "billed": "90.00",
        "allowed": "75.00",
        "received_on": "1984-10-20",
        "paid_on": "1984-10-25",
    }
    values.update(changes)
    return values


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def counts():
    return (Claim.objects.count(), Transaction.objects.count(), Posting.objects.count())


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("preventive", ("preventive", None)),
        (" Pharmacy ", ("pharmacy", None)),
        ("Office visit", ("office", None)),
        ("", ("", None)),
        (None, ("", None)),
    ],
)
def test_a_category_is_read_in_any_case_and_blank_is_not_given(typed, expected):
    assert parse_service_category(typed) == expected


def test_an_unknown_category_is_refused_with_the_choices():
    value, message = parse_service_category("dental")
    assert value == ""
    assert message == (
        "Choose preventive, office, hospital, pharmacy or other (or leave it blank)."
    )


def test_the_clerk_picks_the_category_on_the_entry_page_and_the_claim_page_shows_it(
    clerk_client, family
):
    employee, _, _ = family
    page = text(clerk_client.get("/claims/enter/", {"employee": employee.pk}))
    assert '<label class="usa-label" for="id_service_category">Service category</label>' in page
    assert '<option value="preventive">Preventive care</option>' in page
    response = clerk_client.post(
        "/claims/enter/", entry(employee, service_category="preventive"), **HTMX
    )
    assert response.status_code == 200
    claim = Claim.objects.get(admin_claim_number="SC-1")
    assert claim.service_category == "preventive"
    # The split is unchanged by the category: 75.00 from the trust fund (R-CL3).
    assert claim.trust_fund_amount == 75
    detail = text(clerk_client.get(f"/claims/{claim.pk}/"))
    assert '<td id="claim-category">Preventive care</td>' in detail


def test_a_claim_saved_without_a_category_says_not_given(clerk_client, family):
    employee, _, _ = family
    clerk_client.post("/claims/enter/", entry(employee), **HTMX)
    claim = Claim.objects.get(admin_claim_number="SC-1")
    assert claim.service_category == ""
    detail = text(clerk_client.get(f"/claims/{claim.pk}/"))
    assert '<td id="claim-category">not given</td>' in detail


def test_a_tampered_category_on_the_page_is_an_inline_error_and_nothing_is_saved(
    clerk_client, family
):
    employee, _, _ = family
    before = counts()
    response = clerk_client.post("/claims/enter/", entry(employee, service_category="dental"))
    assert response.status_code == 400
    assert "Select a valid choice. dental is not one of the available choices." in text(response)
    assert counts() == before


def test_the_api_takes_the_category_and_returns_it(clerk_client, family):
    employee, _, _ = family
    body = {
        "employee": employee.pk,
        "date_of_service": "1984-10-15",
        "provider": "Mendocino Pharmacy",
        "admin_claim_number": "SC-API-1",
        "billed": "30.00",
        "allowed": "30.00",
        "service_category": "Pharmacy",
    }
    response = clerk_client.post("/api/v1/claims/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["service_category"] == "pharmacy"
    listed = clerk_client.get("/api/v1/claims/", {"policy_year": "1984-85"}).json()
    assert [row["service_category"] for row in listed["results"]] == ["pharmacy"]


def test_the_api_refuses_an_unknown_category_with_a_field_error_and_saves_nothing(
    clerk_client, family
):
    employee, _, _ = family
    before = counts()
    body = {
        "employee": employee.pk,
        "date_of_service": "1984-10-15",
        "provider": "Mendocino Pharmacy",
        "admin_claim_number": "SC-API-2",
        "billed": "30.00",
        "allowed": "40.00",
        "service_category": "vision",
    }
    response = clerk_client.post("/api/v1/claims/", body, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()
    # Every bad field at once: the amounts and the category.
    assert errors["service_category"] == [
        "Choose preventive, office, hospital, pharmacy or other (or leave it blank)."
    ]
    assert "allowed" in errors
    assert counts() == before


def csv_file(text_: str) -> io.BytesIO:
    file = io.BytesIO(text_.encode())
    file.name = "claims.csv"
    return file


def test_the_claims_file_may_carry_the_category_column(
    family, clerk_user, django_capture_on_commit_callbacks
):
    employee, _, _ = family
    code, number = employee.employer.code, employee.number
    file = csv_file(
        "admin_claim_number,employer_code,employee_number,date_of_service,provider,billed,"
        "allowed,service_category\n"
        f"F-1,{code},{number},1984-10-15,Ukiah Medical Clinic,60.00,60.00,PREVENTIVE\n"
        f"F-2,{code},{number},1984-10-16,Howard Memorial Hospital,900.00,800.00,hospital\n"
        f"F-3,{code},{number},1984-10-17,Coast Clinical Laboratory,20.00,20.00,\n"
    )
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        result = importer.import_file(file=file, user=clerk_user)
    assert result.errors == []
    categories = dict(Claim.objects.values_list("admin_claim_number", "service_category"))
    assert categories == {"F-1": "preventive", "F-2": "hospital", "F-3": ""}


def test_a_bad_category_in_the_file_is_a_row_error_and_nothing_is_entered(family, clerk_user):
    employee, _, _ = family
    code, number = employee.employer.code, employee.number
    file = csv_file(
        "admin_claim_number,employer_code,employee_number,date_of_service,provider,billed,"
        "allowed,service_category\n"
        f"F-1,{code},{number},1984-10-15,Ukiah Medical Clinic,60.00,60.00,office\n"
        f"F-2,{code},{number},1984-10-16,Ukiah Medical Clinic,60.00,60.00,chiropractic\n"
    )
    result = importer.import_file(file=file, user=clerk_user)
    assert result.job is None
    assert result.errors == [
        {
            "row": 3,
            "field": "service_category",
            "message": "Choose preventive, office, hospital, pharmacy or other "
            "(or leave it blank).",
        }
    ]
    assert Claim.objects.count() == 0


def test_the_database_refuses_a_category_outside_the_five(family):
    employee, _, _ = family
    claim = enter_claim(employee, "50.00", service_category="office")
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(service_category="dental")
    claim.refresh_from_db()
    assert claim.service_category == "office"
