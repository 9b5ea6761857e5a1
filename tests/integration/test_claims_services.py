"""Claims services against PostgreSQL: adjudication, payment through the ledger, voids and
adjustments (R-CL5), the duplicate guard, bad input, the R-CL6 hook.

Expected amounts are worked out by hand from the plan's rules ($500 family deductible).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

import vesting.ledger
import vesting.payouts
import vesting.rollover
from accounts import services as accounts_services
from claims import services
from claims.models import Claim, ClaimAdjustment, ClaimEvent, ClaimLedgerEntry, FamilyYear
from tests.factories import (
    DependentFactory,
    EmployeeFactory,
    UserFactory,
    claims_family,
    enter_claim,
    hire,
    retained_marriage,
)
from vesting.ledger import selectors as ledger_selectors
from vesting.models import Posting, Transaction, TransactionKind

pytestmark = pytest.mark.django_db

D = Decimal
Z = D("0.00")


@pytest.fixture
def family():
    return claims_family()


@pytest.fixture
def clerk():
    return UserFactory(username="clerk-claims", role="clerk")


def general_trust(employer_id) -> Decimal:
    return ledger_selectors.employer_fund_balances(employer_id)["general_trust"]


def trust_paid_on_ledger(employee, policy_year: int) -> Decimal:
    """What the trust fund paid for the family's claims of a year, read from the ledger
    the way the vesting rollover reads it: postings on the General Deductible Trust
    Fund of transactions carrying the employee and a service date in the year."""
    start, end = date(policy_year, 7, 1), date(policy_year + 1, 6, 30)
    total = Z
    for posting in Posting.objects.filter(
        transaction__employee=employee,
        transaction__period_start__gte=start,
        transaction__period_start__lte=end,
        account__fund__kind="general_trust",
    ):
        total += posting.amount if posting.direction == "credit" else -posting.amount
    return total


def split(claim: Claim) -> tuple[Decimal, Decimal, Decimal]:
    claim.refresh_from_db()
    return (claim.trust_fund_amount, claim.employee_amount, claim.carrier_amount)


# --- R-CL3: the split and the payment ------------------------------------------------------


def test_R_CL3_claim_under_the_deductible_is_paid_from_the_trust_fund_to_the_provider(
    family, clerk
):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"), billed=D("150.00"), entered_by=clerk)

    assert claim.status == Claim.Status.PAID
    assert split(claim) == (D("120.00"), Z, Z)
    assert claim.policy_year == 1984
    assert claim.tier == "full"
    tx = Transaction.objects.get(pk=claim.payment_transaction_id)
    assert tx.kind == TransactionKind.CLAIM_PAYMENT
    assert tx.employee_id == employee.pk
    assert (tx.period_start, tx.period_end) == (date(1984, 10, 15), date(1984, 10, 15))
    assert tx.reference == f"claim {claim.pk}"
    assert tx.idempotency_key == f"claim:{claim.pk}:pay"
    lines = {(p.account.name, p.direction, p.amount) for p in tx.postings.select_related("account")}
    assert lines == {
        ("Ukiah Valley Medical Center", "debit", D("120.00")),
        ("General Deductible Trust Fund", "credit", D("120.00")),
    }
    assert general_trust(employee.employer_id) == D("-120.00")
    family_year = FamilyYear.objects.get(employee=employee, policy_year=1984)
    assert (family_year.absorbed, family_year.trust_fund_paid, family_year.claim_count) == (
        D("120.00"),
        D("120.00"),
        1,
    )
    actions = list(claim.events.values_list("action", "user__username"))
    assert actions == [("entered", "clerk-claims"), ("paid", "clerk-claims")]


def test_R_CL3_claim_crossing_the_deductible_splits_to_the_carrier(family):
    employee, spouse, child = family
    enter_claim(employee, D("200.00"))
    enter_claim(employee, D("250.00"), patient=spouse)
    third = enter_claim(employee, D("120.00"), patient=child)

    # 200 + 250 = 450 absorbed; of 120.00 the trust fund pays the last 50.00, the carrier 70.00.
    assert split(third) == (D("50.00"), Z, D("70.00"))
    assert third.forwarded_at is not None
    assert Transaction.objects.get(pk=third.payment_transaction_id).postings.first().amount == D(
        "50.00"
    )
    assert trust_paid_on_ledger(employee, 1984) == D("500.00")
    assert general_trust(employee.employer_id) == D("-500.00")
    assert list(third.events.values_list("action", flat=True)) == ["entered", "paid", "forwarded"]


def test_R_CL3_after_the_deductible_the_carrier_pays_all_and_nothing_is_posted(family):
    employee, _, _ = family
    enter_claim(employee, D("500.00"))
    before = Transaction.objects.count()
    fourth = enter_claim(employee, D("80.00"))
    assert split(fourth) == (Z, Z, D("80.00"))
    assert fourth.status == Claim.Status.PAID
    assert fourth.payment_transaction_id is None
    assert Transaction.objects.count() == before


def test_R_CL3_three_quarter_tier_employee_pays_up_to_the_deductible_nothing_posted():
    claims_family()
    employee = hire(weekly_hours=D("25.00"), hire_date=date(1983, 7, 1))
    first = enter_claim(employee, D("300.00"))
    second = enter_claim(employee, D("300.00"), date_of_service=date(1984, 11, 5))
    assert split(first) == (Z, D("300.00"), Z)
    assert split(second) == (Z, D("200.00"), D("100.00"))
    assert Transaction.objects.count() == 0
    family_year = FamilyYear.objects.get(employee=employee, policy_year=1984)
    assert (family_year.absorbed, family_year.employee_paid, family_year.trust_fund_paid) == (
        D("500.00"),
        D("500.00"),
        Z,
    )


def test_R_CL4_date_without_coverage_is_denied_with_the_reason_and_nothing_posted(family):
    employee, _, _ = family
    # Hired 1983-07-01: covered from 1983-08-01 (R-EL6); July 15 is not covered.
    claim = enter_claim(employee, D("90.00"), date_of_service=date(1983, 7, 15))
    assert claim.status == Claim.Status.DENIED
    assert claim.denied_reason == "No coverage on the date of service"
    assert split(claim) == (Z, Z, Z)
    assert Transaction.objects.count() == 0
    assert FamilyYear.objects.get(employee=employee, policy_year=1983).absorbed == Z
    assert list(claim.events.values_list("action", flat=True)) == ["entered", "denied"]


def test_R_CL4_dependent_not_on_the_policy_on_the_date_of_service_is_denied(family):
    employee, _, child = family
    accounts_services.dependent_remove(dependent=child, ended_on=date(1984, 8, 31))
    claim = enter_claim(employee, D("90.00"), patient=child)
    assert claim.status == Claim.Status.DENIED
    assert claim.denied_reason == "Sofia Castillo was not on the policy on the date of service"
    assert Transaction.objects.count() == 0


def test_R_CL1_the_family_shares_one_deductible(family):
    employee, spouse, child = family
    enter_claim(employee, D("300.00"), patient=spouse)
    second = enter_claim(employee, D("300.00"), patient=child, provider="Dr. Ames")
    assert split(second) == (D("200.00"), Z, D("100.00"))


def test_R_CL1_the_deductible_renews_on_july_1(family):
    employee, _, _ = family
    enter_claim(employee, D("600.00"), date_of_service=date(1985, 6, 30))
    new_year = enter_claim(employee, D("100.00"), date_of_service=date(1985, 7, 1))
    assert new_year.policy_year == 1985
    assert split(new_year) == (D("100.00"), Z, Z)


def test_R_EL11_claims_of_the_spouse_whose_policy_ended_go_to_the_retained_family():
    claims_family()
    husband, wife = retained_marriage()
    enter_claim(husband, D("400.00"))
    # Entered for Grace: from September 1 (R-EL11) she is a dependent of Robert's policy.
    claim = enter_claim(wife, D("300.00"))
    assert claim.employee_id == husband.pk
    assert claim.patient.spouse_employee_id == wife.pk
    assert claim.patient_name == "Grace Lindqvist"
    assert split(claim) == (D("100.00"), Z, D("200.00"))


# --- R-CL5: voids and adjustments -----------------------------------------------------------


def four_claims(employee):
    """A 200, B 250, C 100, D 80 (posted: A 200, B 250, C 50 + 50 carrier, D carrier 80)."""
    return [
        enter_claim(employee, D("200.00"), number="A-1"),
        enter_claim(employee, D("250.00"), number="B-1"),
        enter_claim(employee, D("100.00"), number="C-1"),
        enter_claim(employee, D("80.00"), number="D-1"),
    ]


def test_R_CL5_void_resplits_the_later_claims_in_original_order_with_adjustment_entries(
    family, clerk
):
    employee, _, _ = family
    a, b, c, d = four_claims(employee)
    assert [split(x) for x in (a, b, c, d)] == [
        (D("200.00"), Z, Z),
        (D("250.00"), Z, Z),
        (D("50.00"), Z, D("50.00")),
        (Z, Z, D("80.00")),
    ]

    voided = services.claim_void(claim=b, reason="Duplicate of A-1 billed twice", voided_by=clerk)

    assert voided.status == Claim.Status.VOIDED
    assert voided.void_reason == "Duplicate of A-1 billed twice"
    # Without B: A 200, C 100, D 80, all under the deductible (380).
    assert [split(x) for x in (a, c, d)] == [
        (D("200.00"), Z, Z),
        (D("100.00"), Z, Z),
        (D("80.00"), Z, Z),
    ]
    assert split(b) == (Z, Z, Z)
    b_payment = Transaction.objects.get(pk=b.payment_transaction_id)
    assert b_payment.reversed_by.kind == TransactionKind.REVERSAL
    deltas = list(
        ClaimAdjustment.objects.order_by("id").values_list(
            "claim__admin_claim_number", "kind", "trust_fund_delta", "carrier_delta"
        )
    )
    assert deltas == [
        ("B-1", "void", D("-250.00"), Z),
        ("C-1", "resplit", D("50.00"), D("-50.00")),
        ("D-1", "resplit", D("80.00"), D("-80.00")),
    ]
    assert trust_paid_on_ledger(employee, 1984) == D("380.00")
    assert general_trust(employee.employer_id) == D("-380.00")
    for entry in ClaimLedgerEntry.objects.select_related("transaction"):
        assert entry.transaction.employee_id == employee.pk  # the vesting rollover reads it
        assert entry.transaction.period_start == date(1984, 10, 15)
    family_year = FamilyYear.objects.get(employee=employee, policy_year=1984)
    assert (family_year.absorbed, family_year.trust_fund_paid, family_year.claim_count) == (
        D("380.00"),
        D("380.00"),
        3,
    )
    assert "re-split after the void of claim" in d.events.get(action="resplit").message
    assert voided.events.get(action="voided").user == clerk


def test_R_CL5_lower_allowed_amount_adjusts_that_claim_and_the_later_ones(family, clerk):
    employee, _, _ = family
    a, b, c, d = four_claims(employee)

    services.claim_adjust(
        claim=a, allowed=D("100.00"), reason="Administrator's corrected EOB", adjusted_by=clerk
    )

    # A 100 + B 250 = 350; C 100 all trust (450); D 50 trust + 30 carrier.
    assert [split(x) for x in (a, b, c, d)] == [
        (D("100.00"), Z, Z),
        (D("250.00"), Z, Z),
        (D("100.00"), Z, Z),
        (D("50.00"), Z, D("30.00")),
    ]
    a.refresh_from_db()
    assert a.allowed == D("100.00")
    assert list(
        ClaimAdjustment.objects.order_by("id").values_list(
            "claim__admin_claim_number", "kind", "trust_fund_delta"
        )
    ) == [
        ("A-1", "adjust", D("-100.00")),
        ("C-1", "resplit", D("50.00")),
        ("D-1", "resplit", D("50.00")),
    ]
    assert trust_paid_on_ledger(employee, 1984) == D("500.00")
    # A's 200.00 payment is reversed and 100.00 paid again.
    a_entries = list(a.ledger_entries.order_by("id").values_list("kind", "amount"))
    assert a_entries == [
        ("payment", D("200.00")),
        ("reversal", D("-200.00")),
        ("payment", D("100.00")),
    ]


def test_R_CL5_higher_allowed_amount_pays_the_difference(family):
    employee, _, _ = family
    a = enter_claim(employee, D("100.00"), billed=D("400.00"))
    services.claim_adjust(claim=a, allowed=D("300.00"), reason="Appeal granted")
    assert split(a) == (D("300.00"), Z, Z)
    assert list(a.ledger_entries.values_list("kind", "amount")) == [
        ("payment", D("100.00")),
        ("payment", D("200.00")),
    ]


def test_void_of_a_voided_claim_is_refused_and_posts_nothing(family):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"))
    services.claim_void(claim=claim, reason="Entered in error")
    counts = (Transaction.objects.count(), Posting.objects.count(), ClaimEvent.objects.count())
    with pytest.raises(ValidationError) as error:
        services.claim_void(claim=claim, reason="Again")
    assert "already voided" in error.value.message_dict["claim"][0]
    assert (
        Transaction.objects.count(),
        Posting.objects.count(),
        ClaimEvent.objects.count(),
    ) == counts


@pytest.mark.parametrize("reason", ["", "   "])
def test_void_and_adjust_need_a_reason(family, reason):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"))
    with pytest.raises(ValidationError) as error:
        services.claim_void(claim=claim, reason=reason)
    assert error.value.message_dict == {"reason": ["Give the reason for the void."]}
    with pytest.raises(ValidationError) as error:
        services.claim_adjust(claim=claim, allowed="100.00", reason=reason)
    assert error.value.message_dict == {"reason": ["Give the reason for the adjustment."]}
    assert Transaction.objects.count() == 1


def test_adjust_refuses_bad_amounts_and_denied_claims(family):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"), billed=D("150.00"))
    for amount, message in (
        ("160.00", "cannot be more than the billed amount"),
        ("0", "must be more than $0.00"),
        ("12.345", "more than two decimals"),
        ("120.00", "already $120.00"),
    ):
        with pytest.raises(ValidationError) as error:
            services.claim_adjust(claim=claim, allowed=amount, reason="Check")
        assert message in error.value.message_dict["allowed"][0]
    denied = enter_claim(employee, D("50.00"), date_of_service=date(1983, 7, 20))
    with pytest.raises(ValidationError) as error:
        services.claim_adjust(claim=denied, allowed="40.00", reason="Check")
    assert "was denied" in error.value.message_dict["claim"][0]
    assert Transaction.objects.count() == 1


# --- Duplicate guard ------------------------------------------------------------------------


def test_duplicate_claim_number_warns_and_saves_only_when_confirmed(family):
    employee, _, _ = family
    first = enter_claim(employee, D("120.00"), number="MC-8841")
    with pytest.raises(services.DuplicateClaimError) as error:
        enter_claim(employee, D("75.00"), number="MC-8841", date_of_service=date(1984, 11, 2))
    assert error.value.matches[0].claim_id == first.pk
    assert error.value.matches[0].reason == "the same claim number"
    assert Claim.objects.count() == 1 and Transaction.objects.count() == 1

    second = enter_claim(
        employee,
        D("75.00"),
        number="MC-8841",
        date_of_service=date(1984, 11, 2),
        confirm_duplicate=True,
    )
    assert second.duplicate_of_id == first.pk
    assert "confirmed as not a duplicate of claim" in second.events.get(action="entered").message


def test_duplicate_same_family_provider_date_and_allowed_amount_warns(family):
    employee, spouse, _ = family
    first = enter_claim(employee, D("120.00"), number="X-1")
    with pytest.raises(services.DuplicateClaimError) as error:
        enter_claim(
            employee,
            D("120.00"),
            number="X-2",
            patient=spouse,
            provider="ukiah valley  medical center",
        )
    assert error.value.matches[0].claim_id == first.pk
    assert "same family, provider" in error.value.messages[0]
    # A different amount is no duplicate; neither is a voided claim.
    enter_claim(employee, D("121.00"), number="X-3")
    services.claim_void(claim=first, reason="Wrong patient")
    enter_claim(employee, D("120.00"), number="X-4", patient=spouse)


# --- Bad input: a clear error and nothing changes --------------------------------------------


BAD_INPUTS = [
    ({"billed": "100.00", "allowed": "120.00"}, "allowed", "cannot be more than the billed"),
    ({"billed": "0", "allowed": "0"}, "allowed", "must be more than $0.00"),
    ({"billed": "-5.00", "allowed": "-5.00"}, "billed", "must be more than $0.00"),
    ({"billed": "abc", "allowed": "10.00"}, "billed", "in dollars and cents"),
    ({"billed": "10.00", "allowed": "9.999"}, "allowed", "more than two decimals"),
    (
        {"billed": "2000000.00", "allowed": "1000000.01"},
        "allowed",
        "above the carrier's maximum of $1,000,000.00",
    ),
    ({"date_of_service": date(2999, 1, 1)}, "date_of_service", "cannot be in the future"),
    ({"date_of_service": date(1983, 6, 1)}, "date_of_service", "before Linda Castillo was hired"),
    ({"date_of_service": None}, "date_of_service", "Enter the date of service"),
    ({"employee": 999999999}, "employee", "Unknown employee 999999999"),
    ({"provider": "  "}, "provider", "Enter the provider"),
    ({"admin_claim_number": ""}, "admin_claim_number", "claim number"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUTS)
def test_bad_input_is_refused_with_a_field_error_and_nothing_is_posted(
    family, changes, field, message
):
    employee, _, _ = family
    enter_claim(employee, D("100.00"))
    counts = (
        Claim.objects.count(),
        Transaction.objects.count(),
        Posting.objects.count(),
        FamilyYear.objects.count(),
    )
    values = {"allowed": "50.00", "billed": "60.00", "number": "NEW-1", **changes}
    allowed = values.pop("allowed")
    with pytest.raises(ValidationError) as error:
        enter_claim(values.pop("employee", employee), allowed, **values)
    assert message in " ".join(error.value.message_dict[field])
    assert (
        Claim.objects.count(),
        Transaction.objects.count(),
        Posting.objects.count(),
        FamilyYear.objects.count(),
    ) == counts


def test_a_patient_who_is_not_in_the_family_is_refused(family):
    employee, _, _ = family
    stranger = DependentFactory(employee=EmployeeFactory(), first_name="Tom", last_name="Stone")
    with pytest.raises(ValidationError) as error:
        enter_claim(employee, D("50.00"), patient=stranger.pk)
    assert error.value.message_dict["patient"] == [
        "Tom Stone is not in the family of Linda Castillo; choose the employee or one of their "
        "dependents."
    ]
    assert Claim.objects.count() == 0 and Transaction.objects.count() == 0


def test_a_plan_year_not_set_up_is_refused(family):
    employee, _, _ = family
    with pytest.raises(ValidationError) as error:
        enter_claim(employee, D("50.00"), date_of_service=date(1987, 3, 2))
    assert "plan year 1986-87 is not set up" in error.value.message_dict["date_of_service"][0]


def test_every_bad_field_is_reported_at_once(family):
    employee, _, _ = family
    with pytest.raises(ValidationError) as error:
        services.claim_enter(
            employee=employee,
            date_of_service=date(2999, 1, 1),
            provider="",
            admin_claim_number="",
            billed="x",
            allowed="-1",
        )
    assert set(error.value.message_dict) == {
        "date_of_service",
        "provider",
        "admin_claim_number",
        "billed",
        "allowed",
    }


def test_preview_splits_without_saving(family):
    employee, _, _ = family
    enter_claim(employee, D("450.00"))
    preview = services.claim_preview(
        employee=employee.pk,
        patient="",
        date_of_service=date(1984, 12, 1),
        provider="Dr. Ames",
        admin_claim_number="P-1",
        billed="120.00",
        allowed="120.00",
    )
    assert (preview.split.trust_fund, preview.split.carrier) == (D("50.00"), D("70.00"))
    assert (preview.family.absorbed, preview.family.remaining) == (D("450.00"), D("50.00"))
    assert preview.family_after.remaining == Z
    assert Claim.objects.count() == 1


# --- R-CL6: run-out claims of a vested year -------------------------------------------------


def test_R_CL6_a_runout_payment_calls_the_vesting_hook_with_its_policy_year(family, monkeypatch):
    employee, _, _ = family
    calls = []
    monkeypatch.setattr(vesting.payouts, "runout_claim_paid", lambda **kw: calls.append(kw))
    in_year = enter_claim(employee, D("100.00"), paid_on=date(1985, 2, 1))
    assert calls == []  # paid before the year ended: it cannot be vested yet
    runout = enter_claim(
        employee, D("150.00"), date_of_service=date(1985, 5, 20), paid_on=date(1985, 9, 12)
    )
    assert calls == [
        {
            "employee": employee,
            "policy_year": 1984,
            "amount": D("150.00"),
            "paid_on": date(1985, 9, 12),
            "reference": f"claim {runout.pk}",
            "posted_by": None,
        }
    ]
    tx = Transaction.objects.get(pk=runout.payment_transaction_id)
    assert tx.effective_date == date(1985, 9, 12)
    assert tx.period_start == date(1985, 5, 20)  # counts against 1984-85
    assert in_year.payment_transaction_id is not None


def test_R_CL6_runout_claim_for_a_vested_year_reduces_the_vested_amount():
    claims_family()  # the plan years
    employee = hire(hire_date=date(1983, 6, 1))  # FULL, covered from July 1, 1983
    run = vesting.rollover.rollover_start(
        policy_year=1983,
        today=date(1984, 7, 1),
        queue=False,
        override_reason="No month closes in this data set.",
    )
    vesting.rollover.rollover_execute(run.pk)
    side = vesting.ledger.side_account_for(employee)
    assert ledger_selectors.account_balance(side) == D("500.00")  # 1983-84 vested in full

    # A claim for May 1984 paid in September, after 1983-84 vested: 120.00 taken back.
    claim = enter_claim(
        employee, D("120.00"), date_of_service=date(1984, 5, 20), paid_on=date(1984, 9, 12)
    )
    assert split(claim) == (D("120.00"), Z, Z)
    assert ledger_selectors.account_balance(side) == D("380.00")
    recovery = Transaction.objects.get(kind=TransactionKind.RUNOUT_RECOVERY)
    assert (recovery.employee_id, recovery.reference) == (employee.pk, f"claim {claim.pk}")
    # A claim paid within its own year does not touch the vested account.
    enter_claim(employee, D("60.00"), date_of_service=date(1984, 9, 1), paid_on=date(1984, 9, 20))
    assert ledger_selectors.account_balance(side) == D("380.00")


def test_R_CL6_a_runout_claim_adjusted_upward_takes_the_increase_from_the_vested_year_too():
    claims_family()
    employee = hire(hire_date=date(1983, 6, 1))
    run = vesting.rollover.rollover_start(
        policy_year=1983,
        today=date(1984, 7, 1),
        queue=False,
        override_reason="No month closes in this data set.",
    )
    vesting.rollover.rollover_execute(run.pk)
    side = vesting.ledger.side_account_for(employee)
    claim = enter_claim(
        employee,
        D("100.00"),
        billed=D("200.00"),
        date_of_service=date(1984, 5, 20),
        paid_on=date(1984, 9, 12),
    )
    assert ledger_selectors.account_balance(side) == D("400.00")

    # The administrator corrects the allowed amount to 150.00: the trust fund pays 50.00
    # more for 1983-84, and that too comes out of the year's vested amount.
    services.claim_adjust(
        claim=claim, allowed=D("150.00"), reason="corrected EOB", effective_date=date(1984, 10, 1)
    )
    assert split(claim) == (D("150.00"), Z, Z)
    assert ledger_selectors.account_balance(side) == D("350.00")
    recoveries = Transaction.objects.filter(kind=TransactionKind.RUNOUT_RECOVERY)
    assert sorted(t.reference for t in recoveries) == sorted(
        [f"claim {claim.pk}", f"claim {claim.pk} adjustment {claim.adjustments.get().pk}"]
    )
