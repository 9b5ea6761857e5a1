"""Celery tasks of vesting: take ids or dates, call one service (idempotency is theirs).

- ``vesting.rollover_run(run_id)``: run or finish a rollover; a restart is calling it again
  (completed employer steps are skipped).
- ``vesting.rollover_year_just_ended()``: beat, 01:00 on July 1: the rollover of the policy
  year that ended the day before, for every employer (refused, and logged, while months of
  the year are open: the administrator starts it when they are closed, or overrides).
- ``vesting.rollover_resume_stale()``: beat, every ten minutes: runs whose worker died are
  queued again.
- ``vesting.payouts_process(today=None)``: beat, daily: due payouts to a payout register.
- ``vesting.continuation_premiums_post(month=None)``: beat, the 1st of each month: the
  retirees' continuation premiums from their side accounts (R-VE8).
- ``vesting.golive_import(go_live_id)``: post a confirmed go-live file, all or nothing.
- ``vesting.revest_scan()``: beat, nightly: the vested employer-years whose vesting would
  change if re-vested now, listed on the re-vest page for the superintendent.
- ``vesting.ledger_seal()``: beat, every ten minutes: seal the postings not sealed yet
  (``vesting.ledger.seals``), so that a rewritten posting is found by ``ledger_check``.
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.rules import policy_year_of
from staywell.tasks import ReliableTask
from vesting import golive, payouts, revest, rollover
from vesting.ledger import seals

logger = logging.getLogger(__name__)


@shared_task(base=ReliableTask, name="vesting.rollover_run")
def rollover_run(run_id: int) -> dict[str, object]:
    run = rollover.rollover_execute(run_id)
    return {"run": run.pk, "status": run.status, "employers_done": run.employers_done}


@shared_task(base=ReliableTask, name="vesting.rollover_year_just_ended")
def rollover_year_just_ended(today: str | None = None) -> int | None:
    """Start the rollover of the year that has just ended (July 1: the year before)."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    try:
        run = rollover.rollover_start(policy_year=policy_year_of(day) - 1, today=day, queue=False)
    except ValidationError as exc:
        logger.error("the July 1 rollover did not start: %s", " ".join(exc.messages))
        return None
    rollover.rollover_execute(run.pk)
    return run.pk


@shared_task(base=ReliableTask, name="vesting.rollover_resume_stale")
def rollover_resume_stale() -> list[int]:
    return rollover.rollover_resume_stale()


@shared_task(base=ReliableTask, name="vesting.payouts_process")
def payouts_process(today: str | None = None) -> int | None:
    register = payouts.payouts_process(today=date.fromisoformat(today) if today else None)
    return register.pk if register else None


@shared_task(base=ReliableTask, name="vesting.continuation_premiums_post")
def continuation_premiums_post(month: str | None = None) -> int:
    day = date.fromisoformat(month) if month else timezone.localdate()
    return payouts.continuation_premiums_post(month=day.replace(day=1))


@shared_task(base=ReliableTask, name="vesting.golive_import")
def golive_import(go_live_id: int) -> str:
    """Post a confirmed go-live file, all or nothing (``vesting.golive``)."""
    return golive.golive_import(go_live_id).status


@shared_task(base=ReliableTask, name="vesting.revest_scan")
def revest_scan() -> int:
    """The nightly list of pending re-vest differences; returns the employer-years found."""
    return len(revest.revest_scan())


@shared_task(base=ReliableTask, name="vesting.ledger_seal")
def ledger_seal() -> int:
    """Seal the postings not sealed yet; returns the number of postings sealed."""
    return sum(seal.posting_count for seal in seals.seal_postings(sealed_by="beat"))
