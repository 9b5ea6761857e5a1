"""The plan's worked examples of vesting, through the real services and ledger (R-VE1..R-VE11).

Each test is named after the example it runs. Coverage starts on the day the example
shows (a hire in the first ten days of the month before, R-EL6). Claims are paid from the
trust fund with ``post_claim_payment(service_date=...)``, as the claims app will; every
rollover runs the way the July 1 job does (``rollover_start`` + ``rollover_execute``).
Expected amounts are worked by hand from the plan text: every FULL-tier month adds 41.67
and a year is n x 41.67 capped at the deductible (R-PY2), so a full year is 500.00,
April-June and July-September 125.01, nine months 375.03.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts import services as members
from accounts.models import PlanYear
from tests.factories import (
    BeneficiaryDesignationFactory,
    EmployerFactory,
    ProgramFactory,
    hire,
    roll,
)
from vesting import ledger, payouts, selectors
from vesting.ledger import selectors as ledger_selectors
from vesting.models import Payout, TransactionKind, VestingLine

pytestmark = pytest.mark.django_db

D = Decimal


def pay_claim(employee, amount: str, *, service: date, paid: date | None = None, ref: str = ""):
    return ledger.post_claim_payment(
        employer=employee.employer,
        employee=employee,
        amount=D(amount),
        effective_date=paid or service,
        service_date=service,
        payee_name="Ukiah Valley Medical Center",
        reference=ref,
    )


def side_balance(employee) -> Decimal:
    return payouts.side_account_balance(employee)


def lines(employee) -> dict[int, tuple[str, Decimal]]:
    return {
        line.policy_year: (line.outcome, line.amount)
        for line in VestingLine.objects.filter(employee=employee)
    }


@pytest.fixture
def program():
    return ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))


def test_vesting_example_a_april_1980_start_vests_15_months_on_july_1_1981(program):
    """III "Vesting examples" (a): April 1, 1980 through June 30, 1981: 15 months of vested
    credit, less claims (R-VE4: the partial year before the first full year vests with it)."""
    employee = hire(program=program, hire_date=date(1980, 3, 3))  # covered from April 1, 1980
    pay_claim(employee, "50.00", service=date(1980, 5, 12))
    pay_claim(employee, "120.00", service=date(1981, 1, 5))

    roll(1979)
    assert lines(employee) == {1979: ("pending", D("75.01"))}  # 3 x 41.67 - 50.00, waiting
    assert side_balance(employee) == D("0.00")

    roll(1980)
    assert lines(employee) == {1979: ("vested", D("75.01")), 1980: ("vested", D("380.00"))}
    # 15 months: 125.01 + 500.00 = 625.01 of credit, less 170.00 of claims.
    assert side_balance(employee) == D("455.01")
    line = VestingLine.objects.get(employee=employee, policy_year=1979)
    assert line.vested_on == date(1981, 7, 1)
    assert line.transaction.kind == TransactionKind.VESTING_TRANSFER
    assert line.transaction.effective_date == date(1981, 7, 1)


def test_vesting_example_b_july_1980_to_september_1981_vests_15_months_at_separation(program):
    """III "Vesting examples" (b): July 1, 1980 through September 30, 1981: 15 months, less
    claims. R-VE4: the separation year's partial amount vests at separation; R-VE7 dates."""
    employee = hire(program=program, hire_date=date(1980, 6, 2))  # covered from July 1, 1980
    pay_claim(employee, "80.00", service=date(1981, 8, 3))
    roll(1979, 1980)
    assert lines(employee) == {1980: ("vested", D("500.00"))}

    members.employee_separate(
        employee=employee, separation_date=date(1981, 9, 30), reason="resignation"
    )
    # July-September 1981: 3 x 41.67 = 125.01, less the 80.00 claim.
    assert lines(employee) == {1980: ("vested", D("500.00")), 1981: ("vested", D("45.01"))}
    line = VestingLine.objects.get(employee=employee, policy_year=1981)
    assert line.vested_on == date(1981, 9, 30)
    assert line.transaction.effective_date == date(1981, 9, 30)
    assert side_balance(employee) == D("545.01")  # 625.01 of credit less 80.00 of claims
    schedule = [
        (p.policy_year, p.amount, p.due_on, p.status)
        for p in Payout.objects.filter(employee=employee).order_by("policy_year")
    ]
    assert schedule == [
        (1980, D("500.00"), date(1982, 1, 1), "held"),  # six months after June 30, 1981
        (1981, D("45.01"), date(1982, 4, 1), "held"),  # six months after separation
    ]
    roll(1981)  # the year of separation is already settled: nothing more
    assert side_balance(employee) == D("545.01")


