"""Models shared by every app: background jobs with progress that a page can follow."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class Job(models.Model):
    """A long-running job (an import, an export, a report) run by Celery.

    The page that started it polls its progress; per-row errors and the produced file
    (CSV, PDF) stay attached to it for the person who started it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=50)  # machine name, e.g. "claims_import"
    title = models.CharField(max_length=200)  # what the page shows, e.g. "Import of claims.csv"
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)  # units of work (rows, employees, pages)
    done = models.PositiveIntegerField(default=0)  # units finished so far
    message = models.TextField(blank=True)  # the latest step, or the failure a person can read
    errors = models.JSONField(
        default=list, blank=True
    )  # [{"row": 3, "field": "allowed", "message": "..."}]
    result = models.FileField(upload_to="jobs/%Y/%m/", blank=True)  # produced file, if any
    parameters = models.JSONField(default=dict, blank=True)  # what the job was asked to do
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def result_filename(self) -> str:
        return self.result.name.rsplit("/", 1)[-1] if self.result else ""

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return min(100, (self.done * 100) // self.total) if self.total else 0


class AccessRecord(models.Model):
    """One read of health data: who read what, when and from where (HIPAA's audit
    controls, 45 CFR 164.312(b)). Append-only: a database trigger refuses UPDATE and
    DELETE (``staywell/sql/0004_access_log.sql``). Written by
    :class:`staywell.middleware.AccessLogMiddleware`, one INSERT per request at most."""

    class Kind(models.TextChoices):
        EMPLOYEE = "employee", "Employee record"
        FAMILY_CLAIMS = "family_claims", "Family's claims"
        CLAIM = "claim", "Claim"
        STATEMENT = "statement", "Statement"
        SIDE_ACCOUNT = "side_account", "Side account"

    class Via(models.TextChoices):
        PAGE = "page", "Page"
        API = "api", "API"

    at = models.DateTimeField(db_default=Now())  # when the request read it (database clock)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )  # who read it (users are deactivated, never deleted)
    kind = models.CharField(max_length=20, choices=Kind.choices)  # what kind of record
    object_id = models.BigIntegerField()  # the record's id (employee, claim, ...)
    # The policyholder whose data it is. A plain id, not a foreign key: the log keeps
    # every read whatever becomes of the record.
    employee_id = models.BigIntegerField()
    via = models.CharField(max_length=4, choices=Via.choices)  # page or API
    path = models.CharField(max_length=300)  # the URL read, with its query string
    ip = models.GenericIPAddressField(null=True)  # the client's address (behind the proxies)
    user_agent = models.CharField(max_length=300, blank=True)  # the client's browser or tool

    class Meta:
        indexes = [
            models.Index(fields=["-at", "-id"], name="staywell_access_at"),
            models.Index(fields=["employee_id", "-at"], name="staywell_access_employee"),
            models.Index(fields=["user", "-at"], name="staywell_access_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.kind} {self.object_id} at {self.at}"
