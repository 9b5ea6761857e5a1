"""The trust-fund ledger: funds, accounts, balanced immutable transactions (R-FU1..R-FU3).

Sign convention
---------------
Every posting has a positive ``amount`` in cents and a ``direction`` (debit or credit).
A transaction balances: the sum of its debits equals the sum of its credits.
Every account has a *normal balance* side, fixed by the kind of its fund, and its
balance is read on that side, the way a superintendent reads it:

- the plan's own funds (General Deductible Trust Fund, Vested Trust Fund side accounts,
  district account) are debit-normal: the balance is the money the fund holds, positive
  when it holds money (debits add, credits take away);
- the outside parties money comes *from* (employer budget, bank, the opening balances
  of a plan that went live in Stay-Well) are credit-normal: the balance is what they
  have paid in (contributions, interest, what the plan held before go-live);
- the outside parties money goes *to* (major-medical carrier, providers and payees) are
  debit-normal: the balance is what they have been paid.

Hence, for an employer and for the pool: money held + money paid out = money paid in.
Example: a $41.67 contribution debits the General Deductible Trust Fund (+41.67 held)
and credits the employer budget (+41.67 contributed).

What PostgreSQL itself guarantees (migration 0002, no Python needed):
- ``amount > 0`` and ``direction`` in (debit, credit) (CHECK constraints);
- each ledger transaction has at least two postings and balances, checked at commit
  by a deferred constraint trigger;
- postings and transactions cannot be updated or deleted (BEFORE UPDATE/DELETE
  triggers); postings can be added only in the database transaction that created
  their ledger transaction, with its effective date;
- the maintained balances (``AccountBalance``, ``AccountDayTotal``, ``FundDayTotal``,
  and ``FundMonthTotal`` from migration 0006) are updated by a statement-level trigger
  in the same database transaction as the postings, so even raw SQL keeps them true; a
  side account can never go negative (CHECK on ``AccountBalance``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Employee, Employer

MONEY = {"max_digits": 14, "decimal_places": 2}


class LedgerMoneyField(models.DecimalField):
    """Dollars in exact cents, stored in the ``ledger_money`` domain (migration 0012):
    PostgreSQL itself refuses an amount with more than two decimals or beyond
    numeric(14,2), even from raw SQL (R-PY2), where ``numeric(14,2)`` would round 1.005 to
    1.01 before any trigger could see it. Django's validation (14 digits, 2 places) is
    unchanged."""

    def db_type(self, connection: Any) -> str:
        return "ledger_money"


class Direction(models.TextChoices):
    DEBIT = "debit", "Debit"
    CREDIT = "credit", "Credit"


class FundKind(models.TextChoices):
    """The funds of each employer (R-FU1) and the outside parties money moves between."""

    GENERAL_TRUST = "general_trust", "General Deductible Trust Fund"
    VESTED_TRUST = "vested_trust", "Vested Trust Fund"
    DISTRICT = "district", "District account"
    EMPLOYER_BUDGET = "employer_budget", "Employer budget"
    CARRIER = "carrier", "Major-medical carrier"
    PAYEES = "payees", "Providers and payees"
    BANK = "bank", "Bank"
    # What the plan held and had paid before it went live in Stay-Well (vesting.golive).
    OPENING_BALANCE = "opening_balance", "Opening balances (before go-live)"


# The plan's own funds: money held for the plan (R-FU1).
PLAN_FUNDS = (FundKind.GENERAL_TRUST, FundKind.VESTED_TRUST, FundKind.DISTRICT)
# Outside parties.
OUTSIDE_FUNDS = (
    FundKind.EMPLOYER_BUDGET,
    FundKind.BANK,
    FundKind.CARRIER,
    FundKind.PAYEES,
    FundKind.OPENING_BALANCE,
)
# Normal balance side of each fund's accounts (module docstring).
NORMAL_BALANCE = {
    FundKind.GENERAL_TRUST: Direction.DEBIT,
    FundKind.VESTED_TRUST: Direction.DEBIT,
    FundKind.DISTRICT: Direction.DEBIT,
    FundKind.EMPLOYER_BUDGET: Direction.CREDIT,
    FundKind.BANK: Direction.CREDIT,
    FundKind.OPENING_BALANCE: Direction.CREDIT,  # like the employer budget: what came in
    FundKind.CARRIER: Direction.DEBIT,
    FundKind.PAYEES: Direction.DEBIT,
}


class TransactionKind(models.TextChoices):
    """Why money moved. Each kind has one named operation in ``vesting.ledger.operations``."""

    EMPLOYER_CONTRIBUTION = "employer_contribution", "Monthly employer contribution"
    CLAIM_PAYMENT = "claim_payment", "Claim payment from the trust fund"
    VESTING_TRANSFER = "vesting_transfer", "Vesting transfer"
    UNVESTED_TRANSFER = "unvested_transfer", "Unvested transfer to the district"
    RUNOUT_RECOVERY = "runout_recovery", "Run-out claim recovered from a vested account"
    LUMP_SUM_PAYOUT = "lump_sum_payout", "Lump-sum payout"
    CONTINUATION_PREMIUM = "continuation_premium", "Continuation-premium payment"
    BENEFICIARY_PAYMENT = "beneficiary_payment", "Beneficiary payment"
    INTEREST = "interest", "Interest earned"
    ADMINISTRATIVE_EXPENSE = "administrative_expense", "Administrative expense"
    REVERSAL = "reversal", "Reversal"
    # A figure of the plan carried in at go-live; ``reference`` names it (vesting.golive).
    GO_LIVE = "go_live", "Carried in at go-live"
    # A re-vested year lowered after its money was paid out: owed back by the employee.
    OVERPAYMENT = "overpayment", "Overpayment recorded against an employee"


class Fund(models.Model):
    """One fund of one employer, or one outside party of that employer (R-FU1)."""

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="funds")
    kind = models.CharField(max_length=20, choices=FundKind.choices)  # which fund (FundKind)

    class Meta:
        ordering = ["employer", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "kind"], name="fund_kind_unique_per_employer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.employer.code})"

    @property
    def normal_balance(self) -> str:
        return NORMAL_BALANCE[FundKind(self.kind)]


class Account(models.Model):
    """An account of a fund. The Vested Trust Fund has one side account per employee."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="accounts")
    name = models.CharField(max_length=200)
    # The employee of a Vested Trust Fund side account, or the employee paid (payees).
    employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    # Side on which the balance is read (module docstring); fixed by the fund's kind.
    normal_balance = models.CharField(max_length=6, choices=Direction.choices)
    # True for Vested Trust Fund side accounts: their balance may never go below zero.
    never_negative = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fund", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "employee"],
                condition=Q(employee__isnull=False),
                name="account_one_per_employee_per_fund",
            ),
            models.UniqueConstraint(
                fields=["fund", "name"],
                condition=Q(employee__isnull=True),
                name="account_name_unique_per_fund",
            ),
            models.CheckConstraint(
                condition=Q(normal_balance__in=["debit", "credit"]),
                name="account_normal_balance_valid",
            ),
        ]

    def __str__(self) -> str:
        if self.employee_id is not None and self.name == SIDE_ACCOUNT_NAME:
            return f"Vested account of {self.employee}"
        return self.name

    @property
    def is_side_account(self) -> bool:
        return self.never_negative


