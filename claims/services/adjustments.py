"""Voids and adjustments (R-CL5): a paid claim is never edited; its payments are
reversed or topped up and the family's year is re-split in the original order.

After a void or an adjustment of a claim of a year already vested, the employee's year
(and a pooled spouse's, R-VE11) is re-vested (``vesting.revest.claim_year_revest``): a
lowered claim gives the money back to that year, a higher one takes it (R-CL5, R-CL6).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import PlanYear
from accounts.rules import Tier
from claims.models import (
    Claim,
    ClaimAdjustment,
    ClaimEvent,
    ClaimLedgerEntry,
    FamilyYear,
)
from claims.rules import (
    TRUST_FUNDED_TIERS,
    ClaimId,
    ClaimInput,
    ClaimSplit,
    SplitAdjustment,
    resplit_family_year,
    split_adjustments,
    validate_amounts,
)
from claims.services.checking import acting_user, amount_in_cents, normalized_text, parse_int
from claims.services.dates import correction_date
from claims.services.entry import dollars, pay_claim, reverse_payment, runout_hook, split_words
from staywell.money import ZERO
from vesting import revest
from vesting.models import Transaction


def _event(claim: Claim, action: str, message: str, user: Any, at: Any = None) -> ClaimEvent:
    return ClaimEvent(
        claim=claim,
        action=action,
        message=message,
        user=user if getattr(user, "is_authenticated", False) else None,
        at=at or timezone.now(),
    )


def _reason(reason: str | None, what: str) -> str:
    text = normalized_text(reason)
    if not text:
        raise ValidationError({"reason": f"Give the reason for the {what}."})
    if len(text) > 250:
        raise ValidationError({"reason": "The reason is limited to 250 characters."})
    return text


def _lock_claim(claim: Claim | int) -> tuple[Claim, FamilyYear]:
    """The claim re-read under its family-year's lock."""
    claim_id = claim.pk if isinstance(claim, Claim) else parse_int(claim)
    family_year_id = (
        Claim.objects.filter(pk=claim_id).values_list("family_year_id", flat=True).first()
        if claim_id is not None
        else None
    )
    if claim_id is None or family_year_id is None:
        raise ValidationError({"claim": f"Unknown claim {claim_id}."})
    family = FamilyYear.objects.select_for_update().get(pk=family_year_id)
    row = Claim.objects.select_related("employee", "employer", "payee").get(pk=claim_id)
    return row, family


def _last_movement(family: FamilyYear) -> date | None:
    """The ledger date of the last trust-fund movement of the family's claims of the year."""
    last: date | None = ClaimLedgerEntry.objects.filter(claim__family_year=family).aggregate(
        last=Max("transaction__effective_date")
    )["last"]
    return last


def _refuse_voided(claim: Claim, what: str) -> None:
    if claim.status == Claim.Status.VOIDED:
        when = claim.voided_at.date().isoformat() if claim.voided_at else "earlier"
        raise ValidationError(
            {
                "claim": f"Claim {claim.pk} was already voided on {when} ({claim.void_reason}); "
                f"a voided claim cannot be {what}."
            },
            code="already_voided",
        )


def _live_payments(claim: Claim) -> list[ClaimLedgerEntry]:
    """The claim's payment entries whose transaction is not reversed yet, oldest first."""
    payments = list(
        ClaimLedgerEntry.objects.filter(claim=claim, kind=ClaimLedgerEntry.Kind.PAYMENT)
        .select_related("transaction")
        .order_by("id")
    )
    reversed_ids = set(
        Transaction.objects.filter(
            reverses_id__in=[entry.transaction_id for entry in payments]
        ).values_list("reverses_id", flat=True)
    )
    return [entry for entry in payments if entry.transaction_id not in reversed_ids]


def _move_trust_fund(
    claim: Claim,
    *,
    old: Decimal,
    new: Decimal,
    adjustment: ClaimAdjustment,
    user: Any,
    on: date,
) -> None:
    """Bring the claim's trust-fund payments from ``old`` to ``new`` (module Decision)."""
    key = f"claim:{claim.pk}:adj:{adjustment.pk}"
    if new > old:
        pay_claim(claim, new - old, on, user, key=key, adjustment=adjustment)
        return
    if new == old:
        return
    for entry in _live_payments(claim):
        reverse_payment(claim, entry, adjustment=adjustment, user=user, on=on)
    if new > ZERO:
        pay_claim(claim, new, on, user, key=key, adjustment=adjustment)


def _plan_year_deductible(family: FamilyYear) -> Decimal:
    deductible = (
        PlanYear.objects.filter(start_year=family.policy_year)
        .values_list("deductible", flat=True)
        .first()
    )
    if deductible is None:
        raise ValidationError(
            {"claim": f"The plan year {family.label} is not set up any more; ask an administrator."}
        )
    return deductible


