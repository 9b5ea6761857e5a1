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


MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}


class ProjectionScenario(models.Model):
    """A named set of assumptions for the ten-year projection (``reports.economics``),
    saved by the superintendent for an employer or for the pool, changed and saved again.

    The columns are ``reports.economics.rules.Assumptions``; the services check them with
    ``assumption_errors`` and the database refuses impossible values too.
    """

    name = models.CharField(max_length=100)  # unique per employer (or for the pool)
    # The employer projected; NULL = the whole pool.
    employer = models.ForeignKey(
        "accounts.Employer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projection_scenarios",
    )
    major_medical_inflation = models.DecimalField(**PERCENT)  # percent a year, carrier premium
    dental_inflation = models.DecimalField(**PERCENT)  # percent a year, dental premium
    interest_rate = models.DecimalField(**PERCENT)  # percent a year on the money held
    claims_trend = models.DecimalField(**PERCENT)  # percent a year, each family's claims
    covered_employees = models.PositiveIntegerField()  # headcount, any tier
    headcount_growth = models.DecimalField(**PERCENT)  # percent a year
    full_tier_share = models.DecimalField(**PERCENT)  # percent of the covered in the FULL tier
    deductible = models.DecimalField(**MONEY)  # dollars per family per year (R-CL1)
    maximum_vest = models.DecimalField(**MONEY)  # dollars per year (R-VE2), <= deductible
    turnover = models.DecimalField(**PERCENT)  # percent of the vested liability paid a year
    admin_per_family = models.DecimalField(**MONEY)  # dollars per family per year
    hdhp_deductible = models.DecimalField(**MONEY)  # dollars, the HDHP's family deductible
    hsa_contribution = models.DecimalField(**MONEY)  # dollars per family per year
    pool_premium = models.DecimalField(**MONEY)  # dollars per member per month, first year
    pool_inflation = models.DecimalField(**PERCENT)  # percent a year
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "name"],
                condition=models.Q(employer__isnull=False),
                name="projection_scenario_name_per_employer",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(employer__isnull=True),
                name="projection_scenario_name_pool",
            ),
            models.CheckConstraint(
                condition=models.Q(maximum_vest__lte=models.F("deductible"))
                & models.Q(deductible__gt=0)
                & models.Q(maximum_vest__gte=0)
                & models.Q(full_tier_share__gte=0, full_tier_share__lte=100)
                & models.Q(turnover__gte=0, turnover__lte=100)
                & models.Q(interest_rate__gte=0, interest_rate__lte=50)
                & models.Q(admin_per_family__gte=0, hsa_contribution__gte=0)
                & models.Q(hdhp_deductible__gt=0, pool_premium__gt=0),
                name="projection_scenario_values_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
