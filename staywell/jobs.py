"""Services for background jobs: create, report progress, finish with a file or errors.

Progress is written with single UPDATEs outside the job's own transaction, so the page
polling it sees each step while the work is still running.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone

from staywell.models import Job


def job_create(
    *, kind: str, title: str, user: Any = None, parameters: dict[str, Any] | None = None
) -> Job:
    return Job.objects.create(kind=kind, title=title, created_by=user, parameters=parameters or {})


def job_start(*, job_id: Any, total: int, message: str = "") -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.RUNNING, total=total, done=0, message=message
    )


def job_advance(*, job_id: Any, by: int = 1, message: str | None = None) -> None:
    changes: dict[str, Any] = {"done": F("done") + by}
    if message is not None:
        changes["message"] = message
    Job.objects.filter(pk=job_id).update(**changes)


def job_succeed(
    *, job_id: Any, message: str = "", file_name: str | None = None, content: bytes | None = None
) -> Job:
    job = Job.objects.get(pk=job_id)
    job.status = Job.Status.SUCCEEDED
    job.done = job.total
    job.message = message
    job.finished_at = timezone.now()
    if file_name and content is not None:
        job.result.save(file_name, ContentFile(content), save=False)
    job.save()
    return job


def job_fail(*, job_id: Any, message: str, errors: list[dict[str, Any]] | None = None) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.FAILED, message=message, errors=errors or [], finished_at=timezone.now()
    )


def job_get_for_user(*, user: Any, job_id: Any) -> Job | None:
    """A job is visible to the person who started it and to administrators; ``None`` for
    anyone else and for an id that is not a job's (a malformed one included)."""
    from staywell.roles import Role, has_role

    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        return None
    job = Job.objects.filter(pk=pk).first()
    if job is None:
        return None
    if job.created_by_id == user.pk or has_role(user, Role.ADMINISTRATOR):
        return job
    return None