def _adjust_claim(
    claim: Claim,
    delta: SplitAdjustment,
    after: ClaimSplit,
    *,
    cause: Claim,
    reason: str,
    allowed_after: Decimal,
    user: Any,
    on: date,
    now: Any,
) -> ClaimAdjustment:
    """One claim whose split changed in a re-split: its adjustment entry, its trust-fund
    payments brought to the new amount, its new split, and the R-CL6 hook for an
    increase."""
    adjustment = ClaimAdjustment.objects.create(
        claim=claim,
        kind=ClaimAdjustment.Kind.ADJUST if claim.pk == cause.pk else ClaimAdjustment.Kind.RESPLIT,
        reason=reason[:300],
        cause=cause,
        allowed_before=claim.allowed,
        allowed_after=allowed_after,
        trust_fund_delta=delta.trust_fund,
        employee_delta=delta.employee,
        carrier_delta=delta.carrier,
        created_by=user,
    )
    _move_trust_fund(
        claim,
        old=claim.trust_fund_amount,
        new=after.trust_fund,
        adjustment=adjustment,
        user=user,
        on=on,
    )
    Claim.objects.filter(pk=claim.pk).update(
        allowed=allowed_after,
        trust_fund_amount=after.trust_fund,
        employee_amount=after.employee,
        carrier_amount=after.carrier,
        forwarded_at=claim.forwarded_at or (now if after.carrier > ZERO else None),
    )
    return adjustment


def _save_family_totals(family: FamilyYear, splits: list[ClaimSplit]) -> None:
    """R-CL1: the family's year holds the sums of its claims' new splits."""
    family.absorbed = sum((s.absorbed for s in splits), ZERO)
    family.trust_fund_paid = sum((s.trust_fund for s in splits), ZERO)
    family.employee_paid = sum((s.employee for s in splits), ZERO)
    family.carrier_paid = sum((s.carrier for s in splits), ZERO)
    family.claim_count = (
        Claim.objects.filter(family_year=family).exclude(status=Claim.Status.VOIDED).count()
    )
    family.save()


def _resplit(
    family: FamilyYear,
    *,
    cause: Claim,
    reason: str,
    user: Any,
    on: date,
    allowed_override: dict[int, Decimal] | None = None,
) -> list[ClaimAdjustment]:
    """R-CL5: split the family's remaining claims of the year again, in their original
    order (entry order), as if the voided claim never existed or the adjusted amount had
    always been so; post an adjustment for every claim whose split changes."""
    overrides = allowed_override or {}
    deductible = _plan_year_deductible(family)
    claims = list(
        Claim.objects.filter(family_year=family)
        .exclude(status__in=[Claim.Status.VOIDED, Claim.Status.DENIED])
        .select_related("employee", "payee")
        .order_by("id")
    )
    inputs = [ClaimInput(c.pk, overrides.get(c.pk, c.allowed), Tier(c.tier)) for c in claims]
    new_splits = resplit_family_year(inputs, deductible, trust_funded_tiers=TRUST_FUNDED_TIERS)
    old: dict[ClaimId, ClaimSplit] = {
        c.pk: ClaimSplit(c.trust_fund_amount, c.employee_amount, c.carrier_amount) for c in claims
    }
    new: dict[ClaimId, ClaimSplit] = dict(zip([c.pk for c in claims], new_splits, strict=True))
    by_id = {c.pk: c for c in claims}
    now = timezone.now()
    made: list[ClaimAdjustment] = []
    events: list[ClaimEvent] = []
    for delta in split_adjustments(old, new):
        claim = by_id[int(delta.claim_id)]
        after = new[claim.pk]
        adjustment = _adjust_claim(
            claim,
            delta,
            after,
            cause=cause,
            reason=reason,
            allowed_after=overrides.get(claim.pk, claim.allowed),
            user=user,
            on=on,
            now=now,
        )
        if claim.pk != cause.pk:
            events.append(
                _event(
                    claim,
                    ClaimEvent.Action.RESPLIT,
                    f"Split changed to {split_words(after)} ({_deltas(delta)}): {reason}",
                    user,
                    now,
                )
            )
        made.append(adjustment)
        if delta.trust_fund > ZERO:
            runout_hook(
                claim=claim,
                amount=delta.trust_fund,
                paid_on=on,
                posted_by=user,
                reference=f"claim {claim.pk} adjustment {adjustment.pk}",
            )
    ClaimEvent.objects.bulk_create(events)
    _save_family_totals(family, new_splits)
    return made


def _deltas(delta: Any) -> str:
    parts = []
    for name, value in (
        ("trust fund", delta.trust_fund),
        ("employee", delta.employee),
        ("carrier", delta.carrier),
    ):
        if value:
            parts.append(f"{name} {'+' if value > 0 else '-'}{dollars(abs(value))}")
    return ", ".join(parts)


