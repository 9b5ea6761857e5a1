"""Re-vest through the API and the page: preview (GET and POST), apply with the preview's
fingerprint, the OpenAPI schema, who may (administrator, superintendent) and who may not
(clerk, employee), the overpayment shown on the side account page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts import services as members
from tests.factories import EmployerFactory, ProgramFactory, hire, roll
from vesting import ledger, payouts, revest
from vesting.models import Transaction

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def late_hire():
    """MCOE's 1983-84 vested for Ana; Ben (hired June 1, 1983, twelve full months) entered
    after the rollover: a re-vest gives him 500.00."""
    program = ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))
    hire(program=program, hire_date=date(1983, 6, 1), number="100", first_name="Ana")
    roll(1983)
    ben = hire(program=program, hire_date=date(1983, 6, 1), number="200", first_name="Ben")
    return program.employer_id, ben


def test_api_preview_then_apply_posts_once(administrator_client, late_hire):
    employer, ben = late_hire
    got = administrator_client.get(
        "/api/v1/revest/preview/", {"employer": employer, "policy_year": "1983-84"}
    )
    assert got.status_code == 200
    body = got.json()
    assert (body["increase"], body["decrease"]) == ("500.00", "0.00")
    assert [
        (c["employee_number"], c["old_outcome"], c["old_amount"], c["new_amount"])
        for c in body["changes"]
    ] == [("200", None, "0.00", "500.00")]
    assert "no line for the year yet" in body["changes"][0]["reasons"][0]
    posted = administrator_client.post(
        "/api/v1/revest/preview/",
        {"employer": employer, "policy_year": "1983-84"},
        content_type="application/json",
    )
    assert posted.json()["fingerprint"] == body["fingerprint"]

    applied = administrator_client.post(
        "/api/v1/revest/apply/",
        {"employer": employer, "policy_year": "1983-84", "fingerprint": body["fingerprint"]},
        content_type="application/json",
    )
    assert applied.status_code == 200
    assert payouts.side_account_balance(ben) == D("500.00")
    count = Transaction.objects.count()
    again = administrator_client.post(
        "/api/v1/revest/apply/",
        {"employer": employer, "policy_year": "1983-84", "fingerprint": body["fingerprint"]},
        content_type="application/json",
    )
    assert again.status_code == 200 and again.json()["changes"] == []  # a repeated confirm
    assert Transaction.objects.count() == count


def test_api_refuses_bad_input_with_field_errors(superintendent_client, late_hire):
    employer, _ = late_hire
    bad_year = superintendent_client.get(
        "/api/v1/revest/preview/", {"employer": employer, "policy_year": "83"}
    )
    assert bad_year.status_code == 400 and "policy_year" in bad_year.json()
    not_vested = superintendent_client.get(
        "/api/v1/revest/preview/", {"employer": employer, "policy_year": "1984-85"}
    )
    assert not_vested.status_code == 400
    assert "has not been done for MCOE" in not_vested.json()["policy_year"][0]
    no_fingerprint = superintendent_client.post(
        "/api/v1/revest/apply/",
        {"employer": employer, "policy_year": "1983-84"},
        content_type="application/json",
    )
    assert no_fingerprint.status_code == 400 and "fingerprint" in no_fingerprint.json()


def test_clerks_and_employees_may_not_revest(clerk_client, employee_client, late_hire):
    employer, ben = late_hire
    for client in (clerk_client, employee_client):
        preview = client.get(
            "/api/v1/revest/preview/", {"employer": employer, "policy_year": "1983-84"}
        )
        apply = client.post(
            "/api/v1/revest/apply/",
            {"employer": employer, "policy_year": "1983-84", "fingerprint": "x"},
            content_type="application/json",
        )
        page = client.get("/vesting/revest/")
        assert (preview.status_code, apply.status_code, page.status_code) == (403, 403, 403)
    assert payouts.side_account_balance(ben) == D("0.00")


def test_revest_endpoints_are_in_the_openapi_schema(administrator_client):
    schema = administrator_client.get("/api/schema/").content.decode()
    assert "/api/v1/revest/preview/" in schema and "/api/v1/revest/apply/" in schema


def test_page_previews_then_applies_on_confirmation(superintendent_client, late_hire):
    employer, ben = late_hire
    revest.revest_scan()
    page = superintendent_client.get("/vesting/revest/")
    text = page.content.decode()
    assert page.status_code == 200 and "Corrections waiting" in text and "Mendocino COE" in text

    preview = superintendent_client.get(
        "/vesting/revest/", {"employer": employer, "policy_year": "1983-84"}
    )
    text = preview.content.decode()
    assert "200 Ben Example" in text and "500.00" in text and "Apply these 1 change" in text
    assert payouts.side_account_balance(ben) == D("0.00")
    fingerprint = revest.revest_preview(employer_id=employer, policy_year=1983).fingerprint
    done = superintendent_client.post(
        "/vesting/revest/",
        {"employer": employer, "policy_year": "1983-84", "fingerprint": fingerprint},
        follow=True,
    )
    assert "re-vested: 1 change(s) posted" in done.content.decode()
    assert payouts.side_account_balance(ben) == D("500.00")
    assert "The nightly check found no vested year" in done.content.decode()


def test_page_shows_a_refusal_inline(superintendent_client, late_hire):
    employer, _ = late_hire
    response = superintendent_client.get(
        "/vesting/revest/", {"employer": employer, "policy_year": "1990-91"}
    )
    assert response.status_code == 400
    assert "has not been done for MCOE" in response.content.decode()


def test_clerk_sees_an_overpayment_on_the_side_account_page(clerk_client):
    program = ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))
    employee = hire(program=program, hire_date=date(1981, 6, 1), number="700")
    roll(1981, 1982)
    members.employee_separate(
        employee=employee, separation_date=date(1983, 9, 30), reason="resignation"
    )
    payouts.payouts_process(today=date(1983, 9, 30))  # 1981-82: 500.00 paid at separation
    # Late: a claim of 200.00 for May 1982 posted to the ledger alone; 1981-82 is 300.00.
    ledger.post_claim_payment(
        employer=program.employer,
        employee=employee,
        amount=D("200.00"),
        effective_date=date(1983, 10, 3),
        service_date=date(1982, 5, 9),
        payee_name="Dr. Lee",
    )
    revest.revest_apply(employer_id=program.employer_id, policy_year=1981, on=date(1983, 10, 5))
    page = clerk_client.get(f"/employees/{employee.pk}/side-account/").content.decode()
    assert "Overpayments owed back" in page and "200.00" in page


def test_the_nightly_list_is_a_beat_job(settings, late_hire):
    from staywell.tasks import task_named

    entry = settings.CELERY_BEAT_SCHEDULE["vesting-revest-scan-nightly"]
    assert entry["task"] == "vesting.revest_scan"
    assert task_named("vesting.revest_scan")() == 1  # MCOE 1983-84: Ben's year


def test_the_dashboard_tells_the_superintendent_of_pending_differences(
    superintendent_client, late_hire
):
    assert "review and re-vest" not in superintendent_client.get("/dashboard/").content.decode()
    revest.revest_scan()
    page = superintendent_client.get("/dashboard/").content.decode()
    assert "would change the vesting of 1 vested employer-year " in page
    assert 'href="/vesting/revest/"' in page
