"""Shared fixtures: a logged-in client per role, on the real PostgreSQL test database."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import EmployeeFactory, UserFactory

PASSWORD = "correct horse battery"


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
