"""Background work of the claims app: the administrator's file imports, CSV and 835 (ids
in, one service call; the services are idempotent, so a retry skips what was entered)."""

from __future__ import annotations

from celery import shared_task

from claims.importer import IMPORT_TASK, process_import
from claims.remittance import TASK as REMITTANCE_TASK
from claims.remittance import process_remittance
from staywell.tasks import ReliableTask


@shared_task(base=ReliableTask, name=IMPORT_TASK)
def import_claims(job_id: str) -> None:
    process_import(job_id)


@shared_task(base=ReliableTask, name=REMITTANCE_TASK)
def import_remittance(job_id: str) -> None:
    process_remittance(job_id)
