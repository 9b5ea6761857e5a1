"""Shared fixtures: a logged-in client per role, on the real PostgreSQL test database."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.test import Client

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
