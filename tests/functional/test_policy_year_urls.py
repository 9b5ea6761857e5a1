"""R-PY1: every URL names a policy year as users read it, ``1985-86``: the fund report page,
its PDF and its API take the label as the claim filters do; an older link's bare first
year (``1985``) redirects to the label; the fund reports page writes labels in its links
and forms."""

from __future__ import annotations

import re

import pytest

from accounts.rules import parse_policy_year_param
from tests.factories import reports_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario():
    return reports_scenario()


def test_parse_policy_year_param_reads_the_label_and_an_older_bare_year():
    assert parse_policy_year_param("1985-86") == 1985
    assert parse_policy_year_param("1985-1986") == 1985
    assert parse_policy_year_param("1985") == 1985
    for bad in ("1985-87", "85", "x", ""):
        with pytest.raises(ValueError):
            parse_policy_year_param(bad)


def test_fund_report_page_pdf_and_api_take_the_label(superintendent_client, scenario):
    employer = scenario.employer.pk
    page = superintendent_client.get("/fund-reports/report/", {"policy_year": "1984-85"})
    assert page.status_code == 200
    assert "Financial report as of June 30, 1985" in page.content.decode()
    pdf = superintendent_client.get("/fund-reports/report.pdf", {"policy_year": "1984-85"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    api = superintendent_client.get(f"/api/v1/fund-reports/1984-85/?employer={employer}")
    assert api.status_code == 200
    assert api.json()["employer"] == scenario.employer.name


def test_an_older_link_with_the_bare_year_redirects_to_the_label(superintendent_client, scenario):
    employer = scenario.employer.pk
    page = superintendent_client.get(f"/fund-reports/report/?policy_year=1984&employer={employer}")
    assert page.status_code == 301
    assert page["Location"] == f"/fund-reports/report/?policy_year=1984-85&employer={employer}"
    pdf = superintendent_client.get("/fund-reports/report.pdf?policy_year=1984")
    assert (pdf.status_code, pdf["Location"]) == (
        301,
        "/fund-reports/report.pdf?policy_year=1984-85",
    )
    api = superintendent_client.get(f"/api/v1/fund-reports/1984/?employer={employer}")
    assert api.status_code == 301
    assert api["Location"] == f"/api/v1/fund-reports/1984-85/?employer={employer}"


def test_a_year_that_is_not_one_is_a_404_not_a_500(superintendent_client, scenario):
    for year in ("1984-86", "abc", "2999-00"):
        assert (
            superintendent_client.get("/fund-reports/report/", {"policy_year": year}).status_code
            == 404
        )
        api = superintendent_client.get(f"/api/v1/fund-reports/{year}/")
        assert api.status_code == 404
        assert "detail" in api.json()


@pytest.fixture
def eager_celery(django_capture_on_commit_callbacks):
    from staywell.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield django_capture_on_commit_callbacks
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def test_fund_reports_page_links_and_forms_use_the_label(
    superintendent_client, scenario, eager_celery
):
    html = superintendent_client.get("/fund-reports/").content.decode()
    assert re.search(r'<option value="1984-85"[^>]*>1984-85 \(June 30, 1985\)</option>', html)
    assert '<option value="1984">' not in html
    with eager_celery(execute=True):
        response = superintendent_client.post(
            "/fund-reports/generate/", {"generate-policy_year": "1984-85"}
        )
    assert response.status_code == 302
    listing = superintendent_client.get("/fund-reports/").content.decode()
    assert "?policy_year=1984-85&amp;employer=" in listing
    assert "?policy_year=1984&" not in listing


def test_claim_filters_take_the_same_label(superintendent_client, scenario):
    response = superintendent_client.get("/claims/", {"policy_year": "1984-85"})
    assert response.status_code == 200
    response = superintendent_client.get("/api/v1/claims/", {"year": "1984-85"})
    assert response.status_code == 200
