"""The July 1 rollover as a batch job (R-VE3, R-VE4): once per year, set-based, all or
nothing per employer, restartable; refused for a year that has not ended."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import EmployerFactory, ProgramFactory, hire
from vesting import ledger, rollover
from vesting.models import (
    Posting,
    Transaction,
    VestingLine,
    VestingRun,
    VestingRunEmployerStep,
)
from vesting.signals import rollover_completed

pytestmark = pytest.mark.django_db

D = Decimal


def ledger_snapshot() -> list[tuple]:
    """Every posting, sorted, with its transaction's identity: the ledger, comparable."""
    return sorted(
        Posting.objects.values_list(
            "account__fund__employer__code",
            "account__name",
            "account__employee__number",
            "transaction__kind",
            "transaction__idempotency_key",
            "transaction__effective_date",
            "direction",
            "amount",
        )
    )


def lines_snapshot() -> list[tuple]:
    return sorted(
        VestingLine.objects.values_list(
            "employee__number",
            "policy_year",
            "allotment",
            "trust_fund_claims",
            "unused",
            "full_year",
            "amount",
            "outcome",
            "vested_on",
            "transaction__idempotency_key",
        )
    )


def pool(employers: int = 3, per_employer: int = 4) -> list:
    """A few employers with a mix: full years, a partial year, a claim, a 3/4-time worker."""
    people = []
    for e in range(employers):
        program = ProgramFactory(employer=EmployerFactory(code=f"R{e}"))
        for n in range(per_employer):
            employee = hire(
                program=program,
                number=f"{e}-{n}",
                hire_date=date(1983, 6, 1) if n % 2 == 0 else date(1984, 2, 2),
                weekly_hours=D("40") if n != 3 else D("25"),
            )
            if n == 0:
                ledger.post_claim_payment(
                    employer=program.employer,
                    employee=employee,
                    amount=D("123.45"),
                    effective_date=date(1984, 5, 2),
                    service_date=date(1984, 4, 20),
                    payee_name="Clinic",
                )
            people.append(employee)
    return people


def start(year: int) -> VestingRun:
    return rollover.rollover_start(
        policy_year=year,
        today=date(year + 1, 7, 1),
        queue=False,
        override_reason="No month closes in this data set.",
    )


def test_R_VE3_rollover_refused_for_a_year_that_has_not_ended():
    with pytest.raises(ValidationError) as refused:
        rollover.rollover_start(
            policy_year=1984,
            today=date(1985, 6, 30),
            queue=False,
            override_reason="No month closes in this data set.",
        )
    assert "The policy year 1984-85 has not ended: it runs to June 30, 1985" in str(refused.value)
    assert not VestingRun.objects.exists()
    run = rollover.rollover_start(
        policy_year=1984,
        today=date(1985, 7, 1),
        queue=False,
        override_reason="No month closes in this data set.",
    )
    assert run.status == "queued"


def test_R_VE3_running_the_rollover_twice_gives_identical_ledgers():
    pool()
    run = start(1983)
    rollover.rollover_execute(run.pk)
    ledger, lines = ledger_snapshot(), lines_snapshot()
    assert VestingRun.objects.get(pk=run.pk).status == "completed"
    assert len(lines) == 6 * 2  # hires of June 1983 only; February 1984 hires have 1984 lines

    # A second start returns the same run, and running it again does nothing.
    again = start(1983)
    assert again.pk == run.pk
    rollover.rollover_execute(again.pk)
    assert ledger_snapshot() == ledger and lines_snapshot() == lines
    # Even with the checkpoints gone, the unique lines make a repeat harmless.
    VestingRunEmployerStep.objects.all().delete()
    # ... left "running" by a worker that died (no heartbeat): the next worker takes it.
    VestingRun.objects.filter(pk=run.pk).update(status="running", heartbeat_at=None)
    rollover.rollover_execute(run.pk)
    assert ledger_snapshot() == ledger and lines_snapshot() == lines
    assert VestingRun.objects.get(pk=run.pk).status == "completed"


