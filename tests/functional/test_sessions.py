"""A signed-in session: kept in the database and read from Redis (``cached_db``), its user
read with the user's roles in one statement (``staywell.authentication.ModelBackend``).
What a user notices: a role given or taken, or a user deactivated, counts on the next
page; a session outlives Redis losing it, and ends for good at sign-out."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import cache

from staywell.roles import Role, role_group
from tests.conftest import PASSWORD, sign_in, verified_device
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_role_given_or_taken_counts_on_the_next_page(client):
    user = UserFactory(username="ines", role="payroll")
    client.force_login(user)
    assert client.get("/claims/enter/").status_code == 403
    user.groups.add(role_group(Role.CLERK))
    page = client.get("/claims/enter/")
    assert page.status_code == 200
    assert "Enter claims" in page.content.decode()
    user.groups.remove(Group.objects.get(name=Role.CLERK.value))
    assert client.get("/claims/enter/").status_code == 403


def test_a_user_deactivated_is_signed_out_on_the_next_page(clerk_client, clerk_user):
    assert clerk_client.get("/claims/").status_code == 200
    clerk_user.is_active = False
    clerk_user.save(update_fields=["is_active"])
    response = clerk_client.get("/claims/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_session_lost_from_redis_is_read_from_the_database(client):
    verified_device(UserFactory(username="clerkx", role="clerk"))
    assert sign_in(client, "clerkx", PASSWORD)
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    assert cache.get(KEY_PREFIX + key) is not None  # read from Redis
    cache.delete(KEY_PREFIX + key)  # as when Redis restarts empty
    page = client.get("/claims/")
    assert page.status_code == 200
    assert "clerkx" in page.content.decode()


def test_signing_out_ends_the_session_in_redis_and_the_database(client):
    verified_device(UserFactory(username="clerkx", role="clerk"))
    assert sign_in(client, "clerkx", PASSWORD)
    key = client.cookies["sessionid"].value
    client.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies["sessionid"] = key  # the old cookie, kept by someone
    response = client.get("/claims/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
