"""Medical claims, the family's deductible year, and what paying them moved (R-CL1..R-CL6).

A claim belongs to a family (the policyholder :class:`~accounts.models.Employee`, R-CL1)
and to the policy year of its date of service (R-PY1). Its split (trust fund, employee,
carrier) is decided by ``claims.rules`` under the row lock of the family's
:class:`FamilyYear`. Money moves only through ``vesting.ledger``: a claim points to its
ledger transactions (:class:`ClaimLedgerEntry`), never the other way round.

A paid claim is never edited (R-CL5): a void or an adjustment is recorded as a
:class:`ClaimAdjustment` (the deltas) with reversing or additional ledger transactions;
the claim row keeps only its *current* split and status, so that lists and totals read
one row per claim. :class:`ClaimEvent` is the audit trail (who did what, when).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import TIER_CHOICES, BankAccountType, Dependent, Employee, Employer
from accounts.rules import policy_year_label
from claims.rules import SERVICE_CATEGORY_LABELS
from staywell.crypto import EncryptedTextField, masked
from staywell.history import history
from vesting.models import Account, AchFile, Transaction

MONEY = {"max_digits": 14, "decimal_places": 2}
SERVICE_CATEGORY_CHOICES = [(c.value, label) for c, label in SERVICE_CATEGORY_LABELS.items()]


class FamilyYear(models.Model):
    """One family's policy year: what its one deductible has absorbed (R-CL1).

    Its row is locked (``SELECT ... FOR UPDATE``) before a claim of the family and year
    is split, so two clerks saving claims for one family at the same moment are
    processed one after the other and the trust fund never pays more than the
    deductible. The amounts are maintained by ``claims.services`` with every claim,
    void and adjustment.
    """

    employee = models.ForeignKey(  # the policyholder: the family (R-CL1)
        Employee, on_delete=models.PROTECT, related_name="family_years"
    )
    policy_year = models.PositiveSmallIntegerField()  # R-PY1: 1984 for 1984-85
    # Dollars the family's deductible has absorbed this year: trust-fund payments plus
    # the employee's own deductible amounts (claims.rules, Decision), never above it.
    absorbed = models.DecimalField(**MONEY, default=0)
    trust_fund_paid = models.DecimalField(**MONEY, default=0)  # dollars the trust fund paid
    employee_paid = models.DecimalField(**MONEY, default=0)  # dollars of the employee's deductible
    carrier_paid = models.DecimalField(**MONEY, default=0)  # dollars forwarded to the carrier
    claim_count = models.PositiveIntegerField(default=0)  # claims not voided (denied included)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["employee_id", "-policy_year"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "policy_year"], name="family_year_unique"),
            models.CheckConstraint(
                condition=Q(absorbed__gte=0)
                & Q(trust_fund_paid__gte=0)
                & Q(employee_paid__gte=0)
                & Q(carrier_paid__gte=0)
                & Q(trust_fund_paid__lte=models.F("absorbed")),
                name="family_year_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Family of {self.employee_id}, {self.label}"

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)


@history("PayeeHistory")
class Payee(models.Model):
    """A provider in the payee directory: whom the trust fund's checks are made out to.

    Two spellings of one provider ("Dr. Helen Ames", "Helen Ames, M.D.") share one
    ``key`` (``staywell.names.provider_key``) and so one payee: a payment run writes one
    check per payee (per employer), printed with the payee's ``name``.
    """

    name = models.CharField(max_length=200)  # as printed on the check
    key = models.CharField(max_length=200, unique=True)  # provider_key(name): compares spellings
    address = models.TextField(blank=True, default="")  # mailing address, optional
    active = models.BooleanField(default=True)  # inactive: not offered for new claims
    # The payee's bank account, for payment by ACH (CCD) instead of a check; "" = checks.
    # (Database defaults too: the entry path inserts payees in SQL.)
    routing_number = models.CharField(max_length=9, blank=True, default="", db_default="")  # ABA
    account_number = EncryptedTextField(  # encrypted; shown masked
        blank=True, default="", db_default=""
    )
    account_type = models.CharField(
        max_length=10,
        choices=BankAccountType.choices,
        default=BankAccountType.CHECKING,
        db_default=BankAccountType.CHECKING,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def account_masked(self) -> str:
        return masked(self.account_number)

    @property
    def paid_by_ach(self) -> bool:
        return bool(self.routing_number and self.account_number)


class PaymentRun(models.Model):
    """A batch of trust-fund claim payments for the county to cut checks, one per payee."""

    class Status(models.TextChoices):
        CREATED = "created", "Register ready"  # the register can be printed
        ISSUED = "issued", "Checks issued"  # the county has cut the checks

    number = models.PositiveIntegerField(unique=True)  # 1, 2, 3 ... in order of creation
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED)
    total = models.DecimalField(**MONEY, default=0)  # dollars of all checks of the run
    check_count = models.PositiveIntegerField(default=0)  # payees with a check (net > 0)
    claim_count = models.PositiveIntegerField(default=0)  # claims with an entry in the run
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The run's business date, its checks' date: it takes the payments dated on or before
    # it (a claim's ``paid_on``).
    paid_on = models.DateField()
    issued_at = models.DateTimeField(null=True, blank=True)
    # The ACH file (CCD) paying the checks of payees with a bank account, once made.
    ach_file = models.OneToOneField(
        AchFile, null=True, blank=True, on_delete=models.PROTECT, related_name="payment_run"
    )

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Payment run {self.number}"


# The imports insert thousands at once. The history pages look a claim's events up by
# the claim, a family's by the employee, and a duplicate's by the claim it repeats: the
# snapshot's other seven foreign keys are not indexed (each claim written, 7 index
# entries fewer).
@history("ClaimHistory", bulk_inserts=True, looked_up_by=("employee", "duplicate_of"))
class Claim(models.Model):
    """A medical claim as the claims administrator reported it, and its split (R-CL2, R-CL3)."""

    class Status(models.TextChoices):
        # Recorded, not yet adjudicated. claims.services adjudicates in the same
        # transaction as it records, so a committed claim is never left in this state.
        ENTERED = "entered", "Entered"
        PAID = "paid", "Paid"  # adjudicated; trust-fund share posted, carrier share forwarded
        DENIED = "denied", "Denied"  # nothing paid; ``denied_reason`` says why (R-CL4)
        VOIDED = "voided", "Voided"  # reversed (R-CL5); ``void_reason`` says why

    class Source(models.TextChoices):
        ENTRY = "entry", "Entry page"
        API = "api", "API"
        IMPORT = "import", "Administrator's file"
        REMITTANCE = "remittance", "Administrator's 835"
        DEMO = "demo", "Demonstration data"
        GENERATED = "generated", "Generated (benchmark)"

    # The policyholder's employer (for lists and payments) and the policyholder: the family
    # (R-CL1); indexed by the composite indexes below that lead with them.
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="claims", db_index=False
    )
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="claims", db_index=False
    )
    family_year = models.ForeignKey(FamilyYear, on_delete=models.PROTECT, related_name="claims")
    # The patient: NULL for the policyholder, else a dependent of the policyholder.
    patient = models.ForeignKey(
        Dependent, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    patient_name = models.CharField(max_length=200)  # as it was when the claim was entered
    date_of_service = models.DateField()
    policy_year = models.PositiveSmallIntegerField()  # R-PY1: of the date of service
    provider = models.CharField(max_length=200)  # the provider as typed (or as in the file)
    # The provider in the payee directory, who is paid: found or created from ``provider``
    # when the claim is entered (NULL only for claims generated in bulk for benchmarks).
    payee = models.ForeignKey(
        Payee, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    admin_claim_number = models.CharField(max_length=40)  # the claims administrator's number
    # What kind of care (claims.rules.ServiceCategory), as the clerk or the administrator's
    # file gives it; blank: not given. Read by the utilization watch (reports.economics).
    service_category = models.CharField(
        max_length=12, choices=SERVICE_CATEGORY_CHOICES, blank=True, default=""
    )
    billed = models.DecimalField(**MONEY)  # dollars the provider billed
    allowed = models.DecimalField(**MONEY)  # dollars allowed by the administrator (R-CL2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ENTERED)
    denied_reason = models.CharField(max_length=200, blank=True)  # set when denied (R-CL4)
    # The family's tier on the date of service, as adjudicated (R-CL3, R-CL4).
    tier = models.CharField(max_length=20, choices=TIER_CHOICES)
    # The current split of ``allowed`` (R-CL3), after any adjustment; all zero once voided.
    trust_fund_amount = models.DecimalField(**MONEY, default=0)  # dollars the trust fund pays
    employee_amount = models.DecimalField(
        **MONEY, default=0
    )  # dollars of the employee's deductible
    carrier_amount = models.DecimalField(**MONEY, default=0)  # dollars forwarded to the carrier
    forwarded_at = models.DateTimeField(null=True, blank=True)  # carrier share forwarded
    # The first trust-fund payment (later ones: ClaimLedgerEntry).
    payment_transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Entered although it looked like this earlier claim (confirmed by the clerk).
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ENTRY)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)
    # The business dates (claims.services.dates): the day the claim reached the plan
    # (entered by the clerk; never before the date of service nor in the future), and the
    # date paid: the effective date of its first trust-fund payment, the payment run's date.
    received_on = models.DateField()
    paid_on = models.DateField(null=True, blank=True)  # the date paid (none: nothing paid)
    void_reason = models.CharField(max_length=300, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # The administrator's number identifies one claim; a second claim with the
            # same number exists only when a clerk confirmed it (duplicate_of set).
            models.UniqueConstraint(
                fields=["admin_claim_number"],
                condition=Q(duplicate_of__isnull=True),
                name="claim_admin_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(billed__gt=0) & Q(allowed__gt=0) & Q(allowed__lte=models.F("billed")),
                name="claim_amounts_valid",
            ),
            models.CheckConstraint(
                condition=Q(received_on__gte=models.F("date_of_service")),
                name="claim_received_after_service",
            ),
            models.CheckConstraint(
                condition=Q(service_category="")
                | Q(service_category__in=[value for value, _ in SERVICE_CATEGORY_CHOICES]),
                name="claim_service_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(trust_fund_amount__gte=0)
                & Q(employee_amount__gte=0)
                & Q(carrier_amount__gte=0),
                name="claim_split_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["entered", "voided", "denied"])
                | Q(
                    trust_fund_amount=models.F("allowed")
                    - models.F("employee_amount")
                    - models.F("carrier_amount")
                ),
                name="claim_split_sums_to_allowed",
            ),
        ]
        indexes = [
            # The family's claims of a year; with the day, the duplicate guard's lookup by
            # family, date of service and amount (claims.services.checking, .batch).
            models.Index(
                fields=["employee", "policy_year", "date_of_service"],
                name="claim_family_year_idx",
            ),
            models.Index(fields=["employer", "date_of_service"], name="claim_employer_date_idx"),
            models.Index(fields=["date_of_service"], name="claim_date_idx"),
            models.Index(fields=["status"], name="claim_status_idx"),
            models.Index(fields=["admin_claim_number"], name="claim_admin_number_idx"),
            models.Index(fields=["policy_year", "employer"], name="claim_year_employer_idx"),
            # The utilization watch counts preventive care per family and year (small: only
            # the preventive claims paid are in it).
            models.Index(
                fields=["policy_year", "employer", "employee"],
                condition=Q(service_category="preventive", status="paid"),
                name="claim_preventive_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.pk} ({self.admin_claim_number})"

    @property
    def policy_year_label(self) -> str:
        return policy_year_label(self.policy_year)

    @property
    def is_voided(self) -> bool:
        return self.status == self.Status.VOIDED


class ClaimTotal(models.Model):
    """Count and money totals of the claims of one employer, policy year and status,
    maintained by statement triggers on ``claims_claim`` in the same database transaction
    (migration 0012: inserts, updates and deletes, even by raw SQL): the claims list's
    totals when it is filtered by nothing but employer, year and status, a few rows
    whatever the number of claims. ``ledger_check`` recomputes it from the claims."""

    # the unique constraint's leading column: no index of its own
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    policy_year = models.PositiveSmallIntegerField()  # R-PY1: 1984 for 1984-85
    status = models.CharField(max_length=10, choices=Claim.Status.choices)
    count = models.IntegerField(default=0)
    billed = models.DecimalField(**MONEY, default=0)
    allowed = models.DecimalField(**MONEY, default=0)
    trust_fund_amount = models.DecimalField(**MONEY, default=0)
    employee_amount = models.DecimalField(**MONEY, default=0)
    carrier_amount = models.DecimalField(**MONEY, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "policy_year", "status"], name="claim_total_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employer_id} {self.policy_year} {self.status}: {self.count}"


@history("ClaimAdjustmentHistory")
class ClaimAdjustment(models.Model):
    """A change to a paid claim's split (R-CL5): its void, a changed allowed amount, or the
    re-split of a later claim of the family's year. Deltas are new minus old."""

    class Kind(models.TextChoices):
        VOID = "void", "Void"
        ADJUST = "adjust", "Allowed amount changed"
        RESPLIT = "resplit", "Re-split (R-CL5)"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=300)  # required; for a re-split, names its cause
    # The claim whose void or adjustment caused this re-split (itself for void/adjust).
    cause = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="+")
    allowed_before = models.DecimalField(**MONEY)  # dollars
    allowed_after = models.DecimalField(**MONEY)  # dollars (zero after a void)
    trust_fund_delta = models.DecimalField(**MONEY)  # dollars; + the trust fund pays more
    employee_delta = models.DecimalField(**MONEY)  # dollars; + the employee pays more
    carrier_delta = models.DecimalField(**MONEY)  # dollars; + the carrier pays more
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of claim {self.claim_id}"