def test_vesting_example_b_with_the_strict_setting_the_year_of_leaving_goes_to_the_district(
    program,
):
    """R-VE4: the introduction's stricter reading (no benefit from the allotment of the year
    of leaving), switched on per plan year: the partial year goes to the district."""
    PlanYear.objects.update_or_create(start_year=1981, defaults={"separation_year_vests": False})
    employee = hire(program=program, hire_date=date(1980, 6, 2))
    roll(1979, 1980)
    members.employee_separate(
        employee=employee, separation_date=date(1981, 9, 30), reason="resignation"
    )
    assert lines(employee) == {1980: ("vested", D("500.00"))}
    roll(1981)
    assert lines(employee) == {1980: ("vested", D("500.00")), 1981: ("to_district", D("125.01"))}
    assert side_balance(employee) == D("500.00")
    district = ledger.ledger_accounts_for_employer(program.employer_id).district
    assert ledger_selectors.account_balance(district) == D("125.01")


def test_vesting_example_c_nine_months_from_september_1980_vest_nothing(program):
    """III "Vesting examples" (c): works nine months, September 1980 through June 30, 1981,
    no full year: nothing vests; the unvested amount goes to the district (R-VE4). Hired
    September 1, 1980, covered from October 1 (R-EL6): nine months."""
    employee = hire(program=program, hire_date=date(1980, 9, 1))  # covered from Oct 1, 1980
    pay_claim(employee, "15.03", service=date(1980, 11, 4))
    members.employee_separate(
        employee=employee, separation_date=date(1981, 6, 30), reason="change_of_employer"
    )
    assert not Payout.objects.filter(employee=employee).exists()
    roll(1980)
    # October-June: 9 x 41.67 = 375.03 allotment (R-PY2), less 15.03 of claims.
    assert lines(employee) == {1980: ("to_district", D("360.00"))}
    assert side_balance(employee) == D("0.00")
    district = ledger.ledger_accounts_for_employer(program.employer_id).district
    assert ledger_selectors.account_balance(district) == D("360.00")


def test_vesting_example_c_read_from_september_1_ten_month_starts_vest_nothing(program):
    """III "Vesting examples" (c) read with coverage from September 1, 1980 (hired August 1):
    ten month-starts, 10 x 41.67 = 416.70 (R-PY2), still no full year: all to the district."""
    employee = hire(program=program, hire_date=date(1980, 8, 1))  # covered from Sept 1, 1980
    pay_claim(employee, "16.70", service=date(1980, 11, 4))
    members.employee_separate(
        employee=employee, separation_date=date(1981, 6, 30), reason="change_of_employer"
    )
    roll(1980)
    # 416.70 - 16.70 = 400.00 to the district.
    assert lines(employee) == {1980: ("to_district", D("400.00"))}
    assert side_balance(employee) == D("0.00")


