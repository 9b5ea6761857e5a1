"""The July 1 rollover: vesting of policy years per employer and year (R-VE1..R-VE4, R-VE11).

The model (see :class:`vesting.models.VestingRun`): a **run** is a request covering a set
of **employer-years** (:class:`vesting.models.VestingRunEmployerStep`, one row per
employer and policy year, unique), each with its own status (queued, running, completed,
failed; stale when its worker stopped) and counts and totals. A completed employer-year
is never redone by a rollover.

Entry points:

- :func:`rollover_start` asks for the rollover of a policy year, for every employer of the
  pool (the July 1 job) or for one employer (then its earlier years not vested yet too,
  oldest first: an employer that joined the pool later vests its own earlier years) and
  queues it. It refuses a year that has not ended, and an employer-year whose twelve
  months (July..June) are not all closed (:class:`vesting.models.MonthClose`), naming the
  employer and the months, unless an administrator overrides with a reason (recorded on
  the run).
- :func:`rollover_execute` runs it, a policy year at a time, oldest first. The
  employer-years of one year go in batches of about ``VESTING_ROLLOVER_BATCH_EMPLOYEES``
  employees (:func:`_batches`), each batch ONE database transaction: one statement
  writes the lines of every employer of the batch (:data:`vesting.lines.DECIDED_LINES_SQL`
  in an ``INSERT ... SELECT``), the couples' pooling and the earlier pending years are
  settled set-based, one call of the ledger's batch path posts the money, and the
  employer-years are recorded as completed in the same transaction. A crash or a killed
  worker leaves either nothing or everything of a batch; calling :func:`rollover_execute`
  again skips the completed employer-years and finishes the run.
- :func:`rollover_resume_stale` (beat) queues again the runs whose worker died.
- :func:`vest_at_separation` runs the same computation for one employee at separation
  (R-VE4: the year of separation vests at separation).

The lines themselves (SQL, pooling, postings, their Decisions) are in :mod:`vesting.lines`.

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: a batch that fails is tried again employer by employer, so that one
  employer's problem does not hold back the others: the failing employer-year is recorded
  ``failed`` with its error (in the run's errors too), its later years in the run are not
  attempted (years vest in order), and the run ends ``failed``; a restart retries them.
- Decision: a run for one employer covers its years from the first policy year with any
  coverage of its employees to the year asked, skipping the years already completed. A
  run for the pool covers the year asked only (the earlier years of every employer were
  rolled over on their own July 1; an employer that joined later is started for itself).
- Decision: every month of the year must be closed for the employer before its year
  vests (the month closes post the contributions the vesting moves; a rollover with open
  months overdraws the General Deductible Trust Fund). Only an administrator may override,
  with a reason, kept on the run with the months that were open. An employer-year with
  nobody covered needs no month closes (nothing vests).
- Decision: a running run whose heartbeat is older than
  ``settings.VESTING_ROLLOVER_STALE_SECONDS`` is stale; the next start, the beat
  ``vesting.rollover_resume_stale`` or a worker picks it up again. A worker claims a run by
  one conditional UPDATE (queued, failed or stale), so two workers never both run it; each
  batch takes an advisory lock per employer-year and skips those completed, and the lines
  and postings are unique, so what is vested is posted once whatever happens.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import InterfaceError, OperationalError, connection
from django.db import transaction as db_transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.utils import timezone

from accounts.models import CoverageSegment, Employee, Employer
from accounts.rules import (
    add_months,
    policy_year_end,
    policy_year_label,
    policy_year_of,
    policy_year_start,
)
from staywell.money import ZERO
from staywell.roles import Role, has_role
from staywell.tasks import enqueue_on_commit
from vesting import ledger
from vesting.lines import (
    Settled,
    lines_post,
    lines_write,
    lock_general_trusts,
    pending_settle,
    spouses_pool,
)
from vesting.models import (
    GoLiveEmployer,
    MonthClose,
    VestingLine,
    VestingRun,
    VestingRunEmployerStep,
)
from vesting.payouts import payouts_refresh_many
from vesting.signals import rollover_completed

logger = logging.getLogger(__name__)

__all__ = [
    "StepResult",
    "open_months",
    "rollover_batch",
    "rollover_claim",
    "rollover_employer_step",
    "rollover_execute",
    "rollover_resume_stale",
    "rollover_start",
]

# The Celery task that runs a rollover (``vesting.tasks.rollover_run``), queued by name so
# that the service does not import the tasks built on it.
ROLLOVER_TASK = "vesting.rollover_run"
STEP_DELAY_ENV = "STAYWELL_ROLLOVER_STEP_DELAY"  # tests only: seconds to wait per employer

Step = VestingRunEmployerStep
EmployerYear = tuple[int, int]  # (policy year, employer id)


# --- Starting a run ------------------------------------------------------------------------


def rollover_start(
    *,
    policy_year: int,
    employer: Employer | int | None = None,
    started_by: Any = None,
    today: date | None = None,
    override_reason: str = "",
    queue: bool = True,
) -> VestingRun:
    """Ask for the rollover of ``policy_year`` (1984 for 1984-85) and queue it (R-VE3).

    For every employer of the pool, or for ``employer`` (with its earlier years not
    vested yet, oldest first). Refused with a ``ValidationError`` while the year has not
    ended, while a month of an employer-year to vest is not closed (unless
    ``override_reason`` is given, by an administrator when ``started_by`` is a user), or
    while another run is working on one of its employer-years. When every employer-year
    asked for is completed, returns the run that did the year and does nothing. A run of
    the same request that did not complete (failed, or stale: its worker died) is queued
    again: the restart. With ``queue=False`` the caller runs it (:func:`rollover_execute`).
    """
    today = today or timezone.localdate()
    employer_id = employer.pk if isinstance(employer, Employer) else employer
    _check_year_ended(policy_year, today)
    override_reason = (override_reason or "").strip()
    with db_transaction.atomic():
        with connection.cursor() as cursor:  # one start at a time: runs take employer-years
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended('vesting-start', 0))")
        scope = _scope(policy_year, employer_id)
        completed = _completed(scope)
        todo = [ey for ey in scope if ey not in completed]
        same = (
            VestingRun.objects.select_for_update()
            .filter(policy_year=policy_year, employer_id=employer_id)
            .exclude(status=VestingRun.Status.COMPLETED)
            .order_by("-pk")
            .first()
        )
        if not todo:
            done = same or _run_of(policy_year, employer_id)
            if done is not None:
                return done
        if same is not None and same.status == VestingRun.Status.RUNNING and not same.stale:
            return same  # a worker has it
        _check_not_held(todo, same)
        months = open_months(todo)
        if months:
            _check_override(months, override_reason, started_by)
        run = same or VestingRun.objects.create(
            policy_year=policy_year,
            employer_id=employer_id,
            started_by_id=ledger.user_id_of(started_by),
        )
        run.status = VestingRun.Status.QUEUED
        run.errors = []
        run.finished_at = None
        if months:
            run.override_reason = override_reason
            run.override_by_id = ledger.user_id_of(started_by)
            run.open_months = [
                {"employer": code, "year": year, "months": names}
                for (year, _, code), names in months.items()
            ]
        run.save()
        _take(run, todo)
        if queue:
            enqueue_on_commit(ROLLOVER_TASK, run.pk)
    return run


def _check_year_ended(policy_year: int, today: date) -> None:
    label = policy_year_label(policy_year) if 1900 <= policy_year <= 2999 else ""
    if not label:
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


def _scope(policy_year: int, employer_id: int | None) -> list[EmployerYear]:
    """The employer-years a request covers, oldest year first (module Decision)."""
    if employer_id is None:
        return [
            (policy_year, e) for e in Employer.objects.order_by("pk").values_list("pk", flat=True)
        ]
    if not Employer.objects.filter(pk=employer_id).exists():
        raise ValidationError({"employer": "No such employer."})
    first = (
        CoverageSegment.objects.filter(employee__employer_id=employer_id)
        .exclude(tier="none")
        .aggregate(first=Min("start"))["first"]
    )
    first_year = min(policy_year_of(first), policy_year) if first else policy_year
    return [(year, employer_id) for year in range(first_year, policy_year + 1)]


def _completed(scope: Sequence[EmployerYear]) -> set[EmployerYear]:
    if not scope:
        return set()
    years = {y for y, _ in scope}
    employers = {e for _, e in scope}
    return set(
        Step.objects.filter(
            policy_year__in=years, employer_id__in=employers, status=Step.Status.COMPLETED
        ).values_list("policy_year", "employer_id")
    )


def _run_of(policy_year: int, employer_id: int | None) -> VestingRun | None:
    """The latest run that did ``policy_year`` (for ``employer_id``, or any employer)."""
    steps = Step.objects.filter(policy_year=policy_year)
    if employer_id is not None:
        steps = steps.filter(employer_id=employer_id)
    run_id = steps.order_by("-run_id").values_list("run_id", flat=True).first()
    if run_id is None:
        return VestingRun.objects.filter(policy_year=policy_year, employer_id=employer_id).first()
    return VestingRun.objects.get(pk=run_id)


def _check_not_held(todo: Sequence[EmployerYear], same: VestingRun | None) -> None:
    """Refuse employer-years another run is working on (its worker alive)."""
    held = (
        Step.objects.filter(_pairs_q(todo), run__status=VestingRun.Status.RUNNING)
        .exclude(run=same)
        .select_related("run", "employer")
    )
    for step in held:
        if not step.run.stale:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: (
                        f"The rollover of {step.label} for {step.employer.code} is being done "
                        f"by run #{step.run_id}; wait for it to finish."
                    )
                },
                code="held",
            )


def _pairs_q(pairs: Sequence[EmployerYear]) -> Q:
    """The employer-years ``pairs``: one condition per policy year (a pool run has one)."""
    q = Q(pk__in=[])
    for year in sorted({y for y, _ in pairs}):
        q |= Q(policy_year=year, employer_id__in=sorted({e for y, e in pairs if y == year}))
    return q


def _take(run: VestingRun, todo: Sequence[EmployerYear]) -> None:
    """The run takes its employer-years: existing ones not completed, and new ones."""
    if not todo:
        return
    Step.objects.filter(_pairs_q(todo)).exclude(status=Step.Status.COMPLETED).update(
        run=run, status=Step.Status.QUEUED, error=""
    )
    Step.objects.bulk_create(
        [Step(run=run, policy_year=y, employer_id=e) for y, e in todo], ignore_conflicts=True
    )
    run.employers_total = run.steps.count()
    run.save(update_fields=["employers_total"])


MONTHS = ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def open_months(pairs: Sequence[EmployerYear]) -> dict[tuple[int, int, str], list[str]]:
    """The months not closed of each employer-year, July..June: ``{(year, employer id,
    employer code): ["Jul 1984", ...]}`` (only the employer-years with open months)."""
    covered = _covered(pairs)
    # A year that ended by the employer's go-live cut-over was vested on the old books and
    # carried in (vesting.golive): its months need no closes here.
    cutovers = dict(
        GoLiveEmployer.objects.filter(employer_id__in={e for _, e in pairs}).values_list(
            "employer_id", "cutover"
        )
    )
    pairs = [
        (y, e)
        for y, e in pairs
        if (y, e) in covered and not (e in cutovers and policy_year_end(y) <= cutovers[e])
    ]
    if not pairs:
        return {}
    employers = {e for _, e in pairs}
    years = {y for y, _ in pairs} | {y + 1 for y, _ in pairs}
    closed = set(
        MonthClose.objects.filter(employer_id__in=employers, year__in=years).values_list(
            "employer_id", "year", "month"
        )
    )
    codes = dict(Employer.objects.filter(pk__in=employers).values_list("pk", "code"))
    found: dict[tuple[int, int, str], list[str]] = {}
    for year, employer_id in sorted(pairs):
        months = [add_months(policy_year_start(year), i) for i in range(12)]
        missing = [
            f"{MONTHS[m.month]} {m.year}"
            for m in months
            if (employer_id, m.year, m.month) not in closed
        ]
        if missing:
            found[(year, employer_id, codes[employer_id])] = missing
    return found


def _covered(pairs: Sequence[EmployerYear]) -> set[EmployerYear]:
    """The employer-years with anyone covered (module Decision: the others need no closes):
    per employer and year, the first covered employee found is enough."""
    found: set[EmployerYear] = set()
    for year in sorted({y for y, _ in pairs}):
        covered = CoverageSegment.objects.filter(
            employee__employer_id=OuterRef("pk"),
            start__lte=policy_year_end(year),
        ).filter(Q(end__isnull=True) | Q(end__gte=policy_year_start(year)))
        found |= {
            (year, e)
            for e in Employer.objects.filter(pk__in=[e for y, e in pairs if y == year])
            .filter(Exists(covered.exclude(tier="none")))
            .values_list("pk", flat=True)
        }
    return found


def _months_text(names: Sequence[str]) -> str:
    if len(names) == 12:
        return f"all twelve months, {names[0]} to {names[-1]}"
    return ", ".join(names)


def _check_override(
    months: dict[tuple[int, int, str], list[str]], reason: str, started_by: Any
) -> None:
    listing = "; ".join(
        f"{code} {policy_year_label(year)}: {_months_text(names)}"
        for (year, _, code), names in months.items()
    )
    if not reason:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: (
                    f"The rollover cannot start while months of the year are not closed: "
                    f"{listing}. Close those months first (their contributions must be in "
                    f"the trust fund), or an administrator may start it anyway with a reason."
                )
            },
            code="months_open",
        )
    if started_by is not None and not has_role(started_by, Role.ADMINISTRATOR):
        raise ValidationError(
            {
                "override_reason": (
                    f"Only an administrator may start a rollover with months not closed "
                    f"({listing})."
                )
            },
            code="override_not_allowed",
        )


def rollover_resume_stale() -> list[int]:
    """Queue again every run whose worker died (stale): the beat's restart. Returns their ids."""
    resumed = []
    for run in VestingRun.objects.filter(status=VestingRun.Status.RUNNING):
        if run.stale:
            with db_transaction.atomic():
                claimed = VestingRun.objects.filter(
                    pk=run.pk, status=VestingRun.Status.RUNNING, heartbeat_at=run.heartbeat_at
                ).update(status=VestingRun.Status.QUEUED)
                if claimed:
                    enqueue_on_commit(ROLLOVER_TASK, run.pk)
                    resumed.append(run.pk)
    return resumed


