"""ACH files on the pages and in the API: who makes them, who downloads them (they hold
full account numbers), every role and anonymous; accounts masked everywhere else."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts import exchange
from accounts import services as members
from claims import services
from claims.services import payees
from tests.factories import (
    EmployeeFactory,
    EmployerFactory,
    ProgramFactory,
    UserFactory,
    claims_family,
    enter_claim,
    hire,
    roll,
)
from vesting import payouts

pytestmark = pytest.mark.django_db

D = Decimal
ROLES = ("clerk", "superintendent", "payroll", "employee", "administrator")
CHASE = "322271627"  # ABA: 3*(3+2+6) + 7*(2+7+2) + (2+1+7) = 120


@pytest.fixture(autouse=True)
def partners():
    exchange.trading_partners_update(
        values={
            "bank_routing_number": "121000358",
            "immediate_origin": "1946000123",
            "company_name": "Stay Well Plan",
            "company_id": "1946000123",
        }
    )


def client_of(role: str) -> Client:
    client = Client()
    user = UserFactory(username=f"{role}-ach", role=role)
    if role == "employee":
        EmployeeFactory(user=user)
    client.force_login(user)
    return client


def weekday_ahead() -> str:
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()


@pytest.fixture
def run():
    employee, _, _ = claims_family()
    enter_claim(employee, D("120.00"), provider="Dr. Helen Ames")
    enter_claim(employee, D("35.00"), provider="Redwood Pediatrics")
    payee = payees.payee_for_provider("Dr. Helen Ames")
    payees.payee_update(
        payee=payee, name=payee.name, routing_number=CHASE, account_number="000111222333"
    )
    return services.payment_run_create()


def test_the_clerk_makes_and_downloads_the_run_s_ach_file_on_its_page(clerk_client, run):
    page = clerk_client.get(f"/claims/payment-runs/{run.number}/").content.decode()
    assert "Make the ACH file" in page and "Check to Dr. Helen Ames" in page
    made = clerk_client.post(
        f"/claims/payment-runs/{run.number}/ach/", {"effective_date": weekday_ahead()}
    )
    assert made.status_code == 302
    page = clerk_client.get(f"/claims/payment-runs/{run.number}/").content.decode()
    assert "Paid by ACH to Dr. Helen Ames" in page and "Check to Redwood Pediatrics" in page
    assert "****2333" in page and "000111222333" not in page
    download = clerk_client.get(f"/claims/payment-runs/{run.number}/payment-run.ach")
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="payment-run-{run.number}.ach"'
    lines = download.content.decode().split("\r\n")
    assert lines[2][12:29].strip() == "000111222333" and lines[2][29:39] == "0000012000"


def test_a_bad_effective_date_is_told_on_the_page(clerk_client, run):
    response = clerk_client.post(
        f"/claims/payment-runs/{run.number}/ach/", {"effective_date": "1999-01-01"}, follow=True
    )
    assert "The effective date cannot be before today." in response.content.decode()
    assert (
        not clerk_client.get(f"/claims/payment-runs/{run.number}/payment-run.ach").status_code
        == 200
    )


@pytest.mark.parametrize("role", ROLES)
def test_payment_run_ach_by_role(role, run):
    client = client_of(role)
    maker = role == "clerk"
    reader = role in ("clerk", "superintendent", "administrator")
    made = client.post(
        f"/api/v1/payment-runs/{run.number}/ach/", {}, content_type="application/json"
    )
    assert made.status_code == (201 if maker else 403)
    if not maker:
        services.payment_run_ach(run=run)
    summary = client.get(f"/api/v1/payment-runs/{run.number}/ach/")
    assert summary.status_code == (200 if reader else 403)
    if reader:
        body = summary.json()
        assert (body["entry_count"], body["total"], body["kind"]) == (1, "120.00", "CCD")
        assert body["entries"][0]["account"] == "****2333" and "000111222333" not in str(body)
    file = client.get(f"/api/v1/payment-runs/{run.number}/ach/file/")
    assert file.status_code == (200 if maker else 403)
    page_file = client.get(f"/claims/payment-runs/{run.number}/payment-run.ach")
    assert page_file.status_code == (200 if maker else 403)
    page = client.post(f"/claims/payment-runs/{run.number}/ach/", {})
    assert page.status_code == (302 if maker else 403)


def test_anonymous_gets_no_ach_file(client, run):
    services.payment_run_ach(run=run)
    assert client.get(f"/claims/payment-runs/{run.number}/payment-run.ach").status_code == 302
    assert client.get(f"/api/v1/payment-runs/{run.number}/ach/file/").status_code in (401, 403)
    assert client.post(f"/api/v1/payment-runs/{run.number}/ach/").status_code in (401, 403)
    assert client.get("/api/v1/payout-registers/1/ach/file/").status_code in (401, 403)


def test_the_api_makes_the_file_once(clerk_client, run):
    first = clerk_client.post(
        f"/api/v1/payment-runs/{run.number}/ach/",
        {"effective_date": weekday_ahead()},
        content_type="application/json",
    )
    assert first.status_code == 201
    again = clerk_client.post(
        f"/api/v1/payment-runs/{run.number}/ach/", {}, content_type="application/json"
    )
    assert again.status_code == 200 and again.json()["file_name"] == first.json()["file_name"]
    bad = clerk_client.post(
        f"/api/v1/payment-runs/{run.number + 1}/ach/", {}, content_type="application/json"
    )
    assert bad.status_code == 404


@pytest.fixture
def register():
    program = ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))
    ana = hire(program=program, hire_date=date(1982, 6, 1), first_name="Ana", last_name="Rivera")
    roll(1982, 1983)
    members.employee_separate(employee=ana, separation_date=date(1984, 9, 30), reason="resignation")
    exchange.direct_deposit_set(employee=ana, routing_number=CHASE, account_number="4455667788")
    return payouts.payouts_process(today=date(1985, 1, 1))


@pytest.mark.parametrize("role", ROLES)
def test_payout_register_ach_by_role(role, register):
    client = client_of(role)
    writer = role in ("clerk", "administrator")
    viewer = role in ("clerk", "superintendent", "administrator")
    made = client.post(
        f"/api/v1/payout-registers/{register.pk}/ach/", {}, content_type="application/json"
    )
    assert made.status_code == (201 if writer else 403)
    if writer:
        assert (made.json()["total"], made.json()["entry_count"]) == ("1000.00", 2)
    else:
        client_of("clerk").post(f"/vesting/payouts/registers/{register.pk}/ach/")
    summary = client.get(f"/api/v1/payout-registers/{register.pk}/ach/")
    assert summary.status_code == (200 if viewer else 403)
    assert client.get(f"/api/v1/payout-registers/{register.pk}/ach/file/").status_code == (
        200 if writer else 403
    )
    download = client.get(f"/vesting/payouts/registers/{register.pk}.ach")
    assert download.status_code == (200 if writer else 403)
    if writer:
        assert "4455667788" in download.content.decode()
    if viewer:
        page = client.get("/vesting/payouts/").content.decode()
        assert "2 payouts, $1,000.00" in page and "4455667788" not in page


def test_the_clerk_sets_a_payee_s_bank_account_shown_masked(clerk_client):
    payee = payees.payee_for_provider("Mendocino Pharmacy")
    wrong = clerk_client.post(
        f"/claims/payees/{payee.pk}/",
        {"name": payee.name, "active": "on", "routing_number": "322271620", "account_number": "1"},
    )
    assert wrong.status_code == 400
    assert "322271620 is not a valid routing number" in wrong.content.decode()
    saved = clerk_client.post(
        f"/claims/payees/{payee.pk}/",
        {
            "name": payee.name,
            "active": "on",
            "routing_number": CHASE,
            "account_number": "000999888777",
            "account_type": "savings",
        },
    )
    assert saved.status_code == 302
    listing = clerk_client.get("/claims/payees/").content.decode()
    assert "ACH to ****8777" in listing and "000999888777" not in listing
    form = clerk_client.get(f"/claims/payees/{payee.pk}/").content.decode()
    assert "Now ****8777; leave blank to keep it." in form and "000999888777" not in form
    # A rename keeps the account; removing it pays by check again.
    clerk_client.post(
        f"/claims/payees/{payee.pk}/",
        {"name": "Mendocino Pharmacy Inc", "active": "on", "account_type": "savings"},
    )
    payee.refresh_from_db()
    assert (payee.name, payee.account_number) == ("Mendocino Pharmacy Inc", "000999888777")
    clerk_client.post(
        f"/claims/payees/{payee.pk}/",
        {
            "name": payee.name,
            "active": "on",
            "remove_bank_account": "on",
            "account_type": "checking",
        },
    )
    payee.refresh_from_db()
    assert (payee.routing_number, payee.account_number) == ("", "")
