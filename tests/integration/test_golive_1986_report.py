"""The plan's own June 30, 1986 report (seed 004, Appendix 7 page 7), reproduced.

The June 30, 1985 position comes in through the go-live path (vesting.golive); the
1985-86 activity is posted through the ordinary services (contributions, claims, the
unvested transfer, R-VE7 payouts by the daily job, a separation-year vest and refund,
interest and expenses). The report of the year then prints the seed's figures line by
line, to the cent, and ties to the ledger (R-FU4).

The position (hand-derived from the seed): refunds to June 30, 1985 = 40,755.23 to date
less the year's 15,795.44 + 117.01 = 24,842.78; the district = 68,672.45 interest less
23,599.47 costs = 45,072.98; the Vested Trust Fund holds eight separated employees'
years (15,795.44, all paid in 1985-86) and two employed ones' (1,000.00), so the
General Trust Fund holds 173,824.12 - 16,795.44 = 157,028.68.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.demo import ensure_plan_years
from accounts.models import Employee
from reports import selectors as reports
from staywell.csv import csv_bytes
from tests.factories import EmployerFactory, ProgramFactory, hire, mark_separated, pay_claim
from vesting import golive, ledger
from vesting.payouts import payouts_process

pytestmark = pytest.mark.django_db

D = Decimal
CUTOVER = date(1985, 6, 30)
LATER = date(1986, 7, 15)  # when the year's interest and expenses are entered

SEED_1986 = {
    "balance_forward": D("173824.12"),
    "unvested_adjustment": D("-9258.05"),
    "prior_refunds": D("-15795.44"),
    "prior_year_claims": D("-7172.69"),
    "prior_subtotal": D("141597.94"),
    "employer_cost": D("120051.99"),
    "claims_processed": D("-85021.19"),
    "current_refunds": D("-117.01"),
    "current_subtotal": D("34913.79"),
    "employee_cumulative_total": D("176511.73"),
    "interest_forward": D("68672.45"),
    "interest_earned": D("12646.98"),  # OCR "12.$46.98": 81,319.43 - 68,672.45
    "interest_total": D("81319.43"),
    "admin_forward": D("-23599.47"),
    "admin_expenses": D("-29648.47"),
    "admin_total": D("-53247.94"),
    "unvested_forward": D("0.00"),
    "unvested_year": D("9258.05"),
    "unvested_total": D("9258.05"),
    "district_subtotal": D("37329.54"),
    "total_fund_balance": D("213841.27"),
    "total_refunds_to_date": D("40755.23"),
}

# Eight employees who left on March 31, 1985 (the go-live file records it): four vested
# years each (1981-82 .. 1984-85).
LEAVERS = [(f"S{n}", ["500.00"] * 4) for n in range(1, 8)] + [
    ("S8", ["500.00", "500.00", "500.00", "295.44"])
]  # 7 x 2,000.00 + 1,795.44 = 15,795.44


def _position_rows():
    rows = [
        ("MCS", "general_trust", "", "", "157,028.68", ""),
        ("MCS", "vested_trust", "", "", "16,795.44", ""),
        ("MCS", "district", "", "", "45,072.98", ""),
        ("MCS", "balance_forward", "", "1979-80", "173,824.12", ""),
        ("MCS", "refunds_to_date", "", "", "24,842.78", ""),
        ("MCS", "interest_forward", "", "", "68,672.45", ""),
        ("MCS", "admin_forward", "", "", "(23,599.47)", ""),
    ]
    for number, amounts in LEAVERS:
        for year, amount in zip(range(1981, 1985), amounts, strict=True):
            label = f"{year}-{(year + 1) % 100:02d}"
            rows.append(("MCS", "vested", number, label, amount, "", "03/31/1985", ""))
    rows += [
        ("MCS", "vested", "A1", "1983-84", "500.00", ""),
        ("MCS", "vested", "B1", "1984-85", "500.00", ""),
    ]
    return rows


@pytest.fixture
def plan_1985():
    ensure_plan_years(1979, 1986)
    program = ProgramFactory(employer=EmployerFactory(code="MCS", name="Mendocino County Schools"))
    hire(program=program, number="A1", first_name="Ann", last_name="Able")
    hire(program=program, number="B1", first_name="Bob", last_name="Baker")
    for number, _ in LEAVERS:
        hire(program=program, number=number, first_name="Sam", last_name=number)
    file = SimpleUploadedFile("mendocino-1985.csv", csv_bytes(golive.COLUMNS, _position_rows()))
    check = golive.golive_check(file=file, cutover=CUTOVER, today=date(1985, 7, 5))
    assert check.ok, check.errors
    done = golive.golive_import(golive.golive_confirm(go_live=check.go_live).pk)
    assert done.status == "completed", done.message
    leaver = Employee.objects.get(number="S1")
    assert (leaver.separation_date, leaver.separation_reason) == (date(1985, 3, 31), "resignation")
    return program


def _contributions_and_claims(program):
    employer = program.employer
    for month in range(12):  # 11 x 10,004.33 + 10,004.36 = 120,051.99
        year, calendar_month = (1985, 7 + month) if month < 6 else (1986, month - 5)
        amount = D("10004.36") if month == 11 else D("10004.33")
        ledger.post_employer_contribution(
            employer=employer, year=year, month=calendar_month, amount=amount
        )
    family = hire(program=program, number="C1", first_name="Cal", last_name="Cole")
    # This year's claims: 30,000.00 + 40,000.00 + 15,021.19 = 85,021.19.
    for amount, paid, service in (
        ("30000.00", date(1985, 10, 1), date(1985, 9, 18)),
        ("40000.00", date(1986, 2, 3), date(1986, 1, 20)),
        ("15021.19", date(1986, 6, 2), date(1986, 5, 28)),
    ):
        pay_claim(employee=family, amount=amount, paid_on=paid, service_date=service)
    # Run-out: claims for 1984-85 paid in 1985-86, 5,000.00 + 2,172.69 = 7,172.69 (R-CL6).
    for amount, paid, service in (
        ("5000.00", date(1985, 7, 22), date(1985, 6, 12)),
        ("2172.69", date(1985, 8, 19), date(1985, 5, 30)),
    ):
        pay_claim(employee=family, amount=amount, paid_on=paid, service_date=service)


def _separations_and_refunds(program):
    employer = program.employer
    ledger.post_unvested_transfer(employer=employer, amount=D("9258.05"), policy_year=1984)
    # R-VE7: the leavers' earlier years were payable at separation, the separation year's
    # six months after it (October 1, 1985): the daily job pays them in 1985-86.
    first = payouts_process(today=date(1985, 7, 15))
    second = payouts_process(today=date(1985, 10, 1))
    assert first.total == D("12000.00")  # 8 x 3 x 500.00
    assert second.total == D("3795.44")  # 7 x 500.00 + 295.44
    # A separation in the year: its partial year vests at separation and is refunded
    # out of the year's own money (the report's "Employee refunds" of the current year).
    dee = hire(program=program, number="D1", first_name="Dee", last_name="Dunn")
    dee = mark_separated(dee, on=date(1985, 11, 30))
    ledger.post_vesting_transfer(
        employee=dee, amount=D("117.01"), policy_year=1985, effective_date=date(1985, 11, 30)
    )
    ledger.post_lump_sum_payout(employee=dee, amount=D("117.01"), effective_date=date(1986, 6, 1))


def _district(program):
    employer = program.employer
    quarters = [
        (date(1985, 7, 1), date(1985, 9, 30)),
        (date(1985, 10, 1), date(1985, 12, 31)),
        (date(1986, 1, 1), date(1986, 3, 31)),
        (date(1986, 4, 1), date(1986, 6, 30)),
    ]
    # Interest 3 x 3,161.74 + 3,161.76 = 12,646.98; costs 3 x 7,412.12 + 7,412.11 = 29,648.47.
    for index, (start, end) in enumerate(quarters):
        last = index == 3
        ledger.post_interest(
            employer=employer,
            amount=D("3161.76") if last else D("3161.74"),
            period_start=start,
            period_end=end,
            earned_by="general_trust",
            today=LATER,
        )
        ledger.post_administrative_expense(
            employer=employer,
            amount=D("7412.11") if last else D("7412.12"),
            period_start=start,
            period_end=end,
            description="Claims administration",
            today=LATER,
        )


def test_the_june_30_1986_report_comes_out_line_by_line_to_the_cent(plan_1985):
    program = plan_1985
    _contributions_and_claims(program)
    _separations_and_refunds(program)
    _district(program)
    report = reports.fund_report(policy_year=1985, employer_id=program.employer_id)
    assert report.figures() == SEED_1986
    assert report.period_label == "June 30, 1986"
    assert report.prior_label == "1979-1985"  # "Prior years 1979-1985", as the seed prints
    assert report.current_label == "1985-86"
    assert report.ties, report.checks
    assert report.ledger_employee_balance == D("176511.73")
    assert report.ledger_district_balance == D("37329.54")