def test_R_VE3_rollover_figures_and_counts():
    people = pool(employers=2, per_employer=4)
    run = start(1983)
    run = rollover.rollover_execute(run.pk)
    # Per employer: 2 full-tier full years (one with a 123.45 claim), one 3/4-time (no
    # allotment, hired Feb 1984: none in 1983), one partial hire of Feb 1984 (none).
    assert (run.employers_total, run.employers_done) == (2, 2)
    assert run.amount_vested == D("500.00") * 4 - D("123.45") * 2
    assert run.employees_vested == 4
    assert run.amount_to_district == D("0.00")
    first = VestingLine.objects.get(employee=people[0], policy_year=1983)
    assert (first.allotment, first.trust_fund_claims, first.amount) == (
        D("500.00"),
        D("123.45"),
        D("376.55"),
    )

    run = rollover.rollover_execute(start(1984).pk)
    partial = VestingLine.objects.get(employee=people[1], policy_year=1984)
    assert (partial.full_year, partial.outcome) == (True, "vested")  # March 1984 on: full 1984
    earlier = VestingLine.objects.filter(employee=people[1], policy_year=1983).get()
    # February 1984 hire, covered from March 1: March-June 1984 (4 months) partial year
    # before the first full year: pending in 1983, vested by 1984's rollover (R-VE4);
    # 4 x 41.67 = 166.68 (R-PY2).
    assert (earlier.outcome, earlier.amount, earlier.vested_on) == (
        "vested",
        D("166.68"),
        date(1985, 7, 1),
    )
    three_quarter = VestingLine.objects.get(employee=people[3], policy_year=1984)
    assert (three_quarter.allotment, three_quarter.amount) == (D("0.00"), D("0.00"))
    assert three_quarter.transaction is None  # nothing moves for a zero amount


def test_rollover_completed_signal_is_sent_once_with_year_and_run():
    pool(employers=1)
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    rollover_completed.connect(receiver)
    try:
        run = start(1983)
        rollover.rollover_execute(run.pk)
        rollover.rollover_execute(run.pk)
    finally:
        rollover_completed.disconnect(receiver)
    assert [(r["policy_year"], r["run_id"]) for r in received] == [(1983, run.pk)]


def test_crash_inside_an_employer_step_leaves_nothing_of_it_and_a_restart_completes(
    monkeypatch,
):
    people = pool(employers=3)
    employers = sorted({p.employer_id for p in people})
    crashing = employers[1]

    def crash(employer_id):
        if employer_id == crashing:  # after the lines and postings of the step were written
            raise RuntimeError("worker lost")

    monkeypatch.setattr(rollover, "_step_checkpoint", crash)
    run = start(1983)
    run = rollover.rollover_execute(run.pk)
    assert run.status == "failed"
    assert run.employers_done == 2
    assert "worker lost" in run.errors[0]["message"]
    crashed = [p.pk for p in people if p.employer_id == crashing]
    assert not VestingLine.objects.filter(employee_id__in=crashed).exists()
    assert not Transaction.objects.filter(
        employer_id=crashing, kind__in=["vesting_transfer", "unvested_transfer"]
    ).exists()
    # The employer-year is recorded failed, with its error; the others completed.
    failed = VestingRunEmployerStep.objects.get(employer_id=crashing, policy_year=1983)
    assert (failed.status, failed.lines_written) == ("failed", 0)
    assert "worker lost" in failed.error

    monkeypatch.setattr(rollover, "_step_checkpoint", lambda employer_id: None)
    restarted = rollover.rollover_start(
        policy_year=1983,
        today=date(1984, 7, 1),
        queue=False,
        override_reason="No month closes in this data set.",
    )
    assert restarted.pk == run.pk and restarted.status == "queued"
    run = rollover.rollover_execute(run.pk)
    assert (run.status, run.employers_done, run.errors) == ("completed", 3, [])
    assert VestingLine.objects.filter(employee_id__in=crashed, outcome="vested").count() == 2
    assert run.amount_vested == D("500.00") * 6 - D("123.45") * 3


def test_set_based_a_step_costs_the_same_queries_for_3_or_30_employees():
    def step_queries(size: int, code: str) -> int:
        program = ProgramFactory(employer=EmployerFactory(code=code))
        for n in range(size):
            hire(program=program, number=f"{code}{n}", hire_date=date(1983, 6, 1))
        run, _ = VestingRun.objects.get_or_create(policy_year=1983)
        with CaptureQueriesContext(connection) as queries:
            result = rollover.rollover_employer_step(run_id=run.pk, employer_id=program.employer_id)
        assert result.employees_vested == size
        return len(queries)

    assert step_queries(3, "SMALL") == step_queries(30, "LARGE")


