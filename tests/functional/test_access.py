"""Login and role access: clear answers, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, current_code, verified_device
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLE_HOMES = {
    "clerk": "/employees/",
    "superintendent": "/dashboard/",
    "payroll": "/payroll/",
    "employee": "/my/",
    "administrator": "/administration/",
}


@pytest.mark.parametrize(("role", "home"), ROLE_HOMES.items())
def test_each_role_lands_on_its_own_page_after_login(client, role, home):
    user = UserFactory(username=f"{role}-user", role=role)
    staff = role != "employee"
    if staff:
        device = verified_device(user)
    response = client.post("/login/", {"username": f"{role}-user", "password": PASSWORD})
    assert response.status_code == 302
    landing = client.get(response["Location"])
    assert landing.status_code == 302
    if staff:  # the second factor first (an employee without one goes straight on)
        assert landing["Location"] == "/account/two-factor/verify/"
        verified = client.post(landing["Location"], {"code": current_code(device)})
        assert verified.status_code == 302
        landing = client.get(verified["Location"])
    assert landing["Location"] == home
    assert client.get(home).status_code == 200


def test_wrong_password_is_refused_with_a_clear_message(client):
    UserFactory(username="clerkx", role="clerk")
    response = client.post("/login/", {"username": "clerkx", "password": "wrong"})
    assert response.status_code == 200
    assert "The username or password is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_user_gets_the_same_clear_message(client):
    response = client.post("/login/", {"username": "nobody", "password": "whatever"})
    assert response.status_code == 200
    assert "The username or password is not right" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/employees/", "/dashboard/", "/payroll/", "/my/", "/administration/", "/api/v1/"]
)
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("role", "forbidden"),
    [
        ("employee", "/employees/"),
        ("employee", "/dashboard/"),
        ("employee", "/administration/"),
        ("clerk", "/dashboard/"),
        ("clerk", "/payroll/"),
        ("payroll", "/employees/"),
        ("superintendent", "/payroll/"),
        ("superintendent", "/my/"),
    ],
)
def test_another_roles_page_answers_403_with_a_readable_page(client, role, forbidden):
    user = UserFactory(username=f"{role}-x", role=role)
    client.force_login(user)
    response = client.get(forbidden)
    assert response.status_code == 403
    assert "This page is not available to you" in response.content.decode()


def test_user_without_a_role_is_told_so(client):
    client.force_login(UserFactory(username="norole"))
    response = client.get("/")
    assert response.status_code == 403
    assert "Your account has no role yet" in response.content.decode()


def test_api_accepts_a_token_and_refuses_a_bad_one(client):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=UserFactory(username="script", role="clerk"))
    assert client.get("/api/v1/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    assert client.get("/api/v1/", HTTP_AUTHORIZATION="Token nope").status_code == 401


def test_a_token_carries_its_users_roles_and_an_inactive_users_token_is_refused(client):
    from rest_framework.authtoken.models import Token

    superintendent = Token.objects.create(
        user=UserFactory(username="reader", role="superintendent")
    )
    payroll = Token.objects.create(user=UserFactory(username="payroll-script", role="payroll"))
    listed = client.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Token {superintendent.key}")
    assert listed.status_code == 200 and listed.json()["count"] == 0
    refused = client.post("/api/v1/claims/", {}, HTTP_AUTHORIZATION=f"Token {superintendent.key}")
    assert refused.status_code == 403  # reads claims, does not enter them
    assert (
        client.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Token {payroll.key}").status_code == 403
    )
    payroll.user.is_active = False
    payroll.user.save()
    gone = client.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Token {payroll.key}")
    assert gone.status_code == 401
    assert gone.json() == {"detail": "User inactive or deleted."}


def test_openapi_schema_and_docs_are_served_to_a_logged_in_user(clerk_client):
    schema = clerk_client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"Stay-Well API" in schema.content
    assert clerk_client.get("/api/docs/").status_code == 200


def test_navigation_marks_only_the_current_section(clerk_client):
    html = clerk_client.get("/claims/enter/").content.decode()
    assert html.count('aria-current="page"') == 1
    current = html.split('aria-current="page"><span>', 1)[1].split("</span>", 1)[0]
    assert current == "Enter claims"
