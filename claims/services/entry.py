"""Entering a claim (:func:`claim_enter`): checked, split under the family's lock, the
trust fund's share paid through the ledger (the only module of ``claims.services`` that
posts to it), the carrier's recorded, and the R-CL6 run-out hook."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from psycopg.rows import dict_row

from accounts.models import Dependent, Employee
from accounts.rules import policy_year_end
from claims.models import (
    Claim,
    ClaimAdjustment,
    ClaimEvent,
    ClaimLedgerEntry,
    FamilyYear,
)
from claims.rules import ClaimSplit, parse_service_category
from claims.services.checking import (
    acting_user,
    adjudicate,
    claim_validate,
    find_duplicates,
)
from claims.services.dates import ClosedCheck, entry_date_errors, entry_dates
from claims.services.payees import payee_for_claim, payee_name_of
from claims.services.values import ClaimDraft, DuplicateClaimError, DuplicateMatch
from staywell.db import model_from_row, prepared_rows
from staywell.history import history_context_values
from staywell.money import ZERO
from vesting import ledger, payouts, revest
from vesting.models import Transaction

_LOCK_SQL = """
SELECT id, absorbed, trust_fund_paid, employee_paid, carrier_paid, claim_count,
       nextval(pg_get_serial_sequence('claims_claim', 'id')) AS next_claim_id
  FROM claims_familyyear
 WHERE employee_id = %s AND policy_year = %s
   FOR UPDATE
