"""Each demo user logs in in a real browser and lands on their own page."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANDINGS = {
    "clerk": ("/employees/", "Employees"),
    "superintendent": ("/dashboard/", "Plan dashboard"),
    "payroll": ("/payroll/", "Payroll export"),
    "employee": ("/my/", "My Stay-Well account"),
    "administrator": ("/administration/", "Administration"),
}


def test_each_demo_user_logs_in_and_lands_on_their_page(
    live_server, browser, screenshot, axe_violations
):
    call_command("seed_demo")
    for role, (path, heading) in LANDINGS.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        login(page, live_server.url, role, "staywell-demo")
        assert page.url == f"{live_server.url}{path}", role
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert page.get_by_text(f"Log out {role}").is_visible()
        screenshot(page, f"login-{role}")
        assert axe_violations(page) == [], role
        context.close()


def test_wrong_password_shows_the_message_in_the_browser(live_server, page, axe_violations):
    UserFactory(username="clerk", role="clerk")
    login(page, live_server.url, "clerk", "not-the-password")
    assert page.url.startswith(f"{live_server.url}/login/")
    alert = page.get_by_role("alert").inner_text()
    assert alert.startswith("The username or password is not right")
    assert axe_violations(page) == []


def test_employee_opening_the_clerk_page_is_told_it_is_not_theirs(live_server, page):
    UserFactory(username="employee", role="employee")
    login(page, live_server.url, "employee", PASSWORD)
    page.goto(f"{live_server.url}/employees/")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "This page is not available to you"
