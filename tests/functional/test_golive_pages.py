"""The go-live page and API: administrators check and import, the superintendent reads,
everyone else is refused (vesting.golive)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from staywell.csv import csv_bytes
from tests.factories import EmployerFactory, ProgramFactory, celery_eager, hire
from vesting import golive
from vesting.ledger import selectors as ledger_selectors
from vesting.models import GoLive, Transaction

pytestmark = pytest.mark.django_db

D = Decimal
ROWS = [
    ("MCS", "general_trust", "", "", "4600.00", ""),
    ("MCS", "vested_trust", "", "", "400.00", ""),
    ("MCS", "district", "", "", "150.00", ""),
    ("MCS", "balance_forward", "", "", "5000.00", ""),
    ("MCS", "interest_forward", "", "", "200.00", ""),
    ("MCS", "admin_forward", "", "", "(50.00)", ""),
    ("MCS", "vested", "A1", "1984-85", "400.00", ""),
]
BAD = [*ROWS[:-1], ("MCS", "vested", "A1", "1984-85", "four hundred", "")]


@pytest.fixture(autouse=True)
def _in_1985():
    with time_machine.travel(date(1985, 7, 10), tick=False):
        yield


@pytest.fixture
def employer():
    program = ProgramFactory(employer=EmployerFactory(code="MCS", name="Mendocino County Schools"))
    hire(program=program, number="A1", first_name="Ann", last_name="Able")
    return program.employer


def upload(rows):
    return SimpleUploadedFile("plan.csv", csv_bytes(golive.COLUMNS, rows), content_type="text/csv")


# --- API ----------------------------------------------------------------------------------


def test_api_refuses_a_bad_file_with_its_rows_then_imports_the_good_one_once(
    administrator_client, employer, django_capture_on_commit_callbacks
):
    bad = administrator_client.post(
        "/api/v1/go-lives/", {"file": upload(BAD), "cutover": "1985-06-30"}
    )
    assert bad.status_code == 400
    body = bad.json()
    # Row 8's amount is not money, so the Vested Trust Fund (row 3) does not tie either.
    assert [(e["row"], e["field"]) for e in body["rows"]] == [(3, "amount"), (8, "amount")]
    assert "nothing was saved" in body["file"][0]
    assert not GoLive.objects.exists()

    checked = administrator_client.post(
        "/api/v1/go-lives/", {"file": upload(ROWS), "cutover": "1985-06-30"}
    )
    assert checked.status_code == 200
    assert checked.json()["status"] == "checked"
    assert not Transaction.objects.exists()  # a check posts nothing
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        queued = administrator_client.post(f"/api/v1/go-lives/{checked.json()['id']}/confirm/")
    assert queued.status_code == 202
    detail = administrator_client.get(f"/api/v1/go-lives/{checked.json()['id']}/").json()
    assert detail["status"] == "completed"
    assert detail["job"]["status"] == "succeeded"
    balances = ledger_selectors.employer_fund_balances(employer.pk, as_of=date(1985, 6, 30))
    assert (balances["general_trust"], balances["vested_trust"], balances["district"]) == (
        D("4600.00"),
        D("400.00"),
        D("150.00"),
    )
    posted = Transaction.objects.count()
    again = administrator_client.post(
        "/api/v1/go-lives/", {"file": upload(ROWS), "cutover": "1985-06-30", "confirm": "true"}
    )
    assert again.status_code == 200 and again.json()["status"] == "completed"
    assert Transaction.objects.count() == posted


def test_api_a_bad_cutover_is_a_field_error(administrator_client, employer):
    response = administrator_client.post(
        "/api/v1/go-lives/", {"file": upload(ROWS), "cutover": "1985-06-15"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "cutover": ["The cut-over is a month end (such as June 30), not June 15."]
    }


def test_api_roles(superintendent_client, clerk_client, employee_client, client, employer):
    assert superintendent_client.get("/api/v1/go-lives/").status_code == 200
    sent = {"file": upload(ROWS), "cutover": "1985-06-30"}
    assert superintendent_client.post("/api/v1/go-lives/", sent).status_code == 403
    for refused in (clerk_client, employee_client):
        assert refused.get("/api/v1/go-lives/").status_code == 403
        assert refused.post("/api/v1/go-lives/", {"cutover": "1985-06-30"}).status_code == 403
    assert client.get("/api/v1/go-lives/").status_code in (401, 403)
    assert not GoLive.objects.exists()


def test_the_openapi_schema_documents_go_live(clerk_client):
    paths = clerk_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "post" in paths["/api/v1/go-lives/"]
    assert "get" in paths["/api/v1/go-lives/{id}/"]
    assert "post" in paths["/api/v1/go-lives/{id}/confirm/"]


# --- Page ---------------------------------------------------------------------------------


def test_page_lists_problems_by_row_and_column_then_confirms_with_a_progress_bar(
    administrator_client, employer, django_capture_on_commit_callbacks
):
    page = administrator_client.get("/vesting/go-live/")
    assert page.status_code == 200
    assert "Download the template (CSV)" in page.content.decode()
    # The employee items of a mid-year cut-over and of a pending partial year (R-VE4).
    assert "ytd_trust_claims" in page.content.decode()
    assert "partial year still pending (R-VE4)" in page.content.decode()
    template = administrator_client.get("/vesting/go-live/template.csv")
    assert template.content.decode().splitlines()[0] == (
        "employer_code,item,employee_number,policy_year,amount,paid_out,"
        "separation_date,separation_reason"
    )

    bad = administrator_client.post(
        "/vesting/go-live/", {"file": upload(BAD), "cutover": "1985-06-30"}
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "The file was rejected: nothing was saved" in text
    assert '<td class="sw-num">8</td><td>amount</td>' in text
    assert "&#x27;four hundred&#x27; is not an amount of dollars and cents" in text

    checked = administrator_client.post(
        "/vesting/go-live/", {"file": upload(ROWS), "cutover": "1985-06-30"}, follow=True
    )
    text = checked.content.decode()
    assert "Checked, waiting for confirmation" in text
    assert "Confirm and import" in text
    go_live = GoLive.objects.get()
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        confirmed = administrator_client.post(f"/vesting/go-live/{go_live.pk}/confirm/")
    assert confirmed.status_code == 302
    text = administrator_client.get(confirmed["Location"]).content.decode()
    assert "Imported" in text
    assert "<progress" in text
    assert "MCS went live: 1 vested employee-year carried in." in text


def test_page_roles(superintendent_client, clerk_client, employee_client, employer):
    page = superintendent_client.get("/vesting/go-live/")
    assert page.status_code == 200
    assert "Check a file" not in page.content.decode()
    sent = {"file": upload(ROWS), "cutover": "1985-06-30"}
    assert superintendent_client.post("/vesting/go-live/", sent).status_code == 403
    assert superintendent_client.get("/vesting/go-live/template.csv").status_code == 403
    for refused in (clerk_client, employee_client):
        assert refused.get("/vesting/go-live/").status_code == 403
    assert not GoLive.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_import_job_commits_its_progress_and_finishes(administrator_user):
    """With real commits: the task runs on commit, writes its progress on a connection of
    its own while its transaction is open (no lock waits), and ends succeeded."""
    program = ProgramFactory(employer=EmployerFactory(code="MCS", name="Mendocino County Schools"))
    hire(program=program, number="A1", first_name="Ann", last_name="Able")
    check = golive.golive_check(
        file=upload(ROWS), cutover=date(1985, 6, 30), user=administrator_user
    )
    assert check.ok, check.errors
    with celery_eager():
        golive.golive_confirm(go_live=check.go_live, user=administrator_user)
    go_live = GoLive.objects.select_related("job").get()
    assert go_live.status == "completed"
    assert (go_live.job.status, go_live.job.done, go_live.job.total) == ("succeeded", 1, 1)
    assert go_live.job.message == "MCS went live: 1 vested employee-year carried in."


def test_page_a_cutover_that_is_not_a_month_end_is_shown_on_its_field(administrator_client):
    response = administrator_client.post(
        "/vesting/go-live/", {"file": upload(ROWS), "cutover": "1985-06-15"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="id_cutover-error"' in text
    assert "The cut-over is a month end (such as June 30), not June 15." in text
    assert not GoLive.objects.exists()
