"""The July 1 rollover: vesting of a policy year for every employer (R-VE1..R-VE4, R-VE11).

Entry points:

- :func:`rollover_start` asks for the run of a policy year (one :class:`VestingRun` per
  year) and queues it; it refuses a year that has not ended.
- :func:`rollover_execute` runs it: one step per employer, in employer order. A step is
  ONE database transaction that writes the employer's vesting lines (one set-based
  ``INSERT ... SELECT`` computing every employee's allotment, full-year flag, trust-fund
  claims and decision), settles the earlier pending years it decides, posts the money
  through the ledger's batch path and records the step. A crash or a killed worker
  leaves either nothing or everything of a step; calling :func:`rollover_execute` again
  skips the completed steps and finishes the run.
- :func:`vest_at_separation` runs the same computation for one employee at separation
  (R-VE4: the year of separation vests at separation).

The lines themselves (SQL, pooling, postings, their Decisions) are in :mod:`vesting.lines`.

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: a failing employer step is recorded in the run's errors and the other
  employers go on; the run then ends ``failed`` and a restart retries the failed steps.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection
from django.db import transaction as db_transaction
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import Employer
from accounts.rules import (
    policy_year_end,
    policy_year_label,
    policy_year_start,
)
from staywell.money import ZERO
from staywell.tasks import enqueue_on_commit
from vesting import ledger
from vesting.lines import (
    Settled,
    lines_post,
    lines_write,
    lock_general_trust,
    pending_settle,
    spouses_pool,
)
from vesting.models import (
    GoLiveEmployer,
    VestingLine,
    VestingRun,
    VestingRunEmployerStep,
)
from vesting.payouts import payouts_refresh_many
from vesting.signals import rollover_completed

logger = logging.getLogger(__name__)

__all__ = [
    "StepResult",
    "rollover_execute",
    "rollover_start",
]

# The Celery task that runs a rollover (``vesting.tasks.rollover_run``), queued by name so
# that the service does not import the tasks built on it.
ROLLOVER_TASK = "vesting.rollover_run"
STEP_DELAY_ENV = "STAYWELL_ROLLOVER_STEP_DELAY"  # tests only: seconds to wait in each step


# --- Starting a run ------------------------------------------------------------------------


def rollover_start(
    *, policy_year: int, started_by: Any = None, today: date | None = None, queue: bool = True
) -> VestingRun:
    """Ask for the rollover of ``policy_year`` (1984 for 1984-85) and queue it (R-VE3).

    Refused with a ``ValidationError`` while the year has not ended (its June 30 has not
    passed). A year whose run completed returns that run and does nothing. A run that did
    not complete (failed, or left running by a killed worker) is queued again: the restart
    (completed employer steps are skipped; two workers on one run cannot both do a step).
    With ``queue=False`` the caller runs it (:func:`rollover_execute`, e.g. ``manage.py
    rollover``).
    """
    today = today or timezone.localdate()
    label = policy_year_label(policy_year)
    if not 1900 <= policy_year <= 2999:
        raise ValidationError({"policy_year": f"{policy_year} is not a policy year."})
    if today <= policy_year_end(policy_year):
        raise ValidationError(
            {
                "policy_year": (
                    f"The policy year {label} has not ended: it runs to "
                    f"{policy_year_end(policy_year):%B %-d, %Y}, so its rollover can start on "
                    f"{policy_year_start(policy_year + 1):%B %-d, %Y} at the earliest."
                )
            },
            code="year_not_ended",
        )
    with db_transaction.atomic():
        run, created = VestingRun.objects.get_or_create(
            policy_year=policy_year, defaults={"started_by_id": ledger.user_id_of(started_by)}
        )
        if not created:
            run = VestingRun.objects.select_for_update().get(pk=run.pk)
        if run.status != VestingRun.Status.COMPLETED:
            if run.status == VestingRun.Status.FAILED:
                VestingRun.objects.filter(pk=run.pk).update(
                    status=VestingRun.Status.QUEUED, errors=[], finished_at=None
                )
                run.refresh_from_db()
            if queue:
                enqueue_on_commit(ROLLOVER_TASK, run.pk)
    return run


# --- Running it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """What one employer step wrote."""

    employer_id: int
    lines_written: int
    employees_vested: int
    amount_vested: Decimal
    amount_to_district: Decimal
    skipped: bool = False  # the step had been done before


def _step_checkpoint(employer_id: int) -> None:
    """Called inside each step's transaction, after its postings and before its commit.

    Tests make steps slow here (``STAYWELL_ROLLOVER_STEP_DELAY`` seconds) so that a
    worker can be killed in the middle of a step, or replace it to simulate a crash.
    """
    delay = os.environ.get(STEP_DELAY_ENV, "").strip()
    if delay:
        time.sleep(float(delay))


def rollover_execute(
    run_id: int, *, on_progress: Callable[[VestingRun], None] | None = None
) -> VestingRun:
    """Run (or finish) a rollover: every employer step not done yet, in employer order.

    Progress (employers done, counts, totals) is written after each step, outside the
    step's transaction, so that the run's page sees it. When every employer has its step
    the run completes and ``vesting.signals.rollover_completed`` is sent inside the
    finishing transaction. Calling it again for a completed run does nothing.
    """
    run = VestingRun.objects.get(pk=run_id)
    if run.status == VestingRun.Status.COMPLETED:
        return run
    employer_ids = list(Employer.objects.order_by("pk").values_list("pk", flat=True))
    VestingRun.objects.filter(pk=run_id).exclude(status=VestingRun.Status.COMPLETED).update(
        status=VestingRun.Status.RUNNING,
        employers_total=len(employer_ids),
        started_at=run.started_at or timezone.now(),
        errors=[],
        finished_at=None,
    )
    done = set(
        VestingRunEmployerStep.objects.filter(run_id=run_id).values_list("employer_id", flat=True)
    )
    errors: list[dict[str, str]] = []
    for employer_id in employer_ids:
        if employer_id in done:
            continue
        try:
            rollover_employer_step(run_id=run_id, employer_id=employer_id)
        except (OperationalError, InterfaceError):
            raise  # the database went away: the task retries (nothing of the step was kept)
        except Exception as exc:  # this employer's step rolled back: record it, go on
            code = Employer.objects.filter(pk=employer_id).values_list("code", flat=True).first()
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else repr(exc)
            logger.exception("rollover %s: employer %s failed", run.label, code)
            errors.append({"employer": code or str(employer_id), "message": message})
            VestingRun.objects.filter(pk=run_id).update(errors=errors)
        run = _record_progress(run_id)
        logger.info(
            "rollover %s: %s of %s employers done",
            run.label,
            run.employers_done,
            run.employers_total,
        )
        if on_progress is not None:
            on_progress(run)
    return _finish(run_id)


def _record_progress(run_id: int) -> VestingRun:
    totals = VestingRunEmployerStep.objects.filter(run_id=run_id).aggregate(
        done=Count("id"),
        lines=Sum("lines_written"),
        vested=Sum("employees_vested"),
        amount=Sum("amount_vested"),
        district=Sum("amount_to_district"),
    )
    VestingRun.objects.filter(pk=run_id).update(
        employers_done=totals["done"] or 0,
        lines_written=totals["lines"] or 0,
        employees_vested=totals["vested"] or 0,
        amount_vested=totals["amount"] or ZERO,
        amount_to_district=totals["district"] or ZERO,
    )
    return VestingRun.objects.get(pk=run_id)


def _finish(run_id: int) -> VestingRun:
    with db_transaction.atomic():
        run = VestingRun.objects.select_for_update().get(pk=run_id)
        if run.status == VestingRun.Status.COMPLETED:
            return run
        done = set(
            VestingRunEmployerStep.objects.filter(run_id=run_id).values_list(
                "employer_id", flat=True
            )
        )
        missing = Employer.objects.exclude(pk__in=done).exists()
        run.finished_at = timezone.now()
        if missing:
            run.status = VestingRun.Status.FAILED
            if not run.errors:
                run.errors = [{"employer": "", "message": "Some employers were not processed."}]
            run.save(update_fields=["status", "finished_at", "errors"])
            return run
        run.status = VestingRun.Status.COMPLETED
        run.errors = []
        run.save(update_fields=["status", "finished_at", "errors"])
        rollover_completed.send(sender=VestingRun, policy_year=run.policy_year, run_id=run.pk)
    return run


def rollover_employer_step(*, run_id: int, employer_id: int) -> StepResult:
    """One employer's part of a run, in ONE database transaction (see the module doc)."""
    run = VestingRun.objects.get(pk=run_id)
    year = run.policy_year
    with db_transaction.atomic():
        with connection.cursor() as cursor:  # one worker per step, even when two run it
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"vesting-step:{run_id}:{employer_id}"],
            )
        if VestingRunEmployerStep.objects.filter(run_id=run_id, employer_id=employer_id).exists():
            return StepResult(employer_id, 0, 0, ZERO, ZERO, skipped=True)
        cutover = GoLiveEmployer.cutover_of(employer_id)
        if cutover is not None and policy_year_end(year) <= cutover:
            # Vested by the plan's earlier administrator and carried in (vesting.golive).
            VestingRunEmployerStep.objects.create(run_id=run_id, employer_id=employer_id)
            return StepResult(employer_id, 0, 0, ZERO, ZERO)
        general_trust = lock_general_trust(employer_id)
        rows = lines_write(
            year=year, employer_id=employer_id, general_trust=general_trust, run_id=run_id
        )
        settled = [
            Settled(r.id, r.employee_id, r.policy_year, r.amount, r.outcome)
            for r in rows
            if r.outcome != "pending"
        ]
        written = {r.employee_id: r for r in rows}
        settled, pooled_lines = spouses_pool(
            year=year, employer_id=employer_id, run_id=run_id, written=written, settled=settled
        )
        settled += pending_settle(year=year, employer_id=employer_id)
        vested, to_district = lines_post(
            year=year,
            employer_id=employer_id,
            run_id=run_id,
            settled=settled,
            effective_date=policy_year_start(year + 1),
        )
        _refresh_separated(settled)
        _step_checkpoint(employer_id)
        result = StepResult(
            employer_id=employer_id,
            lines_written=len(rows) + pooled_lines,
            employees_vested=len(
                {s.employee_id for s in settled if s.outcome == "vested" and s.amount > 0}
            ),
            amount_vested=vested,
            amount_to_district=to_district,
        )
        VestingRunEmployerStep.objects.create(
            run_id=run_id,
            employer_id=employer_id,
            lines_written=result.lines_written,
            employees_vested=result.employees_vested,
            amount_vested=vested,
            amount_to_district=to_district,
        )
    return result


def _refresh_separated(settled: Sequence[Settled]) -> None:
    """Separated employees whose account just grew get their payouts brought up to date."""
    ids = {s.employee_id for s in settled if s.outcome == VestingLine.Outcome.VESTED and s.amount}
    if not ids:
        return
    payouts_refresh_many(employee_ids=ids)
