"""Vesting: the July 1 rollover, per-year lines and payouts (R-VE1..R-VE11, R-CL6).

Built on the ledger's models (:mod:`vesting.models.ledger`): a line or payout points to
the ledger transaction that moved its money.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Employee, Employer
from accounts.rules import policy_year_label
from vesting.models.ledger import MONEY, Transaction


class VestingRun(models.Model):
    """A request to roll over (R-VE3, R-VE4): a set of employer-years, each vested once.

    A run asked for a policy year covers every employer of the pool for that year (the
    July 1 job); a run asked for one employer (``employer``) covers that employer's years
    not yet vested up to ``policy_year``, oldest first (an employer that joined the pool
    later vests its own earlier years, in order: R-VE4 pending years depend on the lines
    of the years before). Each employer-year is a :class:`VestingRunEmployerStep` row with
    its own status; the counts and totals of the run are re-added from its completed
    employer-years after each batch, so they are always what the ledger holds.

    ``heartbeat_at`` is written by the worker while it works (on claiming the run and
    after each batch); a ``running`` run whose heartbeat is older than
    ``settings.VESTING_ROLLOVER_STALE_SECONDS`` is shown as stale (its worker died) and
    the next start or worker picks it up again (claim by UPDATE: one worker only).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    policy_year = models.PositiveSmallIntegerField()  # 1984 for 1984-85 (R-PY1): last year asked
    # The one employer asked for (its earlier years too); none: every employer of the pool.
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    employers_total = models.PositiveIntegerField(default=0)  # employer-years of the run
    employers_done = models.PositiveIntegerField(default=0)  # employer-years completed
    lines_written = models.PositiveIntegerField(default=0)  # vesting lines written by the run
    employees_vested = models.PositiveIntegerField(default=0)  # employees whose account grew
    amount_vested = models.DecimalField(**MONEY, default=0)  # dollars moved to side accounts
    amount_to_district = models.DecimalField(**MONEY, default=0)  # dollars moved to districts
    # Problems of failed employer-years: [{"employer": "MCOE", "message": "..."}]; a
    # restart retries them and clears the list.
    errors = models.JSONField(default=list, blank=True)
    # Started while months of the year were not closed: why (an administrator's words),
    # who, and the open months then: [{"employer": "MCOE", "year": 1984, "months": [...]}].
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    open_months = models.JSONField(default=list, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)  # when the run was asked for
    started_at = models.DateTimeField(null=True, blank=True)  # when a worker began it
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the worker's last sign of life
    finished_at = models.DateTimeField(null=True, blank=True)  # completed or failed

    class Meta:
        ordering = ["-policy_year", "-id"]
        indexes = [models.Index(fields=["policy_year", "status"], name="vesting_run_year_idx")]

    def __str__(self) -> str:
        return f"Rollover of {self.label}"

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)

    @property
    def stale(self) -> bool:
        """Running, but its worker gave no sign of life for the stale threshold."""
        return self.status == self.Status.RUNNING and heartbeat_is_stale(self.heartbeat_at)

    @property
    def status_label(self) -> str:
        """The status as shown: "Stale (its worker stopped)" for a stale run."""
        if self.stale:
            return "Stale (its worker stopped)"
        return self.get_status_display()

    @property
    def percent(self) -> int:
        if self.status == self.Status.COMPLETED:
            return 100
        if not self.employers_total:
            return 0
        return min(100, (self.employers_done * 100) // self.employers_total)


def heartbeat_is_stale(heartbeat_at: datetime | None) -> bool:
    """A heartbeat older than ``settings.VESTING_ROLLOVER_STALE_SECONDS`` (or none)."""
    if heartbeat_at is None:
        return True
    limit = timedelta(seconds=settings.VESTING_ROLLOVER_STALE_SECONDS)
    return timezone.now() - heartbeat_at > limit


class VestingRunEmployerStep(models.Model):
    """One employer-year of the rollover: an employer's vesting of one policy year.

    One row per employer and year (unique), with its own status: ``queued`` when a run
    takes it, ``running`` while a worker has it, ``completed`` when its lines and postings
    are committed (in the same database transaction as they are), ``failed`` with the
    error. A completed employer-year is never redone by the rollover (corrections of a
    vested year are re-vests). ``run`` is the run that holds it now (a later run takes
    over a failed one).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(VestingRun, on_delete=models.PROTECT, related_name="steps")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="+")
    policy_year = models.PositiveSmallIntegerField()  # 1984 for 1984-85 (R-PY1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)  # why it failed (blank otherwise)
    lines_written = models.PositiveIntegerField(default=0)  # vesting lines written
    employees_vested = models.PositiveIntegerField(default=0)  # employees whose account grew
    amount_vested = models.DecimalField(**MONEY, default=0)  # dollars to side accounts
    amount_to_district = models.DecimalField(**MONEY, default=0)  # dollars to the district
    started_at = models.DateTimeField(null=True, blank=True)  # a worker took it
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the worker's last sign of life
    done_at = models.DateTimeField(null=True, blank=True)  # completed

    class Meta:
        ordering = ["policy_year", "employer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "policy_year"], name="vesting_employer_year_once"
            ),
        ]
        indexes = [models.Index(fields=["run", "status"], name="vesting_step_run_idx")]

    def __str__(self) -> str:
        return f"{policy_year_label(self.policy_year)} / employer {self.employer_id}"

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)

    @property
    def stale(self) -> bool:
        return self.status == self.Status.RUNNING and heartbeat_is_stale(self.heartbeat_at)

    @property
    def status_label(self) -> str:
        if self.stale:
            return "Stale (its worker stopped)"
        return self.get_status_display()


class VestingLine(models.Model):
    """One employee's vesting record for one policy year (R-VE1..R-VE4, R-VE11).

    Written once per employee and year (unique: the repeat guard of the rollover). A
    ``pending`` line (a partial year before any full year, R-VE4) is settled later, to
    ``vested`` or ``to_district``, by the run that decides it.

    The employee, run and settling run are foreign keys checked by the database once per
    statement for all the lines it writes (``vesting/ledger/sql/0012_line_references.sql``:
    the referenced rows locked as a foreign key locks them, their deletion refused), not
    once per line at commit: the rollover writes a line for every employee of the pool in
    one statement, and 3 x 77,000 row-by-row checks were a fifth of its time.
    """

    class Outcome(models.TextChoices):
        VESTED = "vested", "Vested"  # moved to the employee's side account (R-VE3, R-VE4)
        PENDING = "pending", "Pending"  # partial year waiting for a full year (R-VE4)
        TO_DISTRICT = "to_district", "Unvested, to the district"  # R-VE4 (c)

    employee = models.ForeignKey(  # checked per statement (see above)
        Employee,
        on_delete=models.PROTECT,
        related_name="vesting_lines",
        db_constraint=False,
        db_index=False,  # the unique (employee, policy year) index serves
    )
    policy_year = models.PositiveSmallIntegerField()  # 1984 for 1984-85 (R-PY1)
    allotment = models.DecimalField(**MONEY)  # dollars: FULL-tier months' shares (R-VE1)
    trust_fund_claims = models.DecimalField(**MONEY)  # dollars the trust fund paid (R-VE2)
    unused = models.DecimalField(**MONEY)  # dollars: allotment - claims, 0..max vest (R-VE2)
    full_year = models.BooleanField()  # covered on all twelve first days, any tier (R-VE3)
    # Dollars that vested (or went to the district): ``unused``, or the employee's half of
    # the couple's pooled amount (R-VE11), less run-out claims recovered since (R-CL6).
    amount = models.DecimalField(**MONEY)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    vested_on = models.DateField(null=True, blank=True)  # the day it vested / went to district
    # R-VE11: the spouse whose unused amount was pooled with this one (half each).
    spouse = models.ForeignKey(  # not indexed: lines are never looked up by spouse
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    run = models.ForeignKey(  # the run that wrote the line (none: written at separation)
        VestingRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
        db_constraint=False,  # checked per statement (see above)
    )
    settled_run = models.ForeignKey(  # the run that moved the money (none: at separation)
        VestingRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,  # checked per statement (see above)
        db_index=False,  # never looked up by it
    )
    # The vesting transfer (or the employer's unvested transfer) that moved the money.
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    runout_recovered = models.DecimalField(**MONEY, default=0)  # dollars taken back (R-CL6)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employee_id", "policy_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "policy_year"], name="vesting_line_once_per_year"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="vesting_line_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(outcome="pending", vested_on__isnull=True)
                | (~Q(outcome="pending") & Q(vested_on__isnull=False)),
                name="vesting_line_settled_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["outcome", "policy_year"], name="vesting_line_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.policy_year}: {self.outcome} {self.amount}"

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)


class PayoutRegister(models.Model):
    """A batch of payouts handed to the county to pay (R-VE7, R-VE10)."""

    date = models.DateField()  # the day the register was made; its payouts are dated so
    total = models.DecimalField(**MONEY, default=0)  # dollars, sum of its payouts
    count = models.PositiveIntegerField(default=0)  # payouts in the register
    # The ACH file (PPD) paying the lump sums of employees with a direct deposit, once made.
    ach_file = models.OneToOneField(
        "vesting.AchFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"Payout register #{self.pk} of {self.date}"


class Payout(models.Model):
    """Money owed from a separated employee's side account (R-VE6..R-VE10).

    Lump sums (one per vested policy year, R-VE7), beneficiary payments (R-VE10) and the
    months of continuation premiums paid from the account (R-VE8, R-VE9).
    """

    class Kind(models.TextChoices):
        LUMP_SUM = "lump_sum", "Lump sum"  # R-VE7
        BENEFICIARY = "beneficiary", "Beneficiary payment"  # R-VE10
        CONTINUATION = "continuation", "Continuation premium"  # R-VE8, R-VE9

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"  # payable on its due date (at separation)
        HELD = "held", "Held"  # the plan holds it until its due date (R-VE7 / R-VE10 wait)
        DUE = "due", "Due"  # payable now, waiting for a payout register
        PAID = "paid", "Paid"  # in a register and posted to the ledger
        BILLED = "billed", "Billed to the person"  # continuation: the account is exhausted
        CANCELLED = "cancelled", "Cancelled"  # nothing left (run-out claims, premiums)
        FLAGGED = "flagged", "Flagged for the clerk"  # death with no beneficiary on file

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="payouts")
    policy_year = models.PositiveSmallIntegerField(null=True, blank=True)  # vested year, if any
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)  # dollars from the side account (0 when cancelled)
    # Continuation: dollars of the month's premium billed to the person (account exhausted).
    billed_amount = models.DecimalField(**MONEY, default=0)
    due_on = models.DateField()  # the day it becomes payable (continuation: the month)
    status = models.CharField(max_length=10, choices=Status.choices)
    payee_name = models.CharField(max_length=200, blank=True)  # beneficiary's name
    reason = models.CharField(max_length=300, blank=True)  # why this amount and date
    register = models.ForeignKey(
        PayoutRegister, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts"
    )
    transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="payout"
    )
    paid_on = models.DateField(null=True, blank=True)  # the ledger date of the payment
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "employee_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "policy_year"],
                condition=Q(kind="lump_sum"),
                name="payout_lump_sum_once_per_year",
            ),
            models.UniqueConstraint(
                fields=["employee", "due_on"],
                condition=Q(kind="continuation"),
                name="payout_continuation_once_per_month",
            ),
            models.UniqueConstraint(
                fields=["employee", "payee_name"],
                condition=Q(kind="beneficiary"),
                name="payout_beneficiary_once_per_payee",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(billed_amount__gte=0),
                name="payout_amounts_gte_0",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="payout_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} due {self.due_on}"

    @property
    def year_label(self) -> str:
        """The vested policy year as "1984-85" (blank when none)."""
        if self.policy_year is None:
            return ""
        return policy_year_label(self.policy_year)

    @property
    def open(self) -> bool:
        """Still to be paid (or to be resolved by the clerk)."""
        return self.status in OPEN_PAYOUT_STATUSES


OPEN_PAYOUT_STATUSES = (
    Payout.Status.SCHEDULED,
    Payout.Status.HELD,
    Payout.Status.DUE,
    Payout.Status.FLAGGED,
)


class VestingAdjustment(models.Model):
    """Audit of a change to a vested year: a run-out claim (R-CL6: what was asked, what was
    recovered from the side account, the rest the trust fund bears) or a re-vest of the
    year after late data (``vesting.revest``: the amount before and after, what moved)."""

    class Kind(models.TextChoices):
        RUNOUT = "runout", "Run-out claim"  # R-CL6, vesting.payouts.runout_claim_paid
        REVEST = "revest", "Re-vest after late data"  # vesting.revest

    line = models.ForeignKey(VestingLine, on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.RUNOUT)
    claim_amount = models.DecimalField(**MONEY, default=0)  # dollars the trust fund paid late
    recovered = models.DecimalField(**MONEY)  # dollars taken back from the vested amount
    paid_on = models.DateField()  # the day the late claim was paid / the re-vest was dated
    amount_before = models.DecimalField(**MONEY, null=True, blank=True)  # line dollars before
    amount_after = models.DecimalField(**MONEY, null=True, blank=True)  # line dollars after
    # Dollars of the reduction the trust fund bears (already paid out, R-CL6); a re-vest
    # records the change of that figure (see vesting.revest).
    borne = models.DecimalField(**MONEY, default=0)
    overpaid = models.DecimalField(**MONEY, default=0)  # dollars recorded as an overpayment
    reason = models.CharField(max_length=300, blank=True)  # why the amount changed
    reference = models.CharField(max_length=100, blank=True)  # e.g. "claim 123"
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["line_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "reference"],
                condition=~Q(reference=""),
                name="vesting_adjustment_once_per_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"Run-out {self.reference or self.pk}: {self.recovered} of {self.claim_amount}"


class Overpayment(models.Model):
    """Money paid out of a side account for a year that a re-vest later lowered: the part
    of the decrease that could not be taken back from the side account (already paid),
    owed back by the employee. Posted to the General Deductible Trust Fund's receivable
    account (``vesting.revest``)."""

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="overpayments")
    line = models.ForeignKey(VestingLine, on_delete=models.PROTECT, related_name="overpayments")
    policy_year = models.PositiveSmallIntegerField()  # 1984 for 1984-85 (R-PY1)
    amount = models.DecimalField(**MONEY)  # dollars owed back (> 0)
    recorded_on = models.DateField()  # the ledger date of the posting
    reason = models.CharField(max_length=300, blank=True)
    adjustment = models.OneToOneField(
        VestingAdjustment, on_delete=models.PROTECT, related_name="overpayment"
    )
    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="overpayment"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employee_id", "policy_year", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="overpayment_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"Overpayment {self.amount} ({policy_year_label(self.policy_year)})"

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)


class RevestPending(models.Model):
    """A completed employer-year whose vesting would change if re-vested now: the nightly
    list for the superintendent (``vesting.revest.revest_scan``), replaced each night."""

    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="+")
    policy_year = models.PositiveSmallIntegerField()  # 1984 for 1984-85 (R-PY1)
    employees = models.PositiveIntegerField()  # employees whose vesting would change
    increase = models.DecimalField(**MONEY)  # dollars that would vest in addition
    decrease = models.DecimalField(**MONEY)  # dollars that would be taken back (>= 0)
    found_at = models.DateTimeField()  # when the nightly job found it

    class Meta:
        ordering = ["employer_id", "policy_year"]
        constraints = [
            models.UniqueConstraint(fields=["employer", "policy_year"], name="revest_pending_once"),
        ]

    def __str__(self) -> str:
        return f"{self.employer_id} {policy_year_label(self.policy_year)}: {self.employees}"

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)
