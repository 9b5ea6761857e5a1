"""The plan economics pages and API (section 8) through the test client: results since
inception with hand-worked figures, the CSV and the PDF, the projection with its
assumptions and saved scenarios, the utilization watch (the pool's as a job with a
progress bar), who may see what.

The scenario, worked by hand: an employer with two FULL-tier employees, Ann and Bob
(hired 1980), the 1983 schedule every year (carrier 133.93 and trust fund 41.67 a
month), contributions of 2 x 41.67 = 83.34 every month from July 1983 to June 1985:

    1983-84: contributions 12 x 83.34 = 1,000.08; 24 full-tier months; carrier premiums
             24 x 133.93 = 3,214.32; full coverage 3,214.32 + 1,000.08 = 4,214.40.
             Claims: Ann 300.00 (all trust fund), Bob 1,200.00 allowed (trust fund 500.00,
             the carrier 700.00): trust-fund claims 800.00. Costs 20.00, interest 30.00.
             Plan cost 3,214.32 + 800 + 20 - 30 = 4,004.32; savings 210.08.
             July 1, 1984 rollover: Ann vests 500 - 300 = 200.00, Bob nothing; Ann stayed
             under the deductible, Bob did not: 1 of 2 families (50.0%).
    1984-85: contributions 1,000.08; claims Ann 100.00 (preventive) + Bob 450.00 (office)
             = 550.00; costs 40.00; interest 2 x 25.00 = 50.00; savings 1,000.08 - 550 -
             40 + 50 = 460.08; plan cost 3,214.32 + 550 + 40 - 50 = 3,754.32; vested
             200.00 (dated July 1, 1984), kept 460.08 - 200 = 260.08; liability 200.00.
    Since inception: savings 210.08 + 460.08 = 670.16; kept 210.08 + 260.08 = 470.16.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from reports.models import ProjectionScenario
from staywell.models import Job
from tests.factories import EmployerFactory, UserFactory, celery_eager, economics_scenario

pytestmark = pytest.mark.django_db

D = Decimal
NOW = datetime(1985, 7, 10, 10, tzinfo=ZoneInfo("America/Los_Angeles"))
PAGES = (
    "/economics/",
    "/economics/results.csv",
    "/economics/projection/",
    "/economics/utilization/",
    "/economics/report.pdf",
)
API = (
    "/api/v1/economics/results/",
    "/api/v1/economics/projection/",
    "/api/v1/economics/utilization/",
    "/api/v1/economics/scenarios/",
)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """The pool's utilization watch is kept in the cache (Redis outlives a test run)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def scenario():
    """The employer of the module docstring, rolled over for 1983-84."""
    return economics_scenario()


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Who may see what -------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_for_the_superintendent_and_administrators(
    path,
    scenario,
    superintendent_client,
    administrator_client,
    clerk_client,
    payroll_client,
    employee_client,
    client,
):
    assert superintendent_client.get(path).status_code == 200
    assert administrator_client.get(path).status_code == 200
    for other in (clerk_client, payroll_client, employee_client):
        assert other.get(path).status_code == 403
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


@pytest.mark.parametrize("path", API)
def test_the_api_is_for_the_superintendent_and_administrators(
    path,
    scenario,
    superintendent_client,
    administrator_client,
    clerk_client,
    payroll_client,
    employee_client,
    client,
):
    assert superintendent_client.get(path).status_code == 200
    assert administrator_client.get(path).status_code == 200
    for other in (clerk_client, payroll_client, employee_client):
        assert other.get(path).status_code == 403
    assert client.get(path).status_code in (401, 403)


def test_writes_are_refused_to_other_roles_and_save_nothing(
    scenario, clerk_client, employee_client, payroll_client
):
    for other in (clerk_client, employee_client, payroll_client):
        assert other.post("/economics/scenarios/", {"name": "X"}).status_code == 403
        assert other.post("/economics/utilization/compute/").status_code == 403
        body = json.dumps({"name": "X"})
        assert (
            other.post(
                "/api/v1/economics/scenarios/", body, content_type="application/json"
            ).status_code
            == 403
        )
        assert other.post("/api/v1/economics/utilization/").status_code == 403
    assert ProjectionScenario.objects.count() == 0
    assert not Job.objects.filter(kind="economics_utilization").exists()


def test_an_employee_sees_no_economics_in_the_navigation(
    scenario, employee_client, superintendent_client
):
    assert "Plan economics" not in text(employee_client.get("/my/"))
    page = text(superintendent_client.get("/dashboard/"))
    assert "<span>Plan economics</span>" in page
    assert 'id="economics-link"' in page


# --- Results since inception ----------------------------------------------------------------


