"""The superintendent starts the July 1 rollover from the page in a real browser and watches
the live progress bar reach Completed (R-VE3).

Real Chromium against the live server; a real Celery worker (on the test database and a
private Redis) runs the rollover, each employer step made slow enough to be seen. axe finds
no WCAG 2.1 AA violation on the runs page, the run page and an employee's side account.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest

from tests.e2e.conftest import login
from tests.factories import EmployerFactory, ProgramFactory, UserFactory, close_policy_year, hire
from tests.integration.test_vesting_worker import Worker, queue_rollover, running_redis
from vesting.models import VestingRun

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


@pytest.fixture
def private_redis(tmp_path):
    with running_redis(tmp_path) as url:
        yield url


@pytest.fixture
def pool(transactional_db):
    people = []
    for e in range(5):
        program = ProgramFactory(employer=EmployerFactory(code=f"D{e}", name=f"District {e}"))
        for n in range(3):
            people.append(
                hire(
                    program=program,
                    number=f"{e}{n}",
                    hire_date=date(1983, 6, 1),
                    last_name=f"Oak{n}",
                )
            )
        close_policy_year(program.employer, 1983)  # the rollover waits for the month closes
    UserFactory(username="super-e2e", role="superintendent")
    return people


def test_superintendent_starts_a_rollover_and_sees_it_complete(
    pool, live_server, page, screenshot, axe_violations, private_redis, tmp_path, monkeypatch
):
    from vesting.tasks import rollover_run

    # The page queues the run on commit; send it to the private broker of this test's worker.
    monkeypatch.setattr(
        rollover_run,
        "apply_async",
        lambda args=(), kwargs=None, **options: queue_rollover(private_redis, *args),
    )
    worker = Worker(private_redis, tmp_path / "worker.log", step_delay="0.6")
    try:
        login(page, live_server.url, "super-e2e", PASSWORD)
        page.goto(f"{live_server.url}/vesting/runs/")
        assert page.get_by_role("heading", level=1).inner_text() == "Vesting runs"
        assert axe_violations(page) == []

        field = page.get_by_label("Policy year")
        field.fill("1983-84")
        page.get_by_role("button", name="Start the rollover").click()
        page.wait_for_url("**/vesting/runs/*/")
        assert page.get_by_role("heading", level=1).inner_text() == "Rollover of 1983-84"

        status = page.locator("#run-status")
        seen = set()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = status.inner_text()
            seen.add(text.split(",")[0])
            if text == "Completed":
                break
            time.sleep(0.2)
        assert status.inner_text() == "Completed", worker.log.read_text()[-3000:]
        assert "Running" in seen  # the bar moved while the worker ran
        assert page.locator("progress").get_attribute("value") == "100"
        assert page.locator("#run-employers").inner_text() == "5 of 5 employers done"
        assert page.locator("#run-amount-vested").inner_text() == "7,500.00"
        assert axe_violations(page) == []
        screenshot(page, "vesting-run-completed")

        employee = pool[0]
        page.goto(f"{live_server.url}/employees/{employee.pk}/side-account/")
        assert page.locator("#side-balance").inner_text() == "500.00"
        page.get_by_label("Amount").fill("100.00")
        page.get_by_role("button", name="Request").click()
        page.wait_for_load_state("networkidle")
        assert "cannot be withdrawn during employment" in page.locator("main").inner_text()
        assert axe_violations(page) == []  # the page showing the R-VE5 refusal
        screenshot(page, "vesting-side-account-refusal")
        page.goto(f"{live_server.url}/vesting/payouts/")
        assert axe_violations(page) == []
    finally:
        worker.stop()
    run = VestingRun.objects.get(policy_year=1983)
    assert (run.status, run.amount_vested) == ("completed", Decimal("7500.00"))
