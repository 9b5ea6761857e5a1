"""ACH files for the plan's bank: made once for a payout register (PPD, lump sums to
employees) here, and for the claims' payment runs (CCD) by ``claims.services.ach``
through :func:`ach_file_create`. The format is ``staywell.nacha``'s.

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: a payment goes in the ACH file when its receiver has a bank account on file
  (an employee's direct deposit, a payee's bank account); the others stay checks on the
  register as before. The file is made once per register or run and kept (encrypted:
  it holds full account numbers); downloading it again hands out the same file, so the
  bank never gets a second, different file for the same payments.
- Decision: the effective entry date (the day the bank credits the accounts) is chosen
  by the clerk: by default the next weekday after today; never before today nor more
  than 30 days ahead.
- Decision: one batch per employer (each employer's funds pay their own payments), its
  code in the batch's discretionary data; the entries are sorted by name.
- Decision: beneficiary payments (R-VE10) are paid by check: a beneficiary's bank
  account is not kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.exchange import missing_settings, trading_partners
from accounts.models import DirectDeposit
from staywell import nacha
from staywell.crypto import masked
from staywell.money import ZERO
from vesting.models import AchFile, Payout, PayoutRegister

BANK_SETTINGS = ("bank_routing_number", "immediate_origin", "company_id", "company_name")
MAX_AHEAD = 30  # days


def next_weekday(day: date) -> date:
    following = day + timedelta(days=1)
    while following.weekday() >= 5:
        following += timedelta(days=1)
    return following


def effective_date_error(effective: date, today: date) -> str | None:
    if effective < today:
        return "The effective date cannot be before today."
    if effective > today + timedelta(days=MAX_AHEAD):
        return f"The effective date is at most {MAX_AHEAD} days ahead."
    if effective.weekday() >= 5:
        return "The effective date is a weekday: banks do not settle on weekends."
    return None


def originator() -> nacha.Originator:
    """The plan at its bank (Administration, Trading partners), or a ValidationError
    naming what is not set."""
    row = trading_partners()
    problem = missing_settings(row, BANK_SETTINGS)
    if problem:
        raise ValidationError(problem)
    return nacha.Originator(
        immediate_destination=row.bank_routing_number,
        destination_name=row.bank_name,
        immediate_origin=row.immediate_origin,
        origin_name=row.origin_name or row.plan_name,
        company_name=row.company_name,
        company_id=row.company_id,
    )


def _modifier(created_on: date) -> str:
    """The file id modifier: A for the day's first file, B for the second ..."""
    used = set(
        AchFile.objects.filter(created_on=created_on).values_list("file_id_modifier", flat=True)
    )
    for modifier in nacha.FILE_ID_MODIFIERS:
        if modifier not in used:
            return modifier
    raise ValidationError("36 ACH files were made today already: make this one tomorrow.")


def ach_file_create(
    *,
    kind: str,
    title: str,
    file_name: str,
    batches: Sequence[nacha.Batch],
    summary: list[dict[str, Any]],
    user: Any = None,
    now: datetime | None = None,
) -> AchFile:
    """Write and keep the file of ``batches`` (``summary``: what it pays, masked)."""
    created = timezone.localtime(now or timezone.now())
    try:
        text = nacha.ach_file(
            origin=originator(),
            batches=batches,
            created=created,
            file_id_modifier=_modifier(created.date()),
        )
    except nacha.AchError as exc:
        raise ValidationError(str(exc)) from exc
    return AchFile.objects.create(
        kind=kind,
        title=title,
        file_name=file_name,
        content=text.text,
        effective_date=batches[0].effective_date,
        file_id_modifier=text.text[33],
        batch_count=text.batch_count,
        entry_count=text.entry_count,
        entry_hash=text.entry_hash,
        total=Decimal(text.credit_cents) / 100,
        entries=summary,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        created_on=created.date(),
    )


def checked_effective_date(effective_date: date | None, today: date) -> date:
    effective = effective_date or next_weekday(today)
    problem = effective_date_error(effective, today)
    if problem:
        raise ValidationError({"effective_date": problem})
    return effective


@transaction.atomic
def payout_register_ach(
    *,
    register: PayoutRegister,
    effective_date: date | None = None,
    user: Any = None,
    today: date | None = None,
) -> AchFile:
    """The PPD file of a payout register: its lump sums to employees with a direct
    deposit (module Decisions). Made once; again: the same file."""
    register = PayoutRegister.objects.select_for_update().get(pk=register.pk)
    if register.ach_file_id is not None:
        return AchFile.objects.get(pk=register.ach_file_id)
    today = today or timezone.localdate()
    effective = checked_effective_date(effective_date, today)
    payouts = list(
        Payout.objects.filter(
            register=register, kind=Payout.Kind.LUMP_SUM, status=Payout.Status.PAID
        )
        .select_related("employee__employer")
        .order_by("employee__employer__code", "employee__last_name", "employee__first_name", "id")
    )
    deposits = {
        d.employee_id: d
        for d in DirectDeposit.objects.filter(employee_id__in={p.employee_id for p in payouts})
    }
    batches: dict[str, nacha.Batch] = {}
    summary: list[dict[str, Any]] = []
    for payout in payouts:
        deposit = deposits.get(payout.employee_id)
        if deposit is None or payout.amount <= ZERO:
            continue
        employee = payout.employee
        code = employee.employer.code
        batch = batches.setdefault(
            code, nacha.Batch("PPD", "PAYOUT", effective, discretionary=code)
        )
        batch.entries.append(
            nacha.Entry(
                routing_number=deposit.routing_number,
                account_number=deposit.account_number,
                savings=deposit.account_type == "savings",
                amount_cents=nacha.cents_of(payout.amount),
                identification=employee.number,
                name=employee.full_name,
            )
        )
        summary.append(
            {
                "employer": code,
                "reference": f"payout {payout.pk}",
                "name": employee.full_name,
                "amount": f"{payout.amount:.2f}",
                "account": masked(deposit.account_number),
            }
        )
    if not batches:
        raise ValidationError(
            "No payout of this register goes to an employee with direct deposit: "
            "they are all paid by check."
        )
    ach = ach_file_create(
        kind=AchFile.Kind.PPD,
        title=f"Payout register {register.pk}",
        file_name=f"payout-register-{register.pk}.ach",
        batches=list(batches.values()),
        summary=summary,
        user=user,
    )
    PayoutRegister.objects.filter(pk=register.pk).update(ach_file=ach)
    return ach
