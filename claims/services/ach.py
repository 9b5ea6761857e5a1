"""The ACH file (NACHA CCD) of a payment run: the checks of payees with a bank account
on file are paid by direct deposit instead (``vesting.bank_files`` makes and keeps the
file, and says how; the others stay checks on the register)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from claims.models import ClaimLedgerEntry, Payee, PaymentRun
from staywell import nacha
from staywell.money import ZERO
from vesting.bank_files import ach_file_create, checked_effective_date
from vesting.models import AchFile


def _checks_by_bank(run: PaymentRun) -> list[tuple[str, Payee, Decimal]]:
    """(employer code, payee, amount) of the run's checks whose payee has a bank
    account: the run's movements netted per employer and payee, above zero."""
    rows = (
        ClaimLedgerEntry.objects.filter(payment_run=run, claim__payee__isnull=False)
        .values("claim__employer__code", "claim__payee_id")
        .annotate(net=Sum("amount"))
        .order_by("claim__employer__code")
    )
    payees = {
        payee.pk: payee
        for payee in Payee.objects.filter(pk__in={row["claim__payee_id"] for row in rows}).exclude(
            routing_number=""
        )
    }
    checks = [
        (row["claim__employer__code"], payees[row["claim__payee_id"]], row["net"])
        for row in rows
        if row["claim__payee_id"] in payees and row["net"] > ZERO
    ]
    return sorted(checks, key=lambda c: (c[0], c[1].name.lower(), c[1].pk))


@transaction.atomic
def payment_run_ach(
    *,
    run: PaymentRun,
    effective_date: date | None = None,
    user: Any = None,
    today: date | None = None,
) -> AchFile:
    """The run's CCD file, made once (again: the same file)."""
    run = PaymentRun.objects.select_for_update().get(pk=run.pk)
    if run.ach_file_id is not None:
        return AchFile.objects.get(pk=run.ach_file_id)
    effective = checked_effective_date(effective_date, today or timezone.localdate())
    batches: dict[str, nacha.Batch] = {}
    summary: list[dict[str, Any]] = []
    for code, payee, amount in _checks_by_bank(run):
        batch = batches.setdefault(code, nacha.Batch("CCD", "CLAIMS", effective, code))
        batch.entries.append(
            nacha.Entry(
                routing_number=payee.routing_number,
                account_number=payee.account_number,
                savings=payee.account_type == "savings",
                amount_cents=nacha.cents_of(amount),
                identification=f"PAYEE {payee.pk}",
                name=payee.name,
            )
        )
        summary.append(
            {
                "employer": code,
                "reference": f"payee {payee.pk}",
                "payee": payee.pk,
                "name": payee.name,
                "amount": f"{amount:.2f}",
                "account": payee.account_masked,
            }
        )
    if not batches:
        raise ValidationError(
            f"No payee of payment run {run.number} has a bank account on file: its checks "
            "are all paid by check."
        )
    ach = ach_file_create(
        kind=AchFile.Kind.CCD,
        title=f"Payment run {run.number}",
        file_name=f"payment-run-{run.number}.ach",
        batches=list(batches.values()),
        summary=summary,
        user=user,
    )
    PaymentRun.objects.filter(pk=run.pk).update(ach_file=ach)
    return ach