"""


def _lock_family_year(employee_id: int, policy_year: int) -> tuple[FamilyYear, int]:
    """The family's year, created if new, row-locked (``SELECT ... FOR UPDATE``) until the
    transaction ends: the lock that serializes claims of one family and year. Also the id
    the next claim will have (so that its payment can name it before it is inserted)."""
    rows = prepared_rows(_LOCK_SQL, [employee_id, policy_year], row_factory=dict_row)
    if not rows:
        prepared_rows(
            "INSERT INTO claims_familyyear (employee_id, policy_year, absorbed, "
            "trust_fund_paid, employee_paid, carrier_paid, claim_count, updated_at) "
            "VALUES (%s, %s, 0, 0, 0, 0, 0, now()) "
            "ON CONFLICT (employee_id, policy_year) DO NOTHING",
            [employee_id, policy_year],
        )
        rows = prepared_rows(_LOCK_SQL, [employee_id, policy_year], row_factory=dict_row)
    row = rows[0]
    family = model_from_row(FamilyYear, row)
    family.employee_id = employee_id
    family.policy_year = policy_year
    return family, int(row["next_claim_id"])


def dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def split_words(split: ClaimSplit) -> str:
    if split.denied:
        return f"denied: {split.denied_reason}"
    return (
        f"trust fund {dollars(split.trust_fund)}, employee {dollars(split.employee)}, "
        f"carrier {dollars(split.carrier)}"
    )


def claim_columns(
    draft: ClaimDraft,
    split: ClaimSplit,
    *,
    claim_id: int,
    family_year_id: int,
    duplicate_of_id: int | None,
    source: str,
    user_id: int | None,
    now: Any,
    received_on: date,
) -> dict[str, Any]:
    """A new claim's columns with its split, as plain values (``new_claim``; the imports
    insert them set-based)."""
    return {
        "id": claim_id,
        "employer_id": draft.policyholder.employer_id,
        "employee_id": draft.policyholder.pk,
        "family_year_id": family_year_id,
        "patient_id": draft.patient.pk if draft.patient is not None else None,
        "patient_name": draft.patient_name,
        "date_of_service": draft.date_of_service,
        "policy_year": draft.policy_year,
        "provider": draft.provider,
        "admin_claim_number": draft.admin_claim_number,
        "billed": draft.billed,
        "allowed": draft.allowed,
        "status": Claim.Status.DENIED if split.denied else Claim.Status.PAID,
        "denied_reason": split.denied_reason or "",
        "tier": draft.tier.value,
        "trust_fund_amount": split.trust_fund,
        "employee_amount": split.employee,
        "carrier_amount": split.carrier,
        "forwarded_at": now if split.carrier > ZERO else None,
        "duplicate_of_id": duplicate_of_id,
        "source": source,
        "entered_by_id": user_id,
        "entered_at": now,
        "received_on": received_on,
    }


def new_claim(
    draft: ClaimDraft,
    split: ClaimSplit,
    family: FamilyYear,
    claim_id: int,
    *,
    matches: list[DuplicateMatch],
    source: str,
    user: Any,
    now: Any,
    received_on: date,
) -> Claim:
    """The claim to insert, with its split (not saved)."""
    claim = Claim(
        **claim_columns(
            draft,
            split,
            claim_id=claim_id,
            family_year_id=family.pk,
            duplicate_of_id=matches[0].claim_id if matches else None,
            source=source,
            user_id=user.pk if user is not None else None,
            now=now,
            received_on=received_on,
        )
    )
    claim.employee, claim.family_year = draft.policyholder, family
    claim.patient, claim.entered_by = draft.patient, user
    return claim


# ``Claim.get_source_display``, read once (``Claim.Source.choices`` is built on each read).
_SOURCE_LABELS = {value: str(label) for value, label in Claim.Source.choices}


def entered_event(
    draft: ClaimDraft, *, source: str, duplicate_of_id: int | None
) -> tuple[str, str]:
    """The audit event of a claim entered from ``source`` (``Claim.Source``)."""
    source_label = _SOURCE_LABELS.get(source, str(source))
    return (
        ClaimEvent.Action.ENTERED,
        f"Entered ({source_label.lower()}) for {draft.patient_name}, service "
        f"on {draft.date_of_service.isoformat()}, billed {dollars(draft.billed)}, allowed "
        f"{dollars(draft.allowed)}"
        + (
            f"; confirmed as not a duplicate of claim {duplicate_of_id}"
            if duplicate_of_id is not None
            else ""
        )
        + ".",
    )


def split_events(draft: ClaimDraft, split: ClaimSplit) -> list[tuple[str, str]]:
    """The audit events of a claim paid (R-CL3): its split, and what the carrier gets."""
    events: list[tuple[str, str]] = [
        (
            ClaimEvent.Action.PAID,
            f"Split ({draft.tier.label} tier, {draft.policy_year_label}): {split_words(split)}.",
        )
    ]
    if split.carrier > ZERO:
        events.append(
            (
                ClaimEvent.Action.FORWARDED,
                f"{dollars(split.carrier)} forwarded to the major-medical carrier.",
            )
        )
    return events


@transaction.atomic
def claim_enter(
    *,
    employee: Employee | int | str | None,
    patient: Dependent | int | str | None = None,
    date_of_service: date | None,
    provider: str,
    admin_claim_number: str,
    billed: Decimal | str | None,
    allowed: Decimal | str | None,
    entered_by: Any = None,
    confirm_duplicate: bool = False,
    received_on: date | None = None,
    paid_on: date | None = None,
    source: str = Claim.Source.ENTRY,
    today: date | None = None,
    payee: Any = None,
    service_category: str | None = None,
) -> Claim:
    """Enter a claim: check it, split it under the family's lock, pay the trust fund's
    share and record the carrier's (module doc). Returns the saved claim (status paid or
    denied). Raises ``ValidationError`` (nothing written) for bad input and
    :class:`DuplicateClaimError` for a possible duplicate not confirmed.

    ``received_on`` and ``paid_on`` are the business dates (``claims.services.dates``):
    by default the claim was received on its date paid, and paid today.

    ``payee``: the payee picked; by default the provider's (``services.payees``).
    ``service_category``: optional (``claims.rules.ServiceCategory``; blank: not given).
    """
    draft, received_on, paid_on, category = _checked(
        dict(
            employee=employee,
            patient=patient,
            date_of_service=date_of_service,
            provider=provider,
            admin_claim_number=admin_claim_number,
            billed=billed,
            allowed=allowed,
        ),
        received_on=received_on,
        paid_on=paid_on,
        today=today or timezone.localdate(),
        service_category=service_category,
    )
    paid_to = payee_for_claim(payee=payee, provider=draft.provider)
    family, claim_id = _lock_family_year(draft.policyholder.pk, draft.policy_year)
    matches = find_duplicates(draft)
    if matches and not confirm_duplicate:
        raise DuplicateClaimError(matches)
    split = adjudicate(draft, family.absorbed)
    user = acting_user(entered_by)
    now = timezone.now()
    claim = new_claim(
        draft,
        split,
        family,
        claim_id,
        matches=matches,
        source=source,
        user=user,
        now=now,
        received_on=received_on,
    )
    claim.payee, claim.service_category = paid_to, category
    events = [entered_event(draft, source=source, duplicate_of_id=claim.duplicate_of_id)]
    payment = None if split.denied else _pay_trust_fund(claim, split, paid_on, user)
    if split.denied:
        events.append((ClaimEvent.Action.DENIED, split.denied_reason or ""))
    else:
        events.extend(split_events(draft, split))
    if not _insert_claim(claim, family, split, events, payment, user, now):
        # A concurrent entry took the claim number (the payment is rolled back with this).
        raise DuplicateClaimError(find_duplicates(draft))
    claim._state.adding = False
    if payment is not None and claim.paid_on is not None:
        runout_hook(claim=claim, amount=split.trust_fund, paid_on=claim.paid_on, posted_by=user)
    return claim


def _pay_trust_fund(
    claim: Claim, split: ClaimSplit, paid_on: date, user: Any
) -> tuple[Transaction, int] | None:
    """The trust fund's share paid on ``paid_on`` (none when it has no share)."""
    if split.trust_fund <= ZERO:
        return None
    claim.paid_on = paid_on
    # No savepoint: a refusal of the payment abandons the claim's whole transaction.
    payment = _post_payment(
        claim, split.trust_fund, paid_on, user, key=f"claim:{claim.pk}:pay", savepoint=False
    )
    claim.payment_transaction = payment[0]
    return payment


