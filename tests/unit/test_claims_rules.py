"""Claim adjudication rules (R-CL1..R-CL5): pure, no database.

Expected amounts are worked out by hand from the plan text, never by the code under test.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.rules import Tier
from claims.rules import (
    DEDUCTIBLE,
    ClaimInput,
    ClaimSplit,
    SplitAdjustment,
    family_absorbed,
    resplit_family_year,
    split_adjustments,
    split_claim,
    validate_amounts,
)
from staywell.money import from_cents

D = Decimal
Z = D("0.00")


def split(
    allowed: str,
    tier: Tier,
    absorbed: str = "0.00",
    *,
    deductible: Decimal = DEDUCTIBLE,
    trust_funded_tiers: frozenset[Tier] = frozenset({Tier.FULL}),
) -> ClaimSplit:
    return split_claim(
        allowed=D(allowed),
        tier=tier,
        absorbed=D(absorbed),
        deductible=deductible,
        trust_funded_tiers=trust_funded_tiers,
    )


# --- R-CL3: the deductible split -------------------------------------------------------


def test_R_CL3_claim_under_the_deductible_is_paid_by_the_trust_fund() -> None:
    assert split("120.00", Tier.FULL) == ClaimSplit(D("120.00"), Z, Z)


def test_R_CL3_claim_that_crosses_the_500_line() -> None:
    # absorbed 450.00; of a 120.00 claim the trust fund pays the last 50.00, the carrier 70.00.
    assert split("120.00", Tier.FULL, "450.00") == ClaimSplit(D("50.00"), Z, D("70.00"))


def test_R_CL3_claim_after_the_deductible_is_used_goes_to_the_carrier() -> None:
    assert split("75.25", Tier.FULL, "500.00") == ClaimSplit(Z, Z, D("75.25"))


def test_R_CL3_three_quarter_tier_employee_pays_up_to_the_deductible() -> None:
    assert split("180.00", Tier.THREE_QUARTER) == ClaimSplit(Z, D("180.00"), Z)
    # 400.00 already paid by the employee: 100.00 more is theirs, 80.00 the carrier's.
    assert split("180.00", Tier.THREE_QUARTER, "400.00") == ClaimSplit(Z, D("100.00"), D("80.00"))


def test_R_CL3_self_pay_tier_carries_its_own_deductible() -> None:
    assert split("620.00", Tier.SELF_PAY) == ClaimSplit(Z, D("500.00"), D("120.00"))


def test_R_CL3_grandfathered_is_employee_paid_unless_the_plan_setting_funds_it() -> None:
    assert split("80.00", Tier.GRANDFATHERED) == ClaimSplit(Z, D("80.00"), Z)
    funded = frozenset({Tier.FULL, Tier.GRANDFATHERED})
    assert split("80.00", Tier.GRANDFATHERED, trust_funded_tiers=funded) == ClaimSplit(
        D("80.00"), Z, Z
    )


def test_R_CL4_no_coverage_on_the_date_of_service_is_denied() -> None:
    result = split("120.00", Tier.NONE)
    assert result.denied
    assert result.denied_reason == "No coverage on the date of service"
    assert (result.trust_fund, result.employee, result.carrier) == (Z, Z, Z)


def test_R_CL1_deductible_is_plan_year_data() -> None:
    # With a 600.00 deductible, 450.00 absorbed leaves 150.00 for the trust fund.
    assert split("120.00", Tier.FULL, "450.00", deductible=D("600.00")) == ClaimSplit(
        D("120.00"), Z, Z
    )


def test_R_CL1_tier_change_mid_year_shares_one_family_deductible() -> None:
    # 300.00 paid by the employee as three-quarter, then full tier: the trust fund pays
    # only the 200.00 left of the one family deductible, the carrier the other 100.00.
    claims = [
        ClaimInput("a", D("300.00"), Tier.THREE_QUARTER),
        ClaimInput("b", D("300.00"), Tier.FULL),
    ]
    assert resplit_family_year(claims) == [
        ClaimSplit(Z, D("300.00"), Z),
        ClaimSplit(D("200.00"), Z, D("100.00")),
    ]


def test_R_CL1_denied_claim_does_not_use_the_deductible() -> None:
    claims = [
        ClaimInput(1, D("400.00"), Tier.NONE),
        ClaimInput(2, D("450.00"), Tier.FULL),
    ]
    denied, paid = resplit_family_year(claims)
    assert denied.denied
    assert paid == ClaimSplit(D("450.00"), Z, Z)
    assert family_absorbed([denied, paid]) == D("450.00")


def test_claim_split_refuses_a_denied_claim_that_pays() -> None:
    with pytest.raises(ValueError):
        ClaimSplit(D("1.00"), Z, Z, denied_reason="No coverage on the date of service")


def test_split_claim_refuses_a_negative_or_fractional_cent_amount() -> None:
    with pytest.raises(ValueError):
        split("-1.00", Tier.FULL)
    with pytest.raises(ValueError):
        split("1.005", Tier.FULL)


# --- R-CL5: voids and adjustments --------------------------------------------------------

ORIGINAL = [
    ClaimInput("A", D("200.00"), Tier.FULL),
    ClaimInput("B", D("250.00"), Tier.FULL),
    ClaimInput("C", D("100.00"), Tier.FULL),
    ClaimInput("D", D("80.00"), Tier.FULL),
]
# As first posted: A 200 + B 250 = 450 from the trust fund; C 50 trust + 50 carrier; D carrier.
POSTED = {
    "A": ClaimSplit(D("200.00"), Z, Z),
    "B": ClaimSplit(D("250.00"), Z, Z),
    "C": ClaimSplit(D("50.00"), Z, D("50.00")),
    "D": ClaimSplit(Z, Z, D("80.00")),
}


def test_R_CL5_resplit_of_the_original_claims_matches_what_was_posted() -> None:
    assert resplit_family_year(ORIGINAL) == list(POSTED.values())
    assert split_adjustments(POSTED, POSTED) == []


def test_R_CL5_void_in_the_middle_resplits_later_claims_in_original_order() -> None:
    remaining = [c for c in ORIGINAL if c.claim_id != "B"]
    new = resplit_family_year(remaining)
    # Without B: A 200, C 100, D 80 all fall under the deductible (380 in all).
    assert new == [
        ClaimSplit(D("200.00"), Z, Z),
        ClaimSplit(D("100.00"), Z, Z),
        ClaimSplit(D("80.00"), Z, Z),
    ]
    adjustments = split_adjustments(POSTED, dict(zip(["A", "C", "D"], new, strict=True)))
    assert adjustments == [
        SplitAdjustment("C", D("50.00"), Z, D("-50.00")),
        SplitAdjustment("D", D("80.00"), Z, D("-80.00")),
    ]


def test_R_CL5_reduced_allowed_amount_adjusts_that_claim_and_later_ones() -> None:
    adjusted = [ClaimInput("A", D("100.00"), Tier.FULL), *ORIGINAL[1:]]
    new = dict(zip("ABCD", resplit_family_year(adjusted), strict=True))
    # A 100 + B 250 = 350; C 100 fully trust (450); D 50 trust + 30 carrier.
    assert split_adjustments(POSTED, new) == [
        SplitAdjustment("A", D("-100.00"), Z, Z),
        SplitAdjustment("C", D("50.00"), Z, D("-50.00")),
        SplitAdjustment("D", D("50.00"), Z, D("-50.00")),
    ]


def test_R_CL5_a_claim_never_posted_cannot_be_adjusted() -> None:
    with pytest.raises(ValueError):
        split_adjustments({}, {"X": ClaimSplit(Z, Z, D("1.00"))})


def test_R_CL5_each_claim_once() -> None:
    with pytest.raises(ValueError):
        resplit_family_year([ORIGINAL[0], ORIGINAL[0]])


# --- R-CL2: amounts as a clerk types them ------------------------------------------------


def test_R_CL2_valid_amounts() -> None:
    assert validate_amounts(D("150.00"), D("120.00")) == {}
    assert validate_amounts("$1,250.00", "1,000") == {}


def test_R_CL2_allowed_above_billed() -> None:
    errors = validate_amounts(D("100.00"), D("120.00"))
    assert errors == {
        "allowed": "The allowed amount $120.00 cannot be more than the billed amount $100.00."
    }


def test_R_CL2_zero_or_negative_amounts() -> None:
    errors = validate_amounts(D("0.00"), D("-5.00"))
    assert errors["billed"] == "The billed amount must be more than $0.00."
    assert errors["allowed"].startswith("The allowed amount must be more than $0.00.")
    assert "denied" in errors["allowed"]


def test_R_CL2_more_than_two_decimals() -> None:
    errors = validate_amounts("12.345", "10.00")
    assert list(errors) == ["billed"]
    assert "more than two decimals" in errors["billed"]


def test_R_CL2_not_a_number() -> None:
    assert validate_amounts("twelve", "10.00") == {
        "billed": "Enter the billed amount in dollars and cents, like 125.00."
    }


def test_R_CL3_allowed_above_the_carriers_million_dollar_maximum() -> None:
    errors = validate_amounts(D("2000000.00"), D("1000000.01"))
    assert errors == {
        "allowed": "The allowed amount $1,000,000.01 is above the carrier's maximum of "
        "$1,000,000.00; check the amount."
    }
    assert validate_amounts(D("2000000.00"), D("1000000.00")) == {}
    # The maximum is plan data.
    assert "allowed" in validate_amounts(D("900.00"), D("600.00"), D("500.00"))


# --- Properties ----------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=2_000_000).map(from_cents)
covered_tiers = st.sampled_from([t for t in Tier if t != Tier.NONE])


@given(allowed=cents, absorbed=cents, tier=covered_tiers, deductible=cents)
def test_R_CL3_property_split_sums_to_allowed(
    allowed: Decimal, absorbed: Decimal, tier: Tier, deductible: Decimal
) -> None:
    result = split_claim(allowed=allowed, tier=tier, absorbed=absorbed, deductible=deductible)
    assert result.trust_fund + result.employee + result.carrier == allowed
    assert min(result.trust_fund, result.employee, result.carrier) >= 0


@given(
    claims=st.lists(st.tuples(cents, st.sampled_from(list(Tier))), max_size=15),
    deductible=cents,
)
def test_R_CL5_property_family_year_trust_fund_never_exceeds_the_deductible(
    claims: list[tuple[Decimal, Tier]], deductible: Decimal
) -> None:
    inputs = [ClaimInput(i, allowed, tier) for i, (allowed, tier) in enumerate(claims)]
    splits = resplit_family_year(inputs, deductible)
    assert sum((s.trust_fund for s in splits), Z) <= deductible
    assert family_absorbed(splits) <= deductible
    for claim, result in zip(inputs, splits, strict=True):
        expected = Z if claim.tier_on_service_date == Tier.NONE else claim.allowed
        assert result.total == expected
