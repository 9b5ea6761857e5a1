"""Two-factor sign-in in a real browser: a clerk with no authenticator app is taken to its
set-up after the password, scans (here: reads) the secret, types the app's code, keeps
the recovery codes shown once, and signs in again with one of them. The pages pass axe
(WCAG 2.1 AA) and the browser reports no Content-Security-Policy violation."""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import totp

from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def watch_csp(page) -> list[str]:
    """Console messages of the page about its Content-Security-Policy."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def password_step(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("clerk-2fa")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def test_a_clerk_sets_up_the_app_then_signs_in_with_a_recovery_code(
    live_server, browser, screenshot, axe_violations
):
    UserFactory(username="clerk-2fa", role="clerk")
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    violations = watch_csp(page)

    password_step(page, base)
    assert "/account/two-factor/setup/" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Set up two-factor sign-in"
    assert page.get_by_role("img", name="QR code of the authenticator app set-up").is_visible()
    screenshot(page, "two-factor-setup")
    assert axe_violations(page) == []
    # Nothing else opens before the app is set up.
    page.goto(f"{base}/employees/")
    assert "/account/two-factor/setup/" in page.url

    # A wrong code: said next to the field, the focus on the summary.
    page.get_by_label("Code from the app").fill("123456")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_load_state("networkidle")
    assert "That code is not the one the app shows" in page.locator("#error-summary").inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert axe_violations(page) == []

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code from the app").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your recovery codes"
    codes = page.locator(".sw-recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "two-factor-recovery-codes")
    assert axe_violations(page) == []
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_url(f"{base}/employees/")
    page.get_by_role("button", name="Log out clerk-2fa (Benefits clerk)").click()
    page.wait_for_load_state("networkidle")

    # Signing in again: the code step; without the phone, a recovery code.
    password_step(page, base)
    assert "/account/two-factor/verify/" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Two-factor sign-in"
    assert axe_violations(page) == []
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/employees/")
    assert "recovery code; 9 left" in page.locator(".sw-messages").inner_text()
    assert axe_violations(page) == []
    assert violations == []
    context.close()
