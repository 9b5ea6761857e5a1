"""The named ledger operations: each builds its lines and posts through one function."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Employee, Employer
from accounts.rules import policy_year_end, policy_year_label, policy_year_start
from staywell.db import prepared_rows
from staywell.money import ZERO
from vesting.ledger.accounts import (
    ADMINISTRATIVE_EXPENSES_ACCOUNT,
    BANK_ACCOUNT,
    CARRIER_ACCOUNT,
    GENERAL_TRUST_ACCOUNT,
    PAYROLL_DEDUCTIONS_ACCOUNT,
    PROGRAM_CHARGES_ACCOUNT,
    account_get_or_create,
    ledger_accounts_for_employer,
    overpayments_account_for,
    payee_account_for,
    side_account_for,
)
from vesting.ledger.posting import (
    Line,
    credit,
    debit,
    employer_id_of,
    money_amount,
    month_last_day,
    post_transaction,
)
from vesting.models import (
    PLAN_FUNDS,
    Account,
    Direction,
    FundKind,
    Transaction,
    TransactionKind,
)
from vesting.rules import PayoutKind, payout_refusal


def _refuse_payout(employee: Employee, kind: PayoutKind, on: date) -> None:
    refusal = payout_refusal(kind=kind, on=on, separation_date=employee.separation_date)
    if refusal:
        raise ValidationError(f"{employee}: {refusal}", code="payout_refused")


def post_employer_contribution(
    *,
    employer: Employer | int,
    year: int,
    month: int,
    amount: Decimal,
    employee_amount: Decimal = ZERO,
    posted_by: Any = None,
    idempotency_key: str | None = None,
    memo: str = "",
) -> Transaction:
    """The month's trust-fund contributions into the General Deductible Trust Fund (R-FU1).

    ``amount`` is the employer's share (program charges), ``employee_amount`` the employees'
    (payroll deductions) of the trust-fund premium line (R-PR1). Dated the first of the
    month. Default idempotency key: one contribution per employer and month.
    """
    if not 1 <= month <= 12:
        raise ValidationError({"month": "A month is 1 to 12."})
    first = date(year, month, 1)
    ledger = ledger_accounts_for_employer(employer)
    employer_share = money_amount(amount) if amount else ZERO
    employee_share = money_amount(employee_amount, "employee_amount") if employee_amount else ZERO
    if employer_share + employee_share <= ZERO:
        raise ValidationError({"amount": "The contribution must be more than zero."})
    lines = [debit(ledger.general_trust, employer_share + employee_share)]
    if employer_share:
        lines.append(credit(ledger.account(PROGRAM_CHARGES_ACCOUNT), employer_share))
    if employee_share:
        lines.append(credit(ledger.account(PAYROLL_DEDUCTIONS_ACCOUNT), employee_share))
    return post_transaction(
        kind=TransactionKind.EMPLOYER_CONTRIBUTION,
        effective_date=first,
        lines=lines,
        memo=memo or f"Trust-fund contributions for {first:%B %Y}",
        idempotency_key=idempotency_key
        or f"contribution:{ledger.employer_id}:{year:04d}-{month:02d}",
        posted_by=posted_by,
        employer=ledger.employer_id,
        period_start=first,
        period_end=month_last_day(first),
    )


def post_claim_payment(
    *,
    employer: Employer | int,
    amount: Decimal,
    effective_date: date,
    payee_name: str = "",
    payee: Account | None = None,
    employee: Employee | None = None,
    service_date: date | None = None,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
    savepoint: bool = True,
    accounts: tuple[int, int] | None = None,
) -> Transaction:
    """A claim paid from the General Deductible Trust Fund to a provider or payee (R-CL3).

    ``service_date`` (the claim's date of service) is kept as the transaction's period, so
    that the trust fund's spending per family and policy year can be read from the ledger
    (R-VE2, R-CL6) without the ledger knowing about claims. ``savepoint``: as for
    :func:`post_transaction`. ``accounts``: (the trust fund's account, the payee's) as
    :func:`~vesting.ledger.accounts.claim_payment_accounts` found them for the employer
    and ``payee_name``, which saves looking them up again.
    """
    employer_id = employer_id_of(employer)
    if employee is not None and employee.employer_id != employer_id:
        raise ValidationError({"employee": "The employee belongs to another employer."})
    if accounts is not None:  # claim_payment_accounts': the payee's is in the payees' fund
        general_trust_id, to_id = accounts
        label = payee_name
    else:
        general_trust_id, payees_fund_id = _claim_payment_accounts(employer_id)
        to = payee or payee_account_for(employer_id, name=payee_name)
        if to.fund_id != payees_fund_id:
            raise ValidationError(
                {"payee": "A claim is paid to an account of the providers and payees."}
            )
        to_id, label = to.pk, to.name
    return post_transaction(
        kind=TransactionKind.CLAIM_PAYMENT,
        effective_date=effective_date,
        lines=[debit(to_id, amount), credit(general_trust_id, amount)],
        memo=memo or f"Claim paid to {label}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=employer_id,
        period_start=service_date,
        period_end=service_date,
        savepoint=savepoint,
    )


# The General Deductible Trust Fund's account and the payees' fund of an employer: one
# prepared statement on the path of every claim paid.
_CLAIM_PAYMENT_ACCOUNTS_SQL = """
SELECT a.id, p.id
  FROM vesting_fund f
  JOIN vesting_account a ON a.fund_id = f.id AND a.name = %s AND a.employee_id IS NULL
  JOIN vesting_fund p ON p.employer_id = f.employer_id AND p.kind = %s
 WHERE f.employer_id = %s AND f.kind = %s
"""


def _claim_payment_accounts(employer_id: int) -> tuple[int, int]:
    """The ids of the employer's trust-fund account and payees' fund (created on first use)."""
    kind, name = GENERAL_TRUST_ACCOUNT
    rows = prepared_rows(
        _CLAIM_PAYMENT_ACCOUNTS_SQL, [name, FundKind.PAYEES.value, employer_id, kind.value]
    )
    if rows:
        return rows[0][0], rows[0][1]
    ledger = ledger_accounts_for_employer(employer_id)
    return ledger.general_trust.pk, ledger.fund(FundKind.PAYEES).pk


def post_vesting_transfer(
    *,
    employee: Employee,
    amount: Decimal,
    policy_year: int,
    effective_date: date | None = None,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """A year's unused amount vests: General Deductible Trust Fund -> side account (R-VE3).

    Dated July 1 after the policy year unless told otherwise (a separation, R-VE4).
    """
    ledger = ledger_accounts_for_employer(employee.employer_id)
    side = side_account_for(employee)
    return post_transaction(
        kind=TransactionKind.VESTING_TRANSFER,
        effective_date=effective_date or policy_year_start(policy_year + 1),
        lines=[debit(side, amount), credit(ledger.general_trust, amount)],
        memo=memo or f"Vested for {policy_year_label(policy_year)}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=ledger.employer_id,
        period_start=policy_year_start(policy_year),
        period_end=policy_year_end(policy_year),
    )


def post_unvested_transfer(
    *,
    employer: Employer | int,
    amount: Decimal,
    policy_year: int,
    effective_date: date | None = None,
    employee: Employee | None = None,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """An unvested amount goes to the district: General Trust Fund -> district (R-VE4, R-FU1)."""
    ledger = ledger_accounts_for_employer(employer)
    return post_transaction(
        kind=TransactionKind.UNVESTED_TRANSFER,
        effective_date=effective_date or policy_year_start(policy_year + 1),
        lines=[debit(ledger.district, amount), credit(ledger.general_trust, amount)],
        memo=memo or f"Unvested for {policy_year_label(policy_year)}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=ledger.employer_id,
        period_start=policy_year_start(policy_year),
        period_end=policy_year_end(policy_year),
    )


def post_runout_recovery(
    *,
    employee: Employee,
    amount: Decimal,
    policy_year: int,
    effective_date: date,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """A run-out claim for a vested year takes back from the side account (R-CL6, R-FU1)."""
    ledger = ledger_accounts_for_employer(employee.employer_id)
    side = side_account_for(employee)
    return post_transaction(
        kind=TransactionKind.RUNOUT_RECOVERY,
        effective_date=effective_date,
        lines=[debit(ledger.general_trust, amount), credit(side, amount)],
        memo=memo or f"Run-out claim recovered from {policy_year_label(policy_year)}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=ledger.employer_id,
        period_start=policy_year_start(policy_year),
        period_end=policy_year_end(policy_year),
    )


def post_overpayment(
    *,
    employee: Employee,
    amount: Decimal,
    policy_year: int,
    effective_date: date,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """A re-vested year lowered after its money was paid out: what cannot be taken back
    from the side account becomes a receivable of the General Deductible Trust Fund, owed
    by the employee; the payee account of the employee's payouts shows that much less as
    finally paid to them (vesting.revest)."""
    receivable = overpayments_account_for(employee.employer_id)
    paid_to = payee_account_for(employee.employer_id, employee=employee)
    return post_transaction(
        kind=TransactionKind.OVERPAYMENT,
        effective_date=effective_date,
        lines=[debit(receivable, amount), credit(paid_to, amount)],
        memo=memo or f"Overpaid for {policy_year_label(policy_year)}: owed back",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=employee.employer_id,
        period_start=policy_year_start(policy_year),
        period_end=policy_year_end(policy_year),
    )


def post_lump_sum_payout(
    *,
    employee: Employee,
    amount: Decimal,
    effective_date: date,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """A lump sum from the side account to the separated employee (R-VE6, R-VE7)."""
    _refuse_payout(employee, PayoutKind.LUMP_SUM, effective_date)
    side = side_account_for(employee)
    to = payee_account_for(employee.employer_id, employee=employee)
    return post_transaction(
        kind=TransactionKind.LUMP_SUM_PAYOUT,
        effective_date=effective_date,
        lines=[debit(to, amount), credit(side, amount)],
        memo=memo or f"Lump sum to {employee.full_name}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=employee.employer_id,
    )


def post_continuation_premium(
    *,
    employee: Employee,
    amount: Decimal,
    month: date,
    carrier_name: str = "",
    effective_date: date | None = None,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """A month's continuation premium paid from the side account to the carrier (R-VE8, R-VE9)."""
    month = month.replace(day=1)
    when = effective_date or month
    _refuse_payout(employee, PayoutKind.CONTINUATION_PREMIUM, when)
    ledger = ledger_accounts_for_employer(employee.employer_id)
    carrier = (
        account_get_or_create(ledger.fund(FundKind.CARRIER), name=" ".join(carrier_name.split()))
        if carrier_name.strip()
        else ledger.account(CARRIER_ACCOUNT)
    )
    side = side_account_for(employee)
    return post_transaction(
        kind=TransactionKind.CONTINUATION_PREMIUM,
        effective_date=when,
        lines=[debit(carrier, amount), credit(side, amount)],
        memo=memo or f"Continuation premium for {month:%B %Y}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=ledger.employer_id,
        period_start=month,
        period_end=month_last_day(month),
    )


def post_beneficiary_payment(
    *,
    employee: Employee,
    amount: Decimal,
    beneficiary_name: str,
    effective_date: date,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """The vested balance of an employee who died, paid to the beneficiary (R-VE10)."""
    if employee.separation_reason != Employee.SeparationReason.DEATH:
        raise ValidationError(
            f"{employee}: a beneficiary is paid only after the employee's death (R-VE10).",
            code="payout_refused",
        )
    _refuse_payout(employee, PayoutKind.BENEFICIARY, effective_date)
    name = " ".join(beneficiary_name.split())
    if not name:
        raise ValidationError({"beneficiary_name": "Name the beneficiary."})
    side = side_account_for(employee)
    to = payee_account_for(employee.employer_id, name=f"Beneficiary {name}")
    return post_transaction(
        kind=TransactionKind.BENEFICIARY_PAYMENT,
        effective_date=effective_date,
        lines=[debit(to, amount), credit(side, amount)],
        memo=memo or f"Vested balance of {employee.full_name} to beneficiary {name}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=employee.employer_id,
    )


def _period(period_start: date, period_end: date, today: date | None) -> None:
    if period_start > period_end:
        raise ValidationError({"period_end": "The period cannot end before it starts."})
    if period_end > (today or timezone.localdate()):
        raise ValidationError({"period_end": "The period has not ended yet."})


def post_interest(
    *,
    employer: Employer | int,
    amount: Decimal,
    period_start: date,
    period_end: date,
    earned_by: str,
    effective_date: date | None = None,
    posted_by: Any = None,
    idempotency_key: str | None = None,
    memo: str = "",
    today: date | None = None,
) -> Transaction:
    """Interest earned by a trust fund, credited to the district account (R-FU2).

    The bank pays it; it belongs to the employer, never to employees (R-VE5).
    """
    if earned_by not in PLAN_FUNDS:
        raise ValidationError({"earned_by": "Choose the fund that earned the interest."})
    _period(period_start, period_end, today)
    ledger = ledger_accounts_for_employer(employer)
    label = FundKind(earned_by).label
    return post_transaction(
        kind=TransactionKind.INTEREST,
        effective_date=effective_date or period_end,
        lines=[debit(ledger.district, amount), credit(ledger.account(BANK_ACCOUNT), amount)],
        memo=memo or f"Interest earned by the {label}, {period_start} to {period_end}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employer=ledger.employer_id,
        period_start=period_start,
        period_end=period_end,
        earned_by=earned_by,
    )


def post_administrative_expense(
    *,
    employer: Employer | int,
    amount: Decimal,
    period_start: date,
    period_end: date,
    description: str,
    payee_name: str = "",
    effective_date: date | None = None,
    posted_by: Any = None,
    idempotency_key: str | None = None,
    today: date | None = None,
) -> Transaction:
    """An administrative cost paid from the district account (R-FU1, R-FU2)."""
    description = " ".join(description.split())
    if not description:
        raise ValidationError({"description": "Describe the expense."})
    _period(period_start, period_end, today)
    ledger = ledger_accounts_for_employer(employer)
    to = (
        payee_account_for(ledger, name=payee_name)
        if payee_name.strip()
        else ledger.account(ADMINISTRATIVE_EXPENSES_ACCOUNT)
    )
    return post_transaction(
        kind=TransactionKind.ADMINISTRATIVE_EXPENSE,
        effective_date=effective_date or period_end,
        lines=[debit(to, amount), credit(ledger.district, amount)],
        memo=description,
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employer=ledger.employer_id,
        period_start=period_start,
        period_end=period_end,
    )


def post_reversal(
    *,
    transaction: Transaction,
    reason: str,
    posted_by: Any = None,
    effective_date: date | None = None,
    idempotency_key: str | None = None,
) -> Transaction:
    """Reverse every posting of ``transaction`` (R-FU3, R-CL5). Once per transaction."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": "Give the reason for the reversal."})
    if transaction.kind == TransactionKind.REVERSAL:
        raise ValidationError(
            "A reversal cannot be reversed; post the original operation again instead.",
            code="reversal_of_reversal",
        )
    if idempotency_key is None:
        existing = Transaction.objects.filter(reverses=transaction).first()
        if existing is not None:
            raise ValidationError(
                f"Transaction #{transaction.pk} was already reversed by transaction #{existing.pk}.",
                code="already_reversed",
            )
    lines = [
        Line(
            p.account_id,
            Direction.CREDIT if p.direction == Direction.DEBIT else Direction.DEBIT,
            p.amount,
        )
        for p in transaction.postings.order_by("id")
    ]
    return post_transaction(
        kind=TransactionKind.REVERSAL,
        effective_date=effective_date or timezone.localdate(),
        lines=lines,
        memo=f"Reversal of #{transaction.pk}: {reason}"[:300],
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=transaction.employee_id,
        reference=transaction.reference,
        employer=transaction.employer_id,
        period_start=transaction.period_start,
        period_end=transaction.period_end,
        earned_by=transaction.earned_by,
        reverses=transaction,
    )