# --- Running it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """What one employer-year wrote."""

    employer_id: int
    lines_written: int
    employees_vested: int
    amount_vested: Decimal
    amount_to_district: Decimal
    skipped: bool = False  # the employer-year had been done before


def _step_checkpoint(employer_id: int) -> None:
    """Called inside a batch's transaction for each of its employers, after the postings
    and before the commit.

    Tests make batches slow here (``STAYWELL_ROLLOVER_STEP_DELAY`` seconds per employer)
    so that a worker can be killed in the middle of one, or replace it to simulate a crash.
    """
    delay = os.environ.get(STEP_DELAY_ENV, "").strip()
    if delay:
        time.sleep(float(delay))


def rollover_claim(run_id: int) -> bool:
    """Take the run for this worker: one conditional UPDATE (queued, failed or stale)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE vesting_vestingrun
               SET status = 'running', heartbeat_at = now(), errors = '[]'::jsonb,
                   started_at = coalesce(started_at, now()), finished_at = NULL
             WHERE id = %s
               AND (status IN ('queued', 'failed')
                    OR (status = 'running' AND (heartbeat_at IS NULL
                        OR heartbeat_at < now() - make_interval(secs => %s))))
            RETURNING id
            """,
            [run_id, settings.VESTING_ROLLOVER_STALE_SECONDS],
        )
        return cursor.fetchone() is not None


