"""Real-browser fixtures: Playwright driving Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
# itself (set-up and assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# expect(...) waits as long as the pages' default timeout (the machine is shared).
expect.set_options(timeout=15_000)

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium when run as root"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-output/screenshots/NAME.png."""

    def take(page, name: str) -> Path:
        path = OUTPUT / "screenshots" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def axe_violations():
    """Run axe-core in the page; return WCAG 2.1 AA violations as readable strings."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page) -> list[str]:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
        return [
            f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
            for v in results.response["violations"]
        ]

    return check


def login(page, base_url: str, username: str, password: str) -> None:
    """Sign in through the pages: the password, then the second factor where the user
    owes it: the code of their app (``tests.conftest.verified_device`` gives any staff
    user one, as if they had set it up), typed as a person types it."""
    from django.contrib.auth.models import User

    from staywell.roles import STAFF_ROLES, has_role
    from tests.conftest import current_code, verified_device

    user = User.objects.filter(username=username).first()
    if user is not None and user.is_active and has_role(user, *STAFF_ROLES):
        verified_device(user)
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    if "/account/two-factor/verify/" in page.url:
        device = verified_device(user)
        page.get_by_label("Code").fill(current_code(device))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state("networkidle")
