"""Stored reports: the year-end fund reports as issued (R-FU4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.rules import policy_year_label


class FundReportDocument(models.Model):
    """One year-end fund report (R-FU4) rendered to PDF and kept as issued.

    Decision: documents are never overwritten. Generating again (on demand, or a second
    rollover) adds a new document; pages show the latest per year and employer, the
    earlier ones stay downloadable.
    """

    policy_year = models.PositiveSmallIntegerField()  # R-PY1 start year: 1985 = 1985-86
    # The employer reported on; NULL = the whole pool.
    employer = models.ForeignKey(
        "accounts.Employer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fund_report_documents",
    )
    pdf = models.FileField(upload_to="fund_reports/%Y/")  # the rendered PDF
    # The job that produced it (generation of every employer's report); NULL: rendered alone.
    job = models.ForeignKey(
        "staywell.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-policy_year", "employer__name", "-created_at"]
        indexes = [
            models.Index(
                fields=["policy_year", "employer", "-created_at"], name="fund_report_doc_idx"
            )
        ]
        constraints = [
            # One document per employer (or pool) per generating job: a retried task
            # finds its work done (staywell.tasks: idempotency is the service's job).
            models.UniqueConstraint(
                fields=["job", "policy_year", "employer"],
                condition=models.Q(job__isnull=False, employer__isnull=False),
                name="fund_report_doc_once_per_job",
            ),
            models.UniqueConstraint(
                fields=["job", "policy_year"],
                condition=models.Q(job__isnull=False, employer__isnull=True),
                name="fund_report_pool_doc_once_per_job",
            ),
        ]

    def __str__(self) -> str:
        who = self.employer.name if self.employer_id else "Pool"
        return f"Fund report {policy_year_label(self.policy_year)} {who}"

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)

    @property
    def file_name(self) -> str:
        return self.pdf.name.rsplit("/", 1)[-1] if self.pdf else ""
