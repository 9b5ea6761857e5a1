"""The claims API through the test client: create, preview, list, detail, void, adjust, the
family deductible, import, payment runs; 400 field errors, 409 duplicates, roles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from claims.models import Claim
from tests.factories import UserFactory, celery_eager, claims_family, enter_claim
from vesting.models import Posting, Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    with celery_eager():
        yield


D = Decimal


@pytest.fixture
def family():
    return claims_family()


def body(policyholder, **changes):
    values = {
        "employee": policyholder.pk,
        "patient": None,
        "date_of_service": "1984-10-15",
        "provider": "Ukiah Valley Medical Center",
        "admin_claim_number": "API-1",
        "billed": "150.00",
        "allowed": "120.00",
    }
    values.update(changes)
    return values


def test_R_CL3_create_splits_and_pays(clerk_client, family):
    employee, spouse, _ = family
    enter_claim(employee, D("450.00"))
    response = clerk_client.post(
        "/api/v1/claims/", body(employee, patient=spouse.pk), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["split"] == {"trust_fund": "50.00", "employee": "0.00", "carrier": "70.00"}
    assert data["status"] == "paid"
    assert data["policy_year"] == "1984-85"
    assert data["patient"] == spouse.pk
    assert data["payment_transaction"] is not None
    assert data["source"] == "api"


def test_preview_returns_the_split_and_family_without_saving(clerk_client, family):
    employee, _, _ = family
    enter_claim(employee, D("450.00"))
    response = clerk_client.post(
        "/api/v1/claims/preview/", body(employee), content_type="application/json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["split"] == {"trust_fund": "50.00", "employee": "0.00", "carrier": "70.00"}
    assert data["family_before"]["used"] == "450.00"
    assert data["family_before"]["remaining"] == "50.00"
    assert data["family_after"]["remaining"] == "0.00"
    assert data["tier"] == "full"
    assert Claim.objects.count() == 1


BAD = [
    ({"billed": "100.00", "allowed": "120.00"}, "allowed"),
    ({"billed": "0", "allowed": "0"}, "billed"),
    ({"billed": "-1.00", "allowed": "-1.00"}, "allowed"),
    ({"billed": "twelve", "allowed": "10.00"}, "billed"),
    ({"allowed": "10.005"}, "allowed"),
    ({"billed": "2000000.00", "allowed": "1000001.00"}, "allowed"),
    ({"date_of_service": "2999-01-01"}, "date_of_service"),
    ({"date_of_service": "1983-06-30"}, "date_of_service"),
    ({"date_of_service": "not a date"}, "date_of_service"),
    ({"employee": 987654321}, "employee"),
]


@pytest.mark.parametrize(("changes", "field"), BAD)
def test_bad_input_answers_400_with_field_errors_and_posts_nothing(
    clerk_client, family, changes, field
):
    employee, _, _ = family
    before = (Claim.objects.count(), Transaction.objects.count(), Posting.objects.count())
    response = clerk_client.post(
        "/api/v1/claims/", body(employee, **changes), content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert (Claim.objects.count(), Transaction.objects.count(), Posting.objects.count()) == before


def test_patient_not_in_the_family_answers_400(clerk_client, family):
    employee, _, _ = family
    _other, other_spouse, _ = claims_family(first_name="Ana", last_name="Rivera")
    response = clerk_client.post(
        "/api/v1/claims/", body(employee, patient=other_spouse.pk), content_type="application/json"
    )
    assert response.status_code == 400
    assert "is not in the family of Linda Castillo" in response.json()["patient"][0]


def test_duplicate_answers_409_and_saves_when_confirmed(clerk_client, family):
    employee, _, _ = family
    first = enter_claim(employee, D("120.00"), number="API-1")
    response = clerk_client.post(
        "/api/v1/claims/",
        body(employee, allowed="80.00", billed="80.00"),
        content_type="application/json",
    )
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "duplicate"
    assert data["duplicates"][0]["claim"] == first.pk
    assert data["duplicates"][0]["reason"] == "the same claim number"
    assert Claim.objects.count() == 1

    response = clerk_client.post(
        "/api/v1/claims/",
        body(employee, allowed="80.00", billed="80.00", confirm_duplicate=True),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["duplicate_of"] == first.pk


def test_void_and_adjust_through_the_api(clerk_client, family):
    employee, _, _ = family
    a = enter_claim(employee, D("300.00"), billed=D("400.00"), number="A")
    b = enter_claim(employee, D("300.00"), number="B", provider="Dr. Ames")
    response = clerk_client.post(
        f"/api/v1/claims/{a.pk}/void/", {"reason": ""}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"reason": ["Give the reason for the void."]}

    response = clerk_client.post(
        f"/api/v1/claims/{a.pk}/adjust/",
        {"allowed": "250.00", "reason": "Corrected EOB"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["split"]["trust_fund"] == "250.00"
    b.refresh_from_db()
    assert (b.trust_fund_amount, b.carrier_amount) == (D("250.00"), D("50.00"))

    response = clerk_client.post(
        f"/api/v1/claims/{a.pk}/void/", {"reason": "Wrong family"}, content_type="application/json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "voided"
    assert [e["action"] for e in data["events"]] == ["entered", "paid", "adjusted", "voided"]
    b.refresh_from_db()
    assert (b.trust_fund_amount, b.carrier_amount) == (D("300.00"), D("0.00"))

    before = Transaction.objects.count()
    response = clerk_client.post(
        f"/api/v1/claims/{a.pk}/void/", {"reason": "Again"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "already voided" in response.json()["claim"][0]
    assert Transaction.objects.count() == before


def test_list_filters_and_detail(superintendent_client, family):
    employee, _, _ = family
    enter_claim(employee, D("100.00"), number="L-1")
    enter_claim(employee, D("100.00"), number="L-2", date_of_service=date(1985, 8, 1))
    response = superintendent_client.get("/api/v1/claims/", {"year": "1985-86"})
    assert response.status_code == 200
    assert [c["admin_claim_number"] for c in response.json()["results"]] == ["L-2"]
    response = superintendent_client.get(
        "/api/v1/claims/", {"search": "castillo", "status": "paid"}
    )
    assert response.json()["count"] == 2
    assert superintendent_client.get("/api/v1/claims/", {"year": "84"}).status_code == 400
    claim_id = response.json()["results"][0]["id"]
    detail = superintendent_client.get(f"/api/v1/claims/{claim_id}/").json()
    assert detail["ledger_entries"][0]["kind"] == "payment"


def test_family_deductible_endpoint(superintendent_client, family):
    employee, _, _ = family
    enter_claim(employee, D("320.00"))
    response = superintendent_client.get(
        "/api/v1/family-deductible/", {"employee": employee.pk, "year": "1984-85"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "employee": employee.pk,
        "policy_year": "1984-85",
        "deductible": "500.00",
        "used": "320.00",
        "remaining": "180.00",
        "trust_fund_paid": "320.00",
        "employee_paid": "0.00",
        "carrier_paid": "0.00",
        "claim_count": 1,
    }
    response = superintendent_client.get("/api/v1/family-deductible/", {"employee": employee.pk})
    assert response.status_code == 400
    assert "year" in response.json()


def test_roles_clerk_writes_superintendent_reads_payroll_nothing(
    superintendent_client, administrator_client, payroll_client, family
):
    employee, _, _ = family
    claim = enter_claim(employee, D("100.00"))
    for client in (superintendent_client, administrator_client):
        assert client.get(f"/api/v1/claims/{claim.pk}/").status_code == 200
        assert (
            client.post(
                "/api/v1/claims/", body(employee), content_type="application/json"
            ).status_code
            == 403
        )
        assert (
            client.post(
                f"/api/v1/claims/{claim.pk}/void/", {"reason": "x"}, content_type="application/json"
            ).status_code
            == 403
        )
    assert payroll_client.get("/api/v1/claims/").status_code == 403
    assert Client().get("/api/v1/claims/").status_code in (401, 403)


def test_employee_reads_only_their_own_family(family):
    employee, _, _ = family
    user = UserFactory(username="linda", role="employee")
    employee.user = user
    employee.save(update_fields=["user"])
    own = enter_claim(employee, D("100.00"))
    other, _, _ = claims_family(first_name="Ana", last_name="Rivera")
    foreign = enter_claim(other, D("100.00"))
    client = Client()
    client.force_login(user)
    listing = client.get("/api/v1/claims/").json()
    assert [c["id"] for c in listing["results"]] == [own.pk]
    assert client.get(f"/api/v1/claims/{own.pk}/").status_code == 200
    assert client.get(f"/api/v1/claims/{foreign.pk}/").status_code == 404
    assert (
        client.get(
            "/api/v1/family-deductible/", {"employee": other.pk, "year": "1984-85"}
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/api/v1/family-deductible/", {"employee": employee.pk, "year": "1984-85"}
        ).status_code
        == 200
    )
    assert (
        client.post("/api/v1/claims/", body(employee), content_type="application/json").status_code
        == 403
    )


def test_import_endpoint_rejects_bad_rows_and_queues_a_good_file(
    clerk_client, family, django_capture_on_commit_callbacks, eager
):
    employee, _, _ = family
    header = "admin_claim_number,employer_code,employee_number,patient,date_of_service,provider,billed,allowed\n"
    code, number = employee.employer.code, employee.number
    bad = header + f"I-1,{code},{number},,1984-10-15,Dr. Ames,100.00,120.00\n"
    response = clerk_client.post(
        "/api/v1/claims/import/", {"file": SimpleUploadedFile("bad.csv", bad.encode())}
    )
    assert response.status_code == 400
    assert response.json()["rows"][0]["row"] == 2
    assert response.json()["rows"][0]["field"] == "allowed"

    good = header + f"I-1,{code},{number},Sofia,1984-10-15,Dr. Ames,150.00,120.00\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(
            "/api/v1/claims/import/", {"file": SimpleUploadedFile("good.csv", good.encode())}
        )
    assert response.status_code == 202
    data = response.json()
    assert data["new"] == 1
    status = clerk_client.get(data["status_url"]).json()
    assert status["status"] == "succeeded"
    assert Claim.objects.get(admin_claim_number="I-1").patient_name == "Sofia Castillo"


def test_payment_run_endpoints(clerk_client, superintendent_client, family):
    employee, _, _ = family
    enter_claim(employee, D("100.00"), provider="Dr. Ames")
    enter_claim(employee, D("50.00"), provider="Dr. Ames", date_of_service=date(1984, 11, 1))
    enter_claim(employee, D("70.00"), provider="Mendocino Pharmacy")
    assert superintendent_client.post("/api/v1/payment-runs/").status_code == 403
    response = clerk_client.post("/api/v1/payment-runs/")
    assert response.status_code == 201
    data = response.json()
    assert (data["number"], data["total"], data["check_count"], data["claim_count"]) == (
        1,
        "220.00",
        2,
        3,
    )
    payees = {p["name"]: p["total"] for p in data["employers"][0]["payees"]}
    assert payees == {"Dr. Ames": "150.00", "Mendocino Pharmacy": "70.00"}
    assert clerk_client.post("/api/v1/payment-runs/").status_code == 400
    assert superintendent_client.get("/api/v1/payment-runs/1/").status_code == 200
