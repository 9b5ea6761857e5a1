"""Re-vest of a completed year after late data (vesting.revest; R-VE1..R-VE4, R-VE7,
R-VE11, R-CL5, R-CL6), through the real services and ledger.

Expected amounts are worked by hand: a FULL-tier month is 41.67 (R-PY2) and twelve months
are exactly 500.00; six months (July-December) are 6 x 41.67 = 250.02; three months
(July-September) 3 x 41.67 = 125.01. Each rollover runs as the July 1 job does.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import services as members
from claims import services as claims
from reports.selectors import fund_report
from tests.factories import EmployerFactory, ProgramFactory, claims_family, enter_claim, hire, roll
from vesting import ledger, payouts, revest
from vesting.ledger import selectors as ledger_selectors
from vesting.models import (
    Overpayment,
    Payout,
    RevestPending,
    Transaction,
    TransactionKind,
    VestingAdjustment,
    VestingLine,
)

pytestmark = pytest.mark.django_db

D = Decimal


def pay_claim(employee, amount: str, *, service: date, paid: date | None = None):
    """A trust-fund claim payment posted to the ledger alone (no claims-app hook), as an
    imported or generated claim is."""
    return ledger.post_claim_payment(
        employer=employee.employer,
        employee=employee,
        amount=D(amount),
        effective_date=paid or service,
        service_date=service,
        payee_name="Ukiah Valley Medical Center",
    )


def side(employee) -> Decimal:
    return payouts.side_account_balance(employee)


def line(employee, year: int) -> tuple[str, Decimal]:
    row = VestingLine.objects.get(employee=employee, policy_year=year)
    return row.outcome, row.amount


def table(preview) -> list[tuple[str, int, str | None, str, Decimal, Decimal]]:
    return [
        (c.employee_number, c.policy_year, c.old_outcome, c.new_outcome, c.old_amount, c.new_amount)
        for c in preview.changes
    ]


@pytest.fixture
def program():
    return ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))


def test_backdated_hire_gets_its_year_and_a_second_revest_posts_nothing(program):
    ana = hire(program=program, hire_date=date(1983, 6, 1), number="100")  # from July 1, 1983
    roll(1983)
    assert side(ana) == D("500.00")
    # Entered late: hired June 1, 1983 too (covered all twelve months of 1983-84).
    ben = hire(program=program, hire_date=date(1983, 6, 1), number="200", first_name="Ben")

    preview = revest.revest_preview(employer_id=program.employer_id, policy_year=1983)
    assert table(preview) == [("200", 1983, None, "vested", D("0.00"), D("500.00"))]
    assert "no line for the year yet" in preview.changes[0].why
    assert (preview.increase, preview.decrease) == (D("500.00"), D("0.00"))
    assert side(ben) == D("0.00")  # a preview writes nothing

    applied = revest.revest_apply(
        employer_id=program.employer_id,
        policy_year=1983,
        fingerprint=preview.fingerprint,
        on=date(1984, 10, 1),
    )
    assert len(applied.changes) == 1
    assert side(ben) == D("500.00") and side(ana) == D("500.00")
    assert line(ben, 1983) == ("vested", D("500.00"))
    tx = Transaction.objects.get(idempotency_key__startswith="revest:", employee=ben)
    assert (tx.kind, tx.effective_date) == (TransactionKind.VESTING_TRANSFER, date(1984, 10, 1))

    count = Transaction.objects.count()
    again = revest.revest_apply(employer_id=program.employer_id, policy_year=1983)
    assert again.changes == [] and Transaction.objects.count() == count
    assert revest.revest_preview(employer_id=program.employer_id, policy_year=1983).changes == []


def test_backdated_partial_year_is_pending_then_vests_with_the_full_year_R_VE4(program):
    roll(1982, 1983)
    # Entered late: hired March 1, 1983 (covered from April 1, 1983, R-EL6).
    late = hire(program=program, hire_date=date(1983, 3, 1), number="300")
    preview = revest.revest_preview(employer_id=program.employer_id, policy_year=1982)
    assert [(c.old_outcome, c.new_outcome) for c in preview.changes] == [(None, "pending")]
    revest.revest_apply(employer_id=program.employer_id, policy_year=1982, on=date(1984, 10, 1))
    outcome, april_june = line(late, 1982)
    # April-June: three months' shares (R-PY2), nothing vests yet (R-VE4).
    assert outcome == "pending" and side(late) == D("0.00")
    assert april_june == VestingLine.objects.get(employee=late, policy_year=1982).allotment

    preview = revest.revest_preview(employer_id=program.employer_id, policy_year=1983)
    assert table(preview) == [
        ("300", 1983, None, "vested", D("0.00"), D("500.00")),
        ("300", 1982, "pending", "vested", april_june, april_june),
    ]
    revest.revest_apply(employer_id=program.employer_id, policy_year=1983, on=date(1984, 10, 1))
    assert line(late, 1982) == ("vested", april_june)
    assert side(late) == D("500.00") + april_june


def test_hours_reduction_recorded_late_lowers_the_year_taken_from_the_side_account(program):
    employee = hire(program=program, hire_date=date(1982, 6, 1), number="400")
    roll(1982)
    assert side(employee) == D("500.00")
    # Recorded late: 25 hours a week from December 15, 1982: THREE-QUARTER from January 1
    # (R-EL8), so only July-December are FULL months: 6 x 41.67 = 250.02 (R-VE1).
    members.employee_change_hours(
        employee=employee, effective_date=date(1982, 12, 15), weekly_hours=D("25.00")
    )
    preview = revest.revest_preview(employer_id=program.employer_id, policy_year=1982)
    assert table(preview) == [("400", 1982, "vested", "vested", D("500.00"), D("250.02"))]
    assert "allotment 500.00 → 250.02" in preview.changes[0].why
    revest.revest_apply(employer_id=program.employer_id, policy_year=1982, on=date(1984, 10, 1))
    assert side(employee) == D("250.02")
    row = VestingLine.objects.get(employee=employee, policy_year=1982)
    assert (row.amount, row.allotment, row.full_year) == (D("250.02"), D("250.02"), True)
    adjustment = row.adjustments.get()
    assert (adjustment.kind, adjustment.amount_before, adjustment.amount_after) == (
        VestingAdjustment.Kind.REVEST,
        D("500.00"),
        D("250.02"),
    )
    assert (adjustment.recovered, adjustment.overpaid) == (D("249.98"), D("0.00"))
    assert Overpayment.objects.count() == 0


def test_claim_entered_for_a_vested_year_through_the_ledger_alone_is_found_by_revest(program):
    employee = hire(program=program, hire_date=date(1983, 6, 1), number="500")
    roll(1983)
    pay_claim(employee, "120.00", service=date(1984, 5, 20), paid=date(1984, 9, 12))
    preview = revest.revest_preview(employer_id=program.employer_id, policy_year=1983)
    assert table(preview) == [("500", 1983, "vested", "vested", D("500.00"), D("380.00"))]
    assert "trust-fund claims 0.00 → 120.00" in preview.changes[0].why
    revest.revest_apply(employer_id=program.employer_id, policy_year=1983, on=date(1984, 9, 12))
    assert side(employee) == D("380.00")


def test_claim_entered_and_voided_through_the_claims_app_gives_the_money_back_R_CL5():
    claims_family()  # the plan years 1983-84 .. 1985-86
    employee = hire(hire_date=date(1983, 6, 1))  # FULL from July 1, 1983
    roll(1983)
    late = enter_claim(
        employee, D("120.00"), date_of_service=date(1984, 5, 20), paid_on=date(1984, 9, 12)
    )
    assert side(employee) == D("380.00")  # R-CL6: taken back at once
    employer = employee.employer_id
    assert revest.revest_preview(employer_id=employer, policy_year=1983).changes == []

    claims.claim_void(claim=late, reason="Billed twice", effective_date=date(1984, 10, 2))
    assert side(employee) == D("500.00")
    assert line(employee, 1983) == ("vested", D("500.00"))
    assert revest.revest_preview(employer_id=employer, policy_year=1983).changes == []


def test_claim_paid_in_its_year_voided_after_the_rollover_vests_it_R_CL5():
    claims_family()
    employee = hire(hire_date=date(1983, 6, 1))
    claim = enter_claim(
        employee, D("200.00"), date_of_service=date(1984, 2, 6), paid_on=date(1984, 2, 20)
    )
    roll(1983)
    assert side(employee) == D("300.00")
    claims.claim_adjust(
        claim=claim, allowed="150.00", reason="Repriced", effective_date=date(1984, 9, 3)
    )
    assert side(employee) == D("350.00")
    claims.claim_void(claim=claim, reason="Not our member's", effective_date=date(1984, 9, 4))
    assert side(employee) == D("500.00")
    row = VestingLine.objects.get(employee=employee, policy_year=1983)
    assert [(a.amount_before, a.amount_after) for a in row.adjustments.order_by("id")] == [
        (D("300.00"), D("350.00")),
        (D("350.00"), D("500.00")),
    ]


def test_late_marriage_repools_both_spouses_from_the_marriage_year_R_VE11(program):
    ana = hire(program=program, hire_date=date(1982, 6, 1), first_name="Ana", number="A")
    ben = hire(program=program, hire_date=date(1982, 6, 1), first_name="Ben", number="B")
    pay_claim(ana, "25.00", service=date(1983, 8, 2))
    pay_claim(ben, "150.00", service=date(1984, 1, 9))
    roll(1982, 1983)
    assert (line(ana, 1983), line(ben, 1983)) == (("vested", D("475.00")), ("vested", D("350.00")))

    # Recorded late: married September 17, 1983; Ben's policy retained, Ana's ended
    # September 30 (R-EL11). Ana: July-September 125.01 - 25.00 = 100.01; Ben 350.00.
    # Together 450.01: Ben (retained) 225.01, Ana 225.00. 1982-83 stays (before marriage).
    members.employees_marry(
        employee_a_id=ana.pk, employee_b_id=ben.pk, married_on=date(1983, 9, 17), retained_id=ben.pk
    )
    preview = revest.revest_preview(employer_id=program.employer_id, policy_year=1983)
    assert table(preview) == [
        ("A", 1983, "vested", "vested", D("475.00"), D("225.00")),
        ("B", 1983, "vested", "vested", D("350.00"), D("225.01")),
    ]
    assert all("R-VE11" in c.why for c in preview.changes)
    revest.revest_apply(employer_id=program.employer_id, policy_year=1983, on=date(1984, 11, 1))
    assert (side(ana), side(ben)) == (D("725.00"), D("725.01"))
    assert VestingLine.objects.get(employee=ana, policy_year=1983).spouse_id == ben.pk
    assert revest.revest_preview(employer_id=program.employer_id, policy_year=1983).changes == []


def test_year_already_paid_out_records_an_overpayment_never_a_negative_account(program):
    employee = hire(program=program, hire_date=date(1981, 6, 1), number="600")
    roll(1981, 1982, 1983)
    members.employee_separate(
        employee=employee, separation_date=date(1984, 9, 30), reason="resignation"
    )
    # R-VE7: 1981-82 and 1982-83 at separation (paid now); 1983-84 held to January 1, 1985;
    # July-September 1984 (125.01) held to April 1, 1985.
    register = payouts.payouts_process(today=date(1984, 9, 30))
    assert register.total == D("1000.00")
    assert side(employee) == D("625.01")

    # Late data: 25 hours from December 15, 1982 to June 15, 1983 (THREE-QUARTER January-June,
    # R-EL8, R-EL7: 1982-83 is 250.02, already paid out) and a claim of 100.00 for March 1984
    # posted alone (1983-84: 400.00, still held).
    members.employee_change_hours(
        employee=employee, effective_date=date(1982, 12, 15), weekly_hours=D("25.00")
    )
    members.employee_change_hours(
        employee=employee, effective_date=date(1983, 6, 15), weekly_hours=D("40.00")
    )
    pay_claim(employee, "100.00", service=date(1984, 3, 5), paid=date(1984, 10, 20))
    for year in (1982, 1983):
        revest.revest_apply(employer_id=program.employer_id, policy_year=year, on=date(1984, 11, 1))
    assert side(employee) == D("525.01")  # only the held 1983-84 money was taken back
    overpayment = Overpayment.objects.get()
    assert (overpayment.policy_year, overpayment.amount) == (1982, D("249.98"))
    assert line(employee, 1982) == ("vested", D("250.02"))
    held = Payout.objects.get(employee=employee, policy_year=1983)
    assert (held.amount, held.due_on, held.status) == (D("400.00"), date(1985, 1, 1), "held")
    receivable = ledger.overpayments_account_for(program.employer_id)
    assert ledger_selectors.account_balance(receivable) == D("249.98")
    assert revest.overpayments_owed(employee) == D("249.98")

    report = fund_report(policy_year=1984, employer_id=program.employer_id)
    assert report.figures()["overpayments_receivable"] == D("249.98")
    assert report.ties
    assert revest.revest_preview(employer_id=program.employer_id, policy_year=1982).changes == []


def test_revest_of_a_year_not_vested_is_refused(program):
    hire(program=program, hire_date=date(1983, 6, 1))
    with pytest.raises(ValidationError) as refused:
        revest.revest_preview(employer_id=program.employer_id, policy_year=1983)
    assert "has not been done for MCOE" in refused.value.message_dict["policy_year"][0]


def test_apply_refuses_a_preview_that_changed(program):
    employee = hire(program=program, hire_date=date(1983, 6, 1))
    roll(1983)
    pay_claim(employee, "50.00", service=date(1984, 5, 1), paid=date(1984, 8, 1))
    preview = revest.revest_preview(employer_id=program.employer_id, policy_year=1983)
    pay_claim(employee, "30.00", service=date(1984, 5, 2), paid=date(1984, 8, 2))
    with pytest.raises(ValidationError) as refused:
        revest.revest_apply(
            employer_id=program.employer_id, policy_year=1983, fingerprint=preview.fingerprint
        )
    assert "changed since the preview" in refused.value.message_dict["fingerprint"][0]
    assert side(employee) == D("500.00")  # nothing half-applied


def test_nightly_scan_lists_pending_differences(program):
    employee = hire(program=program, hire_date=date(1983, 6, 1))
    roll(1983)
    assert revest.revest_scan() == []
    pay_claim(employee, "80.00", service=date(1984, 5, 1), paid=date(1984, 8, 1))
    found = revest.revest_scan()
    assert [(p.policy_year, p.employees, p.increase, p.decrease) for p in found] == [
        (1983, 1, D("0.00"), D("80.00"))
    ]
    assert RevestPending.objects.count() == 1
    revest.revest_apply(employer_id=program.employer_id, policy_year=1983)
    assert RevestPending.objects.count() == 0


def test_runout_claim_of_a_pooled_year_is_shared_by_the_spouses_R_VE11():
    claims_family()  # the plan years 1983-84 .. 1985-86
    program = ProgramFactory(employer=EmployerFactory(code="UUSD", name="Ukiah Unified"))
    ana = hire(program=program, hire_date=date(1983, 6, 1), first_name="Ana", number="A")
    ben = hire(program=program, hire_date=date(1983, 6, 1), first_name="Ben", number="B")
    members.employees_marry(
        employee_a_id=ana.pk, employee_b_id=ben.pk, married_on=date(1983, 7, 20), retained_id=ben.pk
    )
    roll(1983)
    # Ana's own policy ran through July (41.67), Ben's all year (500.00): 541.67 together,
    # Ben (retained) 270.84, Ana 270.83 (R-VE11).
    assert (side(ana), side(ben)) == (D("270.83"), D("270.84"))
    # A claim of Ben's for May 1984 paid in September (R-CL6): 400.00 + 41.67 = 441.67,
    # Ben 220.84, Ana 220.83: the reduction is shared.
    enter_claim(ben, D("100.00"), date_of_service=date(1984, 5, 1), paid_on=date(1984, 9, 10))
    assert (side(ana), side(ben)) == (D("220.83"), D("220.84"))
    assert revest.revest_preview(employer_id=program.employer_id, policy_year=1983).changes == []


def test_a_corrected_hire_date_after_separation_schedules_the_new_year_by_R_VE7(program):
    employee = hire(program=program, hire_date=date(1983, 6, 1), number="800")
    roll(1982, 1983)
    members.employee_separate(
        employee=employee, separation_date=date(1984, 9, 30), reason="resignation"
    )
    # Corrected late: hired June 1, 1982, so 1982-83 is a full year too (500.00).
    members.employee_update(employee=employee, hire_date=date(1982, 6, 1))
    revest.revest_apply(employer_id=program.employer_id, policy_year=1982, on=date(1984, 11, 1))
    schedule = [
        (p.policy_year, p.amount, p.due_on, p.status)
        for p in Payout.objects.filter(employee=employee, kind="lump_sum").order_by("policy_year")
    ]
    assert schedule == [
        (1982, D("500.00"), date(1984, 9, 30), "scheduled"),  # an earlier year: at separation
        (1983, D("500.00"), date(1985, 1, 1), "held"),  # six months after June 30, 1984
        (1984, D("125.01"), date(1985, 4, 1), "held"),  # six months after separation
    ]
    assert side(employee) == D("1125.01")