def test_payout_example_III_D_5_five_full_years_separated_september_30_1984(program):
    """III.D.5: five full years completed July 1, 1984, separated September 30, 1984: the
    amount vested for 1983-84 is payable January 1, 1985 (R-VE7); earlier years at
    separation; the separation year's partial amount six months after separation."""
    employee = hire(program=program, hire_date=date(1979, 6, 1))  # covered from July 1, 1979
    roll(1979, 1980, 1981, 1982, 1983)
    assert side_balance(employee) == D("2500.00")
    members.employee_separate(
        employee=employee, separation_date=date(1984, 9, 30), reason="resignation"
    )
    due = {
        p.policy_year: (p.amount, p.due_on)
        for p in Payout.objects.filter(employee=employee, kind="lump_sum")
    }
    assert due == {
        1979: (D("500.00"), date(1984, 9, 30)),
        1980: (D("500.00"), date(1984, 9, 30)),
        1981: (D("500.00"), date(1984, 9, 30)),
        1982: (D("500.00"), date(1984, 9, 30)),
        1983: (D("500.00"), date(1985, 1, 1)),  # the plan's example
        1984: (D("125.01"), date(1985, 4, 1)),  # July-September 1984
    }
    first = payouts.payouts_process(today=date(1984, 9, 30))
    assert (first.count, first.total) == (4, D("2000.00"))
    assert payouts.payouts_process(today=date(1984, 12, 31)) is None  # 1983-84 still held
    second = payouts.payouts_process(today=date(1985, 1, 1))
    assert (second.count, second.total) == (1, D("500.00"))
    third = payouts.payouts_process(today=date(1985, 4, 1))
    assert (third.count, third.total) == (1, D("125.01"))
    assert payouts.payouts_process(today=date(1985, 4, 2)) is None  # paid once
    assert side_balance(employee) == D("0.00")
    assert set(Payout.objects.filter(employee=employee).values_list("status", flat=True)) == {
        "paid"
    }


def test_introduction_300_remaining_means_800_in_his_name_500_usable(program):
    """The introduction: "if he has $300 remaining, the following year he will have $800 in
    the account in his name, $500 of which he can use for medical expense" (R-VE2, R-VE5)."""
    employee = hire(program=program, hire_date=date(1983, 6, 1))  # covered from July 1, 1983
    pay_claim(employee, "200.00", service=date(1984, 2, 14))
    roll(1983)
    assert side_balance(employee) == D("300.00")
    summary = selectors.side_account_summary(employee, on=date(1984, 7, 2))
    assert summary.position.in_name == D("800.00")
    assert summary.position.usable == D("500.00")
    assert summary.position.vested == D("300.00")  # carried ahead, never usable for claims


def test_five_years_perfect_bill_of_health_receives_2500_on_leaving(program):
    """Superintendent Delsol's article: "If someone works for the Mendocino schools for five
    years and maintains a perfect bill of health, on leaving the schools he'll receive
    $2,500" (R-VE3 five times, then R-VE7 lump sums)."""
    employee = hire(program=program, hire_date=date(1979, 6, 1))
    roll(1979, 1980, 1981, 1982)
    members.employee_separate(
        employee=employee, separation_date=date(1984, 6, 30), reason="resignation"
    )
    paid = payouts.payouts_process(today=date(1984, 6, 30))
    assert paid.total == D("2000.00")
    roll(1983)  # the fifth full year vests on July 1, 1984 and is scheduled
    assert side_balance(employee) == D("500.00")
    last = Payout.objects.get(employee=employee, policy_year=1983)
    assert (last.amount, last.due_on, last.status) == (D("500.00"), date(1985, 1, 1), "held")
    payouts.payouts_process(today=date(1985, 1, 1))
    received = sum(
        Payout.objects.filter(employee=employee, status="paid").values_list("amount", flat=True)
    )
    assert received == D("2500.00")
    assert side_balance(employee) == D("0.00")