def test_R_VE3_beat_starts_the_rollover_of_the_year_just_ended_at_1_am_on_july_1():
    from celery.schedules import crontab
    from django.conf import settings

    from vesting.tasks import rollover_year_just_ended

    entry = settings.CELERY_BEAT_SCHEDULE["vesting-rollover-july-1"]
    assert entry["task"] == "vesting.rollover_year_just_ended"
    assert entry["schedule"] == crontab(minute=0, hour=1, day_of_month=1, month_of_year=7)
    assert {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()} >= {
        "vesting.payouts_process",
        "vesting.continuation_premiums_post",
    }
    people = pool(employers=1)
    # While a month of the year is open, the July 1 job starts nothing.
    assert rollover_year_just_ended.run(today="1984-07-01") is None
    assert not VestingRun.objects.exists()
    for month in range(12):  # July 1983 .. June 1984
        first = date(1983 + (6 + month) // 12, (6 + month) % 12 + 1, 1)
        ledger.month_close(employer_id=people[0].employer_id, year=first.year, month=first.month)
    run_id = rollover_year_just_ended.run(today="1984-07-01")
    run = VestingRun.objects.get(pk=run_id)
    assert (run.label, run.status, run.override_reason) == ("1983-84", "completed", "")


def test_manage_py_rollover_runs_a_year_once_and_refuses_one_not_ended():
    from io import StringIO

    from django.core.management import CommandError, call_command

    pool(employers=2)
    out = StringIO()
    reason = "No month closes in this data set."
    call_command("rollover", year="1983-84", today="1984-07-01", override_reason=reason, stdout=out)
    assert "2/2 employers" in out.getvalue()
    assert "Rollover of 1983-84: Completed; 2 of 2 employers" in out.getvalue()
    again = StringIO()
    call_command(
        "rollover", year="1983-84", today="1984-07-01", override_reason=reason, stdout=again
    )
    assert "already ran; nothing changed" in again.getvalue()
    with pytest.raises(CommandError, match="has not ended"):
        call_command("rollover", year="1984-85", today="1985-06-30", stdout=StringIO())
    with pytest.raises(CommandError, match="not a policy year"):
        call_command("rollover", year="1984", stdout=StringIO())


def test_R_VE3_a_batch_ended_by_a_deadlock_hands_the_run_back_for_the_retry(monkeypatch):
    """A deadlock (or the database gone) ends the batch with nothing kept; the task retries.
    The run goes back to "queued", so that the retry takes it at once instead of finding
    it "running" and waiting for it to go stale."""
    from django.db import OperationalError

    people = pool(employers=2)
    run = start(1983)
    real_batch = rollover.rollover_batch

    def deadlocked(**_kwargs):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(rollover, "rollover_batch", deadlocked)
    with pytest.raises(OperationalError):
        rollover.rollover_execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.employers_done) == ("queued", 0)
    assert not VestingLine.objects.exists()

    monkeypatch.setattr(rollover, "rollover_batch", real_batch)
    run = rollover.rollover_execute(run.pk)
    assert (run.status, run.employers_done) == ("completed", 2)
    assert VestingLine.objects.filter(outcome="vested").count() == len(people) // 2
    assert run.amount_vested == D("500.00") * 4 - D("123.45") * 2


def test_R_VE3_the_pool_vests_in_batches_of_employees_each_reported_as_it_ends(settings):
    """Each batch is a transaction of its own (its employers' claims wait for it only):
    with batches of 8 employees, 3 employers of 4 go as [R0, R1] then [R2]."""
    settings.VESTING_ROLLOVER_BATCH_EMPLOYEES = 8
    pool(employers=3, per_employer=4)
    seen = []
    run = rollover.rollover_execute(
        start(1983).pk, on_progress=lambda r: seen.append(r.employers_done)
    )
    assert seen == [2, 3]
    assert (run.status, run.employers_done, run.employees_vested) == ("completed", 3, 6)
    assert run.amount_vested == D("500.00") * 6 - D("123.45") * 3


def test_a_rollover_batch_runs_with_the_parallel_workers_set(settings, monkeypatch):
    """A batch's statements run with settings.VESTING_ROLLOVER_PARALLEL_WORKERS (0 by
    default: one core of the database server; the others serve the people working)."""
    pool(employers=2)
    real_lines_write = rollover.lines_write
    seen = []

    def lines_write(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            seen.append(cursor.fetchone()[0])
        return real_lines_write(**kwargs)

    monkeypatch.setattr(rollover, "lines_write", lines_write)
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        before = cursor.fetchone()[0]
    assert before != "0"  # PostgreSQL's own default (2) outside the batch
    settings.VESTING_ROLLOVER_BATCH_EMPLOYEES = 4  # one batch an employer
    run = rollover.rollover_execute(start(1983).pk)
    assert run.status == "completed"
    settings.VESTING_ROLLOVER_PARALLEL_WORKERS = 3
    run = rollover.rollover_execute(start(1984).pk)
    assert run.status == "completed"
    assert seen == ["0", "0", "3", "3"]