def test_results_show_the_hand_worked_figures(scenario, superintendent_client):
    html = text(superintendent_client.get("/economics/", {"employer": scenario.pk}))
    assert "Stay Well District: what the plan has cost and saved" in html
    assert "as of June 30, 1985" in html
    assert '<span class="sw-card-figure" id="total-savings">$670.16</span>' in html
    assert '<span class="sw-card-figure" id="total-kept">$470.16</span>' in html
    assert '<span class="sw-card-figure" id="total-interest">$80.00</span>' in html
    assert '<span class="sw-card-figure" id="vested-liability">$200.00</span>' in html
    # 1983-84: months, full coverage, premiums, claims, costs, interest, plan cost, savings
    row = re.search(r'<tr data-year="1983">(.*?)</tr>', html).group(1)
    cells = re.findall(r'<td class="sw-money">([^<]*)</td>', row)
    assert cells[:9] == [
        "24", "4,214.40", "3,214.32", "800.00", "20.00", "30.00", "4,004.32", "210.08", "0.00"
    ]  # fmt: skip
    row = re.search(r'<tr data-year="1984">(.*?)</tr>', html).group(1)
    cells = re.findall(r'<td class="sw-money">([^<]*)</td>', row)
    assert cells[:8] == [
        "24",
        "4,214.40",
        "3,214.32",
        "550.00",
        "40.00",
        "50.00",
        "3,754.32",
        "460.08",
    ]
    # R-VE2: the rollover's lines: Ann under, Bob not.
    assert "1 of 2 (50.0%)" in html
    assert "not rolled over" in html  # 1984-85
    assert 'canvas id="chart-savings"' in html and 'id="economics-charts"' in html


def test_the_pool_lists_each_employer(scenario, superintendent_client):
    html = text(superintendent_client.get("/economics/"))
    assert "All employers of the pool" in html
    assert f'href="/economics/?employer={scenario.pk}">Stay Well District</a>' in html


def test_the_csv_has_every_figure_of_each_year(scenario, superintendent_client):
    response = superintendent_client.get("/economics/results.csv", {"employer": scenario.pk})
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="plan-economics-SWD-1985-06-30.csv"'
    )
    rows = response.content.decode().splitlines()
    assert rows[0].startswith("policy_year,complete,full_tier_months,full_coverage_cost")
    assert rows[1] == (
        "1983-84,yes,24,4214.40,3214.32,1000.08,800.00,20.00,30.00,4004.32,210.08,210.08,"
        "0.00,210.08,0.00,0.00,0.00,0.00,2,1"
    )
    assert rows[2] == (
        "1984-85,yes,24,4214.40,3214.32,1000.08,550.00,40.00,50.00,3754.32,460.08,670.16,"
        "200.00,260.08,0.00,0.00,200.00,0.00,,"
    )


def test_the_pdf_prints_results_projection_and_utilization(scenario, superintendent_client):
    from pypdf import PdfReader

    response = superintendent_client.get("/economics/report.pdf", {"employer": scenario.pk})
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="plan-economics-SWD-1985-06-30.pdf"'
    )
    words = re.sub(
        r"\s+",
        " ",
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages),
    )
    assert "Results since inception" in words
    assert "670.16" in words and "4,004.32" in words
    assert "The next ten years" in words and "1994-95" in words
    assert "Sensitivity" in words and "(best)" in words
    assert "Utilization watch" in words


# --- The projection and its scenarios ----------------------------------------------------------


def assumptions(client, employer):
    """The form's initial values as a POST body."""
    html = client.get("/economics/projection/", {"employer": employer.pk}).content.decode()
    values = dict(re.findall(r'<input type="text" name="(\w+)" value="([^"]*)"', html))
    values.update(re.findall(r'<input type="number" name="(\w+)" value="([^"]*)"', html))
    values["employer"] = str(employer.pk)
    return values


def test_the_projection_shows_ten_years_of_four_options(scenario, superintendent_client):
    html = text(superintendent_client.get("/economics/projection/", {"employer": scenario.pk}))
    for label in (
        "Stay-Well as configured",
        "Full coverage",
        "High-deductible plan with HSA",
        "State pool",
    ):
        assert f'<th scope="col" class="sw-money">{label}</th>' in html
    assert (
        html.count('<th scope="row">1985-86</th>') >= 2 and '<th scope="row">1994-95</th>' in html
    )
    assert "Sensitivity: the deductible from $250 to $2,000" in html
    assert 'id="best-deductible"' in html
    # The history read: two employees covered on June 30, 1985, both in the full tier.
    assert "2 (2)" in html
    assert 'name="deductible"' in html and 'value="500.00"' in html


def test_changing_an_assumption_projects_again_and_saves_nothing(scenario, superintendent_client):
    base = assumptions(superintendent_client, scenario)
    before = text(superintendent_client.post("/economics/projection/", base))
    changed = text(
        superintendent_client.post("/economics/projection/", {**base, "deductible": "1000.00"})
    )
    assert 'value="1000.00"' in changed
    stay_well = lambda html: re.search(r'id="stay-well".*?</table>', html).group(0)  # noqa: E731
    assert stay_well(before) != stay_well(changed)
    assert ProjectionScenario.objects.count() == 0