def test_marriage_mid_year_splits_that_years_vest_half_and_half(program):
    """IV.D, R-VE11: amounts vested before the marriage stay; the couple's amounts for the
    year of the marriage and later are added and vest half to each (odd cent: retained)."""
    ana = hire(program=program, hire_date=date(1982, 6, 1), first_name="Ana")
    ben = hire(program=program, hire_date=date(1982, 6, 1), first_name="Ben")
    pay_claim(ana, "400.00", service=date(1983, 3, 1))
    roll(1982)
    assert (side_balance(ana), side_balance(ben)) == (D("100.00"), D("500.00"))

    members.employees_marry(
        employee_a_id=ana.pk, employee_b_id=ben.pk, married_on=date(1983, 9, 17), retained_id=ben.pk
    )
    pay_claim(ana, "25.00", service=date(1983, 8, 2))  # on her own policy, before October
    pay_claim(ben, "150.00", service=date(1984, 1, 9))  # the family's, on the retained policy
    roll(1983)
    # Ana: July-September 125.01 - 25.00 = 100.01; Ben: 500.00 - 150.00 = 350.00.
    # Together 450.01: Ben (retained policy) 225.01, Ana 225.00.
    assert lines(ana)[1983] == ("vested", D("225.00"))
    assert lines(ben)[1983] == ("vested", D("225.01"))
    assert (side_balance(ana), side_balance(ben)) == (D("325.00"), D("725.01"))

    roll(1984)  # Ana is a dependent all year: half of the retained policy's 500.00
    assert lines(ana)[1984] == ("vested", D("250.00"))
    assert lines(ben)[1984] == ("vested", D("250.00"))
    assert VestingLine.objects.get(employee=ana, policy_year=1984).spouse_id == ben.pk


def test_retiree_side_account_pays_premiums_until_it_runs_out_then_billed(program):
    """R-VE8: a retiree continuing coverage has the monthly premium paid from the side
    account (no six-month wait) until exhausted; then it is billed to the retiree."""
    from accounts.demo import ensure_plan_years

    ensure_plan_years()
    employee = hire(program=program, hire_date=date(1982, 6, 1))
    roll(1982, 1983)
    members.employee_separate(
        employee=employee, separation_date=date(1984, 9, 30), reason="retirement"
    )
    members.separation_continuation_elect(employee=employee, elected_on=date(1984, 9, 30))
    assert side_balance(employee) == D("1125.01")  # 500 + 500 + July-September 125.01
    # 1984-85 SELF_PAY continuation: major medical 141.30 + dental 34.00 = 175.30 a month.
    months = [date(1984, 10, 1), date(1984, 11, 1), date(1984, 12, 1), date(1985, 1, 1)]
    months += [date(1985, 2, 1), date(1985, 3, 1), date(1985, 4, 1), date(1985, 5, 1)]
    for month in months:
        assert payouts.continuation_premiums_post(month=month) == 1
        payouts.payouts_process(today=month)  # the lump sums stay held meanwhile
    assert payouts.continuation_premiums_post(month=date(1985, 5, 1)) == 0  # once a month
    rows = list(
        Payout.objects.filter(employee=employee, kind="continuation")
        .order_by("due_on")
        .values_list("amount", "billed_amount", "status")
    )
    assert rows[:6] == [(D("175.30"), D("0.00"), "paid")] * 6
    assert rows[6] == (D("73.21"), D("102.09"), "paid")  # 1125.01 - 6 x 175.30 = 73.21
    assert rows[7] == (D("0.00"), D("175.30"), "billed")
    assert side_balance(employee) == D("0.00")
    lump_sums = Payout.objects.filter(employee=employee, kind="lump_sum")
    assert set(lump_sums.values_list("status", flat=True)) == {"cancelled"}
    assert not Payout.objects.filter(employee=employee, kind="lump_sum", register__isnull=False)


