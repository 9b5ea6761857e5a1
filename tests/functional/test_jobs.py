"""Background jobs show their progress to the person who started them, and to nobody else."""

from __future__ import annotations

import pytest

from staywell.jobs import job_advance, job_create, job_fail, job_start, job_succeed

pytestmark = pytest.mark.django_db


def test_running_job_shows_progress_and_keeps_polling(clerk_client, clerk_user):
    job = job_create(kind="claims_import", title="Import of claims.csv", user=clerk_user)
    job_start(job_id=job.pk, total=200)
    job_advance(job_id=job.pk, by=50, message="row 50")

    response = clerk_client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Running, 25%" in html
    assert "50 of 200" in html
    assert 'hx-trigger="every 1s"' in html


def test_finished_job_offers_its_file_and_stops_polling(clerk_client, clerk_user):
    job = job_create(kind="export", title="Payment register", user=clerk_user)
    job_start(job_id=job.pk, total=3)
    job_succeed(
        job_id=job.pk,
        message="3 payees",
        file_name="register.csv",
        content=b"payee,amount\nA,1.00\n",
    )

    html = clerk_client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Finished" in html
    assert "hx-trigger" not in html
    assert "Download register.csv" in html
    download = clerk_client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"payee,amount\nA,1.00\n"


def test_failed_job_lists_the_problems_by_row(clerk_client, clerk_user):
    job = job_create(kind="claims_import", title="Import of bad.csv", user=clerk_user)
    job_fail(
        job_id=job.pk,
        message="2 rows have problems",
        errors=[
            {"row": 2, "field": "allowed", "message": "Allowed is more than billed."},
            {"row": 5, "field": "employee", "message": "No employee 99999."},
        ],
    )
    html = clerk_client.get(f"/jobs/{job.pk}/").content.decode()
    assert "2 problems found; nothing was saved." in html
    assert "Allowed is more than billed." in html
    assert "No employee 99999." in html


def test_another_user_cannot_see_a_job(employee_client, clerk_user):
    job = job_create(kind="export", title="Payment register", user=clerk_user)
    assert employee_client.get(f"/jobs/{job.pk}/").status_code == 404
    assert employee_client.get(f"/jobs/{job.pk}/download/").status_code == 404


def test_a_malformed_job_id_is_simply_not_found(clerk_client, clerk_user):
    from staywell.jobs import job_get_for_user

    assert job_get_for_user(user=clerk_user, job_id="not-a-job") is None
    page = clerk_client.get("/claims/import/", {"job": "not-a-job"})
    assert page.status_code == 200  # the import page, with no progress bar
    malformed = "-" * 36  # matches the API's id pattern, but is no UUID
    response = clerk_client.get(f"/api/v1/claim-imports/{malformed}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such import."}
