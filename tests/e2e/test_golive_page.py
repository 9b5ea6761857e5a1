"""The go-live page in a real browser: an administrator checks a file with problems (the
table by row and column), then a good one, confirms, and sees it imported; each state
clean under axe-core (WCAG 2.1 AA)."""

from __future__ import annotations

import pytest

from staywell.csv import csv_bytes
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.factories import EmployerFactory, ProgramFactory, UserFactory, celery_eager, hire
from vesting import golive

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = [
    ("MCS", "general_trust", "", "", "4600.00", ""),
    ("MCS", "vested_trust", "", "", "400.00", ""),
    ("MCS", "district", "", "", "150.00", ""),
    ("MCS", "balance_forward", "", "", "5000.00", ""),
    ("MCS", "interest_forward", "", "", "200.00", ""),
    ("MCS", "admin_forward", "", "", "(50.00)", ""),
    ("MCS", "vested", "A1", "1984-85", "400.00", ""),
]


def _file(tmp_path, name, rows):
    path = tmp_path / name
    path.write_bytes(csv_bytes(golive.COLUMNS, rows))
    return str(path)


def test_administrator_checks_confirms_and_imports(live_server, page, tmp_path, axe_violations):
    program = ProgramFactory(employer=EmployerFactory(code="MCS", name="Mendocino County Schools"))
    hire(program=program, number="A1", first_name="Ann", last_name="Able")
    UserFactory(username="admin1", role="administrator")
    login(page, live_server.url, "admin1", PASSWORD)
    page.goto(f"{live_server.url}/vesting/go-live/")
    assert page.get_by_role("heading", level=1).inner_text() == "Go-live: bring an existing plan in"
    assert axe_violations(page) == []

    bad = [*ROWS[:-1], ("MCS", "vested", "Z9", "1984-85", "400.00", "")]
    page.get_by_label("Cut-over date").fill("1985-06-30")
    page.locator("#id_file").set_input_files(_file(tmp_path, "bad.csv", bad))
    page.get_by_role("button", name="Check the file").click()
    table = page.get_by_role("table", name="Problems by row and column (the header is row 1)")
    assert "No employee Z9 at MCS" in table.inner_text()
    assert axe_violations(page) == []

    page.get_by_label("Cut-over date").fill("1985-06-30")
    page.locator("#id_file").set_input_files(_file(tmp_path, "good.csv", ROWS))
    page.get_by_role("button", name="Check the file").click()
    assert page.get_by_text("The file checks: every employer's figures tie.").is_visible()
    assert axe_violations(page) == []
    with celery_eager():
        page.get_by_role("button", name="Confirm and import").click()
        page.wait_for_load_state()
    page.reload()
    assert page.get_by_text("MCS went live: 1 vested employee-year carried in.").first.is_visible()
    assert axe_violations(page) == []