SIDE_ACCOUNT_NAME = "Vested account"


class Transaction(models.Model):
    """One balanced movement of money (R-FU3). Immutable: corrections are reversals."""

    # No single-column indexes where a composite index below leads with the column: every
    # index is written on every posting, at millions of transactions a year.
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="ledger_transactions", db_index=False
    )
    kind = models.CharField(max_length=30, choices=TransactionKind.choices)  # why money moved
    effective_date = models.DateField()  # the day the money moved; balances "as of" use it
    memo = models.CharField(max_length=300, blank=True)
    # Free reference to the cause outside the ledger, e.g. "claim 123" (claims point here).
    reference = models.CharField(max_length=100, blank=True)
    # The employee the movement concerns (side account owner, claimant), if any.
    employee = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_transactions",
        db_index=False,  # ledger_tx_employee_idx
    )
    # Interest and expenses: the period they were earned / incurred in; contributions: the month.
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    # Interest: the fund it was earned by (a FundKind of the plan's own funds), else blank.
    earned_by = models.CharField(max_length=20, choices=FundKind.choices, blank=True)
    # The transaction this one reverses; a transaction can be reversed only once (unique).
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # Caller-chosen key: a retry with the same key and payload returns this transaction.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    # SHA-256 of the canonical payload (services.payload_hash), to refuse a reused key.
    payload_hash = models.CharField(max_length=64)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(auto_now_add=True)
    # PostgreSQL transaction id that created the row (set by trigger): postings may be
    # added only in that database transaction.
    created_xact = models.BigIntegerField(null=True, editable=False)

    # Not stored: True on the instance a posting call returns when its idempotency key had
    # been posted already (by an earlier or a concurrent call), so the API says so.
    replayed = False

    class Meta:
        ordering = ["-effective_date", "-id"]
        indexes = [
            models.Index(fields=["employer", "effective_date"], name="ledger_tx_employer_date_idx"),
            models.Index(fields=["employee"], name="ledger_tx_employee_idx"),
            models.Index(fields=["kind", "effective_date"], name="ledger_tx_kind_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=models.F("period_end")),
                name="ledger_tx_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.effective_date}"


class Posting(models.Model):
    """One line of a transaction: a positive amount in cents on one side of one account."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(  # indexed by posting_account_date_idx
        Account, on_delete=models.PROTECT, related_name="postings", db_index=False
    )
    direction = models.CharField(max_length=6, choices=Direction.choices)  # debit or credit
    amount = LedgerMoneyField(**MONEY)  # dollars, exact cents, always > 0
    # Copy of the transaction's effective date (checked by trigger) for fast statements.
    effective_date = models.DateField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["account", "effective_date", "id"], name="posting_account_date_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="posting_amount_positive"),
            models.CheckConstraint(
                condition=Q(direction__in=["debit", "credit"]), name="posting_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.amount} {self.account}"


class LedgerSeal(models.Model):
    """A seal over the postings after the previous seal's, in id order (``vesting.ledger.
    seals``): the SHA-256 of the previous seal's hash and the canonical text of those
    postings and their transactions. ``ledger_check`` recomputes every seal, so a posting
    rewritten behind the triggers' back (by a superuser) is found. Append-only."""

    # The postings sealed: id > after_posting_id and id <= last_posting_id.
    after_posting_id = models.BigIntegerField()  # the previous seal's last (0: the first seal)
    last_posting_id = models.BigIntegerField(unique=True)
    posting_count = models.PositiveIntegerField()  # postings in the range when sealed
    previous_hash = models.CharField(max_length=64, blank=True)  # hex; "" for the first seal
    hash = models.CharField(max_length=64)  # hex SHA-256 (previous_hash + postings' digest)
    sealed_at = models.DateTimeField(auto_now_add=True)
    sealed_by = models.CharField(max_length=40)  # what sealed: beat, month close, ledger_check

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_posting_id__gt=models.F("after_posting_id")),
                name="ledger_seal_range_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"Seal {self.pk}: postings {self.after_posting_id + 1}..{self.last_posting_id}"


