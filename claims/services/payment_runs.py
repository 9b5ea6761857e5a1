"""Payment runs: the trust-fund claim payments grouped into checks the county cuts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from claims.models import (
    ClaimEvent,
    ClaimLedgerEntry,
    PaymentRun,
)
from claims.services.checking import acting_user
from staywell.money import ZERO


def check_of(row: dict[str, Any]) -> tuple[Any, ...]:
    """Which check of a run a claim's ledger movement is on: the claim's payee of the
    directory and its employer (each employer's trust fund writes its own checks), else
    (claims generated in bulk, with no payee) the ledger's payee account."""
    if row.get("claim__payee_id") is not None:
        return ("payee", row["claim__employer_id"], row["claim__payee_id"])
    return ("account", row["payee_id"])


@transaction.atomic
def payment_run_create(
    *, created_by: Any = None, paid_on: date | None = None, today: date | None = None
) -> PaymentRun:
    """Group the trust-fund claim payments not yet in a run into a payment run, one
    check per payee of the directory (per employer: each employer's trust fund pays its
    own claims), whatever spelling of the provider each claim was typed with.

    ``paid_on`` is the run's business date, its checks' date (default today; not in the
    future): the run takes the payments dated on or before it (a claim's date paid is
    the effective date of its payment, ``claims.services.dates``); later ones wait.

    Decision: the unit of a run is a ledger movement of a claim (its payment, a later
    additional payment or a reversal), so an adjustment after a run is paid, or offset,
    in the next one. A payee whose movements net to zero is cleared in the run without a
    check; one whose movements net below zero (a recovery larger than what is owed) is
    carried forward to offset later payments. Runs are numbered 1, 2, 3 ... and created
    one at a time (an advisory lock), so no movement is ever in two runs.
    """
    today = today or timezone.localdate()
    run_date = paid_on or today
    if run_date > today:
        raise ValidationError({"paid_on": "The date of a payment run cannot be in the future."})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('claims_payment_run'))")
    rows = list(
        ClaimLedgerEntry.objects.filter(
            payment_run__isnull=True, transaction__effective_date__lte=run_date
        )
        .select_for_update(of=("self",))
        .values("id", "payee_id", "amount", "claim_id", "claim__payee_id", "claim__employer_id")
    )
    net: dict[tuple[Any, ...], Decimal] = {}
    for row in rows:
        row["check"] = check_of(row)
        net[row["check"]] = net.get(row["check"], ZERO) + row["amount"]
    included = {check for check, total in net.items() if total >= ZERO}
    picked = [row for row in rows if row["check"] in included]
    if not picked:
        raise ValidationError(
            "No trust-fund claim payments dated on or before "
            f"{run_date.isoformat()} are waiting for a payment run."
        )
    number = (PaymentRun.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    claim_ids = sorted({row["claim_id"] for row in picked})
    run = PaymentRun.objects.create(
        number=number,
        total=sum((net[p] for p in included), ZERO),
        check_count=sum(1 for p in included if net[p] > ZERO),
        claim_count=len(claim_ids),
        created_by=acting_user(created_by),
        paid_on=run_date,
    )
    ids = [row["id"] for row in picked]
    for start in range(0, len(ids), 10_000):
        ClaimLedgerEntry.objects.filter(pk__in=ids[start : start + 10_000]).update(payment_run=run)
    now = timezone.now()
    user = acting_user(created_by)
    ClaimEvent.objects.bulk_create(
        (
            ClaimEvent(
                claim_id=claim_id,
                action=ClaimEvent.Action.PAYMENT_RUN,
                message=f"In payment run {number} of {run_date.isoformat()}.",
                user=user,
                at=now,
            )
            for claim_id in claim_ids
        ),
        batch_size=5_000,
    )
    return run


@transaction.atomic
def payment_run_mark_issued(*, run: PaymentRun, issued_by: Any = None) -> PaymentRun:
    """The county has cut the run's checks."""
    run = PaymentRun.objects.select_for_update().get(pk=run.pk)
    if run.status == PaymentRun.Status.ISSUED:
        raise ValidationError(f"The checks of payment run {run.number} were already issued.")
    run.status = PaymentRun.Status.ISSUED
    run.issued_at = timezone.now()
    run.save(update_fields=["status", "issued_at"])
    return run
