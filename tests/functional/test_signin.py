"""Signing in: lockout after wrong passwords and the administrator's unlock, the second
factor (required for staff, optional for employees, recovery codes), API tokens that
expire and are revoked, the API's 429, and the idle staff session."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from tests.conftest import PASSWORD, current_code, sign_in, verified_device
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "not the password"


def post_login(client, username, password, path="/login/"):
    return client.post(path, {"username": username, "password": password})


# --- Lockout (django-axes) ------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_and_the_right_one_is_refused(client):
    UserFactory(username="clerkx", role="clerk")
    for attempt in range(4):
        response = post_login(client, "clerkx", WRONG)
        assert response.status_code == 200, attempt
        assert "The username or password is not right" in response.content.decode()
    # The 5th wrong password locks (AXES_FAILURE_LIMIT = 5): said on the page, 429.
    response = post_login(client, "clerkx", WRONG)
    assert response.status_code == 429
    assert "this username is locked for 30 minutes" in response.content.decode()
    # The right password while locked: refused, not signed in.
    response = post_login(client, "clerkx", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_of_the_address_that_tried(client):
    """Another office (address) can still sign in as that user."""
    UserFactory(username="clerkx", role="clerk")
    for _ in range(5):
        post_login(client, "clerkx", WRONG)
    elsewhere = Client(REMOTE_ADDR="10.0.0.7")
    assert post_login(elsewhere, "clerkx", PASSWORD).status_code == 302


def test_the_lockout_ends_after_30_minutes(client):
    UserFactory(username="clerkx", role="clerk")
    for _ in range(5):
        post_login(client, "clerkx", WRONG)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert post_login(client, "clerkx", PASSWORD).status_code == 302


def test_the_django_admin_login_locks_too(client):
    UserFactory(username="root1", role="administrator", is_staff=True)
    for _ in range(5):
        client.post("/admin/login/", {"username": "root1", "password": WRONG})
    response = client.post("/admin/login/", {"username": "root1", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_administrator_sees_the_lockout_and_unlocks(client, administrator_client):
    clerk = UserFactory(username="clerkx", role="clerk")
    for _ in range(5):
        post_login(client, "clerkx", WRONG)
    listing = administrator_client.get("/administration/users/").content.decode()
    assert "locked out" in listing
    response = administrator_client.post(f"/administration/users/{clerk.pk}/unlock/")
    assert response.status_code == 302
    assert "locked out" not in administrator_client.get("/administration/users/").content.decode()
    assert post_login(client, "clerkx", PASSWORD).status_code == 302


@pytest.mark.parametrize("role", ["clerk", "superintendent", "payroll", "employee", None])
def test_only_the_administrator_unlocks(client, role):
    clerk = UserFactory(username="clerkx", role="clerk")
    for _ in range(5):
        post_login(client, "clerkx", WRONG)
    other = Client()
    if role:
        other.force_login(UserFactory(username=f"{role}-u", role=role))
    response = other.post(f"/administration/users/{clerk.pk}/unlock/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"].startswith("/login/")
    assert post_login(client, "clerkx", PASSWORD).status_code == 429


# --- The second factor ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "superintendent", "payroll", "administrator"])
def test_staff_without_an_app_must_set_one_up_before_any_page(client, role):
    UserFactory(username="staff1", role=role)
    assert post_login(client, "staff1", PASSWORD).status_code == 302
    for path in ("/", "/employees/", "/dashboard/", "/administration/", "/claims/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/account/two-factor/setup/"), path
    # The API refuses the half-signed-in session too.
    assert client.get("/api/v1/employees/").status_code in (401, 403)


def test_staff_with_an_app_must_type_its_code(client):
    user = UserFactory(username="clerkx", role="clerk")
    device = verified_device(user)
    post_login(client, "clerkx", PASSWORD)
    response = client.get("/employees/")
    assert response["Location"] == "/account/two-factor/verify/?next=%2Femployees%2F"
    wrong = client.post("/account/two-factor/verify/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert client.get("/employees/").status_code == 302
    # After a wrong code django-otp holds the next try back a moment (1 s, doubling).
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        right = client.post(
            "/account/two-factor/verify/", {"code": current_code(device), "next": "/employees/"}
        )
    assert right["Location"] == "/employees/"
    assert client.get("/employees/").status_code == 200


def test_a_verified_staff_session_reads_its_app_without_an_orm_query(clerk_client, clerk_user):
    """django-otp's middleware reads the session's app on every staff page: with a
    prepared statement (staywell.middleware.OTPMiddleware), still the same device."""
    with CaptureQueriesContext(connection) as queries:
        page = clerk_client.get("/employees/")
    assert page.status_code == 200
    assert not [q for q in queries.captured_queries if "otp_totp_totpdevice" in q["sql"]]
    assert page.wsgi_request.user.otp_device == TOTPDevice.objects.get(user=clerk_user)
    TOTPDevice.objects.filter(user=clerk_user).delete()  # the app reset: verified no more
    assert clerk_client.get("/employees/")["Location"].startswith("/account/two-factor/setup/")


def test_setting_up_the_app_shows_the_qr_code_and_secret_then_recovery_codes_once(client):
    user = UserFactory(username="clerkx", role="clerk")
    post_login(client, "clerkx", PASSWORD)
    page = client.get("/account/two-factor/setup/").content.decode()
    assert "<svg" in page and "QR code of the authenticator app set-up" in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = page.split('id="totp-secret">')[1].split("<")[0].replace(" ", "")
    assert len(secret) == 32  # 20 bytes, base32
    assert client.get("/employees/").status_code == 302  # not until the first code
    response = client.post("/account/two-factor/setup/", {"code": current_code(device)})
    assert response.status_code == 200
    text = response.content.decode()
    assert "This is the only time they are shown" in text
    assert text.count("<li><code>") == 10
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert client.get("/employees/").status_code == 200  # verified by the set-up
    account = client.get("/account/").content.decode()
    assert "Recovery codes left: <strong>10</strong>" in account
    assert "<li><code>" not in account  # never shown again


def test_a_recovery_code_signs_in_once(client):
    user = UserFactory(username="clerkx", role="clerk")
    verified_device(user)
    from staywell.signin import recovery_codes_renew

    codes = recovery_codes_renew(user=user)
    post_login(client, "clerkx", PASSWORD)
    response = client.post("/account/two-factor/verify/", {"code": codes[3]})
    assert response.status_code == 302
    assert client.get("/employees/").status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9
    # The same code a second time: refused.
    again = Client()
    post_login(again, "clerkx", PASSWORD)
    refused = again.post("/account/two-factor/verify/", {"code": codes[3]})
    assert refused.status_code == 200
    assert "That code is not right" in refused.content.decode()


def test_an_employee_signs_in_without_a_second_factor_unless_they_turn_it_on(client):
    user = UserFactory(username="emp1", role="employee")
    EmployeeFactory(user=user)
    post_login(client, "emp1", PASSWORD)
    assert client.get("/my/").status_code == 200
    device = verified_device(user)  # they turned it on (set up an app)
    other = Client()
    post_login(other, "emp1", PASSWORD)
    assert other.get("/my/")["Location"].startswith("/account/two-factor/verify/")
    other.post("/account/two-factor/verify/", {"code": current_code(device)})
    assert other.get("/my/").status_code == 200
    # ... and off again, from their page.
    assert other.post("/account/two-factor-off/").status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_whether_an_employee_has_an_app_is_read_with_the_sessions_user(client):
    """The middleware asks on every page whether the user has an app: answered by the
    session's user read (one prepared statement), not by a query of its own; and what
    the employee changes on their page holds from their next page on."""
    user = UserFactory(username="emp2", role="employee")
    EmployeeFactory(user=user)
    post_login(client, "emp2", PASSWORD)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/my/").status_code == 200
    assert not [q for q in queries.captured_queries if "otp_totp_totpdevice" in q["sql"]]
    device = verified_device(user)  # turned on from another browser
    assert client.get("/my/")["Location"].startswith("/account/two-factor/verify/")
    client.post("/account/two-factor/verify/", {"code": current_code(device)})
    assert client.get("/my/").status_code == 200
    assert client.post("/account/two-factor-off/").status_code == 302
    assert client.get("/my/").status_code == 200
    device = verified_device(user)
    assert client.get("/my/")["Location"].startswith("/account/two-factor/verify/")


def test_staff_cannot_turn_the_second_factor_off(clerk_client, clerk_user):
    response = clerk_client.post("/account/two-factor-off/", follow=True)
    assert "cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(user=clerk_user, confirmed=True).exists()


def test_the_administrator_resets_a_lost_second_factor(administrator_client):
    clerk = UserFactory(username="clerkx", role="clerk")
    verified_device(clerk)
    assert "Reset" in administrator_client.get("/administration/users/").content.decode()
    administrator_client.post(f"/administration/users/{clerk.pk}/two-factor-reset/")
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    client = Client()
    post_login(client, "clerkx", PASSWORD)
    assert client.get("/employees/")["Location"].startswith("/account/two-factor/setup/")


def test_the_django_admin_is_for_administrators_with_the_second_factor(db):
    admin = UserFactory(username="root1", role="administrator", is_staff=True)
    clerk = UserFactory(username="clerk-staff", role="clerk", is_staff=True)
    verified = Client()
    verified.force_login(admin)  # password and second factor
    assert verified.get("/admin/").status_code == 200
    half = Client()
    post_login(half, "root1", PASSWORD)  # password only
    assert half.get("/admin/").status_code == 302
    other = Client()
    other.force_login(clerk)
    response = other.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # Its own sign-in form asks for the app's code.
    form = Client().get("/admin/login/").content.decode()
    assert 'name="otp_token"' in form


def test_the_demo_staff_sign_in_with_the_demo_authenticator(db):
    from django.core.management import call_command

    from reports.management.commands.seed_demo import DEMO_PASSWORD, seed_users

    seed_users()
    client = Client()
    assert sign_in(client, "clerk", DEMO_PASSWORD)  # the demo device's current code
    assert client.get("/employees/").status_code == 200
    from io import StringIO

    out = StringIO()
    call_command("demo_code", "clerk", stdout=out)
    device = TOTPDevice.objects.get(user__username="clerk")
    assert out.getvalue().strip() == current_code(device)


# --- API tokens -----------------------------------------------------------------------------


def test_a_token_made_on_the_users_page_works_until_it_expires(clerk_client, clerk_user):
    response = clerk_client.post("/account/token/")
    key = response.content.decode().split('id="token-key">')[1].split("<")[0]
    assert Token.objects.get(user=clerk_user).key == key
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/employees/").status_code == 200
    # STAYWELL_TOKEN_TTL: 30 days after it was made.
    with time_machine.travel(timezone.now() + timedelta(days=29, hours=23)):
        assert api.get("/api/v1/employees/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        expired = api.get("/api/v1/employees/")
        assert expired.status_code == 401
        assert "Token expired" in expired.json()["detail"]
        clerk_client.force_login(clerk_user)  # the old session idled out meanwhile
        assert "Your token expired on" in clerk_client.get("/account/").content.decode()


def test_a_revoked_token_no_longer_opens_the_api(clerk_client, clerk_user):
    token = Token.objects.create(user=clerk_user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/employees/").status_code == 200
    assert clerk_client.post("/account/token/revoke/").status_code == 302
    assert api.get("/api/v1/employees/").status_code == 401
    assert not Token.objects.filter(user=clerk_user).exists()


def test_a_new_token_revokes_the_old(clerk_client, clerk_user):
    old = Token.objects.create(user=clerk_user)
    clerk_client.post("/account/token/")
    assert Client(HTTP_AUTHORIZATION=f"Token {old.key}").get("/api/v1/").status_code == 401


def test_the_users_page_needs_a_signed_in_user(client):
    assert client.get("/account/")["Location"].startswith("/login/")
    assert client.post("/account/token/")["Location"].startswith("/login/")


# --- API throttling -------------------------------------------------------------------------


def test_too_many_api_calls_by_one_user_get_429_in_json(settings, clerk_user):
    settings.STAYWELL_API_RATE_USER = 5
    token = Token.objects.create(user=clerk_user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}", REMOTE_ADDR="10.1.1.1")
    codes = [api.get("/api/v1/employers/").status_code for _ in range(7)]
    # The minute's window may turn over during the loop: then the count starts again.
    if codes[:5] == [200] * 5:
        assert codes[5:] == [429, 429]
        refused = api.get("/api/v1/employers/")
        assert refused["Content-Type"] == "application/json"
        assert refused.json()["detail"].startswith("Request was throttled")
        assert 1 <= int(refused["Retry-After"]) <= 60


def test_too_many_api_calls_from_one_address_get_429(settings, db):
    settings.STAYWELL_API_RATE_ADDRESS = 3
    window = int(time.time() // 60)
    codes = []
    for n in range(5):  # different users, one address
        user = UserFactory(username=f"c{n}", role="clerk")
        token = Token.objects.create(user=user)
        api = Client(HTTP_AUTHORIZATION=f"Token {token.key}", REMOTE_ADDR="10.2.2.2")
        codes.append(api.get("/api/v1/employers/").status_code)
    if int(time.time() // 60) == window:  # all in one minute's window
        assert codes == [200, 200, 200, 429, 429]


# --- Idle staff sessions --------------------------------------------------------------------


def test_a_staff_session_ends_after_15_idle_minutes(clerk_client):
    assert clerk_client.get("/employees/").status_code == 200
    with time_machine.travel(time.time() + 14 * 60, tick=False):
        assert clerk_client.get("/employees/").status_code == 200  # activity: clock reset
    with time_machine.travel(time.time() + 14 * 60 + 16 * 60, tick=False):
        response = clerk_client.get("/employees/")
        assert response.status_code == 302
        assert response["Location"] == "/login/?next=%2Femployees%2F"
        assert "_auth_user_id" not in clerk_client.session
        login_page = clerk_client.get(response["Location"]).content.decode()
        assert "You were logged out after a time without activity" in login_page


def test_an_employee_session_is_not_ended_for_idling(employee_client):
    assert employee_client.get("/my/").status_code == 200
    with time_machine.travel(time.time() + 60 * 60, tick=False):
        assert employee_client.get("/my/").status_code == 200