class AccountBalance(models.Model):
    """The current balance of an account, maintained by trigger with every posting.

    Its row lock is what serializes concurrent posters to the same account.
    """

    account = models.OneToOneField(
        Account, primary_key=True, on_delete=models.PROTECT, related_name="current_balance"
    )
    balance = models.DecimalField(**MONEY, default=0)  # dollars, on the normal side
    never_negative = models.BooleanField(default=False)  # copy of Account.never_negative

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(never_negative=False) | Q(balance__gte=0),
                name="side_account_never_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.balance}"


class AccountDayTotal(models.Model):
    """Net change of an account on one effective date (normal side), maintained by trigger.

    The balance as of a date is the sum of the day totals up to it.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="day_totals")
    day = models.DateField()
    net_change = models.DecimalField(**MONEY, default=0)  # dollars, on the normal side

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day"], include=["net_change"], name="account_day_total_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.net_change}"


class FundDayTotal(models.Model):
    """Net change of a fund on one effective date (normal side), maintained by trigger."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="day_totals")
    day = models.DateField()
    net_change = models.DecimalField(**MONEY, default=0)  # dollars, on the normal side

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "day"], include=["net_change"], name="fund_day_total_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} {self.day}: {self.net_change}"


class FundMonthTotal(models.Model):
    """Net change of a fund in one calendar month of effective dates (normal side),
    maintained by trigger with the day totals: what the dashboard reads month by month, a
    few rows per fund and month whatever the number of postings."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="month_totals")
    month = models.DateField()  # the first of the month
    net_change = models.DecimalField(**MONEY, default=0)  # dollars, on the normal side

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "month"], include=["net_change"], name="fund_month_total_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="fund_month_total_first_of_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} {self.month:%Y-%m}: {self.net_change}"


class FundKindMonthTotal(models.Model):
    """Net change of a fund in one calendar month from one kind of transaction (normal
    side), maintained by the posting trigger with the month totals: what came in and went
    out of a fund, by kind (the dashboard's reasons for a fund below zero), a few rows per
    fund and month whatever the number of postings. ``ledger_check`` recomputes it."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+", db_index=False)
    month = models.DateField()  # the first of the month
    kind = models.CharField(max_length=30, choices=TransactionKind.choices)
    net_change = models.DecimalField(**MONEY, default=0)  # dollars, on the normal side

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "month", "kind"],
                include=["net_change"],
                name="fund_kind_month_total_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} {self.month:%Y-%m} {self.kind}: {self.net_change}"