def _checked(
    fields: dict[str, Any],
    *,
    received_on: date | None,
    paid_on: date | None,
    today: date,
    service_category: str | None = None,
) -> tuple[ClaimDraft, date, date, str]:
    """The claim's input checked (``claim_validate``), its (date received, date paid)
    (``entry_dates``) and its service category; a refusal of the input names the bad
    dates and a bad service category too."""
    category, category_error = parse_service_category(service_category)
    extra = {"service_category": category_error} if category_error else {}
    try:
        draft = claim_validate(**fields, today=today, paid=paid_on or today)
    except ValidationError as error:
        date_errors = entry_date_errors(
            employer_id=None,
            date_of_service=fields["date_of_service"],
            received_on=received_on,
            paid_on=paid_on,
            today=today,
        )
        if not date_errors and not extra:
            raise
        raise ValidationError({**error.message_dict, **date_errors, **extra}) from None
    try:
        received, paid = entry_dates(
            employer_id=draft.policyholder.employer_id,
            date_of_service=draft.date_of_service,
            received_on=received_on,
            paid_on=paid_on,
            today=today,
            is_closed=_read_with_family(draft, paid_on or today),
        )
    except ValidationError as error:
        raise ValidationError({**error.message_dict, **extra}) from None
    if extra:
        raise ValidationError(extra)
    return draft, received, paid, category


def _read_with_family(draft: ClaimDraft, paid: date) -> ClosedCheck:
    """The closed-month check of ``entry_dates``: for the month of ``paid`` in the
    policyholder's employer's ledger, what ``claim_validate`` read with the family (no
    query of its own); for any other, the ledger's."""

    def is_closed(employer_id: int, day: date) -> bool:
        known = draft.paid_month_closed
        if (
            known is not None
            and employer_id == draft.policyholder.employer_id
            and (day.year, day.month) == (paid.year, paid.month)
        ):
            return known
        return ledger.month_is_closed(employer_id, day)

    return is_closed