def test_bad_assumptions_are_shown_inline_and_nothing_is_saved(scenario, superintendent_client):
    base = assumptions(superintendent_client, scenario)
    response = superintendent_client.post(
        "/economics/scenarios/",
        {**base, "maximum_vest": "600.00", "interest_rate": "abc", "name": "Too generous"},
    )
    assert response.status_code == 400
    html = text(response)
    assert "The maximum vest cannot be more than the deductible (R-VE2)." in html
    assert "Enter a number." in html
    assert "nothing was saved" in html
    assert ProjectionScenario.objects.count() == 0


def test_a_scenario_is_saved_changed_opened_and_deleted(scenario, superintendent_client):
    base = assumptions(superintendent_client, scenario)
    response = superintendent_client.post(
        "/economics/scenarios/",
        {**base, "major_medical_inflation": "12.00", "name": "Carrier +12%"},
    )
    saved = ProjectionScenario.objects.get()
    assert response.status_code == 302
    assert (
        response["Location"] == f"/economics/projection/?employer={scenario.pk}&scenario={saved.pk}"
    )
    assert (saved.employer_id, saved.major_medical_inflation, saved.name) == (
        scenario.pk,
        D("12.00"),
        "Carrier +12%",
    )
    page = text(superintendent_client.get(response["Location"]))
    assert "Scenario “Carrier +12%” saved." in page
    assert "Assumptions: scenario “Carrier +12%”" in page
    assert 'value="12.00"' in page
    # The same name again changes it.
    again = superintendent_client.post(
        "/economics/scenarios/",
        {**base, "major_medical_inflation": "9.50", "name": " Carrier  +12% "},
    )
    assert "Scenario “Carrier +12%” changed." in text(superintendent_client.get(again["Location"]))
    saved.refresh_from_db()
    assert ProjectionScenario.objects.count() == 1 and saved.major_medical_inflation == D("9.50")
    # Another employer's page neither lists nor opens it.
    other = EmployerFactory(code="OTH", name="Other District")
    assert "Carrier +12%" not in text(
        superintendent_client.get("/economics/projection/", {"employer": other.pk})
    )
    refused = superintendent_client.post(
        f"/economics/scenarios/{saved.pk}/delete/", {"employer": other.pk}
    )
    assert refused.status_code == 404
    deleted = superintendent_client.post(
        f"/economics/scenarios/{saved.pk}/delete/", {"employer": scenario.pk}
    )
    assert deleted.status_code == 302
    assert ProjectionScenario.objects.count() == 0


