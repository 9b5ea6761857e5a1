"""Background work of the claims app: the administrator's file import (ids in, one
service call; the service is idempotent, so a retry skips the rows already entered)."""

from __future__ import annotations

from celery import shared_task

from staywell.tasks import ReliableTask


@shared_task(base=ReliableTask, name="claims.import_claims")
def import_claims(job_id: str) -> None:
    from claims.importer import process_import

    process_import(job_id)
