"""Background work of the accounts app: the carrier's 834 enrollment files (ids in, one
service call)."""

from __future__ import annotations

from celery import shared_task

from accounts.enrollment import TASK, process_enrollment
from staywell.tasks import ReliableTask


@shared_task(base=ReliableTask, name=TASK)
def export_enrollment(job_id: str) -> None:
    process_enrollment(job_id)
