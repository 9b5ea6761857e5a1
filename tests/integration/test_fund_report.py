"""The year-end fund report (R-FU4): every line of the 1986 layout ties to the ledger.

A small ledger is built through the ledger services with hand-chosen amounts; each line
is checked to the cent against a hand computation, recomputed a second time by a plain
Python sum over the Posting rows, and the report's totals against the ledger balances.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from reports import selectors, services
from reports.models import FundReportDocument
from reports.selectors import FundReport
from tests.factories import EmployerFactory, ProgramFactory, hire, mark_separated, pay_claim
from vesting import ledger
from vesting.models import Posting

pytestmark = pytest.mark.django_db

D = Decimal
YEAR = 1985  # the policy year 1985-86: the report as of June 30, 1986, like the plan's own


@pytest.fixture
def eager_celery():
    """Run queued tasks in-process (the worker's code path, without a worker)."""
    from staywell.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def books():
    """Two employers; the first with a hand-built ledger from July 1984 to July 1986."""
    program = ProgramFactory(employer=EmployerFactory(code="MCS", name="Mendocino County Schools"))
    employer = program.employer
    a = hire(program=program, number="A1", first_name="Ann", last_name="Able")
    b = hire(program=program, number="B1", first_name="Bob", last_name="Baker")
    c = hire(program=program, number="C1", first_name="Cy", last_name="Cole")
    r = hire(program=program, number="R1", first_name="Rita", last_name="Reyes")
    x = hire(program=program, number="X1", first_name="Xavier", last_name="Cruz")
    c, x, r = _books_1984_85(employer, a, b, c, r, x)
    _books_1985_86_employees(employer, a, b, r, x)
    _books_1985_86_district(employer)
    # After June 30, 1986: not in the report.
    ledger.post_employer_contribution(employer=employer, year=1986, month=7, amount=D("999.99"))
    pay_claim(employee=a, amount="33.00", paid_on=date(1986, 7, 2), service_date=date(1986, 6, 20))
    return employer, _books_other_employer()


def _books_1984_85(employer, a, b, c, r, x):
    """1984-85, before the report's year; returns C, X and R separated."""
    for who, amount in ((c, "400.00"), (b, "300.00"), (r, "500.00"), (x, "200.00")):
        ledger.post_vesting_transfer(employee=who, amount=D(amount), policy_year=1983)
    ledger.post_unvested_transfer(employer=employer, amount=D("50.00"), policy_year=1983)
    ledger.post_employer_contribution(employer=employer, year=1984, month=9, amount=D("1000.00"))
    ledger.post_employer_contribution(employer=employer, year=1985, month=3, amount=D("1200.00"))
    pay_claim(
        employee=a, amount="300.00", paid_on=date(1984, 10, 2), service_date=date(1984, 9, 12)
    )
    ledger.post_interest(
        employer=employer,
        amount=D("150.00"),
        period_start=date(1984, 10, 1),
        period_end=date(1984, 12, 31),
        earned_by="general_trust",
    )
    ledger.post_administrative_expense(
        employer=employer,
        amount=D("80.00"),
        period_start=date(1985, 1, 1),
        period_end=date(1985, 3, 31),
        description="Claims administration",
    )
    c = mark_separated(c, on=date(1985, 1, 15))
    ledger.post_lump_sum_payout(employee=c, amount=D("400.00"), effective_date=date(1985, 2, 1))
    x = mark_separated(x, on=date(1985, 1, 3), reason="death")
    r = mark_separated(r, on=date(1985, 6, 30), reason="retirement")
    return c, x, r


def _books_1985_86_employees(employer, a, b, r, x):
    """1985-86, the report's year: the employees' money."""
    ledger.post_vesting_transfer(employee=a, amount=D("200.00"), policy_year=1984)
    ledger.post_vesting_transfer(employee=b, amount=D("450.00"), policy_year=1984)
    ledger.post_unvested_transfer(employer=employer, amount=D("120.00"), policy_year=1984)
    ledger.post_employer_contribution(employer=employer, year=1985, month=8, amount=D("1500.00"))
    ledger.post_employer_contribution(employer=employer, year=1986, month=2, amount=D("1600.00"))
    # Run-out: a claim for June 1985 paid in August (a prior-year claim, R-CL6), recovered
    # from the vested year; a second one paid and voided.
    pay_claim(employee=a, amount="75.00", paid_on=date(1985, 8, 5), service_date=date(1985, 6, 10))
    ledger.post_runout_recovery(
        employee=a, amount=D("75.00"), policy_year=1984, effective_date=date(1985, 8, 5)
    )
    voided_old = pay_claim(
        employee=a, amount="25.00", paid_on=date(1985, 9, 3), service_date=date(1985, 5, 20)
    )
    ledger.post_reversal(
        transaction=voided_old, reason="duplicate", effective_date=date(1986, 1, 6)
    )
    # This year's claims, one voided.
    pay_claim(
        employee=a, amount="210.00", paid_on=date(1985, 10, 1), service_date=date(1985, 9, 18)
    )
    voided = pay_claim(
        employee=a, amount="40.00", paid_on=date(1985, 11, 4), service_date=date(1985, 11, 1)
    )
    ledger.post_reversal(
        transaction=voided, reason="not allowable", effective_date=date(1985, 12, 2)
    )
    # B leaves on September 30, 1985: the separation year vests at separation (R-VE4 (b))
    # and the three amounts are paid on their R-VE7 dates.
    b = mark_separated(b, on=date(1985, 9, 30))
    ledger.post_vesting_transfer(
        employee=b, amount=D("125.01"), policy_year=1985, effective_date=date(1985, 9, 30)
    )
    ledger.post_lump_sum_payout(employee=b, amount=D("300.00"), effective_date=date(1985, 10, 1))
    ledger.post_lump_sum_payout(employee=b, amount=D("450.00"), effective_date=date(1986, 1, 1))
    ledger.post_lump_sum_payout(employee=b, amount=D("125.01"), effective_date=date(1986, 4, 1))
    ledger.post_continuation_premium(employee=r, amount=D("141.30"), month=date(1985, 8, 1))
    ledger.post_beneficiary_payment(
        employee=x,
        amount=D("200.00"),
        beneficiary_name="Rosa Cruz",
        effective_date=date(1985, 8, 1),
    )


def _books_1985_86_district(employer):
    """1985-86, the report's year: the district's interest and costs."""
    ledger.post_interest(
        employer=employer,
        amount=D("180.00"),
        period_start=date(1985, 7, 1),
        period_end=date(1985, 9, 30),
        earned_by="general_trust",
    )
    ledger.post_interest(
        employer=employer,
        amount=D("210.50"),
        period_start=date(1986, 1, 1),
        period_end=date(1986, 3, 31),
        earned_by="vested_trust",
    )
    ledger.post_administrative_expense(
        employer=employer,
        amount=D("95.25"),
        period_start=date(1985, 10, 1),
        period_end=date(1985, 12, 31),
        description="Claims administration",
    )
    ledger.post_administrative_expense(
        employer=employer,
        amount=D("104.75"),
        period_start=date(1986, 4, 1),
        period_end=date(1986, 6, 30),
        description="Claims administration",
    )


def _books_other_employer():
    """Another employer: in the pool's report only."""
    other = ProgramFactory(employer=EmployerFactory(code="UKI", name="Ukiah Unified"))
    o = hire(program=other, number="O1", first_name="Olga", last_name="Other")
    ledger.post_employer_contribution(
        employer=other.employer, year=1985, month=9, amount=D("500.00")
    )
    pay_claim(
        employee=o, amount="100.00", paid_on=date(1985, 12, 1), service_date=date(1985, 11, 20)
    )
    return other.employer


HAND = {
    # EMPLOYEE TOTALS, prior years 1984-1985
    "balance_forward": D("1450.00"),  # 1000 + 1200 - 300 claims - 50 unvested - 400 lump sum
    "unvested_adjustment": D("-120.00"),
    "prior_refunds": D("-1091.30"),  # B 300 + 450, continuation 141.30, beneficiary 200
    "prior_year_claims": D("-75.00"),  # 75 + 25 - 25 voided
    "prior_subtotal": D("163.70"),
    # current year 1985-86
    "employer_cost": D("3100.00"),
    "claims_processed": D("-210.00"),  # 210 + 40 - 40 voided
    "current_refunds": D("-125.01"),  # B's separation-year amount
    "current_subtotal": D("2764.99"),
    "employee_cumulative_total": D("2928.69"),
    # DISTRICT TOTALS
    "interest_forward": D("150.00"),
    "interest_earned": D("390.50"),
    "interest_total": D("540.50"),
    "admin_forward": D("-80.00"),
    "admin_expenses": D("-200.00"),
    "admin_total": D("-280.00"),
    "unvested_forward": D("50.00"),
    "unvested_year": D("120.00"),
    "unvested_total": D("170.00"),
    "district_subtotal": D("430.50"),
    "total_fund_balance": D("3359.19"),
    "total_refunds_to_date": D("1616.31"),  # 400 before the year + 1,216.31 in it
}


def test_every_line_of_the_R_FU4_report_matches_the_hand_computation(books):
    employer, _ = books
    report = selectors.fund_report(policy_year=YEAR, employer_id=employer.pk)
    assert report.figures() == HAND
    assert report.prior_label == "1984-1985"
    assert report.current_label == "1985-86"
    assert report.period_label == "June 30, 1986"


def test_R_FU4_subtotals_add_up_like_the_1986_report_and_equal_the_ledger_balances(books):
    employer, _ = books
    report = selectors.fund_report(policy_year=YEAR, employer_id=employer.pk)
    assert report.prior_subtotal + report.current_subtotal == report.employee_cumulative_total
    assert report.employee_cumulative_total == report.ledger_employee_balance == D("2928.69")
    assert report.district_subtotal == report.ledger_district_balance == D("430.50")
    assert report.ties
    balances = ledger_balances_from_postings(employer.pk, date(1986, 6, 30))
    assert balances["general_trust"] + balances["vested_trust"] == D("2928.69")
    assert balances["district"] == D("430.50")


def test_R_FU4_each_line_recomputed_from_raw_postings_agrees(books):
    employer, other = books
    for employer_id in (employer.pk, other.pk, None):
        report = selectors.fund_report(policy_year=YEAR, employer_id=employer_id)
        assert report.figures() == python_fund_report(employer_id, YEAR), employer_id


def test_R_FU4_pool_report_is_the_sum_of_the_employers(books):
    employer, other = books
    pool = selectors.fund_report(policy_year=YEAR, employer_id=None).figures()
    one = selectors.fund_report(policy_year=YEAR, employer_id=employer.pk).figures()
    two = selectors.fund_report(policy_year=YEAR, employer_id=other.pk).figures()
    assert two["employer_cost"] == D("500.00")
    assert two["claims_processed"] == D("-100.00")
    for key in pool:
        assert pool[key] == one.get(key, D("0.00")) + two.get(key, D("0.00")), key


def test_R_FU4_the_next_year_carries_the_cumulative_total_forward(books):
    employer, _ = books
    year = selectors.fund_report(policy_year=YEAR, employer_id=employer.pk)
    following = selectors.fund_report(policy_year=YEAR + 1, employer_id=employer.pk)
    assert following.balance_forward == year.employee_cumulative_total
    assert following.interest_forward == year.interest_total
    assert following.admin_forward == year.admin_total
    assert following.unvested_forward == year.unvested_total
    assert following.employer_cost == D("999.99")
    assert following.prior_year_claims == D("-33.00")  # June 1986 service, paid in July


def test_R_FU4_the_plans_own_1986_figures_add_up_in_this_layout():
    """The June 30, 1986 report of the seed, line by line, through the same arithmetic."""
    report = FundReport(
        policy_year=1985,
        employer_id=None,
        employer_name="Mendocino County Schools",
        first_year=1979,
        balance_forward=D("173824.12"),
        unvested_adjustment=D("-9258.05"),
        prior_refunds=D("-15795.44"),
        prior_year_claims=D("-7172.69"),
        employer_cost=D("120051.99"),
        claims_processed=D("-85021.19"),
        current_refunds=D("-117.01"),
        other_employee=D("0.00"),
        interest_forward=D("68672.45"),
        interest_earned=D("12646.98"),
        admin_forward=D("-23599.47"),
        admin_expenses=D("-29648.47"),
        unvested_forward=D("0.00"),
        unvested_year=D("9258.05"),
        other_district=D("0.00"),
        total_refunds_to_date=D("40755.23"),
        ledger_employee_balance=D("176511.73"),
        ledger_district_balance=D("37329.54"),
    )
    assert report.prior_label == "1979-1985"
    assert report.prior_subtotal == D("141597.94")
    assert report.current_subtotal == D("34913.79")
    assert report.employee_cumulative_total == D("176511.73")
    assert report.interest_total == D("81319.43")
    assert report.admin_total == D("-53247.94")
    assert report.district_subtotal == D("37329.54")
    assert report.total_fund_balance == D("213841.27")
    assert report.ties


def test_R_FU4_pdf_shows_the_employer_period_key_figures_and_page_numbers(books):
    employer, _ = books
    report = selectors.fund_report(policy_year=YEAR, employer_id=employer.pk)
    pdf = services.fund_report_pdf(report, printed_on=date(1986, 7, 15))
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    pages = len(reader.pages)
    assert "MENDOCINO COUNTY SCHOOLS" in text
    assert "FINANCIAL REPORT" in text
    assert "June 30, 1986" in text
    for figure in (
        "1,450.00",
        "(120.00)",
        "(1,091.30)",
        "(75.00)",
        "163.70",
        "3,100.00",
        "(210.00)",
        "(125.01)",
        "2,764.99",
        "2,928.69",
        "540.50",
        "(280.00)",
        "430.50",
        "3,359.19",
        "1,616.31",
    ):
        assert figure in text, figure
    assert "TOTAL FUND BALANCE" in text
    assert "TOTAL EMPLOYEE REFUNDS TO DATE" in text
    assert f"Page 1 of {pages}" in text
    assert "Printed on July 15, 1986" in text
    assert "DOES NOT AGREE" not in text


def test_R_FU4_reports_of_every_employer_are_stored_when_the_rollover_completes(
    books, django_capture_on_commit_callbacks, eager_celery, settings, tmp_path
):
    from django.db import transaction

    from vesting.signals import rollover_completed

    settings.MEDIA_ROOT = tmp_path
    employer, other = books
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rollover_completed.send(sender=None, policy_year=YEAR, run_id=7)
    documents = FundReportDocument.objects.filter(policy_year=YEAR)
    assert {d.employer_id for d in documents} == {employer.pk, other.pk, None}
    job = documents.first().job
    assert job.status == "succeeded" and job.done == job.total == 3
    mine = documents.get(employer=employer)
    text = PdfReader(mine.pdf.open("rb")).pages[0].extract_text()
    assert "2,928.69" in text and "MENDOCINO COUNTY SCHOOLS" in text
    # The same job again (a retried task) stores nothing more.
    services.fund_reports_generate(policy_year=YEAR, job_id=job.pk)
    assert FundReportDocument.objects.filter(policy_year=YEAR).count() == 3


def test_a_year_that_has_not_ended_has_no_year_end_report(books):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="ends on June 30, 1986"):
        services.fund_reports_request(policy_year=1985, today=date(1986, 6, 30))