class TrustClaimTotal(models.Model):
    """What a General Deductible Trust Fund account paid for one employee's claims of one
    policy year, net of reversals (R-VE2: the claims the July 1 vesting subtracts),
    maintained by the posting trigger in the same database transaction: a claim payment
    or a reversal of one, with the transaction's employee, counted in the policy year of
    its date of service (``period_start``). The rollover and the re-vest read one row per
    family and year instead of every claim's postings; ``ledger_check`` recomputes it."""

    # the unique constraint's leading column: no index of its own
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    policy_year = models.PositiveSmallIntegerField()  # 1985 for 1985-86 (R-PY1)
    paid = models.DecimalField(**MONEY, default=0)  # dollars: credits less debits

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "employee", "policy_year"],
                include=["paid"],
                name="trust_claim_total_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.employee_id} {self.policy_year}: {self.paid}"


class MonthClose(models.Model):
    """An employer's month, closed: its trust-fund contributions are posted, once."""

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="month_closes")
    year = models.PositiveSmallIntegerField()  # calendar year of the month
    month = models.PositiveSmallIntegerField()  # 1..12
    # Trust-fund line of the month's premium charges (R-PR1), dollars.
    employer_amount = models.DecimalField(**MONEY, default=0)
    employee_amount = models.DecimalField(**MONEY, default=0)
    employee_count = models.PositiveIntegerField(default=0)  # employees charged that month
    # The contribution posted; none when the month had no trust-fund contributions.
    transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="month_close"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(auto_now_add=True)

    # Not stored: True on the instance ``month_close`` returns when the month was closed
    # already (by an earlier or a concurrent call).
    replayed = False

    class Meta:
        ordering = ["employer", "-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["employer", "year", "month"], name="month_close_once"),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="month_close_month_1_12"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employer.code} {self.year}-{self.month:02d}"

    @property
    def total(self):
        return self.employer_amount + self.employee_amount
