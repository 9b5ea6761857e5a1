"""The report pages in a real browser: the superintendent's dashboard with its charts, the
employee's own account and statement, payroll's CSV, each for its own role only, and
each clean under axe-core (WCAG 2.1 AA)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.factories import UserFactory, reports_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scenario():
    data = reports_scenario()
    data.ann.user.set_password(PASSWORD)
    data.ann.user.save()
    UserFactory(username="super1", role="superintendent")
    UserFactory(username="payroll1", role="payroll")
    return data


@pytest.fixture
def eager_celery():
    from staywell.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def test_superintendent_sees_the_dashboard_with_charts(
    live_server, page, scenario, screenshot, axe_violations
):
    login(page, live_server.url, "super1", PASSWORD)
    assert page.url == f"{live_server.url}/dashboard/"
    assert page.get_by_role("heading", level=1).inner_text() == "Plan dashboard"
    for chart in ("chart-balances", "chart-flows", "chart-district", "chart-tiers"):
        canvas = page.locator(f"canvas#{chart}")
        assert canvas.get_attribute("role") == "img"
        assert page.evaluate(f"Chart.getChart('{chart}') !== undefined"), chart
        assert canvas.bounding_box()["width"] > 200, chart
    # Each chart has its table: the month-end balances of June 1985 are readable as text.
    table = page.get_by_role("table", name="Balances at month end, in dollars")
    assert "Jun 1985" in table.inner_text()
    assert (
        "Contributions"
        in page.get_by_role(
            "table", name="Contributions and claims per month, in dollars"
        ).inner_text()
    )
    assert page.get_by_text("Savings against full coverage").is_visible()
    screenshot(page, "reports-dashboard")
    assert axe_violations(page) == []

    page.get_by_label("Employer", exact=True).select_option(label="Mendocino County Schools (MCS)")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("networkidle")
    assert "Mendocino County Schools: the plan's funds for this employer" in page.content()
    assert axe_violations(page) == []


def test_superintendent_views_and_generates_the_R_FU4_fund_reports(
    live_server, page, scenario, screenshot, axe_violations, eager_celery, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    login(page, live_server.url, "super1", PASSWORD)
    page.goto(f"{live_server.url}/fund-reports/")
    assert axe_violations(page) == []
    page.get_by_label("Policy year (as of June 30)").select_option("1984-85")
    page.get_by_role("button", name="View report").click()
    page.wait_for_load_state("networkidle")
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Financial report as of June 30, 1985"
    )
    assert "agrees with the ledger's balances to the cent" in page.content()
    screenshot(page, "reports-fund-report")
    assert axe_violations(page) == []

    page.goto(f"{live_server.url}/fund-reports/")
    page.get_by_label("Policy year", exact=True).select_option("1984-85")
    page.get_by_role("button", name="Generate now").click()
    progress = page.locator("#generate-progress")
    progress.get_by_text("Finished").wait_for()
    assert progress.locator("progress").get_attribute("value") == "100"
    assert progress.get_by_role("link", name="Download fund-reports-1984-85.zip").is_visible()
    screenshot(page, "reports-fund-reports-generated")
    assert axe_violations(page) == []


def test_employee_sees_own_balance_and_downloads_the_statement(
    live_server, page, scenario, screenshot, axe_violations
):
    login(page, live_server.url, "employee1", PASSWORD)
    assert page.url == f"{live_server.url}/my/"
    assert page.get_by_role("heading", level=1).inner_text() == "My Stay-Well account"
    assert page.locator("#vested-balance").inner_text() == "$1,230.75"
    assert page.locator("#deductible-used").inner_text() == "$120.00"
    assert page.locator("#deductible-remaining").inner_text() == "$380.00"
    assert page.get_by_text("No beneficiary statement on file").is_visible()
    body = page.content()
    assert "Baker" not in body and "Secret Beneficiary" not in body and "777.77" not in body
    screenshot(page, "reports-my-account")
    assert axe_violations(page) == []

    with page.expect_download() as info:
        page.get_by_role("link", name="Download my statement (PDF)").click()
    download = info.value
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF")
    assert download.suggested_filename.startswith("stay-well-statement-")


def test_payroll_downloads_the_R_PR2_csv_and_the_month_closes_once(
    live_server, page, scenario, screenshot, axe_violations
):
    login(page, live_server.url, "payroll1", PASSWORD)
    assert page.url == f"{live_server.url}/payroll/"
    page.get_by_label("Employer", exact=True).select_option(label="Mendocino County Schools (MCS)")
    page.locator("#id_month").fill("1985-07")
    page.get_by_role("button", name="Show the charges").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Mendocino County Schools, July 1985").is_visible()
    screenshot(page, "reports-payroll")
    assert axe_violations(page) == []

    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV and close July 1985").click()
    download = info.value
    assert download.suggested_filename == "premium-charges-MCS-1985-07.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    employees = [row for row in rows if row["record"] == "employee"]
    assert [row["employee_name"] for row in employees] == ["Able, Ann", "Baker, Bob", "Cole, Cal"]
    total = next(row for row in rows if row["record"] == "employer_total")
    assert total["trust_fund_employer"] == "83.34"

    page.reload()
    assert page.get_by_text("was closed on").is_visible()
    assert page.get_by_role("button", name="Download CSV", exact=True).is_visible()


def test_each_report_page_is_for_its_own_role_only(live_server, browser, scenario):
    cases = [
        ("employee1", ["/dashboard/", "/payroll/", "/fund-reports/"]),
        ("payroll1", ["/dashboard/", "/my/", "/fund-reports/"]),
        ("super1", ["/payroll/", "/my/"]),
    ]
    for username, paths in cases:
        context = browser.new_context()
        page = context.new_page()
        login(page, live_server.url, username, PASSWORD)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 403, (username, path)
            heading = page.get_by_role("heading", level=1).inner_text()
            assert heading == "This page is not available to you", (username, path)
        context.close()
