"""The values the claim services return: a family's deductible for the year, a checked
claim (draft), a possible duplicate, a preview."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from accounts.models import Dependent, Employee
from accounts.rules import Tier, policy_year_label
from claims.rules import ClaimSplit
from staywell.money import ZERO


@dataclass(frozen=True)
class FamilyDeductible:
    """A family's deductible for one policy year (R-CL1): what it absorbed, what is left."""

    employee_id: int  # the policyholder
    policy_year: int  # R-PY1 start year
    deductible: Decimal  # the plan year's deductible, dollars
    absorbed: Decimal  # trust-fund payments + employee deductible amounts, dollars
    trust_fund_paid: Decimal  # dollars
    employee_paid: Decimal  # dollars
    carrier_paid: Decimal  # dollars
    claim_count: int  # claims not voided

    @property
    def remaining(self) -> Decimal:
        return max(ZERO, self.deductible - self.absorbed)

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)

    def after(self, split: ClaimSplit) -> FamilyDeductible:
        """The family's year once a claim with ``split`` is added."""
        return FamilyDeductible(
            self.employee_id,
            self.policy_year,
            self.deductible,
            self.absorbed + split.absorbed,
            self.trust_fund_paid + split.trust_fund,
            self.employee_paid + split.employee,
            self.carrier_paid + split.carrier,
            self.claim_count + 1,
        )


@dataclass(frozen=True)
class ClaimDraft:
    """A claim's input, checked: who, when, how much; the tier on the date of service."""

    policyholder: Employee  # the family (R-CL1)
    patient: Dependent | None  # None: the policyholder
    patient_name: str
    date_of_service: date
    policy_year: int  # R-PY1
    provider: str
    admin_claim_number: str
    billed: Decimal
    allowed: Decimal
    tier: Tier  # the family's tier on the date of service (R-CL4)
    deductible: Decimal  # the plan year's (R-CL1)
    denied_reason: str | None  # R-CL4: no coverage / the patient not on the policy
    # Whether the month of the day it is paid is closed in the policyholder's employer's
    # ledger, when read with the family (``claim_validate``'s ``paid``); None: not read.
    paid_month_closed: bool | None = None

    @property
    def policy_year_label(self) -> str:
        return policy_year_label(self.policy_year)


@dataclass(frozen=True)
class DuplicateMatch:
    """An earlier claim that the new one looks like."""

    claim_id: int
    admin_claim_number: str
    status: str
    date_of_service: date
    allowed: Decimal
    reason: str  # "the same claim number" | "the same family, provider, date and amount"

    @property
    def message(self) -> str:
        return (
            f"Possible duplicate of claim {self.claim_id} (number {self.admin_claim_number}, "
            f"{self.status}, service on {self.date_of_service.isoformat()}, allowed "
            f"${self.allowed:,.2f}): {self.reason}. Confirm to save it anyway."
        )


class DuplicateClaimError(ValidationError):
    """The claim looks like an earlier one; the caller must confirm (``confirm_duplicate``)."""

    def __init__(self, matches: Sequence[DuplicateMatch]) -> None:
        super().__init__({"duplicate": [m.message for m in matches]}, code="duplicate")
        self.matches = list(matches)


@dataclass(frozen=True)
class ClaimPreview:
    """What saving the claim now would do, without saving it."""

    draft: ClaimDraft
    split: ClaimSplit
    family: FamilyDeductible  # before this claim
    duplicates: list[DuplicateMatch] = field(default_factory=list)

    @property
    def family_after(self) -> FamilyDeductible:
        return self.family if self.split.denied else self.family.after(self.split)
