"""The plan's claim-adjudication rules as pure functions (R-CL1..R-CL5).

No ORM and no clock. Amounts are ``Decimal`` cents (``staywell.money``). The tier on the
date of service is decided by ``accounts`` and passed in; plan-year numbers (the
deductible, the carrier's maximum) and plan settings are arguments.

Decisions (the spec is silent; chosen as a plan administrator would):

- Decision: "absorbed" is everything the family's one deductible has already taken this
  policy year, whoever paid it: trust-fund payments *and* amounts the employee paid
  under a three-quarter or self-pay tier. A family whose tier changes mid-year still has
  one $500 deductible (R-CL1, IV.A), and the carrier's policy pays "after the first $500
  of covered expenses have been paid in the aggregate" (II.A.2) no matter who paid them.
  So an employee who paid 300.00 as three-quarter and then moved to full has 200.00 left
  for the trust fund to pay.
- Decision: GRANDFATHERED is not trust-funded by default (treated like SELF_PAY: the
  employee carries the deductible). The ``trust_funded_tiers`` plan setting adds it.
- Decision: a claim on a day without coverage (``Tier.NONE``) is denied outright: nothing
  to the trust fund, the employee or the carrier, and it does not use up the deductible.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from accounts.rules import Tier
from staywell.money import ZERO, money, typed_money_error

__all__ = [
    "CARRIER_MAXIMUM",
    "DEDUCTIBLE",
    "NO_COVERAGE_REASON",
    "SERVICE_CATEGORY_LABELS",
    "TRUST_FUNDED_TIERS",
    "ClaimId",
    "ClaimInput",
    "ClaimSplit",
    "ServiceCategory",
    "SplitAdjustment",
    "family_absorbed",
    "parse_service_category",
    "resplit_family_year",
    "split_adjustments",
    "split_claim",
    "validate_amounts",
]

ClaimId = int | str

# Defaults of the plan-year data; callers pass the plan year's own values.
DEDUCTIBLE = Decimal("500.00")  # R-CL1: per family per policy year
CARRIER_MAXIMUM = Decimal("1000000.00")  # R-CL3: the major-medical policy pays up to this
# R-CL3/R-CL4: tiers whose claims the Deductible Trust Fund pays (a plan setting).
TRUST_FUNDED_TIERS: frozenset[Tier] = frozenset({Tier.FULL})

NO_COVERAGE_REASON = "No coverage on the date of service"


@dataclass(frozen=True)
class ClaimSplit:
    """Who pays a claim's allowed amount (R-CL3).

    ``trust_fund + employee + carrier`` equals the allowed amount, unless the claim is
    denied (``denied_reason`` set), in which case all three are zero (R-CL4).
    """

    trust_fund: Decimal  # paid by the General Deductible Trust Fund
    employee: Decimal  # the employee's own deductible amount (three-quarter / self-pay)
    carrier: Decimal  # paid by the major-medical carrier
    denied_reason: str | None = None  # set when the claim is denied; then all amounts are 0

    def __post_init__(self) -> None:
        for name in ("trust_fund", "employee", "carrier"):
            value: Decimal = getattr(self, name)
            if value < ZERO or value != money(value):
                raise ValueError(f"{name} must be a non-negative amount in cents, not {value}")
        if self.denied_reason is not None and self.total != ZERO:
            raise ValueError("a denied claim pays nothing")

    @property
    def total(self) -> Decimal:
        """The allowed amount this split covers (zero for a denied claim)."""
        return self.trust_fund + self.employee + self.carrier

    @property
    def denied(self) -> bool:
        return self.denied_reason is not None

    @property
    def absorbed(self) -> Decimal:
        """What this claim took from the family's deductible (R-CL1)."""
        return self.trust_fund + self.employee


@dataclass(frozen=True)
class ClaimInput:
    """One claim of a family's policy year, as re-split by :func:`resplit_family_year`."""

    claim_id: ClaimId
    allowed: Decimal  # R-CL2: the allowed amount, not the billed one
    tier_on_service_date: Tier  # the family's tier on the date of service (R-CL4)


@dataclass(frozen=True)
class SplitAdjustment:
    """The change to one claim's split after a void or adjustment (R-CL5).

    Each delta is new minus old: a positive ``trust_fund`` means the trust fund pays more.
    """

    claim_id: ClaimId
    trust_fund: Decimal
    employee: Decimal
    carrier: Decimal


