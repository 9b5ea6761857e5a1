"""The rollover per employer and year (R-VE3, R-VE4): an employer that joins the pool later
vests its own earlier years in order; a rollover waits for the year's month closes (an
administrator may override with a reason); the employer-years in the API, by role.

Amounts worked by hand (R-PY2): a FULL-tier month adds 41.67, twelve are capped at 500.00, so a full year
is 500.00; a hire of February 2, 1984 is covered from March 1 (R-EL6): March-June 1984 is
4 x 41.67 = 166.68 (R-PY2), a partial year before any full year: pending in 1983-84 and
vested by the 1984-85 rollover, on July 1, 1985 (R-VE4).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from tests.factories import EmployerFactory, ProgramFactory, hire
from vesting import ledger, rollover
from vesting.models import Transaction, VestingLine, VestingRun, VestingRunEmployerStep

pytestmark = pytest.mark.django_db

D = Decimal
NO_CLOSES = "No month closes in this data set."


def start(year: int, **kwargs) -> VestingRun:
    return rollover.rollover_start(
        policy_year=year, today=date(year + 1, 7, 1), queue=False, **kwargs
    )


def employer_with_people(code: str):
    program = ProgramFactory(employer=EmployerFactory(code=code, name=f"{code} district"))
    full = hire(program=program, number=f"{code}-1", hire_date=date(1983, 6, 1))
    partial = hire(program=program, number=f"{code}-2", hire_date=date(1984, 2, 2))
    return program.employer, full, partial


def test_R_VE4_an_employer_joining_later_vests_its_own_earlier_years_in_order():
    first, *_ = employer_with_people("EARLY")
    for year in (1983, 1984):
        rollover.rollover_execute(start(year, override_reason=NO_CLOSES).pk)
    early_runs = set(VestingRunEmployerStep.objects.values_list("run_id", flat=True))

    # A district joins in 1985 with its history of 1983-84 and 1984-85 entered.
    late, full, partial = employer_with_people("LATE")
    # The pool's year is done for the pool's employers: nothing new for them.
    run = start(1984, employer=late, override_reason=NO_CLOSES)
    assert (run.employer_id, run.status) == (late.pk, "queued")
    run = rollover.rollover_execute(run.pk)
    assert (run.status, run.employers_done, run.employers_total) == ("completed", 2, 2)

    years = list(
        VestingRunEmployerStep.objects.filter(employer=late).values_list(
            "policy_year", "status", "lines_written", "employees_vested", "amount_vested"
        )
    )
    # 1983-84: the full-year hire vests 500.00; the February hire (covered March-June,
    # R-EL6) has 4 x 41.67 = 166.68 pending (R-PY2). 1984-85: both full years vest 500.00
    # each, and the pending 166.68 vests too.
    assert years == [
        (1983, "completed", 2, 1, D("500.00")),
        (1984, "completed", 2, 2, D("1166.68")),
    ]
    lines = {
        (line.employee_id, line.policy_year): (line.outcome, line.amount, line.vested_on)
        for line in VestingLine.objects.filter(employee__employer=late)
    }
    assert lines == {
        (full.pk, 1983): ("vested", D("500.00"), date(1984, 7, 1)),
        (full.pk, 1984): ("vested", D("500.00"), date(1985, 7, 1)),
        (partial.pk, 1983): ("vested", D("166.68"), date(1985, 7, 1)),
        (partial.pk, 1984): ("vested", D("500.00"), date(1985, 7, 1)),
    }
    # The first employer's years were not touched.
    assert (
        set(VestingRunEmployerStep.objects.filter(employer=first).values_list("run_id", flat=True))
        <= early_runs
    )
    # Asked again: every employer-year is done, the same run comes back, nothing posted.
    count = Transaction.objects.count()
    again = start(1984, employer=late, override_reason=NO_CLOSES)
    assert (again.pk, again.status) == (run.pk, "completed")
    rollover.rollover_execute(again.pk)
    assert Transaction.objects.count() == count


def test_rollover_refused_while_a_month_of_the_year_is_open_naming_employer_and_months():
    employer, *_ = employer_with_people("MCOE")
    for month in (7, 8, 9, 10, 11, 12):  # July..December 1983 closed, January..June open
        ledger.month_close(employer_id=employer.pk, year=1983, month=month)
    with pytest.raises(ValidationError) as refused:
        start(1983)
    message = " ".join(refused.value.messages)
    assert (
        "The rollover cannot start while months of the year are not closed: MCOE 1983-84: "
        "Jan 1984, Feb 1984, Mar 1984, Apr 1984, May 1984, Jun 1984." in message
    )
    assert not VestingRun.objects.exists()
    assert not VestingLine.objects.exists()

    # Once every month is closed, it starts with no override (an employer with nobody
    # covered in the year has nothing to close).
    EmployerFactory(code="EMPTY")
    for month in range(1, 7):
        ledger.month_close(employer_id=employer.pk, year=1984, month=month)
    run = rollover.rollover_execute(start(1983).pk)
    assert (run.status, run.override_reason, run.amount_vested) == ("completed", "", D("500.00"))


def test_an_administrator_may_override_open_months_with_a_reason_a_superintendent_may_not(
    administrator_user, superintendent_user
):
    employer_with_people("MCOE")
    reason = "June contributions were received; the county closes June late this year."
    with pytest.raises(ValidationError) as refused:
        start(1983, started_by=superintendent_user, override_reason=reason)
    assert "Only an administrator may start a rollover with months not closed" in str(refused.value)
    assert not VestingRun.objects.exists()

    run = start(1983, started_by=administrator_user, override_reason=reason)
    assert run.override_reason == reason
    assert run.override_by == administrator_user
    assert run.open_months == [
        {
            "employer": "MCOE",
            "year": 1983,
            "months": [
                "Jul 1983",
                "Aug 1983",
                "Sep 1983",
                "Oct 1983",
                "Nov 1983",
                "Dec 1983",
                "Jan 1984",
                "Feb 1984",
                "Mar 1984",
                "Apr 1984",
                "May 1984",
                "Jun 1984",
            ],
        }
    ]
    run = rollover.rollover_execute(run.pk)
    assert (run.status, run.amount_vested) == ("completed", D("500.00"))


def test_a_stale_run_is_resumed_by_one_worker_only():
    employer_with_people("MCOE")
    run = start(1983, override_reason=NO_CLOSES)
    # A worker took it and died before its batch committed: running, an old heartbeat.
    VestingRun.objects.filter(pk=run.pk).update(status="running", heartbeat_at=None)
    assert VestingRun.objects.get(pk=run.pk).status_label == "Stale (its worker stopped)"
    with mock.patch("vesting.rollover.enqueue_on_commit") as enqueue:
        assert rollover.rollover_resume_stale() == [run.pk]
    enqueue.assert_called_once_with(rollover.ROLLOVER_TASK, run.pk)
    assert VestingRun.objects.get(pk=run.pk).status == "queued"
    # The first worker claims it; a second one, while the first is alive, does nothing.
    assert rollover.rollover_claim(run.pk) is True
    assert rollover.rollover_claim(run.pk) is False
    VestingRun.objects.filter(pk=run.pk).update(status="queued")
    done = rollover.rollover_execute(run.pk)
    assert (done.status, done.amount_vested) == ("completed", D("500.00"))
    assert Transaction.objects.filter(kind="vesting_transfer").count() == 1


# --- API ----------------------------------------------------------------------------------


def test_api_refuses_open_months_for_a_superintendent_and_takes_an_administrators_override(
    superintendent_client, administrator_client
):
    employer_with_people("MCOE")
    with mock.patch("vesting.tasks.rollover_run.apply_async"):
        refused = superintendent_client.post(
            "/api/v1/vesting-runs/", {"policy_year": "1983-84"}, content_type="application/json"
        )
        assert refused.status_code == 400
        assert (
            "MCOE 1983-84: all twelve months, Jul 1983 to Jun 1984"
            in refused.json()["non_field_errors"][0]
        )
        not_allowed = superintendent_client.post(
            "/api/v1/vesting-runs/",
            {"policy_year": "1983-84", "override_reason": "Late close"},
            content_type="application/json",
        )
        assert not_allowed.status_code == 400
        assert "Only an administrator" in not_allowed.json()["override_reason"][0]
        created = administrator_client.post(
            "/api/v1/vesting-runs/",
            {"policy_year": "1983-84", "override_reason": "Late close"},
            content_type="application/json",
        )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["override_reason"], body["override_by"]) == (
        "queued",
        "Late close",
        "admin1",
    )
    assert [(y["policy_year"], y["employer"], y["status"]) for y in body["employer_years"]] == [
        ("1983-84", "MCOE", "queued")
    ]
    rollover.rollover_execute(body["id"])
    page = administrator_client.get(f"/vesting/runs/{body['id']}/").content.decode()
    assert "Started with months not closed, by admin1. Reason: Late close" in page


def test_api_lists_employer_years_with_their_status_by_role(
    superintendent_client, administrator_client, clerk_client, employee_client
):
    employer_with_people("MCOE")
    employer_with_people("LATE")
    run = start(1983, override_reason=NO_CLOSES)
    rollover.rollover_execute(run.pk)
    response = superintendent_client.get("/api/v1/vesting-employer-years/")
    assert response.status_code == 200
    # (the employee_client's own employer, with no one covered, completes with nothing)
    rows = [r for r in response.json()["results"] if r["employer"] in ("LATE", "MCOE")]
    assert [(r["policy_year"], r["employer"], r["status"], r["amount_vested"]) for r in rows] == [
        ("1983-84", "LATE", "completed", "500.00"),
        ("1983-84", "MCOE", "completed", "500.00"),
    ]
    only = administrator_client.get(
        "/api/v1/vesting-employer-years/", {"employer": "MCOE", "status": "completed"}
    )
    assert [r["employer"] for r in only.json()["results"]] == ["MCOE"]
    assert (
        administrator_client.get("/api/v1/vesting-employer-years/", {"status": "lost"}).status_code
        == 400
    )
    for client in (clerk_client, employee_client):
        assert client.get("/api/v1/vesting-employer-years/").status_code == 403
        assert (
            client.post(
                "/api/v1/vesting-runs/",
                {"policy_year": "1983-84", "employer": "LATE"},
                content_type="application/json",
            ).status_code
            == 403
        )


def test_employer_year_runs_are_in_the_openapi_schema(administrator_client):
    schema = administrator_client.get("/api/schema/?format=json").json()
    assert "/api/v1/vesting-employer-years/" in schema["paths"]
    assert "/api/v1/vesting-runs/" in schema["paths"]
    start_body = schema["components"]["schemas"]["VestingRunInputRequest"]["properties"]
    assert {"policy_year", "employer", "override_reason"} <= set(start_body)