def test_the_pdf_of_the_assumptions_typed(scenario, superintendent_client):
    base = assumptions(superintendent_client, scenario)
    response = superintendent_client.post(
        "/economics/report.pdf", {**base, "hdhp_deductible": "4000.00"}
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


# --- The utilization watch ---------------------------------------------------------------------


def test_an_employers_utilization_watch(scenario, superintendent_client):
    html = text(superintendent_client.get("/economics/utilization/", {"employer": scenario.pk}))
    # 1983-84: two families all year; Ann under the deductible (300), Bob over it (1,200).
    row = re.search(
        r'<table[^>]*id="utilization-families".*?<th scope="row">1983-84</th>(.*?)</tr>', html
    ).group(1)
    assert re.findall(r'<td class="sw-money">([^<]*)</td>', row) == [
        "2",
        "0 (0.0%)",
        "1 (50.0%)",
        "1 (50.0%)",
    ]
    row = re.search(
        r'<table[^>]*id="utilization-care".*?<th scope="row">1983-84</th>(.*?)</tr>', html
    ).group(1)
    # 2 claims / 2 families; no preventive claim; both claims paid carry a category.
    assert re.findall(r'<td class="sw-money">([^<]*)</td>', row) == ["1.00", "0.00", "0", "2 of 2"]


def test_the_pools_watch_runs_as_a_job_with_a_progress_bar(
    scenario, superintendent_client, django_capture_on_commit_callbacks
):
    page = text(superintendent_client.get("/economics/utilization/"))
    assert "Compute the pool's watch" in page
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        response = superintendent_client.post(
            "/economics/utilization/compute/", HTTP_HX_REQUEST="true"
        )
    assert "<progress" in text(response)
    job = Job.objects.get(kind="economics_utilization")
    assert job.status == Job.Status.SUCCEEDED and (job.done, job.total) == (job.total, job.total)
    assert job.result.name.endswith(".csv")
    html = text(superintendent_client.get("/economics/utilization/"))
    assert 'id="utilization-families"' in html and '<th scope="row">1983-84</th>' in html


# --- The API -------------------------------------------------------------------------------


def test_api_results_are_the_pages_figures(scenario, superintendent_client):
    data = superintendent_client.get("/api/v1/economics/results/", {"employer": scenario.pk}).json()
    first, second = data["years"]
    assert (first["policy_year"], first["savings"], first["plan_cost"]) == (
        "1983-84",
        "210.08",
        "4004.32",
    )
    assert (first["families_full_year"], first["families_under_deductible"]) == (2, 1)
    assert (second["cumulative_savings"], second["vested"], second["kept"]) == (
        "670.16",
        "200.00",
        "260.08",
    )
    assert data["totals"]["savings"] == "670.16" and data["vested_liability"] == "200.00"
    csv = superintendent_client.get(
        "/api/v1/economics/results/", {"employer": scenario.pk, "format": "csv"}
    )
    assert csv.content.decode().splitlines()[1].startswith("1983-84,yes,24,4214.40")
    assert (
        superintendent_client.get("/api/v1/economics/results/", {"employer": "999999"}).status_code
        == 404
    )


def test_api_projection_takes_overrides_and_refuses_bad_ones(scenario, superintendent_client):
    url = "/api/v1/economics/projection/"
    data = superintendent_client.get(url, {"employer": scenario.pk, "deductible": "750.00"}).json()
    assert (
        data["assumptions"]["deductible"] == "750.00" and data["defaults"]["deductible"] == "500.00"
    )
    assert [year["policy_year"] for year in data["years"]][:2] == ["1985-86", "1986-87"]
    assert set(data["years"][0]["costs"]) == {"stay_well", "full_coverage", "hdhp", "state_pool"}
    assert len(data["sensitivity"]["points"]) == 8 and data["sensitivity"]["best_deductible"]
    bad = superintendent_client.get(url, {"employer": scenario.pk, "maximum_vest": "900.00"})
    assert bad.status_code == 400
    assert bad.json() == {
        "maximum_vest": ["The maximum vest cannot be more than the deductible (R-VE2)."]
    }
    assert (
        superintendent_client.get(url, {"employer": scenario.pk, "scenario": "123456"}).status_code
        == 404
    )


def test_api_scenarios_are_saved_changed_and_deleted(scenario, superintendent_client):
    url = "/api/v1/economics/scenarios/"
    defaults = superintendent_client.get(
        "/api/v1/economics/projection/", {"employer": scenario.pk}
    ).json()["defaults"]
    created = superintendent_client.post(
        f"{url}?employer={scenario.pk}",
        json.dumps({**defaults, "name": "Base"}),
        content_type="application/json",
    )
    assert created.status_code == 201
    scenario_id = created.json()["id"]
    again = superintendent_client.post(
        f"{url}?employer={scenario.pk}",
        json.dumps({**defaults, "name": "Base"}),
        content_type="application/json",
    )
    assert again.status_code == 400 and "name" in again.json()
    changed = superintendent_client.put(
        f"{url}{scenario_id}/",
        json.dumps({**defaults, "name": "Base", "pool_premium": "199.99"}),
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["pool_premium"] == "199.99"
    bad = superintendent_client.put(
        f"{url}{scenario_id}/",
        json.dumps({**defaults, "name": "Base", "full_tier_share": "140"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "full_tier_share" in bad.json()
    assert ProjectionScenario.objects.get().pool_premium == D("199.99")
    listed = superintendent_client.get(url, {"employer": scenario.pk}).json()
    assert [item["name"] for item in listed] == ["Base"]
    assert superintendent_client.get(url).json() == []  # the pool's
    assert superintendent_client.delete(f"{url}{scenario_id}/").status_code == 204
    assert superintendent_client.get(f"{url}{scenario_id}/").status_code == 404


def test_api_utilization_job_and_its_progress(
    scenario, superintendent_client, django_capture_on_commit_callbacks
):
    assert superintendent_client.get("/api/v1/economics/utilization/").json()["computed"] is False
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        started = superintendent_client.post(
            "/api/v1/economics/utilization/", {}, content_type="application/json"
        )
    assert started.status_code == 202
    progress = superintendent_client.get(started.json()["status_url"]).json()
    assert progress["status"] == "succeeded" and progress["percent"] == 100
    pool = superintendent_client.get("/api/v1/economics/utilization/").json()
    assert pool["computed"] is True and pool["years"][0]["policy_year"] == "1983-84"
    other = Client()
    other.force_login(UserFactory(username="super2", role="superintendent"))
    assert other.get(started.json()["status_url"]).status_code == 404


def test_the_schema_documents_the_economics_endpoints(superintendent_client):
    schema = superintendent_client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/economics/results/",
        "/api/v1/economics/projection/",
        "/api/v1/economics/scenarios/{scenario_id}/",
    ):
        assert path in schema