# --- The independent recomputation: a plain Python walk over Posting rows ------------------

REFUNDS = {"lump_sum_payout", "continuation_premium", "beneficiary_payment"}


def _postings(employer_id, end):
    rows = Posting.objects.filter(
        account__fund__kind__in=["general_trust", "vested_trust", "district"],
        effective_date__lte=end,
    ).select_related("transaction__reverses", "account__fund")
    if employer_id is not None:
        rows = rows.filter(account__fund__employer_id=employer_id)
    for p in rows:
        signed = p.amount if p.direction == p.account.normal_balance else -p.amount
        t = p.transaction
        source = t.reverses or t
        kind = source.kind
        period = source.period_start or source.effective_date
        yield p, signed, kind, period


def ledger_balances_from_postings(employer_id, end):
    totals = defaultdict(lambda: D("0.00"))
    for p, signed, _, _ in _postings(employer_id, end):
        totals[p.account.fund.kind] += signed
    return totals


def python_fund_report(employer_id, policy_year):
    start, end = date(policy_year, 7, 1), date(policy_year + 1, 6, 30)
    f = defaultdict(lambda: D("0.00"))
    per_side = defaultdict(lambda: {"prior": D("0.00"), "refunded": D("0.00")})
    for p, signed, kind, period in _postings(employer_id, end):
        fund = p.account.fund.kind
        before = p.effective_date < start
        if fund == "district":
            if kind == "interest":
                f["interest_forward" if before else "interest_earned"] += signed
            elif kind == "administrative_expense":
                f["admin_forward" if before else "admin_expenses"] += signed
            elif kind == "unvested_transfer":
                f["unvested_forward" if before else "unvested_year"] += signed
            continue
        if kind in REFUNDS:
            f["total_refunds_to_date"] -= signed
        if before:
            f["balance_forward"] += signed
        elif kind == "employer_contribution":
            f["employer_cost"] += signed
        elif kind == "claim_payment":
            f["prior_year_claims" if period < start else "claims_processed"] += signed
        elif kind == "unvested_transfer":
            f["unvested_adjustment"] += signed
        elif kind in REFUNDS:
            f["refunds"] += signed
        if fund == "vested_trust":
            side = per_side[p.account_id]
            if before or (kind in {"vesting_transfer", "runout_recovery"} and period < start):
                side["prior"] += signed
            elif kind in REFUNDS:
                side["refunded"] -= signed
    current = sum(
        (max(s["refunded"] - max(s["prior"], D("0.00")), D("0.00")) for s in per_side.values()),
        D("0.00"),
    )
    f["current_refunds"] = -current
    f["prior_refunds"] = f.pop("refunds", D("0.00")) + current
    f["prior_subtotal"] = (
        f["balance_forward"]
        + f["unvested_adjustment"]
        + f["prior_refunds"]
        + f["prior_year_claims"]
    )
    f["current_subtotal"] = f["employer_cost"] + f["claims_processed"] + f["current_refunds"]
    f["employee_cumulative_total"] = f["prior_subtotal"] + f["current_subtotal"]
    f["interest_total"] = f["interest_forward"] + f["interest_earned"]
    f["admin_total"] = f["admin_forward"] + f["admin_expenses"]
    f["unvested_total"] = f["unvested_forward"] + f["unvested_year"]
    f["district_subtotal"] = f["interest_total"] + f["admin_total"] + f["unvested_total"]
    f["total_fund_balance"] = f["employee_cumulative_total"] + f["district_subtotal"]
    keys = list(HAND)
    return {key: f[key] for key in keys}
