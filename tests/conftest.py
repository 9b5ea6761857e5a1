"""Shared fixtures: a logged-in client per role, on the real PostgreSQL test database."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import EmployeeFactory, UserFactory

SHIPPED_DATA = import_module("accounts.migrations.0003_plan_year_1983")

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database is created, migrated and dropped by the owner role
    (``staywell.dbroles``): from here until :func:`django_db_setup` hands over."""
    from staywell.db import owner_credentials, use_credentials

    use_credentials("default", owner_credentials())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Once the test database is migrated, the tests run as the app role, as the app does
    (rows only: no TRUNCATE, ALTER or session_replication_role); flush between
    transactional tests goes back to the owner (``staywell.management.commands.flush``)."""
    from django.conf import settings

    from staywell.db import owner_credentials, use_credentials

    app = {key: settings.DATABASE_APP.get(key) for key in ("USER", "PASSWORD", "HOST", "PORT")}
    owner = use_credentials("default", {**app, "OPTIONS": settings.DATABASE_APP.get("OPTIONS")})
    yield
    if owner_credentials():
        use_credentials("default", owner)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded and produced files of a test go to a folder of its own."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


# The authenticator secret of every test user's device (tests.e2e.conftest.login types
# its current code at the second step of the sign-in page).
TEST_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex


def verified_device(user) -> TOTPDevice:
    """The user's confirmed authenticator app (made with the test secret if missing)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=True, key=TEST_TOTP_KEY
    )


def current_code(device: TOTPDevice) -> str:
    """The six digits the device's authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in(client: Client, username: str, password: str) -> bool:
    """Sign in through the pages, as a person does: the password, then (where the user
    has an authenticator app: ``verified_device`` makes one for any user) its code.
    Whether the session is signed in and verified."""
    from django.contrib.auth.models import User

    response = client.post("/login/", {"username": username, "password": password})
    if response.status_code != 302:
        return False
    user = User.objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        response = client.post("/account/two-factor/verify/", {"code": current_code(device)})
        if response.status_code != 302:
            return False
    return "_auth_user_id" in client.session


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """``Client.force_login`` stands for a whole sign-in, second factor included: the
    session is marked verified with the user's device (made if missing), as django-otp's
    ``login`` marks it. Tests of the second factor itself sign in through the pages or
    call ``Client.login`` ... then nothing else."""
    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = verified_device(user).persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _api_rates(settings):
    """The API's rate limits out of the way (their counters live in Redis across tests);
    the throttle's own tests set them low."""
    settings.STAYWELL_API_RATE_USER = 10**9
    settings.STAYWELL_API_RATE_ADDRESS = 10**9


@pytest.fixture(autouse=True)
def _shipped_data(request):
    """Put back the data the migrations ship (role groups, the 1983 schedule of R-PR1).

    A transactional test empties every table when it ends, so the tests after it would
    otherwise run without them.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction", False):
        return
    request.getfixturevalue("transactional_db")
    from staywell.roles import Role, role_group

    for role in Role:
        role_group(role)
    SHIPPED_DATA.create_1983(apps, None)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clerk_user(db):
    return UserFactory(username="clerk1", role="clerk")


@pytest.fixture
def superintendent_user(db):
    return UserFactory(username="super1", role="superintendent")


@pytest.fixture
def payroll_user(db):
    return UserFactory(username="payroll1", role="payroll")


@pytest.fixture
def administrator_user(db):
    return UserFactory(username="admin1", role="administrator")


@pytest.fixture
def employee_user(db):
    user = UserFactory(username="employee1", role="employee")
    EmployeeFactory(user=user)
    return user


@pytest.fixture
def clerk_client(clerk_user) -> Client:
    return _client_for(clerk_user)


@pytest.fixture
def superintendent_client(superintendent_user) -> Client:
    return _client_for(superintendent_user)


@pytest.fixture
def payroll_client(payroll_user) -> Client:
    return _client_for(payroll_user)


@pytest.fixture
def administrator_client(administrator_user) -> Client:
    return _client_for(administrator_user)


@pytest.fixture
def employee_client(employee_user) -> Client:
    return _client_for(employee_user)