def rollover_execute(
    run_id: int, *, on_progress: Callable[[VestingRun], None] | None = None
) -> VestingRun:
    """Run (or finish) a rollover: its employer-years not completed, a year at a time.

    Does nothing for a completed run, or for a run another worker is on (its heartbeat
    fresh). Progress (employer-years done, counts, totals) and the heartbeat are written
    after each batch, outside the batch's transaction, so that the run's page sees them.
    When every employer-year is completed the run completes and
    ``vesting.signals.rollover_completed`` is sent, once per policy year of the run,
    inside the finishing transaction.
    """
    run = VestingRun.objects.get(pk=run_id)
    if run.status == VestingRun.Status.COMPLETED or not rollover_claim(run_id):
        return VestingRun.objects.get(pk=run_id)
    run.refresh_from_db()
    scope = _scope(run.policy_year, run.employer_id)
    completed = _completed(scope)
    _take(run, [ey for ey in scope if ey not in completed])
    steps = list(
        run.steps.exclude(status=Step.Status.COMPLETED).order_by("policy_year", "employer_id")
    )
    errors: list[dict[str, str]] = []
    failed: set[int] = set()
    for year, group in groupby(steps, key=lambda s: s.policy_year):
        employer_ids = [s.employer_id for s in group]
        blocked = [e for e in employer_ids if e in failed]
        if blocked:
            Step.objects.filter(policy_year=year, employer_id__in=blocked).update(
                status=Step.Status.FAILED,
                error="Not attempted: an earlier year of this employer did not complete.",
            )
        employer_ids = [e for e in employer_ids if e not in failed]
        # Progress after each batch; once for a year none of whose employers may go on.
        for batch in _batches(employer_ids) or [[]]:
            failures = _run_year(run, year, batch) if batch else {}
            for employer_id, message in failures.items():
                failed.add(employer_id)
                code = Employer.objects.filter(pk=employer_id).values_list("code", flat=True)[0]
                errors.append(
                    {"employer": code, "year": policy_year_label(year), "message": message}
                )
                VestingRun.objects.filter(pk=run_id).update(errors=errors)
            run = _record_progress(run_id)
            logger.info(
                "rollover %s: %s of %s employer-years done",
                run.label,
                run.employers_done,
                run.employers_total,
            )
            if on_progress is not None:
                on_progress(run)
    return _finish(run_id)


