"""Under /api/ every answer is JSON, errors included: an unknown path is a JSON 404 with
DEBUG off and on, a wrong method a JSON 405, a crash a JSON 500; the pages keep their HTML
error pages."""

from __future__ import annotations

import pytest
from django.test import Client

from claims.api import ClaimViewSet

pytestmark = pytest.mark.django_db

UNKNOWN = ["/api/", "/api/v1/nothing-here/", "/api/v2/claims/", "/api/v1/claims/x/y/"]


def json_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", UNKNOWN)
def test_unknown_api_path_is_a_json_404(clerk_client, settings, debug, path):
    settings.DEBUG = debug
    for method in (clerk_client.get, clerk_client.post, clerk_client.delete):
        response = method(path)
        assert response.status_code == 404
        assert json_of(response) == {"detail": "Not found."}


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_path_is_a_json_404_for_anyone(settings, debug):
    settings.DEBUG = debug
    response = Client().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert json_of(response) == {"detail": "Not found."}


def test_an_api_path_without_its_final_slash_redirects_or_names_the_endpoint(clerk_client):
    response = clerk_client.get("/api/v1/claims", {"status": "paid"})
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/claims/?status=paid"
    response = clerk_client.post("/api/v1/claims", {}, content_type="application/json")
    assert response.status_code == 404
    assert json_of(response) == {
        "detail": "Not found. The endpoint is /api/v1/claims/ (with the final slash)."
    }


def test_a_missing_record_and_a_wrong_method_answer_json(clerk_client):
    response = clerk_client.get("/api/v1/claims/999999/")
    assert response.status_code == 404
    assert "detail" in json_of(response)
    response = clerk_client.put("/api/v1/claims/", {}, content_type="application/json")
    assert response.status_code == 405
    assert json_of(response) == {"detail": 'Method "PUT" not allowed.'}


def test_a_crash_in_the_api_is_a_json_500(clerk_user, settings, monkeypatch):
    settings.DEBUG = False

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ClaimViewSet, "list", crash)
    client = Client(raise_request_exception=False)
    client.force_login(clerk_user)
    response = client.get("/api/v1/claims/")
    assert response.status_code == 500
    body = json_of(response)
    assert "nothing was saved" in body["detail"]
    assert "boom" not in response.content.decode()  # no traceback, no message of the crash


def test_pages_keep_their_html_404(clerk_client, settings):
    settings.DEBUG = False
    response = clerk_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
