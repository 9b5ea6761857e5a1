"""Vesting pages and API through the test client: who may start a run, who sees which side
account, the live progress partial, the R-VE5 refusal inline and as a 400, payouts and
registers."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from accounts import services as members
from accounts.models import Employee
from tests.factories import (
    EmployerFactory,
    ProgramFactory,
    UserFactory,
    close_policy_year,
    hire,
    roll,
)
from vesting import payouts, rollover
from vesting.models import Payout, Transaction, VestingRun

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def program():
    return ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))


@pytest.fixture
def vested(program):
    """An employee with 1982-83 and 1983-84 vested (1,000.00), still employed."""
    employee = hire(
        program=program, hire_date=date(1982, 6, 1), first_name="Ana", last_name="Rivera"
    )
    roll(1982, 1983)
    return employee


# --- Runs -----------------------------------------------------------------------------------


def test_superintendent_starts_a_run_from_the_page_and_it_is_queued_R_VE3(
    superintendent_client, program, django_capture_on_commit_callbacks
):
    hire(program=program, hire_date=date(1983, 6, 1))
    close_policy_year(program.employer, 1983)
    with mock.patch("vesting.tasks.rollover_run.apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            response = superintendent_client.post("/vesting/runs/", {"policy_year": "1983-84"})
    run = VestingRun.objects.get(policy_year=1983)
    assert response.status_code == 302
    assert response["Location"] == f"/vesting/runs/{run.pk}/"
    apply_async.assert_called_once_with(args=(run.pk,), kwargs={})
    assert run.status == "queued"
    assert run.started_by.username == "super1"

    rollover.rollover_execute(run.pk)
    page = superintendent_client.get(f"/vesting/runs/{run.pk}/").content.decode()
    assert "Rollover of 1983-84" in page
    assert "Completed" in page
    assert "500.00" in page


def test_a_year_that_has_not_ended_is_refused_inline_R_VE3(superintendent_client):
    this_year = timezone.localdate().year + (1 if timezone.localdate().month >= 7 else 0)
    label = f"{this_year - 1}-{this_year % 100:02d}"
    response = superintendent_client.post("/vesting/runs/", {"policy_year": label})
    assert response.status_code == 400
    assert f"The policy year {label} has not ended" in response.content.decode()
    assert not VestingRun.objects.exists()


def test_clerk_cannot_start_a_run(clerk_client):
    assert clerk_client.get("/vesting/runs/").status_code == 403
    assert clerk_client.post("/vesting/runs/", {"policy_year": "1983-84"}).status_code == 403
    assert not VestingRun.objects.exists()


def test_run_progress_partial_polls_while_running_and_stops_when_completed(
    administrator_client, program
):
    hire(program=program, hire_date=date(1983, 6, 1))
    run = rollover.rollover_start(
        policy_year=1983,
        today=date(1984, 7, 1),
        queue=False,
        override_reason="No month closes in this data set.",
    )
    VestingRun.objects.filter(pk=run.pk).update(
        status="running", employers_total=4, employers_done=1, heartbeat_at=timezone.now()
    )
    html = administrator_client.get(f"/vesting/runs/{run.pk}/progress/").content.decode()
    assert "Running, 25%" in html
    assert 'hx-trigger="every 1s"' in html
    assert "1 of 4 employers done" in html

    # Its worker stops: after the stale threshold the run shows stale, polling stops.
    VestingRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.VESTING_ROLLOVER_STALE_SECONDS + 1)
    )
    html = administrator_client.get(f"/vesting/runs/{run.pk}/progress/").content.decode()
    assert "Stale (its worker stopped)" in html
    assert "Start the run again to resume it" in html
    assert "hx-trigger" not in html

    rollover.rollover_execute(run.pk)  # the next worker takes it over
    html = administrator_client.get(f"/vesting/runs/{run.pk}/progress/").content.decode()
    assert "Completed" in html
    assert "hx-trigger" not in html
    assert 'value="100"' in html


def test_run_list_shows_each_years_totals(superintendent_client, vested):
    html = superintendent_client.get("/vesting/runs/").content.decode()
    assert "1982-83" in html and "1983-84" in html
    assert html.count("Completed") == 2


# --- API: runs --------------------------------------------------------------------------------


def test_api_starts_a_run_and_reports_its_status(superintendent_client, program):
    hire(program=program, hire_date=date(1983, 6, 1))
    close_policy_year(program.employer, 1983)
    with mock.patch("vesting.tasks.rollover_run.apply_async"):
        response = superintendent_client.post(
            "/api/v1/vesting-runs/", {"policy_year": "1983-84"}, content_type="application/json"
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["policy_year"], body["status"]) == ("1983-84", "queued")
    rollover.rollover_execute(body["id"])
    status = superintendent_client.get(f"/api/v1/vesting-runs/{body['id']}/").json()
    assert status["status"] == "completed"
    assert status["percent"] == 100
    assert status["amount_vested"] == "500.00"
    assert status["employees_vested"] == 1
    again = superintendent_client.post(
        "/api/v1/vesting-runs/", {"policy_year": "1983-84"}, content_type="application/json"
    )
    assert again.status_code == 200  # a year runs once
    assert again.json()["id"] == body["id"]


def test_api_refuses_a_year_not_ended_and_a_clerk(superintendent_client, clerk_client):
    response = superintendent_client.post(
        "/api/v1/vesting-runs/", {"policy_year": "2999-00"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "has not ended" in response.json()["policy_year"][0]
    response = clerk_client.post(
        "/api/v1/vesting-runs/", {"policy_year": "1983-84"}, content_type="application/json"
    )
    assert response.status_code == 403


# --- Side accounts ----------------------------------------------------------------------------


def test_side_account_page_shows_balance_lines_and_schedule(clerk_client, vested):
    members.employee_separate(
        employee=vested, separation_date=date(1984, 9, 30), reason="resignation"
    )
    html = clerk_client.get(f"/employees/{vested.pk}/side-account/").content.decode()
    assert "Side account of Ana Rivera" in html
    assert "1,125.01" in html  # 500 + 500 + July-September 125.01
    assert "1982-83" in html and "1983-84" in html and "1984-85" in html
    assert "Year before separation: payable six months after that year ended" in html
    assert "1985-01-01" in html


def test_employee_sees_own_side_account_but_not_anothers(vested, program):
    user = UserFactory(username="ana", role="employee")
    Employee.objects.filter(pk=vested.pk).update(user=user)
    other = hire(program=program, hire_date=date(1982, 6, 1))
    from django.test import Client

    client = Client()
    client.force_login(user)
    assert client.get(f"/employees/{vested.pk}/side-account/").status_code == 200
    assert client.get(f"/employees/{other.pk}/side-account/").status_code == 404
    own = client.get(f"/api/v1/employees/{vested.pk}/side-account/")
    assert own.status_code == 200
    assert own.json()["balance"] == "1000.00"
    assert [line["policy_year"] for line in own.json()["lines"]] == ["1982-83", "1983-84"]
    assert client.get(f"/api/v1/employees/{other.pk}/side-account/").status_code == 404


def test_payroll_cannot_see_side_accounts(payroll_client, vested):
    assert payroll_client.get(f"/employees/{vested.pk}/side-account/").status_code == 403
    assert payroll_client.get(f"/api/v1/employees/{vested.pk}/side-account/").status_code == 403


def test_withdrawal_request_is_refused_inline_R_VE5(clerk_client, vested):
    response = clerk_client.post(
        f"/employees/{vested.pk}/side-account/withdrawal/",
        {"kind": "withdrawal", "amount": "200.00"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The vested money cannot be withdrawn during employment." in html
    response = clerk_client.post(
        f"/employees/{vested.pk}/side-account/withdrawal/", {"kind": "loan", "amount": "200.00"}
    )
    assert "The vested money cannot be borrowed against." in response.content.decode()
    assert payouts.side_account_balance(vested) == D("1000.00")


def test_api_withdrawal_is_a_400_with_the_reason_R_VE5(clerk_client, vested):
    before = Transaction.objects.count()
    response = clerk_client.post(
        f"/api/v1/employees/{vested.pk}/side-account/withdrawals/",
        {"kind": "withdrawal", "amount": "200.00"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "cannot be withdrawn during employment" in response.json()["non_field_errors"][0]
    response = clerk_client.post(
        f"/api/v1/employees/{vested.pk}/side-account/withdrawals/",
        {"kind": "interest", "amount": "12.00"},
        content_type="application/json",
    )
    assert "belongs to the employer" in response.json()["non_field_errors"][0]
    assert Transaction.objects.count() == before


# --- Payouts ----------------------------------------------------------------------------------


@pytest.fixture
def separated(vested):
    members.employee_separate(
        employee=vested, separation_date=date(1984, 9, 30), reason="resignation"
    )
    return vested


def test_api_payouts_due_by_a_date(clerk_client, separated):
    response = clerk_client.get("/api/v1/payouts/?due_by=1985-01-01")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["policy_year"], r["amount"], r["due_on"]) for r in rows] == [
        ("1982-83", "500.00", "1984-09-30"),
        ("1983-84", "500.00", "1985-01-01"),
    ]
    assert clerk_client.get("/api/v1/payouts/?due_by=1984-12-31").json()["count"] == 1
    assert clerk_client.get("/api/v1/payouts/?due_by=someday").status_code == 400


def test_payout_page_makes_a_register_downloadable_as_csv(clerk_client, separated):
    html = clerk_client.get("/vesting/payouts/").content.decode()
    assert "Rivera, Ana" in html
    response = clerk_client.post("/vesting/payouts/registers/new/", {"date": "1985-01-01"})
    assert response.status_code == 302
    payout = Payout.objects.get(policy_year=1983)
    assert payout.status == "paid" and payout.register is not None
    download = clerk_client.get(f"/vesting/payouts/registers/{payout.register_id}.csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0][:3] == ["register", "date", "employer"]
    assert [row[8] for row in rows[1:-1]] == ["500.00", "500.00"]
    assert rows[-1][-2] == "1000.00"
    html = clerk_client.get("/vesting/payouts/?status=paid").content.decode()
    assert f"register #{payout.register_id}" in html


def test_superintendent_sees_payouts_but_cannot_make_a_register(superintendent_client, separated):
    assert superintendent_client.get("/vesting/payouts/").status_code == 200
    response = superintendent_client.post("/vesting/payouts/registers/new/", {"date": "1985-01-01"})
    assert response.status_code == 403
    assert not Payout.objects.filter(status="paid").exists()


def test_api_records_a_continuation_payment_R_VE9(clerk_client, separated):
    response = clerk_client.post(
        f"/api/v1/employees/{separated.pk}/continuation-payments/",
        {"month": "1984-10", "amount": "175.30"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["amount"], body["status"]) == ("continuation", "175.30", "paid")
    assert payouts.side_account_balance(separated) == D("949.71")
    late = clerk_client.post(
        f"/api/v1/employees/{separated.pk}/continuation-payments/",
        {"month": "1985-01", "amount": "175.30"},
        content_type="application/json",
    )
    assert late.status_code == 400  # R-VE9: October to December 1984 only
    assert "at most 3 months" in late.json()["month"][0]


def test_beneficiary_flags_page_lets_the_clerk_name_the_payee_R_VE10(clerk_client, program):
    employee = hire(program=program, hire_date=date(1982, 6, 1), last_name="Ortiz")
    roll(1982)
    members.employee_separate(employee=employee, separation_date=date(1984, 3, 10), reason="death")
    html = clerk_client.get("/vesting/payouts/flags/").content.decode()
    assert "Ortiz" in html
    flag = Payout.objects.get(employee=employee, status="flagged")
    response = clerk_client.post("/vesting/payouts/flags/", {"payout": flag.pk, "payee_name": ""})
    assert response.status_code == 400
    assert "Name the person or estate to be paid." in response.content.decode()
    tampered = clerk_client.post(
        "/vesting/payouts/flags/", {"payout": "abc", "payee_name": "Estate of Pat Ortiz"}
    )
    assert tampered.status_code == 400  # not a 500: the payout is not an id
    assert "No such beneficiary payment." in tampered.content.decode()
    response = clerk_client.post(
        "/vesting/payouts/flags/", {"payout": flag.pk, "payee_name": "Estate of Pat Ortiz"}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.payee_name) == ("held", "Estate of Pat Ortiz")
    # A second clerk sending the same flag after it was resolved is told so.
    again = clerk_client.post(
        "/vesting/payouts/flags/", {"payout": flag.pk, "payee_name": "Someone Else"}
    )
    assert again.status_code == 400
    assert "This payment is not waiting for a payee." in again.content.decode()
    flag.refresh_from_db()
    assert flag.payee_name == "Estate of Pat Ortiz"


def test_payout_list_queries_do_not_grow_with_rows(
    clerk_client, program, django_assert_max_num_queries
):
    employees = [
        hire(program=program, hire_date=date(1982, 6, 1), number=f"N{number}")
        for number in range(6)
    ]
    roll(1982)
    for employee in employees:
        members.employee_separate(
            employee=employee, separation_date=date(1983, 9, 30), reason="resignation"
        )
    assert Payout.objects.count() == 12
    with django_assert_max_num_queries(14):
        html = clerk_client.get("/vesting/payouts/").content.decode()
    assert html.count("/side-account/") == 12