def _batches(employer_ids: list[int]) -> list[list[int]]:
    """The employers of a year in batches of about ``VESTING_ROLLOVER_BATCH_EMPLOYEES``
    employees (an employer is never split; a larger one is a batch of its own), in id order.

    Decision: a batch locks its employers' General Deductible Trust Fund accounts until it
    commits (``lock_general_trusts``), so their claim payments wait for it. One batch for a
    statewide pool held every clerk's claims for the whole rollover (about 12 s for 100,000
    employees while the day's users worked, ``bench/load_day.py``); batches of about 20,000
    employees hold each employer's claims for a fifth of that, for a few more statements."""
    if not employer_ids:
        return []
    size = settings.VESTING_ROLLOVER_BATCH_EMPLOYEES
    counts = dict(
        Employee.objects.filter(employer_id__in=employer_ids)
        .values_list("employer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    batches: list[list[int]] = [[]]
    employees = 0
    for employer_id in sorted(employer_ids):
        n = counts.get(employer_id, 0)
        if batches[-1] and employees + n > size:
            batches.append([])
            employees = 0
        batches[-1].append(employer_id)
        employees += n
    return batches


def _release(run_id: int) -> None:
    try:
        VestingRun.objects.filter(pk=run_id, status=VestingRun.Status.RUNNING).update(
            status=VestingRun.Status.QUEUED
        )
    except (OperationalError, InterfaceError):
        pass  # the database is away: the run goes stale and is resumed (rollover_resume_stale)


def _run_year(run: VestingRun, year: int, employer_ids: list[int]) -> dict[int, str]:
    """One year's employer-years: one batch; if it fails, employer by employer. Returns
    the failed employers with their errors."""
    _mark_running(run.pk, year, employer_ids)
    try:
        rollover_batch(run_id=run.pk, year=year, employer_ids=employer_ids)
        return {}
    except (OperationalError, InterfaceError):
        # A deadlock, or the database went away: nothing of the batch was kept and the task
        # retries. The run is handed back (queued) so that the retry takes it at once
        # rather than finding it "running" and waiting for it to go stale.
        _release(run.pk)
        raise
    except Exception as exc:
        if len(employer_ids) == 1:
            return {employer_ids[0]: _record_failure(run, year, employer_ids[0], exc)}
        logger.warning("rollover %s: the batch failed (%r); employer by employer", year, exc)
    failures = {}
    for employer_id in employer_ids:
        _mark_running(run.pk, year, [employer_id])
        try:
            rollover_batch(run_id=run.pk, year=year, employer_ids=[employer_id])
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:  # this employer-year rolled back: record it, go on
            failures[employer_id] = _record_failure(run, year, employer_id, exc)
    return failures


def _record_failure(run: VestingRun, year: int, employer_id: int, exc: Exception) -> str:
    message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else repr(exc)
    logger.exception("rollover %s: employer %s failed", policy_year_label(year), employer_id)
    Step.objects.filter(policy_year=year, employer_id=employer_id).update(
        status=Step.Status.FAILED, error=message
    )
    return message


def _mark_running(run_id: int, year: int, employer_ids: Sequence[int]) -> None:
    now = timezone.now()
    Step.objects.filter(run_id=run_id, policy_year=year, employer_id__in=employer_ids).exclude(
        status=Step.Status.COMPLETED
    ).update(status=Step.Status.RUNNING, heartbeat_at=now, started_at=now, error="")
    VestingRun.objects.filter(pk=run_id).update(heartbeat_at=now)


def _record_progress(run_id: int) -> VestingRun:
    totals = Step.objects.filter(run_id=run_id).aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(status=Step.Status.COMPLETED)),
        lines=Sum("lines_written"),
        vested=Sum("employees_vested"),
        amount=Sum("amount_vested"),
        district=Sum("amount_to_district"),
    )
    VestingRun.objects.filter(pk=run_id).update(
        heartbeat_at=timezone.now(),
        employers_total=totals["total"] or 0,
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
        run.finished_at = timezone.now()
        if run.steps.exclude(status=Step.Status.COMPLETED).exists():
            run.status = VestingRun.Status.FAILED
            if not run.errors:
                run.errors = [{"employer": "", "message": "Some employers were not processed."}]
            run.save(update_fields=["status", "finished_at", "errors"])
            return run
        run.status = VestingRun.Status.COMPLETED
        run.errors = []
        run.save(update_fields=["status", "finished_at", "errors"])
        years = sorted(set(run.steps.values_list("policy_year", flat=True))) or [run.policy_year]
        for year in years:
            rollover_completed.send(sender=VestingRun, policy_year=year, run_id=run.pk)
    return run


def rollover_batch(*, run_id: int, year: int, employer_ids: Sequence[int]) -> dict[int, StepResult]:
    """The employer-years of ``year`` for these employers, in ONE database transaction
    (see the module doc): one statement for their lines, one ledger batch for their
    postings, the employer-years recorded completed. Those already completed are skipped."""
    ids = sorted(set(employer_ids))
    with db_transaction.atomic():
        with connection.cursor() as cursor:  # one worker per employer-year, even when two run
            _batch_settings(cursor)
            cursor.execute(
                """
                SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))
                  FROM (SELECT 'vesting-year:' || %s || ':' || e AS k
                          FROM unnest(%s::bigint[]) AS e ORDER BY e) AS keys
                """,
                [year, ids],
            )
        done = set(
            Step.objects.filter(
                policy_year=year, employer_id__in=ids, status=Step.Status.COMPLETED
            ).values_list("employer_id", flat=True)
        )
        results = {e: StepResult(e, 0, 0, ZERO, ZERO, skipped=True) for e in done}
        ids = [e for e in ids if e not in done]
        # Years that ended by an employer's go-live cut-over were vested by the plan's
        # earlier administrator and carried in (vesting.golive): recorded, nothing posted.
        carried_in = set(
            GoLiveEmployer.objects.filter(
                employer_id__in=ids, cutover__gte=policy_year_end(year)
            ).values_list("employer_id", flat=True)
        )
        if carried_in:
            empty = [StepResult(e, 0, 0, ZERO, ZERO) for e in sorted(carried_in)]
            _record_steps(run_id, year, empty)
            results.update({r.employer_id: r for r in empty})
            ids = [e for e in ids if e not in carried_in]
        if not ids:
            return results
        general_trusts = lock_general_trusts(ids)
        rows = lines_write(year=year, general_trusts=general_trusts, run_id=run_id)
        settled = [
            Settled(r.id, r.employee_id, r.employer_id, r.policy_year, r.amount, r.outcome)
            for r in rows
            if r.outcome != VestingLine.Outcome.PENDING
        ]
        written = {r.employee_id: r for r in rows}
        settled, pooled_lines = spouses_pool(
            year=year, employer_ids=ids, run_id=run_id, written=written, settled=settled
        )
        settled += pending_settle(year=year, employer_ids=ids, run_id=run_id)
        totals = lines_post(
            year=year,
            general_trusts=general_trusts,
            run_id=run_id,
            settled=settled,
            effective_date=policy_year_start(year + 1),
            written=rows,
        )
        _refresh_separated(settled)
        for employer_id in ids:
            _step_checkpoint(employer_id)
        lines = Counter(r.employer_id for r in rows) + pooled_lines
        vested_people: dict[int, set[int]] = {}
        for s in settled:
            if s.outcome == VestingLine.Outcome.VESTED and s.amount > 0:
                vested_people.setdefault(s.employer_id, set()).add(s.employee_id)
        for employer_id in ids:
            vested, to_district = totals.get(employer_id, (ZERO, ZERO))
            results[employer_id] = StepResult(
                employer_id=employer_id,
                lines_written=lines.get(employer_id, 0),
                employees_vested=len(vested_people.get(employer_id, ())),
                amount_vested=vested,
                amount_to_district=to_district,
            )
        _record_steps(run_id, year, [results[e] for e in ids])
    return results


def _batch_settings(cursor: Any) -> None:
    """For the batch's transaction: the pool's claims aggregated in memory, not in
    temporary files; settings.VESTING_ROLLOVER_PARALLEL_WORKERS (0: one core of the server)."""
    cursor.execute(
        "SELECT set_config('work_mem', '128MB', true), "
        "set_config('max_parallel_workers_per_gather', %s, true)",
        [str(settings.VESTING_ROLLOVER_PARALLEL_WORKERS)],
    )


def _record_steps(run_id: int, year: int, results: Sequence[StepResult]) -> None:
    """The employer-years completed, in the batch's transaction (one upsert)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO vesting_vestingrunemployerstep
                   (run_id, employer_id, policy_year, status, error, lines_written,
                    employees_vested, amount_vested, amount_to_district, started_at,
                    heartbeat_at, done_at)
            SELECT %(run)s, v.employer, %(year)s, 'completed', '', v.lines, v.vested,
                   v.amount, v.district, now(), now(), now()
              FROM unnest(%(employers)s::bigint[], %(lines)s::int[], %(vested)s::int[],
                          %(amounts)s::numeric[], %(districts)s::numeric[])
                   AS v(employer, lines, vested, amount, district)
            ON CONFLICT (employer_id, policy_year) DO UPDATE
               SET run_id = EXCLUDED.run_id, status = 'completed', error = '',
                   lines_written = EXCLUDED.lines_written,
                   employees_vested = EXCLUDED.employees_vested,
                   amount_vested = EXCLUDED.amount_vested,
                   amount_to_district = EXCLUDED.amount_to_district,
                   heartbeat_at = now(), done_at = now(),
                   started_at = coalesce(vesting_vestingrunemployerstep.started_at, now())
            """,
            {
                "run": run_id,
                "year": year,
                "employers": [r.employer_id for r in results],
                "lines": [r.lines_written for r in results],
                "vested": [r.employees_vested for r in results],
                "amounts": [r.amount_vested for r in results],
                "districts": [r.amount_to_district for r in results],
            },
        )


def rollover_employer_step(*, run_id: int, employer_id: int) -> StepResult:
    """One employer's year of a run (the run's policy year), in ONE database transaction."""
    year = VestingRun.objects.values_list("policy_year", flat=True).get(pk=run_id)
    return rollover_batch(run_id=run_id, year=year, employer_ids=[employer_id])[employer_id]


def _refresh_separated(settled: Sequence[Settled]) -> None:
    """Separated employees whose account just grew get their payouts brought up to date."""
    ids = {s.employee_id for s in settled if s.outcome == VestingLine.Outcome.VESTED and s.amount}
    if not ids:
        return
    with connection.cursor() as cursor:  # one array parameter, not one per employee
        cursor.execute(
            "SELECT id FROM accounts_employee WHERE id = ANY(%s) AND separation_date IS NOT NULL",
            [sorted(ids)],
        )
        separated = [row[0] for row in cursor.fetchall()]
    if separated:
        payouts_refresh_many(employee_ids=separated)
