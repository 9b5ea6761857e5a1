"""The trading partners' identifiers (administrators) and direct deposit (clerks): pages
and API, every role and anonymous; account numbers encrypted at rest and shown masked."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from accounts.models import DirectDeposit, TradingPartners
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("clerk", "superintendent", "payroll", "employee", "administrator")
PARTNERS = {
    "plan_qualifier": "ZZ",
    "plan_id": "staywellplan",
    "plan_name": "Stay Well Plan",
    "administrator_qualifier": "ZZ",
    "administrator_id": "VALLEYTPA",
    "administrator_name": "Valley Claims Administrators",
    "carrier_qualifier": "30",
    "carrier_id": "941234567",
    "carrier_name": "Pacific Mutual",
    "carrier_tax_id": "941234567",
    "group_policy_number": "GP-1983",
    "bank_routing_number": "121000358",  # 3*(1+0+3) + 7*(2+0+5) + (1+0+8) = 70
    "bank_name": "First Coast Bank",
    "immediate_origin": "1946000123",
    "origin_name": "Stay Well Trust Fund",
    "company_name": "Stay Well Plan",
    "company_id": "1946000123",
}


def client_of(role: str) -> Client:
    client = Client()
    user = UserFactory(username=f"{role}-x", role=role)
    if role == "employee":
        EmployeeFactory(user=user)
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_only_administrators_reach_the_trading_partners_page_and_api(role):
    client = client_of(role)
    expected = 200 if role == "administrator" else 403
    assert client.get("/administration/trading-partners/").status_code == expected
    assert client.get("/api/v1/trading-partners/").status_code == expected
    put = client.put("/api/v1/trading-partners/", PARTNERS, content_type="application/json")
    assert put.status_code == expected


def test_anonymous_is_sent_to_login_or_refused(client):
    page = client.get("/administration/trading-partners/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    assert client.get("/api/v1/trading-partners/").status_code in (401, 403)
    employee = EmployeeFactory()
    assert client.get(f"/api/v1/employees/{employee.pk}/direct-deposit/").status_code in (401, 403)


def test_the_administrator_saves_the_identifiers_on_the_page(administrator_client):
    response = administrator_client.post("/administration/trading-partners/", PARTNERS)
    assert response.status_code == 302
    row = TradingPartners.objects.get()
    assert (row.plan_id, row.carrier_qualifier, row.bank_routing_number) == (
        "STAYWELLPLAN",
        "30",
        "121000358",
    )
    page = administrator_client.get("/administration/trading-partners/").content.decode()
    assert 'value="VALLEYTPA"' in page


def test_bad_identifiers_are_named_on_the_page_and_nothing_is_saved(administrator_client):
    bad = {
        **PARTNERS,
        "bank_routing_number": "121000359",  # the sum is 71: the check digit is wrong
        "plan_id": "STAY*WELL",
        "immediate_origin": "12",
        "carrier_tax_id": "94-1234567",
    }
    response = administrator_client.post("/administration/trading-partners/", bad)
    assert response.status_code == 200
    page = response.content.decode()
    assert "121000359 is not a valid routing number: its check digit is wrong" in page
    assert "An interchange id holds letters, digits, spaces and hyphens only." in page
    assert "The immediate origin is nine or ten digits" in page
    assert "A federal tax id is nine digits, without the hyphen." in page
    assert not TradingPartners.objects.filter(plan_id__gt="").exists()


def test_the_api_answers_field_errors_with_400(administrator_client):
    response = administrator_client.put(
        "/api/v1/trading-partners/",
        {**PARTNERS, "plan_qualifier": "XX", "bank_routing_number": "12345"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"plan_qualifier", "bank_routing_number"}
    ok = administrator_client.put(
        "/api/v1/trading-partners/", PARTNERS, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["carrier_id"] == "941234567"


# --- Direct deposit -----------------------------------------------------------------------


def test_a_clerk_sets_direct_deposit_encrypted_and_shown_masked(clerk_client):
    employee = EmployeeFactory()
    response = clerk_client.post(
        f"/employees/{employee.pk}/direct-deposit/",
        {
            "routing_number": "322271627",
            "account_number": "000123456789",
            "account_type": "savings",
        },
    )
    assert response.status_code == 302
    deposit = DirectDeposit.objects.get(employee=employee)
    assert deposit.account_number == "000123456789"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_number FROM accounts_directdeposit WHERE id = %s", [deposit.pk]
        )
        stored = cursor.fetchone()[0]
    assert "123456789" not in stored and stored.startswith("gAAAA")  # a Fernet token
    page = clerk_client.get(f"/employees/{employee.pk}/").content.decode()
    assert "****6789" in page and "000123456789" not in page
    api = clerk_client.get(f"/api/v1/employees/{employee.pk}/direct-deposit/").json()
    assert api["account"] == "****6789" and "account_number" not in api
    assert "000123456789" not in str(api)


def test_a_wrong_routing_number_is_a_field_error_and_nothing_is_saved(clerk_client):
    employee = EmployeeFactory()
    response = clerk_client.post(
        f"/employees/{employee.pk}/direct-deposit/",
        {"routing_number": "322271628", "account_number": "12", "account_type": "checking"},
    )
    assert response.status_code == 200
    assert "322271628 is not a valid routing number" in response.content.decode()
    api = clerk_client.post(
        f"/api/v1/employees/{employee.pk}/direct-deposit/",
        {"routing_number": "32227162", "account_number": "", "account_type": "bond"},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert set(api.json()) == {"routing_number", "account_number", "account_type"}
    assert not DirectDeposit.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_direct_deposit_by_role(role):
    employee = EmployeeFactory()
    DirectDeposit.objects.create(
        employee=employee, routing_number="121000358", account_number="99887766"
    )
    client = client_of(role)
    writer = role in ("clerk", "administrator")
    page = client.get(f"/employees/{employee.pk}/direct-deposit/")
    assert page.status_code == (200 if writer else 403)
    api = client.get(f"/api/v1/employees/{employee.pk}/direct-deposit/")
    # Staff read; an employee sees only their own record (another's answers 404).
    assert api.status_code == (404 if role == "employee" else 200)
    post = client.post(
        f"/api/v1/employees/{employee.pk}/direct-deposit/",
        {"routing_number": "121000358", "account_number": "1"},
        content_type="application/json",
    )
    assert post.status_code == (200 if writer else 403)
    assert DirectDeposit.objects.get(employee=employee).account_number == (
        "1" if writer else "99887766"
    )


def test_an_employee_reads_their_own_direct_deposit_masked(employee_client, employee_user):
    employee = employee_user.employee
    DirectDeposit.objects.create(
        employee=employee, routing_number="121000358", account_number="99887766"
    )
    body = employee_client.get(f"/api/v1/employees/{employee.pk}/direct-deposit/").json()
    assert body["account"] == "****7766" and body["routing_number"] == "121000358"


def test_stopping_direct_deposit(clerk_client):
    employee = EmployeeFactory()
    DirectDeposit.objects.create(employee=employee, routing_number="121000358", account_number="1")
    assert clerk_client.post(f"/employees/{employee.pk}/direct-deposit/remove/").status_code == 302
    assert not DirectDeposit.objects.exists()
    again = clerk_client.post(f"/api/v1/employees/{employee.pk}/direct-deposit/removal/")
    assert again.status_code == 404