def _check_settings(deductible: Decimal, trust_funded_tiers: Collection[Tier]) -> None:
    if deductible < ZERO or deductible != money(deductible):
        raise ValueError(f"the deductible must be a non-negative amount in cents, not {deductible}")
    if Tier.NONE in trust_funded_tiers:
        raise ValueError("Tier.NONE (no coverage) cannot be trust-funded")


def split_claim(
    *,
    allowed: Decimal,
    tier: Tier,
    absorbed: Decimal,
    deductible: Decimal = DEDUCTIBLE,
    trust_funded_tiers: Collection[Tier] = TRUST_FUNDED_TIERS,
) -> ClaimSplit:
    """Split one claim's allowed amount between trust fund, employee and carrier.

    R-CL1: one deductible per family per policy year; ``absorbed`` is what the family's
    deductible already took this year (trust-fund payments + employee deductible amounts).
    R-CL2: only the allowed amount counts.
    R-CL3: FULL (any tier in ``trust_funded_tiers``): the trust fund pays until the
    deductible is absorbed, the carrier the rest. THREE_QUARTER, SELF_PAY (and, by
    default, GRANDFATHERED): the employee pays up to the deductible, the carrier the rest.
    R-CL4: no coverage on the date of service (``Tier.NONE``): denied, nothing paid.

    Decision: GRANDFATHERED is employee-paid unless the plan setting lists it as
    trust-funded. Decision: absorbed counts employee amounts too (see module docstring).
    """
    _check_settings(deductible, trust_funded_tiers)
    if allowed < ZERO or allowed != money(allowed):
        raise ValueError(
            f"the allowed amount must be a non-negative amount in cents, not {allowed}"
        )
    if absorbed < ZERO:
        raise ValueError(f"absorbed cannot be negative, not {absorbed}")
    if tier == Tier.NONE:  # R-CL4
        return ClaimSplit(ZERO, ZERO, ZERO, denied_reason=NO_COVERAGE_REASON)
    remaining = max(ZERO, deductible - absorbed)  # R-CL1
    under_deductible = min(allowed, remaining)
    carrier = allowed - under_deductible
    if tier in trust_funded_tiers:  # R-CL3: trust fund pays the deductible part
        return ClaimSplit(trust_fund=under_deductible, employee=ZERO, carrier=carrier)
    return ClaimSplit(trust_fund=ZERO, employee=under_deductible, carrier=carrier)  # R-CL3


def family_absorbed(splits: Iterable[ClaimSplit]) -> Decimal:
    """R-CL1: what a family's claims have taken from its one deductible this policy year."""
    return sum((s.absorbed for s in splits), ZERO)


def resplit_family_year(
    claims: Sequence[ClaimInput],
    deductible: Decimal = DEDUCTIBLE,
    *,
    trust_funded_tiers: Collection[Tier] = TRUST_FUNDED_TIERS,
) -> list[ClaimSplit]:
    """R-CL5: split a family's claims of one policy year from scratch, in the given order.

    Pass the remaining (non-voided) claims, with their current allowed amounts, in their
    original processing order; the result is the split each would have had if the voided
    claims had never existed. Returned in the same order as ``claims``.
    """
    ids = [c.claim_id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError("each claim may appear only once")
    absorbed = ZERO
    result: list[ClaimSplit] = []
    for claim in claims:
        split = split_claim(
            allowed=claim.allowed,
            tier=claim.tier_on_service_date,
            absorbed=absorbed,
            deductible=deductible,
            trust_funded_tiers=trust_funded_tiers,
        )
        absorbed += split.absorbed  # R-CL1: one deductible, whoever paid
        result.append(split)
    return result


def split_adjustments(
    old: Mapping[ClaimId, ClaimSplit], new: Mapping[ClaimId, ClaimSplit]
) -> list[SplitAdjustment]:
    """R-CL5: the adjustment entries for claims whose split changed, in ``new``'s order.

    ``old`` is each claim's split as currently posted; ``new`` the re-split (e.g.
    ``dict(zip(ids, resplit_family_year(...)))``). Claims only in ``old`` are the voided
    ones: their reversal is the void's own reversing entry, so they are skipped here.

    Decision: a claim in ``new`` that is not in ``old`` is an error (it was never posted,
    so it needs a first posting, not an adjustment).
    """
    missing = [claim_id for claim_id in new if claim_id not in old]
    if missing:
        raise ValueError(f"claims never posted cannot be adjusted: {missing}")
    result: list[SplitAdjustment] = []
    for claim_id, after in new.items():
        before = old[claim_id]
        delta = SplitAdjustment(
            claim_id=claim_id,
            trust_fund=after.trust_fund - before.trust_fund,
            employee=after.employee - before.employee,
            carrier=after.carrier - before.carrier,
        )
        if (delta.trust_fund, delta.employee, delta.carrier) != (ZERO, ZERO, ZERO):
            result.append(delta)
    return result


def _parse_amount(value: Decimal | str) -> Decimal | None:
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value).strip().replace(",", "").removeprefix("$").strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return None
    return amount if amount.is_finite() else None