# The claim, its payment entry, its events and the family's new totals: one statement. It
# sets the request's history context first (``ctx``): the claim's history row, written by
# its AFTER INSERT trigger at the statement's end, names the user and URL.
_INSERT_CLAIM_SQL = """
WITH ctx AS (
    SELECT set_config('pghistory.context_id', %(ctx_id)s, true),
           set_config('pghistory.context_metadata', %(ctx_metadata)s, true)
), c AS (
    INSERT INTO claims_claim (
        id, employer_id, employee_id, family_year_id, patient_id, patient_name,
        date_of_service, policy_year, provider, payee_id, admin_claim_number, service_category,
        billed, allowed, status,
        denied_reason, tier, trust_fund_amount, employee_amount, carrier_amount, forwarded_at,
        payment_transaction_id, duplicate_of_id, source, entered_by_id, entered_at, paid_on,
        void_reason, voided_by_id, voided_at, received_on
    )
    VALUES (%(id)s, %(employer)s, %(employee)s, %(family)s, %(patient)s, %(patient_name)s,
            %(day)s, %(year)s, %(provider)s, %(payee_id)s, %(number)s, %(category)s,
            %(billed)s, %(allowed)s, %(status)s,
            %(denied)s, %(tier)s, %(trust_fund)s, %(employee_amount)s, %(carrier)s,
            %(forwarded)s, %(tx)s, %(duplicate_of)s, %(source)s, %(user)s, %(now)s,
            %(paid_on)s, '', NULL, NULL, %(received_on)s)
    ON CONFLICT (admin_claim_number) WHERE duplicate_of_id IS NULL DO NOTHING
    RETURNING id
), entry AS (
    INSERT INTO claims_claimledgerentry (
        claim_id, transaction_id, kind, amount, payee_id, adjustment_id, payment_run_id,
        created_at
    )
    SELECT c.id, %(tx)s, 'payment', %(trust_fund)s, %(payee)s, NULL, NULL, %(now)s
      FROM c WHERE %(tx)s::bigint IS NOT NULL
), events AS (
    INSERT INTO claims_claimevent (claim_id, action, message, user_id, at)
    SELECT c.id, x.action, x.message, %(user)s, %(now)s
      FROM c CROSS JOIN (VALUES {events}) AS x(ord, action, message)
     ORDER BY x.ord
), family AS (
    UPDATE claims_familyyear
       SET absorbed = absorbed + %(absorbed)s,
           trust_fund_paid = trust_fund_paid + %(trust_fund)s,
           employee_paid = employee_paid + %(employee_amount)s,
           carrier_paid = carrier_paid + %(carrier)s,
           claim_count = claim_count + 1,
           updated_at = %(now)s
     WHERE id = %(family)s AND EXISTS (SELECT 1 FROM c)
)
SELECT c.id FROM c CROSS JOIN ctx
"""


def _insert_claim(
    claim: Claim,
    family: FamilyYear,
    split: ClaimSplit,
    events: list[tuple[str, str]],
    payment: tuple[Transaction, int] | None,
    user: Any,
    now: Any,
) -> bool:
    """Write the claim with everything that goes with it; False when the claim number was
    taken meanwhile (the unique index: nothing written)."""
    params: dict[str, Any] = {
        "id": claim.pk,
        "employer": claim.employer_id,
        "employee": claim.employee_id,
        "family": family.pk,
        "patient": claim.patient_id,
        "patient_name": claim.patient_name,
        "day": claim.date_of_service,
        "year": claim.policy_year,
        "provider": claim.provider,
        "payee_id": claim.payee_id,
        "number": claim.admin_claim_number,
        "category": claim.service_category,
        "billed": claim.billed,
        "allowed": claim.allowed,
        "status": claim.status,
        "denied": claim.denied_reason,
        "tier": claim.tier,
        "trust_fund": split.trust_fund,
        "employee_amount": split.employee,
        "carrier": split.carrier,
        "forwarded": claim.forwarded_at,
        "tx": payment[0].pk if payment else None,
        "payee": payment[1] if payment else None,
        "duplicate_of": claim.duplicate_of_id,
        "source": claim.source,
        "user": user.pk if user is not None else None,
        "now": now,
        "paid_on": claim.paid_on,
        "received_on": claim.received_on,
        "absorbed": split.absorbed,
    }
    params["ctx_id"], params["ctx_metadata"] = history_context_values()
    values = []
    for index, (action, message) in enumerate(events):
        values.append(f"({index}, %(action{index})s, %(message{index})s)")
        params[f"action{index}"] = str(action)
        params[f"message{index}"] = message
    return bool(prepared_rows(_INSERT_CLAIM_SQL.format(events=", ".join(values)), params))


