"""The schema says what the endpoints return: the lists under /employees/{id}/ are plain
arrays (not pages), the months closed a page of them, a blank separation reason allowed."""

from __future__ import annotations

import pytest

from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

ARRAYS = ["beneficiaries", "continuation-elections", "coverage", "dependents", "hours-changes"]


@pytest.fixture
def schema(clerk_client):
    return clerk_client.get("/api/schema/?format=json").json()


def _ok_schema(schema, path: str) -> dict:
    return schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


@pytest.mark.parametrize("name", [*ARRAYS, "overrides"])
def test_employee_sub_lists_are_arrays_in_the_schema_and_in_the_answer(clerk_client, schema, name):
    employee = EmployeeFactory()
    assert _ok_schema(schema, f"/api/v1/employees/{{id}}/{name}/")["type"] == "array"
    answer = clerk_client.get(f"/api/v1/employees/{employee.pk}/{name}/")
    assert answer.status_code == 200
    assert isinstance(answer.json(), list)


def test_months_closed_are_a_page_in_the_schema_and_in_the_answer(administrator_client):
    schema = administrator_client.get("/api/schema/?format=json").json()
    page = _ok_schema(schema, "/api/v1/ledger/month-closes/")
    assert page["$ref"].endswith("/PaginatedMonthCloseList")
    answer = administrator_client.get("/api/v1/ledger/month-closes/").json()
    assert set(answer) == {"count", "next", "previous", "results"}


def test_a_blank_separation_reason_is_in_the_schema(schema):
    reason = schema["components"]["schemas"]["Employee"]["properties"]["separation_reason"]
    refs = [choice.get("$ref", "") for choice in reason.get("oneOf", [])]
    assert any(ref.endswith("/BlankEnum") for ref in refs)
