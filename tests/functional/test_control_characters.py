"""NUL and other control characters in a search or a field: a clear 400, never a 500
(staywell.middleware), and amounts of three decimals or beyond the column refused on the
ledger's API and pages (R-PY2)."""

from __future__ import annotations

import pytest

from tests.factories import EmployeeFactory, EmployerFactory
from vesting import ledger as ledger_ops
from vesting.models import Posting, Transaction

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/employees/?search=%00", "search"),
        ("/api/v1/claims/?search=1%00", "search"),
        ("/api/v1/claims/?search=Ames%01", "search"),
        ("/api/v1/employees/?ordering=last_name%00", "ordering"),
        ("/api/v1/employees/?se%00arch=x", "query"),
    ],
)
def test_a_control_character_in_an_api_query_is_a_400_naming_the_field(clerk_client, path, field):
    response = clerk_client.get(path)
    assert response.status_code == 400
    [message] = response.json()[field]
    assert "contains a control character" in message
    assert "U+0000 NULL" in message or "U+0001" in message


@pytest.mark.parametrize(
    "path",
    [
        "/claims/enter/employees/?q=%00",
        "/employees/?q=Ames%00",
        "/claims/?search=%00",
        "/claims/payees/suggest/?provider=%1B",
    ],
)
def test_a_control_character_in_a_page_search_is_a_400_page_saying_why(clerk_client, path):
    response = clerk_client.get(path)
    assert response.status_code == 400
    html = response.content.decode()
    assert "What was typed could not be accepted" in html
    assert "contains a control character" in html


def test_the_search_without_the_control_character_still_works(clerk_client):
    EmployeeFactory(last_name="Ames")
    assert clerk_client.get("/api/v1/employees/?search=Ames").json()["count"] == 1
    assert clerk_client.get("/claims/enter/employees/?q=Ames").status_code == 200


@pytest.fixture
def employer():
    employer = EmployerFactory(code="CTL", name="Control County")
    ledger_ops.ledger_accounts_for_employer(employer)
    return employer


def _interest(employer, **changes) -> dict:
    return {
        "employer": employer.pk,
        "amount": "12.50",
        "period_start": "1985-04-01",
        "period_end": "1985-06-30",
        "earned_by": "general_trust",
        "effective_date": "1985-06-30",
        **changes,
    }


def test_a_nul_in_a_json_field_is_a_field_error_and_nothing_is_posted(
    superintendent_client, employer
):
    response = superintendent_client.post(
        "/api/v1/ledger/interest/",
        _interest(employer, memo="Quarter\x00two"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "U+0000 NULL" in response.json()["memo"][0]
    assert Transaction.objects.count() == 0


def test_a_memo_of_several_lines_is_accepted(superintendent_client, employer):
    response = superintendent_client.post(
        "/api/v1/ledger/interest/",
        _interest(employer, memo="Quarter two\r\nsecond line\tend"),
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()


def test_a_control_character_in_a_posted_form_is_a_400_and_nothing_is_saved(
    superintendent_client, employer
):
    response = superintendent_client.post(
        "/funds/interest/new/", {**_interest(employer, memo="Bell\x07"), "idempotency_key": "k"}
    )
    assert response.status_code == 400
    assert "U+0007 BELL" in response.content.decode() or "U+0007" in response.content.decode()
    assert Transaction.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("1.005", "decimal"),  # R-PY2: three decimals, never rounded to 1.01
        ("0.001", "decimal"),
        ("1000000000000.00", "digits"),  # beyond numeric(14,2)
    ],
)
def test_interest_with_three_decimals_or_beyond_the_column_is_refused_in_api_and_page(
    superintendent_client, employer, amount, why
):
    api = superintendent_client.post(
        "/api/v1/ledger/interest/",
        _interest(employer, amount=amount),
        content_type="application/json",
    )
    assert api.status_code == 400
    assert why in " ".join(api.json()["amount"])
    page = superintendent_client.post(
        "/funds/interest/new/", {**_interest(employer, amount=amount), "idempotency_key": "p"}
    )
    assert page.status_code in (200, 400)
    assert "usa-error-message" in page.content.decode()
    assert Posting.objects.count() == 0
