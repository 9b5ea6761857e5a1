"""Go-live mid-year and with pending partial years (vesting.golive), then the rollover.

Every expected amount is worked out by hand from the file's figures and the rules
(R-VE1 allotment 12 x 41.67 capped at the 500.00 deductible, R-VE2 unused = allotment -
the family's trust-fund claims of the year, R-VE4 partial years), not read back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as member_services
from reports import selectors as reports
from staywell.csv import csv_bytes
from tests.factories import EmployerFactory, ProgramFactory, hire, mark_separated, pay_claim
from vesting import golive, revest, rollover
from vesting.ledger import selectors as ledger_selectors
from vesting.models import GoLive, Payout, Transaction, VestingLine
from vesting.payouts import payouts_process, side_account_balance

pytestmark = pytest.mark.django_db

D = Decimal
MID_CUTOVER = date(1985, 12, 31)
JUNE_CUTOVER = date(1985, 6, 30)
ROLLOVER_DAY = date(1986, 7, 1)
NO_CLOSES = "The months after go-live are not closed in this test."


def upload(rows):
    return SimpleUploadedFile(
        "golive.csv", csv_bytes(golive.COLUMNS, rows), content_type="text/csv"
    )


def go_live(rows, cutover):
    check = golive.golive_check(file=upload(rows), cutover=cutover, today=date(1986, 1, 10))
    assert check.ok, check.errors
    done = golive.golive_import(golive.golive_confirm(go_live=check.go_live).pk)
    assert done.status == GoLive.Status.COMPLETED, done.message
    return done


def roll_1985_86():
    run = rollover.rollover_start(
        policy_year=1985, today=ROLLOVER_DAY, override_reason=NO_CLOSES, queue=False
    )
    run = rollover.rollover_execute(run.pk)
    assert run.status == "completed", run.errors
    return run


def line(employee, year):
    return VestingLine.objects.get(employee=employee, policy_year=year)


@pytest.fixture
def program():
    return ProgramFactory(employer=EmployerFactory(code="MCS", name="Mendocino County Schools"))


@pytest.fixture
def ann(program):
    # FULL tier since July 1, 1980: every month of 1985-86 covered.
    return hire(program=program, number="A1", first_name="Ann", last_name="Able")


# Cut-over December 31, 1985. Employees' money: 10,000 forward + 250 cost - 120 claims =
# 10,130, of which Ann's vested 850 is in the Vested Trust Fund: General 9,280.
MID_YEAR = [
    ("MCS", "general_trust", "", "", "9280.00", ""),
    ("MCS", "vested_trust", "", "", "850.00", ""),
    ("MCS", "district", "", "", "0.00", ""),
    ("MCS", "balance_forward", "", "", "10000.00", ""),
    ("MCS", "employer_cost", "", "", "250.00", ""),
    ("MCS", "claims_processed", "", "", "(120.00)", ""),
    ("MCS", "vested", "A1", "1983-84", "400.00", ""),
    ("MCS", "vested", "A1", "1984-85", "450.00", ""),
    ("MCS", "ytd_trust_claims", "A1", "1985-86", "120.00", ""),
]


def test_R_VE2_the_rollover_after_a_mid_year_cutover_counts_the_claims_before_and_after(
    program, ann
):
    employer = program.employer
    go_live(MID_YEAR, MID_CUTOVER)
    # Months July..December 1985 were closed by the earlier administrator.
    assert rollover.open_months([(1985, employer.pk)]) == {
        (1985, employer.pk, "MCS"): [
            "Jan 1986",
            "Feb 1986",
            "Mar 1986",
            "Apr 1986",
            "May 1986",
            "Jun 1986",
        ]
    }
    pay_claim(
        employee=ann, amount="80.00", paid_on=date(1986, 2, 14), service_date=date(1986, 2, 10)
    )
    roll_1985_86()
    vested = line(ann, 1985)
    # 500.00 allotment - (120.00 carried in + 80.00 after go-live) = 300.00.
    assert (vested.allotment, vested.trust_fund_claims, vested.amount) == (
        D("500.00"),
        D("200.00"),
        D("300.00"),
    )
    assert vested.outcome == "vested" and vested.vested_on == ROLLOVER_DAY
    assert side_account_balance(ann) == D("1150.00")  # 850 carried in + 300
    balances = ledger_selectors.employer_fund_balances(employer.pk, as_of=ROLLOVER_DAY)
    assert balances["general_trust"] == D("8900.00")  # 9,280 - 80 claim - 300 vested
    # A re-vest of the year reads the same claims: nothing to change.
    assert revest.revest_preview(employer_id=employer.pk, policy_year=1985).changes == []
    # The year's "Claims processed": 120.00 carried in + 80.00 paid after go-live.
    figures = reports.fund_report(policy_year=1985, employer_id=employer.pk).figures()
    assert figures["claims_processed"] == D("-200.00")
    assert figures["employer_cost"] == D("250.00")


def test_the_families_claims_must_tie_with_claims_processed(program, ann):
    bob = hire(program=program, number="B1", hire_date=date(1986, 2, 1))
    for number in ("C1", "E1", "F1"):
        hire(program=program, number=number)
    rows = [
        *MID_YEAR[:-1],
        ("MCS", "ytd_trust_claims", "A1", "", "100.00", ""),  # row 10: 100 of the 120
        ("MCS", "ytd_trust_claims", "A1", "", "20.00", ""),  # row 11: Ann again
        ("MCS", "ytd_trust_claims", "Z9", "", "20.00", ""),  # row 12: no such employee
        ("MCS", "ytd_trust_claims", bob.number, "", "20.00", ""),  # row 13: hired after
        ("MCS", "ytd_trust_claims", "C1", "1984-85", "20.00", ""),  # row 14: not the year
        ("MCS", "ytd_trust_claims", "E1", "", "500.01", ""),  # row 15: over the deductible
        ("MCS", "ytd_trust_claims", "F1", "", "-5.00", ""),  # row 16
    ]
    check = golive.golive_check(file=upload(rows), cutover=MID_CUTOVER, today=date(1986, 1, 10))
    messages = {(e["row"], e["field"]): e["message"] for e in check.errors}
    assert set(messages) == {
        (7, "amount"),
        (11, "employee_number"),
        (12, "employee_number"),
        (13, "employee_number"),
        (14, "policy_year"),
        (15, "amount"),
        (16, "amount"),
    }
    assert "(120.00)" not in messages[(7, "amount")]
    assert "is -120.00" in messages[(7, "amount")] and "add up to 100.00" in messages[(7, "amount")]
    assert "already on row 10" in messages[(11, "employee_number")]
    assert "0.00 to 500.00" in messages[(15, "amount")]
    # On a June 30 cut-over there is no year to date.
    june = golive.golive_check(
        file=upload([("MCS", "ytd_trust_claims", "A1", "", "10.00", "")]),
        cutover=JUNE_CUTOVER,
        today=date(1986, 1, 10),
    )
    assert (2, "item") in {(e["row"], e["field"]) for e in june.errors}
    assert not Transaction.objects.exists() and not GoLive.objects.exists()


# Cut-over June 30, 1985. Cid and Dee were hired January 1, 1985: their 1984-85 is a
# partial year before any full year, still pending (R-VE4); its unused amounts (200.00,
# 150.00) are in the General Trust Fund, part of the 10,000 forward: General 9,150.
PENDING = [
    ("MCS", "general_trust", "", "", "9150.00", ""),
    ("MCS", "vested_trust", "", "", "850.00", ""),
    ("MCS", "district", "", "", "0.00", ""),
    ("MCS", "balance_forward", "", "", "10000.00", ""),
    ("MCS", "vested", "A1", "1983-84", "400.00", ""),
    ("MCS", "vested", "A1", "1984-85", "450.00", ""),
    ("MCS", "pending", "C1", "1984-85", "200.00", ""),
    ("MCS", "pending", "D1", "1984-85", "150.00", ""),
]


@pytest.fixture
def pending_plan(program, ann):
    cid = hire(program=program, number="C1", first_name="Cid", hire_date=date(1985, 1, 1))
    dee = hire(program=program, number="D1", first_name="Dee", hire_date=date(1985, 1, 1))
    go_live(PENDING, JUNE_CUTOVER)
    return program.employer, ann, cid, dee


def test_R_VE4_a_carried_in_pending_year_vests_when_the_full_year_completes(pending_plan):
    _, ann, cid, _ = pending_plan
    carried = line(cid, 1984)
    assert (carried.outcome, carried.amount, carried.vested_on) == ("pending", D("200.00"), None)
    assert side_account_balance(cid) == D("0.00")
    roll_1985_86()
    # 1985-86 is Cid's first full year: 500.00, and the pending 200.00 vests with it.
    assert (line(cid, 1985).outcome, line(cid, 1985).amount) == ("vested", D("500.00"))
    settled = line(cid, 1984)
    assert (settled.outcome, settled.amount, settled.vested_on) == (
        "vested",
        D("200.00"),
        ROLLOVER_DAY,
    )
    assert side_account_balance(cid) == D("700.00")
    assert side_account_balance(ann) == D("1350.00")  # 850 + 500


def test_R_VE4_a_carried_in_pending_year_goes_to_the_district_at_separation_without_a_full_year(
    pending_plan,
):
    employer, ann, cid, dee = pending_plan
    # Dee's family used 400.00 of the trust fund, more than her nine months' allotment.
    pay_claim(
        employee=dee, amount="400.00", paid_on=date(1985, 10, 1), service_date=date(1985, 9, 10)
    )
    member_services.employee_separate(
        employee=dee, separation_date=date(1986, 3, 15), reason="resignation"
    )
    roll_1985_86()
    assert (line(dee, 1985).outcome, line(dee, 1985).amount) == ("to_district", D("0.00"))
    settled = line(dee, 1984)
    assert (settled.outcome, settled.amount) == ("to_district", D("150.00"))
    assert side_account_balance(dee) == D("0.00")
    assert (side_account_balance(ann), side_account_balance(cid)) == (D("1350.00"), D("700.00"))
    balances = ledger_selectors.employer_fund_balances(employer.pk, as_of=ROLLOVER_DAY)
    assert balances["district"] == D("150.00")
    # 9,150 - 400 claim - 500 Ann - 700 Cid - 150 to the district.
    assert balances["general_trust"] == D("7400.00")


def test_a_pending_year_is_refused_where_it_cannot_be_pending(program, ann):
    hire(program=program, number="C1", hire_date=date(1985, 1, 1))
    gone = hire(program=program, number="E1", hire_date=date(1984, 1, 1))
    mark_separated(gone, on=date(1985, 5, 31))
    rows = [
        *PENDING[:6],
        ("MCS", "pending", "A1", "1982-83", "100.00", ""),  # row 8: Ann has vested years
        ("MCS", "pending", "C1", "1985-86", "100.00", ""),  # row 9: not ended
        ("MCS", "pending", "C1", "1984-85", "500.01", ""),  # row 10: over the maximum vest
        ("MCS", "pending", "E1", "1983-84", "10.00", ""),  # row 11: left by the cut-over
        ("MCS", "pending", "C1", "1984-85", "10.00", "10.00"),  # row 12: paid out
    ]
    check = golive.golive_check(file=upload(rows), cutover=JUNE_CUTOVER, today=date(1986, 1, 10))
    messages = {(e["row"], e["field"]): e["message"] for e in check.errors}
    assert set(messages) == {
        (8, "item"),
        (9, "policy_year"),
        (10, "amount"),
        (11, "item"),
        (12, "paid_out"),
    }
    assert "only before the first full year" in messages[(8, "item")]
    assert "1985-86 had not ended" in messages[(9, "policy_year")]
    assert "0.00 to 500.00" in messages[(10, "amount")]
    assert "went to the district" in messages[(11, "item")]
    assert not Transaction.objects.exists() and not VestingLine.objects.exists()


def test_a_refund_of_the_separation_year_carried_in_mid_year_is_a_current_year_refund(program, ann):
    employer = program.employer
    # Ann left October 31, 1985: 1984-85 (500.00) and her separation year's 200.00 held.
    rows = [
        ("MCS", "general_trust", "", "", "9300.00", ""),
        ("MCS", "vested_trust", "", "", "700.00", ""),
        ("MCS", "district", "", "", "0.00", ""),
        ("MCS", "balance_forward", "", "", "10000.00", ""),
        ("MCS", "vested", "A1", "1984-85", "500.00", "", "1985-10-31", "resignation"),
        ("MCS", "vested", "A1", "1985-86", "200.00", "", "1985-10-31", "resignation"),
    ]
    go_live(rows, MID_CUTOVER)
    due = dict(Payout.objects.filter(employee=ann).values_list("policy_year", "due_on"))
    # R-VE7: the year before the separation year six months after June 30, 1985; the
    # separation year six months after October 31, 1985 (R-PY3: May 1, 1986).
    assert due == {1984: date(1986, 1, 1), 1985: date(1986, 5, 1)}
    assert payouts_process(today=date(1986, 1, 2)).total == D("500.00")
    assert payouts_process(today=date(1986, 5, 1)).total == D("200.00")
    figures = reports.fund_report(policy_year=1985, employer_id=employer.pk).figures()
    assert figures["prior_refunds"] == D("-500.00")
    assert figures["current_refunds"] == D("-200.00")
    assert figures["balance_forward"] == D("10000.00")