def test_death_with_a_beneficiary_on_file_pays_the_balance_six_months_after(program):
    """R-VE10 (III.D.7): the vested balance goes to the designated beneficiary six months
    following the death; the year of death vests at death (R-VE4)."""
    employee = hire(program=program, hire_date=date(1982, 6, 1))
    BeneficiaryDesignationFactory(employee=employee, name="Maria Lopez", share_percent=D("100"))
    roll(1982, 1983)
    members.employee_separate(employee=employee, separation_date=date(1985, 3, 10), reason="death")
    # July 1984-March 1985: 9 x 41.67 = 375.03 vests at death.
    assert side_balance(employee) == D("1375.03")
    payout = Payout.objects.get(employee=employee, kind="beneficiary")
    assert (payout.payee_name, payout.amount, payout.due_on, payout.status) == (
        "Maria Lopez",
        D("1375.03"),
        date(1985, 10, 1),
        "held",
    )
    assert payouts.payouts_process(today=date(1985, 9, 30)) is None
    register = payouts.payouts_process(today=date(1985, 10, 1))
    assert register.total == D("1375.03")
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert payout.transaction.kind == TransactionKind.BENEFICIARY_PAYMENT
    assert side_balance(employee) == D("0.00")


def test_death_with_no_beneficiary_on_file_is_flagged_for_the_clerk(program):
    """R-VE10: none on file: flag it for the clerk, who names the payee (the estate)."""
    employee = hire(program=program, hire_date=date(1982, 6, 1), last_name="Ortiz")
    roll(1982, 1983)
    members.employee_separate(employee=employee, separation_date=date(1985, 3, 10), reason="death")
    flagged = Payout.objects.get(employee=employee, kind="beneficiary")
    assert (flagged.status, flagged.amount, flagged.due_on) == (
        "flagged",
        D("1375.03"),
        date(1985, 10, 1),
    )
    assert list(selectors.beneficiary_flags()) == [flagged]
    assert payouts.payouts_process(today=date(1985, 10, 1)) is None  # never paid unnamed

    payouts.beneficiary_flag_resolve(payout=flagged, payee_name="Estate of Pat Ortiz")
    assert list(selectors.beneficiary_flags()) == []
    register = payouts.payouts_process(today=date(1985, 10, 2))
    assert register.total == D("1375.03")
    assert Payout.objects.get(pk=flagged.pk).payee_name == "Estate of Pat Ortiz"


def test_late_claim_arriving_in_september_reduces_the_vested_year_R_CL6(program):
    """R-CL6: a claim for May 1984 paid in September 1984, after 1983-84 vested on July 1,
    reduces that year's vested amount: taken back to the General Deductible Trust Fund."""
    employee = hire(program=program, hire_date=date(1983, 6, 1))
    roll(1983)
    assert side_balance(employee) == D("500.00")
    general_trust = ledger.ledger_accounts_for_employer(program.employer_id).general_trust
    before = ledger_selectors.account_balance(general_trust)

    pay_claim(employee, "120.00", service=date(1984, 5, 20), paid=date(1984, 9, 12), ref="claim 7")
    recovered = payouts.runout_claim_paid(
        employee=employee,
        policy_year=1983,
        amount=D("120.00"),
        paid_on=date(1984, 9, 12),
        reference="claim 7",
    )
    assert recovered == D("120.00")
    assert side_balance(employee) == D("380.00")
    assert ledger_selectors.account_balance(general_trust) == before  # paid 120 out, took 120 back
    line = VestingLine.objects.get(employee=employee, policy_year=1983)
    assert (line.amount, line.runout_recovered) == (D("380.00"), D("120.00"))
    assert line.adjustments.get().reference == "claim 7"
    again = payouts.runout_claim_paid(
        employee=employee,
        policy_year=1983,
        amount=D("120.00"),
        paid_on=date(1984, 9, 12),
        reference="claim 7",
    )
    assert again == D("120.00") and side_balance(employee) == D("380.00")  # once per claim
    # A claim for a year that has not vested is read by its rollover instead.
    assert payouts.runout_claim_paid(
        employee=employee, policy_year=1984, amount=D("50.00"), paid_on=date(1984, 9, 20)
    ) == D("0.00")