@transaction.atomic
def claim_void(
    *, claim: Claim | int, reason: str, voided_by: Any = None, effective_date: date | None = None
) -> Claim:
    """Void a claim (R-CL5): reverse its trust-fund payments, then re-split the family's
    other claims of the year in their original order, with adjustment entries for every
    claim whose split changes. Refused for a claim already voided. The reversals are
    dated ``effective_date``, the void's business date (default today;
    ``claims.services.dates.correction_date``)."""
    reason = _reason(reason, "void")
    row, family = _lock_claim(claim)
    _refuse_voided(row, "voided again")
    user = acting_user(voided_by)
    on = correction_date(
        employer_id=row.employer_id,
        last_movement=_last_movement(family),
        effective_date=effective_date,
    )
    now = timezone.now()
    adjustment = ClaimAdjustment.objects.create(
        claim=row,
        kind=ClaimAdjustment.Kind.VOID,
        reason=reason,
        cause=row,
        allowed_before=row.allowed,
        allowed_after=ZERO,
        trust_fund_delta=-row.trust_fund_amount,
        employee_delta=-row.employee_amount,
        carrier_delta=-row.carrier_amount,
        created_by=user,
    )
    _move_trust_fund(
        row, old=row.trust_fund_amount, new=ZERO, adjustment=adjustment, user=user, on=on
    )
    before = ClaimSplit(row.trust_fund_amount, row.employee_amount, row.carrier_amount)
    was_denied = row.status == Claim.Status.DENIED
    Claim.objects.filter(pk=row.pk).update(
        status=Claim.Status.VOIDED,
        trust_fund_amount=ZERO,
        employee_amount=ZERO,
        carrier_amount=ZERO,
        void_reason=reason,
        voided_by=user,
        voided_at=now,
    )
    ClaimEvent.objects.create(
        claim=row,
        action=ClaimEvent.Action.VOIDED,
        message=f"Voided: {reason}."
        + ("" if was_denied else f" The split was {split_words(before)}; reversed."),
        user=user,
        at=now,
    )
    _resplit(
        family,
        cause=row,
        reason=f"re-split after the void of claim {row.pk} ({row.admin_claim_number}): {reason}",
        user=user,
        on=on,
    )
    _revest_year(row, on=on, user=user)
    row.refresh_from_db()
    return row


@transaction.atomic
def claim_adjust(
    *,
    claim: Claim | int,
    allowed: Decimal | str,
    reason: str,
    adjusted_by: Any = None,
    effective_date: date | None = None,
) -> Claim:
    """Change a claim's allowed amount (the administrator's correction) with a reason
    (R-CL5): the family's claims of the year are re-split in their original order with
    the new amount; every claim whose split changes gets an adjustment entry, dated
    ``effective_date`` (default today; ``claims.services.dates.correction_date``)."""
    reason = _reason(reason, "adjustment")
    row, family = _lock_claim(claim)
    _refuse_voided(row, "adjusted")
    if row.status == Claim.Status.DENIED:
        raise ValidationError(
            {
                "claim": f"Claim {row.pk} was denied ({row.denied_reason}); void it and enter it "
                "again if it should be paid."
            }
        )
    carrier_maximum = (
        PlanYear.objects.filter(start_year=row.policy_year)
        .values_list("carrier_maximum", flat=True)
        .first()
    ) or Decimal("1000000.00")
    errors = validate_amounts(row.billed, allowed if allowed is not None else "", carrier_maximum)
    if errors:
        raise ValidationError({"allowed": errors.get("allowed") or errors.get("billed", "")})
    new_allowed = amount_in_cents(allowed)
    if new_allowed == row.allowed:
        raise ValidationError({"allowed": f"The allowed amount is already {dollars(row.allowed)}."})
    user = acting_user(adjusted_by)
    on = correction_date(
        employer_id=row.employer_id,
        last_movement=_last_movement(family),
        effective_date=effective_date,
    )
    ClaimEvent.objects.create(
        claim=row,
        action=ClaimEvent.Action.ADJUSTED,
        message=f"Allowed amount changed from {dollars(row.allowed)} to {dollars(new_allowed)}: "
        f"{reason}.",
        user=user,
    )
    on = effective_date or timezone.localdate()
    _resplit(
        family,
        cause=row,
        reason=reason,
        user=user,
        on=on,
        allowed_override={row.pk: new_allowed},
    )
    _revest_year(row, on=on, user=user)
    row.refresh_from_db()
    return row


def _revest_year(claim: Claim, *, on: date, user: Any) -> None:
    """R-CL5, R-CL6: a vested year follows its claims' new amounts (module doc)."""
    revest.claim_year_revest(
        employee=claim.employee, policy_year=claim.policy_year, on=on, posted_by=user
    )
