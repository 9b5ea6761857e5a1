"""The report pages and API through the test client: the dashboard, the payroll export
(R-PR2) with its month close, the fund report pages (R-FU4) and employee self-service
(own records only)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reports import selectors
from reports.models import FundReportDocument
from staywell.models import Job
from tests.factories import (
    EmployerFactory,
    ProgramFactory,
    UserFactory,
    hire,
    mark_separated,
    pay_claim,
    reports_scenario,
)
from vesting import ledger
from vesting.models import MonthClose, Posting, Transaction, VestingLine

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def scenario():
    return reports_scenario()


@pytest.fixture
def eager_celery(django_capture_on_commit_callbacks):
    """Queued tasks run in-process; ``eager_celery(fn)`` calls ``fn`` and then runs what
    it queued on commit (the test's own transaction never commits)."""
    from staywell.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            result = call()
        return result

    yield run
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def client_for(client, username, role):
    client.force_login(UserFactory(username=username, role=role))
    return client


# --- Dashboard ---------------------------------------------------------------------------


def test_dashboard_shows_the_pools_funds_charts_and_tables(superintendent_client, scenario):
    response = superintendent_client.get("/dashboard/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Plan dashboard</h1>" in html
    assert "as of June 30, 1985" in html
    # Balances now: the side accounts hold 412.50 + 500 + 318.25 (Ann) + 777.77 (Bob).
    assert "$2,008.52" in html
    for chart in ("chart-balances", "chart-flows", "chart-district", "chart-tiers"):
        assert f'<canvas id="{chart}" role="img" aria-label="' in html
    assert 'id="dashboard-charts" type="application/json"' in html
    assert "chart.umd.min.js" in html
    assert '<caption id="table-balances-caption">' in html
    # June 30: 1984-85 is not rolled over yet, so its share is an estimate, said as such.
    assert "so part of their allotment will vest." in html
    assert "1984-85 is not rolled over yet: this is an estimate" in html


def test_dashboard_figures_tie_to_the_ledger(scenario):
    data = selectors.dashboard(employer_id=None)
    assert data.as_of == date(1985, 6, 30)
    assert data.vested_liability == D("2008.52")
    assert data.balances["district"] == D("131.00")  # 4 x 55.25 interest - 90.00 costs
    assert data.interest_ytd == D("221.00") and data.admin_ytd == D("90.00")
    assert dict((v, n) for v, _, n in data.tiers) == {
        "full": 2,
        "three_quarter": 1,
        "self_pay": 0,
        "grandfathered": 0,
    }
    flows = dict(zip(data.flows_by_month.labels, data.flows_by_month.rows(), strict=True))
    assert flows["Feb 1985"][1] == [D("83.34"), D("610.00")]
    balances = data.balances_by_month
    assert balances.labels[-1] == "Jun 1985"
    assert balances.datasets["Vested Trust Fund"][-1] == D("2008.52")
    # 1984-85: Ann's claims (120.00) stayed under the deductible, Bob's (610.00) did not.
    share = data.deductible_share
    assert (share.label, share.families, share.under, share.percent) == ("1984-85", 2, 1, D("50.0"))
    assert share.estimated  # from the claim postings: the rollover has not run
    s = data.savings
    assert s.full_months == 24 and s.major_medical_rate == D("141.30")
    assert s.carrier_premiums == D("3391.20")
    assert s.contributions == D("1000.08")  # 24 months x 41.67, from the month closes
    assert s.claims == D("730.00")
    assert s.full_coverage_cost == D("4391.28")
    assert s.actual_cost == D("3990.20")  # 3391.20 + 730.00 + 90.00 - 221.00
    assert s.savings == D("401.08")


def test_dashboard_filters_one_employer_and_is_never_stale(superintendent_client, scenario):
    other = ProgramFactory(employer=EmployerFactory(code="UKI", name="Ukiah Unified"))
    ledger.post_employer_contribution(employer=other.employer, year=1985, month=6, amount=D("9.99"))
    pool = selectors.dashboard(employer_id=None)
    mine = selectors.dashboard(employer_id=scenario.employer.pk)
    assert pool.balances["general_trust"] - mine.balances["general_trust"] == D("9.99")
    ledger.post_interest(
        employer=scenario.employer,
        amount=D("1.11"),
        period_start=date(1985, 6, 1),
        period_end=date(1985, 6, 30),
        earned_by="district",
    )
    html = superintendent_client.get(
        f"/dashboard/?employer={scenario.employer.pk}"
    ).content.decode()
    assert "Mendocino County Schools: the plan's funds for this employer" in html
    assert "$222.11" in html  # interest to date, including the entry just posted


def test_dashboard_query_count_does_not_grow_with_employees(
    superintendent_client, scenario, django_assert_max_num_queries
):
    for n in range(15):
        hire(program=scenario.program, number=f"9{n:03d}", last_name=f"Extra{n}")
    with django_assert_max_num_queries(25):
        assert superintendent_client.get("/dashboard/").status_code == 200


def test_dashboard_on_an_empty_installation(superintendent_client):
    response = superintendent_client.get("/dashboard/")
    assert response.status_code == 200
    assert "No ledger entries yet." in response.content.decode()


@pytest.mark.parametrize("role", ["clerk", "payroll", "employee"])
def test_dashboard_and_fund_reports_are_for_the_superintendent_office_only(client, role):
    client_for(client, f"{role}-x", role)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/fund-reports/").status_code == 403
    assert client.get("/api/v1/fund-reports/1984/").status_code == 403


# --- Fund reports (R-FU4) -----------------------------------------------------------------


def test_R_FU4_fund_report_page_and_pdf(superintendent_client, scenario):
    query = f"?policy_year=1984-85&employer={scenario.employer.pk}"
    html = superintendent_client.get(f"/fund-reports/report/{query}").content.decode()
    assert "Financial report as of June 30, 1985" in html
    assert 'data-line="employer_cost"' in html and "1,000.08" in html
    assert 'data-line="claims_processed"' in html and "(730.00)" in html
    assert "agrees with the ledger's balances to the cent" in html
    pdf = superintendent_client.get(f"/fund-reports/report.pdf{query}")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    api = superintendent_client.get(
        f"/api/v1/fund-reports/1984-85/?employer={scenario.employer.pk}"
    )
    lines = {line["key"]: line["amount"] for line in api.json()["lines"]}
    assert lines["employee_cumulative_total"] == "270.08"
    assert all(check["ok"] for check in api.json()["checks"])


def test_R_FU4_a_year_not_ended_has_no_report(superintendent_client, scenario):
    assert superintendent_client.get("/fund-reports/report/?policy_year=2999-00").status_code == 404
    assert superintendent_client.get("/api/v1/fund-reports/2999-00/").status_code == 404


def test_R_FU4_generate_now_stores_every_employers_report(
    superintendent_client, superintendent_user, scenario, eager_celery
):
    response = eager_celery(
        lambda: superintendent_client.post(
            "/fund-reports/generate/", {"generate-policy_year": "1984"}
        )
    )
    assert response.status_code == 302
    job = Job.objects.get(kind="fund_reports")
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == Job.Status.SUCCEEDED and job.created_by == superintendent_user
    assert job.result_filename == "fund-reports-1984-85.zip"
    documents = FundReportDocument.objects.filter(policy_year=1984)
    assert {d.employer_id for d in documents} == {scenario.employer.pk, None}
    listing = superintendent_client.get("/fund-reports/").content.decode()
    document = documents.get(employer=scenario.employer)
    assert f"/fund-reports/documents/{document.pk}/" in listing
    download = superintendent_client.get(f"/fund-reports/documents/{document.pk}/")
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_R_FU4_generate_now_shows_the_progress_bar_with_htmx(
    superintendent_client, scenario, eager_celery
):
    response = eager_celery(
        lambda: superintendent_client.post(
            "/fund-reports/generate/", {"generate-policy_year": "1984-85"}, HTTP_HX_REQUEST="true"
        )
    )
    html = response.content.decode()
    assert '<progress class="sw-progress" max="100"' in html
    assert 'hx-trigger="every 1s"' in html  # the bar polls the job
    job = Job.objects.get(kind="fund_reports")
    polled = superintendent_client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert '<progress class="sw-progress" max="100" value="100"' in polled
    assert "Download fund-reports-1984-85.zip" in polled


# --- Payroll export (R-PR2) ---------------------------------------------------------------


@pytest.fixture
def small_employer():
    """Two FULL employees in program 0100 and a 25-hour one in 6500, October 1983 (the 1983
    schedule of R-PR1, from the data migration); a temporary is not charged (R-EL1)."""
    employer = EmployerFactory(code="AV", name="Anderson Valley Unified")
    general = ProgramFactory(employer=employer, code="0100", name="General administration")
    special = ProgramFactory(employer=employer, code="6500", name="Special education")
    hired = date(1983, 7, 1)
    hire(program=general, number="11", first_name="Ada", last_name="Avila", hire_date=hired)
    hire(program=general, number="12", first_name="Ben", last_name="Bond", hire_date=hired)
    hire(
        program=special,
        number="13",
        first_name="Cora",
        last_name="Cruz",
        hire_date=hired,
        weekly_hours=D("25.00"),
    )
    hire(program=special, number="14", last_name="Temp", hire_date=hired, status="temporary")
    return employer


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def test_R_PR2_csv_has_one_line_per_employee_with_both_shares_and_program_totals(
    client, small_employer
):
    client_for(client, "payroll-a", "payroll")
    response = client.post(
        "/payroll/export/", {"employer": small_employer.pk, "month": "1983-10", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="premium-charges-AV-1983-10.csv"' in response["Content-Disposition"]
    rows = _rows(response.content)
    employees = [r for r in rows if r["record"] == "employee"]
    assert [(r["program_code"], r["employee_number"], r["tier"]) for r in employees] == [
        ("0100", "11", "full"),
        ("0100", "12", "full"),
        ("6500", "13", "three_quarter"),
    ]
    full = employees[0]
    assert (
        full["major_medical_employer"],
        full["trust_fund_employer"],
        full["dental_employer"],
    ) == (
        "133.93",
        "41.67",
        "30.00",
    )
    assert (full["employer_total"], full["employee_total"], full["total"]) == (
        "205.60",
        "0.00",
        "205.60",
    )
    three_quarter = employees[2]
    assert three_quarter["major_medical_employer"] == "133.93"
    assert three_quarter["trust_fund_employer"] == "0.00"
    assert (three_quarter["dental_employer"], three_quarter["dental_employee"]) == ("22.50", "7.50")
    assert (three_quarter["employer_total"], three_quarter["employee_total"]) == ("156.43", "7.50")
    programs = {r["program_code"]: r for r in rows if r["record"] == "program_total"}
    assert programs["0100"]["major_medical_employer"] == "267.86"
    assert programs["0100"]["trust_fund_employer"] == "83.34"
    assert programs["0100"]["employer_total"] == "411.20"
    assert (programs["6500"]["employer_total"], programs["6500"]["employee_total"]) == (
        "156.43",
        "7.50",
    )
    total = next(r for r in rows if r["record"] == "employer_total")
    assert (total["employer_total"], total["employee_total"], total["total"]) == (
        "567.63",
        "7.50",
        "575.13",
    )


def test_R_PR2_export_closes_the_month_once(client, small_employer):
    client_for(client, "payroll-b", "payroll")
    form = {"employer": small_employer.pk, "month": "1983-10", "format": "csv"}
    first = client.post("/payroll/export/", form)
    assert first["X-Month-Close"] == "closed-now"
    close = MonthClose.objects.get(employer=small_employer, year=1983, month=10)
    assert close.employer_amount == D("83.34") and close.transaction is not None
    assert close.closed_by.username == "payroll-b"
    transactions = Transaction.objects.filter(employer=small_employer).count()

    second = client.post("/payroll/export/", {**form, "format": "xlsx"})
    assert second["X-Month-Close"] == "already-closed"
    assert Transaction.objects.filter(employer=small_employer).count() == transactions
    page = client.get(f"/payroll/?employer={small_employer.pk}&month=1983-10").content.decode()
    assert "October 1983 was closed on" in page and "by payroll-b" in page
    assert "already closed on" in page and "this export posted nothing more" in page  # message
    assert _rows(first.content) == _rows(client.post("/payroll/export/", form).content)


def test_R_PR2_xlsx_opens_and_sums_right(client, small_employer):
    client_for(client, "payroll-c", "payroll")
    response = client.post(
        "/payroll/export/", {"employer": small_employer.pk, "month": "1983-10", "format": "xlsx"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    rows = [
        dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    employees = [r for r in rows if r["record"] == "employee"]
    total = next(r for r in rows if r["record"] == "employer_total")
    assert sum(D(str(r["employer_total"])) for r in employees) == D(str(total["employer_total"]))
    assert D(str(total["total"])) == D("575.13")
    assert sheet.cell(row=2, column=header.index("total") + 1).number_format == "0.00"


def test_R_PR2_a_month_out_of_order_is_refused_and_nothing_is_posted(client, small_employer):
    client_for(client, "payroll-d", "payroll")
    client.post(
        "/payroll/export/", {"employer": small_employer.pk, "month": "1983-10", "format": "csv"}
    )
    before = Transaction.objects.count()
    response = client.post(
        "/payroll/export/", {"employer": small_employer.pk, "month": "1983-12", "format": "csv"}
    )
    assert response.status_code == 400
    assert "the next month to close is November 1983" in response.content.decode()
    assert Transaction.objects.count() == before


def test_R_PR2_api_reads_without_closing_and_exports_with_closing(client, small_employer):
    client_for(client, "payroll-e", "payroll")
    url = f"/api/v1/payroll/charges/?employer={small_employer.pk}&month=1983-10"
    body = client.get(url).json()
    assert body["total"]["employer_total"] == "567.63"
    assert {p["program_code"]: p["employer_total"] for p in body["programs"]} == {
        "0100": "411.20",
        "6500": "156.43",
    }
    assert body["month_close"]["closed"] is False
    as_csv = client.get(url + "&format=csv")
    assert as_csv["Content-Type"].startswith("text/csv")
    assert _rows(as_csv.content)[-1]["total"] == "575.13"
    assert client.get(url, HTTP_ACCEPT="text/csv")["Content-Type"].startswith("text/csv")
    assert not MonthClose.objects.filter(employer=small_employer).exists()

    export = client.post(
        "/api/v1/payroll/exports/",
        {"employer": small_employer.pk, "month": "1983-10"},
        content_type="application/json",
    )
    assert export.status_code == 200 and export["X-Month-Close"] == "closed-now"
    assert export.json()["month_close"]["closed_by"] == "payroll-e"
    again = client.post(
        "/api/v1/payroll/exports/",
        {"employer": small_employer.pk, "month": "1983-10"},
        content_type="application/json",
    )
    assert again["X-Month-Close"] == "already-closed"
    bad = client.get(f"/api/v1/payroll/charges/?employer={small_employer.pk}&month=10/1983")
    assert bad.status_code == 400 and "YYYY-MM" in bad.json()["month"][0]


def test_R_PR2_every_employer_in_one_csv_as_a_job(client, small_employer, eager_celery):
    other = ProgramFactory(employer=EmployerFactory(code="BO", name="Boonville"), code="0000")
    hire(program=other, number="21", last_name="Ortega", hire_date=date(1983, 7, 1))
    client_for(client, "payroll-f", "payroll")
    response = eager_celery(lambda: client.post("/payroll/all/", {"all-month": "1983-10"}))
    job = Job.objects.get(kind="payroll_export_all")
    assert response.status_code == 302 and job.status == Job.Status.SUCCEEDED
    rows = _rows(job.result.read())
    assert [r["employer_code"] for r in rows if r["record"] == "employer_total"] == ["AV", "BO"]
    pool = rows[-1]
    assert pool["record"] == "pool_total" and pool["employer_total"] == "773.23"  # 567.63 + 205.60
    assert MonthClose.objects.filter(year=1983, month=10).count() == 2


def test_R_PR2_every_employer_export_refuses_all_when_one_month_is_out_of_order(
    client, small_employer, eager_celery
):
    other = ProgramFactory(employer=EmployerFactory(code="BO", name="Boonville"), code="0000")
    ledger.month_close(employer_id=other.employer_id, year=1983, month=8)
    client_for(client, "payroll-g", "payroll")
    eager_celery(lambda: client.post("/payroll/all/", {"all-month": "1983-10"}))
    job = Job.objects.get(kind="payroll_export_all")
    assert job.status == Job.Status.FAILED
    assert "Boonville: months are closed in order; the next month to close is September 1983." in [
        e["message"] for e in job.errors
    ]
    assert not MonthClose.objects.filter(year=1983, month=10).exists()


@pytest.mark.parametrize("role", ["superintendent", "employee", "clerk"])
def test_R_PR2_payroll_pages_and_api_are_for_payroll_only(client, role, small_employer):
    client_for(client, f"{role}-p", role)
    assert client.get("/payroll/").status_code == 403
    assert client.post("/payroll/all/", {"all-month": "1983-10"}).status_code == 403
    url = f"/api/v1/payroll/charges/?employer={small_employer.pk}&month=1983-10"
    assert client.get(url).status_code == 403
    assert not MonthClose.objects.exists()


# --- Self-service: own records only ---------------------------------------------------------

BOBS_SECRETS = ("Baker", "777.77", "Secret Beneficiary", "610.00")


def test_employee_sees_own_coverage_deductible_balance_history_and_beneficiary_prompt(
    scenario, client
):
    client.force_login(scenario.user)
    html = client.get("/my/").content.decode()
    assert "Ann Able, employee 1001 of Mendocino County Schools" in html
    assert "Full (30+ hours)" in html
    assert '<dd id="deductible-used">$120.00</dd>' in html
    assert '<dd id="deductible-remaining">$380.00</dd>' in html
    assert '<p class="sw-card-figure" id="vested-balance">$1,230.75</p>' in html
    assert "1983-84" in html and "318.25" in html
    assert "No beneficiary statement on file" in html
    body = client.get("/api/v1/me/").json()
    assert body["vested_balance"] == "1230.75"
    assert body["deductible"] == {
        "policy_year": "1984-85",
        "deductible": "500.00",
        "used": "120.00",
        "remaining": "380.00",
    }
    assert [
        (h["policy_year"], h["vested"]) for h in body["history"] if h["status"] == "vested"
    ] == [
        ("1981-82", "412.50"),
        ("1982-83", "500.00"),
        ("1983-84", "318.25"),
    ]


def test_statement_pdf_is_the_employees_own(scenario, client):
    from pypdf import PdfReader

    client.force_login(scenario.user)
    response = client.get("/my/statement.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Ann Able" in text and "$1,230.75" in text and "Page 1 of" in text
    assert not any(secret in text for secret in BOBS_SECRETS)


def test_separated_employee_sees_the_R_VE7_payout_schedule(scenario, client):
    mark_separated(scenario.ann, on=date(1984, 9, 30))
    client.force_login(scenario.user)
    payouts = client.get("/api/v1/me/").json()["payouts"]
    assert [(p["amount"], p["due_on"]) for p in payouts] == [
        ("412.50", "1984-09-30"),
        ("500.00", "1984-09-30"),
        ("318.25", "1985-01-01"),  # the year before separation: six months after June 30
    ]
    assert "My payout schedule" in client.get("/my/").content.decode()


def test_another_employees_data_is_never_reachable(scenario, client, superintendent_user):
    bob = scenario.bob
    client.force_login(scenario.user)
    attempts = [
        "/my/",
        f"/my/?employee={bob.pk}",
        f"/my/?employee_id={bob.pk}&id={bob.pk}",
        "/my/statement.pdf",
        f"/my/statement.pdf?employee={bob.pk}",
        "/api/v1/me/",
        f"/api/v1/me/?employee={bob.pk}",
        f"/api/v1/employees/{bob.pk}/",
        f"/api/v1/employees/{bob.pk}/beneficiaries/",
        f"/api/v1/employees/{bob.pk}/side-account/",
        "/api/v1/employees/",
        "/dashboard/",
        f"/dashboard/?employer={bob.employer_id}",
        "/fund-reports/",
        f"/fund-reports/report/?policy_year=1984&employer={bob.employer_id}",
        "/fund-reports/report.pdf?policy_year=1984",
        "/payroll/",
        f"/payroll/?employer={bob.employer_id}&month=1985-07",
        f"/api/v1/payroll/charges/?employer={bob.employer_id}&month=1985-07",
        "/api/v1/fund-reports/1984/",
    ]
    for url in attempts:
        response = client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if url.startswith(("/my/", "/api/v1/me/")) or url == "/api/v1/employees/":
            assert response.status_code == 200, url  # her own records only
        else:
            assert response.status_code in (403, 404), (url, response.status_code)
        text = content.decode("latin-1")
        for secret in BOBS_SECRETS:
            assert secret not in text, (url, secret)
    # POSTs are refused too.
    assert (
        client.post(
            "/payroll/export/", {"employer": bob.employer_id, "month": "1985-07"}
        ).status_code
        == 403
    )
    assert client.post("/api/v1/payroll/exports/", {"employer": bob.employer_id}).status_code == 403


def test_self_service_pages_are_for_the_employee_role(client, scenario):
    client_for(client, "super-z", "superintendent")
    assert client.get("/my/").status_code == 403
    assert client.get("/my/statement.pdf").status_code == 403
    assert client.get("/api/v1/me/").status_code == 403


def test_employee_login_without_an_employee_record(employee_client_unlinked):
    assert (
        "not linked to an employee record" in employee_client_unlinked.get("/my/").content.decode()
    )
    assert employee_client_unlinked.get("/my/statement.pdf").status_code == 404
    assert employee_client_unlinked.get("/api/v1/me/").status_code == 404


@pytest.fixture
def employee_client_unlinked(client):
    return client_for(client, "employee-unlinked", "employee")


def test_claims_reversed_do_not_count_against_the_deductible(scenario, client):
    claim = pay_claim(
        employee=scenario.ann,
        amount="50.00",
        paid_on=date(1985, 3, 1),
        service_date=date(1985, 2, 20),
    )
    ledger.post_reversal(transaction=claim, reason="duplicate", effective_date=date(1985, 3, 9))
    client.force_login(scenario.user)
    assert client.get("/api/v1/me/").json()["deductible"]["used"] == "120.00"


def test_dashboard_claims_by_month_agree_with_the_claim_postings(scenario):
    """Claims per month are read from the payees' day totals less the other payments to
    payees (lump sums, beneficiaries, expenses); they must equal the claim postings."""
    bob = mark_separated(scenario.bob, on=date(1985, 1, 31))
    ledger.post_lump_sum_payout(employee=bob, amount=D("100.00"), effective_date=date(1985, 2, 20))
    ledger.post_administrative_expense(
        employer=scenario.employer,
        amount=D("12.34"),
        period_start=date(1985, 2, 1),
        period_end=date(1985, 2, 28),
        description="Printing",
        payee_name="Ukiah Printing",
    )
    voided = pay_claim(
        employee=scenario.ann,
        amount="50.00",
        paid_on=date(1985, 3, 1),
        service_date=date(1985, 2, 25),
    )
    ledger.post_reversal(transaction=voided, reason="duplicate", effective_date=date(1985, 4, 2))
    data = selectors.dashboard(employer_id=scenario.employer.pk)
    claims = dict(
        zip(
            data.flows_by_month.labels,
            data.flows_by_month.datasets["Trust-fund claims"],
            strict=True,
        )
    )
    direct: dict[str, Decimal] = {}
    for posting in Posting.objects.filter(
        account__fund__kind="general_trust", account__fund__employer=scenario.employer
    ).select_related("transaction__reverses"):
        source = posting.transaction.reverses or posting.transaction
        if source.kind == "claim_payment":
            label = f"{posting.effective_date:%b %Y}"
            signed = posting.amount if posting.direction == "credit" else -posting.amount
            direct[label] = direct.get(label, D("0.00")) + signed
    assert {k: v for k, v in claims.items() if v} == {k: v for k, v in direct.items() if v}
    assert claims["Feb 1985"] == D("610.00")
    assert claims["Mar 1985"] == D("50.00") and claims["Apr 1985"] == D("-50.00")


def test_families_under_the_deductible_read_the_rollovers_vesting_lines(scenario):
    extra = hire(program=scenario.program, number="1009", last_name="Partial")
    for employee, allotment, claims, full_year in (
        (scenario.ann, "500.00", "120.00", True),
        (scenario.bob, "500.00", "610.00", True),
        (extra, "250.01", "0.00", False),
    ):
        unused = max(D(allotment) - D(claims), D("0.00"))
        VestingLine.objects.create(
            employee=employee,
            policy_year=1984,
            allotment=D(allotment),
            trust_fund_claims=D(claims),
            unused=unused,
            full_year=full_year,
            amount=unused,
            outcome="vested",
            vested_on=date(1985, 7, 1),
        )
    share = selectors.families_under_deductible(
        employer_id=scenario.employer.pk, policy_year=1984, as_of=date(1985, 7, 1)
    )
    assert (share.families, share.under) == (2, 1)
    assert not share.estimated


def test_dashboard_balances_leave_out_postings_dated_after_the_reporting_date():
    """Month totals hold a whole month: a posting dated later in the month than the day
    reported on is taken back out (here one dated ahead of "today")."""
    employer = EmployerFactory()
    ledger.post_employer_contribution(employer=employer, year=1985, month=6, amount=D("100.00"))
    ledger.post_claim_payment(
        employer=employer, amount=D("30.00"), effective_date=date(1985, 6, 20)
    )

    early = selectors.dashboard(employer_id=employer.pk, today=date(1985, 6, 10))
    assert early.as_of == date(1985, 6, 10)  # the ledger has entries in today's year
    assert early.balances["general_trust"] == D("100.00")
    trust = early.balances_by_month.datasets["General Deductible Trust Fund"]
    assert (early.balances_by_month.labels[-1], trust[-1]) == ("Jun 1985", D("100.00"))
    flows = dict(zip(early.flows_by_month.labels, early.flows_by_month.rows(), strict=True))
    assert flows["Jun 1985"][1] == [D("100.00"), D("0.00")]

    late = selectors.dashboard(employer_id=employer.pk, today=date(1985, 6, 30))
    assert late.as_of == date(1985, 6, 30)
    assert late.balances["general_trust"] == D("70.00")
    flows = dict(zip(late.flows_by_month.labels, late.flows_by_month.rows(), strict=True))
    assert flows["Jun 1985"][1] == [D("100.00"), D("30.00")]


def test_a_task_for_a_job_that_is_gone_does_nothing():
    from reports.tasks import fund_reports_generate_task, payroll_export_all_task

    missing = "00000000-0000-0000-0000-000000000000"
    assert fund_reports_generate_task.run(policy_year=1984, job_id=missing) is None
    assert payroll_export_all_task.run(job_id=missing, year=1983, month=10) is None
    assert not FundReportDocument.objects.exists() and not MonthClose.objects.exists()
