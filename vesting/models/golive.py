"""Go-live: an existing plan brought into Stay-Well as of a cut-over date (vesting.golive).

A :class:`GoLive` is one checked file (its figures kept for the import job); each
employer of the file gets one :class:`GoLiveEmployer` when its figures are posted. An
employer goes live once (unique), and the same file for the same cut-over is one go-live
(unique hash), so importing it twice posts once.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models

from accounts.models import Employer
from staywell.models import Job


class GoLive(models.Model):
    """One go-live file, checked and then imported all or nothing (``vesting.golive``)."""

    class Status(models.TextChoices):
        CHECKED = "checked", "Checked, waiting for confirmation"
        QUEUED = "queued", "Queued"
        COMPLETED = "completed", "Imported"
        FAILED = "failed", "Failed: nothing was saved"

    cutover = models.DateField()  # the month end the plan's figures are as of
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)  # SHA-256 of the file's bytes
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKED)
    rows = models.PositiveIntegerField(default=0)  # data rows of the file
    # The checked figures, JSON-ready (amounts as strings): what the import job posts.
    data = models.JSONField(default=dict, blank=True)
    # Per employer: {"code", "name", "employees", "years", "balances": {fund: amount}}.
    summary = models.JSONField(default=list, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(max_length=500, blank=True)  # the outcome a person can read
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["file_sha256", "cutover"], name="golive_file_once_per_cutover"
            ),
        ]

    def __str__(self) -> str:
        return f"Go-live as of {self.cutover} ({self.file_name})"


class GoLiveEmployer(models.Model):
    """An employer whose plan went live in Stay-Well: its opening figures are posted."""

    go_live = models.ForeignKey(GoLive, on_delete=models.PROTECT, related_name="employers")
    employer = models.OneToOneField(Employer, on_delete=models.PROTECT, related_name="go_live")
    cutover = models.DateField()  # copy of the go-live's: the last day of the old books
    figures = models.JSONField(default=dict)  # {item: "amount"} as carried in
    vested_years = models.PositiveIntegerField(default=0)  # employee-years carried in
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employer_id"]

    def __str__(self) -> str:
        return f"{self.employer_id} live as of {self.cutover}"

    @classmethod
    def cutover_of(cls, employer_id: int) -> date | None:
        """The employer's cut-over date (``None``: its books began in Stay-Well). Vesting
        of the policy years ended by then is the old administrator's, carried in."""
        return cls.objects.filter(employer_id=employer_id).values_list("cutover", flat=True).first()
