"""Background work of the claims app: the administrator's file import (ids in, one
service call; the service is idempotent, so a retry skips the rows already entered)."""

from __future__ import annotations

from celery import shared_task

from claims.importer import IMPORT_TASK, process_import
from staywell.tasks import ReliableTask


@shared_task(base=ReliableTask, name=IMPORT_TASK)
def import_claims(job_id: str) -> None:
    process_import(job_id)