class ClaimLedgerEntry(models.Model):
    """One ledger transaction that moved trust-fund money for a claim.

    ``amount`` is signed: positive when the trust fund paid the payee, negative when a
    reversal took it back. Each entry goes into at most one payment run.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REVERSAL = "reversal", "Reversal"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="ledger_entries")
    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)  # dollars, signed (see class doc)
    payee = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    adjustment = models.ForeignKey(
        ClaimAdjustment, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    payment_run = models.ForeignKey(
        PaymentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim_id", "id"]
        indexes = [
            models.Index(
                fields=["payee"],
                condition=Q(payment_run__isnull=True),
                name="claim_entry_unrun_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} for claim {self.claim_id}"


class ClaimEvent(models.Model):
    """The audit trail of a claim: who did what, when."""

    class Action(models.TextChoices):
        ENTERED = "entered", "Entered"
        PAID = "paid", "Paid"
        DENIED = "denied", "Denied"
        FORWARDED = "forwarded", "Forwarded to the carrier"
        VOIDED = "voided", "Voided"
        ADJUSTED = "adjusted", "Adjusted"
        RESPLIT = "resplit", "Re-split"
        ATTACHMENT = "attachment", "Attachment added"
        PAYMENT_RUN = "payment_run", "In a payment run"

    claim = models.ForeignKey(  # indexed by claim_event_claim_idx
        Claim, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    message = models.TextField(blank=True)  # what happened, in words
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["claim_id", "at", "id"]
        indexes = [models.Index(fields=["claim", "at"], name="claim_event_claim_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} claim {self.claim_id}"


def _attachment_path(instance: ClaimAttachment, filename: str) -> str:
    """claims/<year>/<random>.<ext>: the stored name tells nothing about the patient."""
    import uuid

    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(
        instance.content_type, "bin"
    )
    return f"claims/{timezone.now():%Y}/{uuid.uuid4().hex}.{extension}"


@history("ClaimAttachmentHistory")
class ClaimAttachment(models.Model):
    """The administrator's explanation of benefits or the bill (PDF, PNG or JPEG).

    Served only through ``claims.views.attachment_download``, which checks who may see
    the claim; never from a public media URL.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path)
    content_type = models.CharField(max_length=50)  # decided from the file's first bytes
    original_name = models.CharField(max_length=200)  # the uploaded file's name, for display
    size = models.PositiveIntegerField()  # bytes
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Remittance(models.Model):
    """An X12 835 interchange of the claims administrator, imported once
    (``claims.remittance``): identified by its sender and control number (ISA06, ISA13).
    """

    class Status(models.TextChoices):
        CHECKING = "checking", "Being checked"
        ENTERING = "entering", "Claims being entered"
        IMPORTED = "imported", "Imported"
        REFUSED = "refused", "Refused: nothing was entered"
        STOPPED = "stopped", "Stopped: import it again to finish"

    sender = models.CharField(max_length=15)  # ISA06, trimmed
    control_number = models.CharField(max_length=9)  # ISA13
    file = models.FileField(upload_to="remittances/%Y/")  # the file as received
    file_name = models.CharField(max_length=200)  # as uploaded, for display
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    job = models.ForeignKey(
        "staywell.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claims = models.PositiveIntegerField(default=0)  # CLP loops read
    entered = models.PositiveIntegerField(default=0)  # claims entered
    voided = models.PositiveIntegerField(default=0)  # reversals (CLP02 22) applied as voids
    skipped = models.PositiveIntegerField(default=0)  # entered before, denied or not ours
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # An interchange is imported once; a refused one may be sent again corrected.
            models.UniqueConstraint(
                fields=["sender", "control_number"],
                condition=~Q(status="refused"),
                name="remittance_interchange_once",
            ),
        ]

    def __str__(self) -> str:
        return f"835 {self.control_number} from {self.sender}"