def _post_payment(
    claim: Claim, amount: Decimal, paid_on: date, user: Any, *, key: str, savepoint: bool = True
) -> tuple[Transaction, int]:
    """Trust fund -> the provider's payee account, with the policyholder and service date
    (``vesting.ledger.post_claim_payment``; ``savepoint`` as there). Returns the payment
    and the payee account's id. Both accounts found in one query
    (``vesting.ledger.claim_payment_accounts``; made on first use)."""
    name = payee_name_of(claim)
    [(trust_id, payee_id)] = ledger.claim_payment_accounts([(claim.employer_id, name)]).values()
    tx = ledger.post_claim_payment(
        employer=claim.employer_id,
        amount=amount,
        effective_date=paid_on,
        payee_name=name,
        accounts=(trust_id, payee_id),
        employee=claim.employee,
        service_date=claim.date_of_service,
        reference=f"claim {claim.pk}",
        idempotency_key=key,
        posted_by=user,
        memo=claim_memo("Payment of", claim.pk, claim.admin_claim_number, claim.patient_name),
        savepoint=savepoint,
    )
    return tx, payee_id


def claim_memo(what: str, claim_id: int, number: str, patient_name: str) -> str:
    """The memo of a claim's ledger transaction ("Payment of claim 12 (MC-1), Ana F")."""
    return f"{what} claim {claim_id} ({number}), {patient_name}"[:300]


def pay_claim(
    claim: Claim,
    amount: Decimal,
    paid_on: date,
    user: Any,
    *,
    key: str,
    adjustment: ClaimAdjustment | None = None,
) -> Transaction:
    """A payment of a claim already saved, with its ledger entry (adjustments)."""
    tx, payee_id = _post_payment(claim, amount, paid_on, user, key=key)
    ClaimLedgerEntry.objects.create(
        claim=claim,
        transaction=tx,
        kind=ClaimLedgerEntry.Kind.PAYMENT,
        amount=amount,
        payee_id=payee_id,
        adjustment=adjustment,
    )
    return tx


def reverse_payment(
    claim: Claim,
    entry: ClaimLedgerEntry,
    *,
    adjustment: ClaimAdjustment,
    user: Any,
    on: date,
) -> Transaction:
    """Reverse one of the claim's payments (``vesting.ledger.post_reversal``), with its
    ledger entry (voids and downward adjustments)."""
    reversal = ledger.post_reversal(
        transaction=entry.transaction,
        reason=f"{adjustment.get_kind_display()} of claim {claim.pk}: {adjustment.reason}",
        posted_by=user,
        effective_date=on,
        idempotency_key=f"claim:{claim.pk}:rev:{entry.transaction_id}",
    )
    ClaimLedgerEntry.objects.create(
        claim=claim,
        transaction=reversal,
        kind=ClaimLedgerEntry.Kind.REVERSAL,
        amount=-entry.amount,
        payee_id=entry.payee_id,
        adjustment=adjustment,
    )
    return reversal


def runout_hook(
    *,
    claim: Claim,
    amount: Decimal,
    paid_on: date,
    posted_by: Any = None,
    reference: str = "",
) -> None:
    """R-CL6: a trust-fund payment for a policy year that has ended may be a run-out claim
    of a year already vested; then that year's vested amount is reduced.

    ``reference`` names the payment for the vesting side's audit, which applies each
    reference once: "claim 123" for the claim's first payment, and one of its own for
    each later increase (an adjustment or a re-split of the family's year).

    The reduction is the vesting side's business: ``vesting.payouts.runout_claim_paid``
    reduces the vested amount of the year when it was vested and does nothing otherwise.
    """
    if paid_on <= policy_year_end(claim.policy_year):
        return  # the year has not ended: it cannot have been vested yet
    payouts.runout_claim_paid(
        employee=claim.employee,
        policy_year=claim.policy_year,
        amount=amount,
        paid_on=paid_on,
        reference=reference or f"claim {claim.pk}",
        posted_by=posted_by,
    )
    # R-VE11: a pooled year's reduction is shared with the spouse through a re-vest.
    revest.claim_year_revest(
        employee=claim.employee,
        policy_year=claim.policy_year,
        on=paid_on,
        posted_by=posted_by,
        only_pooled=True,
    )
