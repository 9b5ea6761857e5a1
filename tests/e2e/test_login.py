"""Each demo user logs in in a real browser and lands on their own page (foundation)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANDINGS = {
    "clerk": ("/employees/", "Employees"),
    "superintendent": ("/dashboard/", "Plan dashboard"),
    "payroll": ("/payroll/", "Payroll export"),
    "employee": ("/my/", "My Stay-Well account"),
    "administrator": ("/administration/", "Administration"),
}


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo")


@pytest.mark.parametrize("role", LANDINGS)
def test_demo_user_logs_in_and_lands_on_their_page(
    demo, live_server, page, screenshot, axe_violations, role
):
    path, heading = LANDINGS[role]
    login(page, live_server.url, role, "staywell-demo")
    assert page.url == f"{live_server.url}{path}"
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.get_by_text(f"Log out {role}").is_visible()
    screenshot(page, f"login-{role}")
    assert axe_violations(page) == []


def test_wrong_password_shows_the_message_in_the_browser(demo, live_server, page, axe_violations):
    login(page, live_server.url, "clerk", "not-the-password")
    assert page.url.startswith(f"{live_server.url}/login/")
    assert (
        page.get_by_role("alert").inner_text().startswith("The username or password is not right")
    )
    assert axe_violations(page) == []


def test_employee_opening_the_clerk_page_is_told_it_is_not_theirs(demo, live_server, page):
    login(page, live_server.url, "employee", "staywell-demo")
    page.goto(f"{live_server.url}/employees/")
    assert page.get_by_role("heading", level=1).inner_text() == "This page is not available to you"