def _dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def validate_amounts(
    billed: Decimal | str,
    allowed: Decimal | str,
    carrier_maximum: Decimal = CARRIER_MAXIMUM,
) -> dict[str, str]:
    """R-CL2: check a claim's billed and allowed amounts as a clerk typed them.

    Returns ``{field: message}`` (fields ``"billed"``, ``"allowed"``); empty when valid.
    Checks: a number; more than zero; at most two decimals; allowed not above the
    carrier's maximum (R-CL3); allowed not above billed.

    Decision: an allowed amount of 0.00 is refused: a claim the administrator allowed
    nothing on is recorded as denied, not as a zero claim. Decision: only the allowed
    amount is checked against the carrier's maximum, since only it counts (R-CL2); a
    large bill may be legitimate.
    """
    errors: dict[str, str] = {}
    amounts: dict[str, Decimal] = {}
    for field, raw, label in (("billed", billed, "billed"), ("allowed", allowed, "allowed")):
        amount = _parse_amount(raw)
        if amount is None:
            errors[field] = f"Enter the {label} amount in dollars and cents, like 125.00."
        elif amount <= ZERO:
            message = f"The {label} amount must be more than $0.00."
            if field == "allowed":
                message += " If nothing was allowed, record the claim as denied instead."
            errors[field] = message
        elif problem := typed_money_error(amount, f"The {label} amount"):
            errors[field] = problem  # above the money columns, or more than two decimals
        elif field == "allowed" and amount > carrier_maximum:
            errors[field] = (
                f"The allowed amount {_dollars(amount)} is above the carrier's maximum of "
                f"{_dollars(carrier_maximum)}; check the amount."
            )
        else:
            amounts[field] = amount
    if "billed" in amounts and "allowed" in amounts and amounts["allowed"] > amounts["billed"]:
        errors["allowed"] = (
            f"The allowed amount {_dollars(amounts['allowed'])} cannot be more than the "
            f"billed amount {_dollars(amounts['billed'])}."
        )
    return errors


class ServiceCategory(StrEnum):
    """What kind of care a claim paid for, as the claims administrator codes it (optional
    on a claim: the utilization watch of ``reports.economics`` reads it, section 8).

    Decision: five plain categories a clerk can read off an explanation of benefits:
    preventive care (check-ups, screenings, immunizations: what critics feared people
    would skip to build a nest egg), office visits, hospital stays and outpatient
    surgery, pharmacy, and everything else (laboratory, imaging, ambulance...). A claim
    without one is "not given", never guessed.
    """

    PREVENTIVE = "preventive"
    OFFICE = "office"
    HOSPITAL = "hospital"
    PHARMACY = "pharmacy"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SERVICE_CATEGORY_LABELS[self]


SERVICE_CATEGORY_LABELS: dict[ServiceCategory, str] = {
    ServiceCategory.PREVENTIVE: "Preventive care",
    ServiceCategory.OFFICE: "Office visit",
    ServiceCategory.HOSPITAL: "Hospital",
    ServiceCategory.PHARMACY: "Pharmacy",
    ServiceCategory.OTHER: "Other",
}

SERVICE_CATEGORY_ERROR = (
    "Choose preventive, office, hospital, pharmacy or other (or leave it blank)."
)


def parse_service_category(value: object) -> tuple[str, str | None]:
    """A service category as typed (any case, surrounding spaces; ``None`` or blank: not
    given) -> ``(value, None)``, with ``value`` a :class:`ServiceCategory` value or ``""``;
    anything else -> ``("", message)``. A label ("Office visit") is read as its category."""
    text = "" if value is None else str(value).strip().lower()
    if not text:
        return "", None
    for category, label in SERVICE_CATEGORY_LABELS.items():
        if text in (category.value, label.lower()):
            return category.value, None
    return "", SERVICE_CATEGORY_ERROR
