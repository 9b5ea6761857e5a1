"""Plan economics in a real browser (section 8): the superintendent goes from the
dashboard to the results since inception, opens the ten-year projection, changes an
assumption, saves the scenario and downloads the PDF; axe-core finds no WCAG 2.1 AA
violation on any page (figures worked by hand in tests/functional/test_economics_pages.py).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from reports.models import ProjectionScenario
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.factories import UserFactory, economics_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def employer():
    from django.core.cache import cache

    cache.clear()  # the pages keep their figures in the cache, which outlives a test run
    UserFactory(username="super1", role="superintendent")
    return economics_scenario()


def test_superintendent_projects_saves_a_scenario_and_downloads_the_pdf(
    live_server, page, employer, screenshot, axe_violations
):
    from pypdf import PdfReader

    login(page, live_server.url, "super1", PASSWORD)
    page.get_by_role(
        "link", name=re.compile("^Plan economics: the results since inception")
    ).click()
    page.wait_for_load_state("networkidle")
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == "Plan economics: results since inception"
    )
    assert axe_violations(page) == []

    # The employer's results: the hand-worked savings, the chart and its table.
    page.get_by_label("Employer", exact=True).select_option(label="Stay Well District (SWD)")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#total-savings").inner_text() == "$670.16"
    assert page.evaluate("Chart.getChart('chart-savings') !== undefined")
    table = page.get_by_role("table", name="Savings per policy year, in dollars")
    assert "670.16" in table.inner_text()
    screenshot(page, "economics-results")
    assert axe_violations(page) == []

    # The projection: ten years of four options from the history.
    page.get_by_role("link", name="Ten-year projection").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Plan economics: the next ten years"
    deductible = page.get_by_label("Deductible", exact=True)
    assert deductible.input_value() == "500.00"
    before = page.locator("#stay-well").inner_text()
    assert axe_violations(page) == []

    # Change an assumption and project again: nothing is saved yet.
    deductible.fill("750.00")
    page.get_by_role("button", name="Project").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_label("Deductible", exact=True).input_value() == "750.00"
    assert page.locator("#stay-well").inner_text() != before
    assert ProjectionScenario.objects.count() == 0
    assert page.evaluate("Chart.getChart('chart-costs') !== undefined")
    assert axe_violations(page) == []

    # Save it as a named scenario.
    page.get_by_label("Scenario name").fill("Deductible $750")
    page.get_by_role("button", name="Save as scenario").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Scenario “Deductible $750” saved.").is_visible()
    assert page.get_by_role("link", name="Deductible $750").is_visible()
    saved = ProjectionScenario.objects.get()
    assert (saved.employer_id, str(saved.deductible)) == (employer.pk, "750.00")
    screenshot(page, "economics-projection")
    assert axe_violations(page) == []

    # Download the PDF of these assumptions.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the PDF").click()
    download = info.value
    assert download.suggested_filename == "plan-economics-SWD-1985-06-30.pdf"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF")
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "670.16" in words and "Deductible $750" in re.sub(r"\s+", " ", words)

    # The utilization watch of the employer, from the dashboard's pages too.
    page.get_by_role("link", name="Utilization watch").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role(
        "table", name=re.compile("^Full-tier families covered all year")
    ).is_visible()
    assert axe_violations(page) == []
