"""The members API (/api/v1/) through the test client.

Every refused input answers 400 with the field's message and leaves the database
exactly as it was; each role sees what it should; an employee cannot read another
employee by guessing ids (404).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from accounts import services
from accounts.models import (
    Employee,
)
from tests.factories import EmployerFactory, ProgramFactory, hire
from tests.snapshots import accounts_snapshot as snapshot

pytestmark = pytest.mark.django_db

D = Decimal


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def program():
    employer = EmployerFactory(code="MCOE", name="Mendocino County Office of Education")
    return ProgramFactory(employer=employer, code="6500", name="Special education")


@pytest.fixture
def teacher(program):
    return hire(
        program=program,
        number="1047",
        first_name="Ruth",
        last_name="Alvarez",
        hire_date=date(1982, 7, 1),
    )


def hire_payload(to_program, **overrides):
    payload = {
        "employer": to_program.employer_id,
        "program": to_program.pk,
        "number": "2001",
        "first_name": "Ruth",
        "last_name": "Alvarez",
        "birth_date": "1948-03-02",
        "hire_date": "1983-08-11",
        "status": "regular",
        "weekly_hours": "40.00",
    }
    payload.update(overrides)
    return payload


# ---------------------------------------------------------------------------------------
# Happy paths: coverage and premium lines visible through the API
# ---------------------------------------------------------------------------------------


def test_R_EL6_hire_through_the_api_and_read_the_coverage_timeline(clerk_client, program):
    response = post(clerk_client, "/api/v1/employees/", hire_payload(program))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["program_code"], body["weekly_hours"]) == ("2001", "6500", "40.00")
    coverage = clerk_client.get(f"/api/v1/employees/{body['id']}/coverage/").json()
    assert [(s["start"], s["end"], s["tier"], s["source"]) for s in coverage] == [
        ("1983-08-11", "1983-09-30", "none", "hire"),
        ("1983-10-01", None, "full", "hire"),
    ]
    assert coverage[1]["tier_label"] == "Full (30+ hours)"


def test_R_PR2_premium_lines_of_an_employee_for_a_month(clerk_client, teacher):
    url = f"/api/v1/employees/{teacher.pk}/premium-lines/"
    body = clerk_client.get(url, {"month": "1983-09"}).json()
    assert (body["tier"], body["employer_total"], body["employee_total"]) == (
        "full",
        "205.60",
        "0.00",
    )
    assert [(x["line"], x["payer"], x["amount"]) for x in body["lines"]] == [
        ("major_medical", "employer", "133.93"),
        ("trust_fund", "employer", "41.67"),
        ("dental", "employer", "30.00"),
    ]
    assert clerk_client.get(url, {"month": "1982-07"}).json()["lines"] == []  # not yet covered
    bad = clerk_client.get(url, {"month": "Sept 1983"})
    assert bad.status_code == 400
    assert "YYYY-MM" in bad.json()["month"][0]


def test_R_EL7_R_EL8_hours_changes_and_continuation_election(clerk_client, teacher):
    url = f"/api/v1/employees/{teacher.pk}/hours-changes/"
    response = post(clerk_client, url, {"effective_date": "1983-11-15", "weekly_hours": "25"})
    assert response.status_code == 201, response.content
    reduction = response.json()["id"]
    response = post(
        clerk_client,
        f"/api/v1/employees/{teacher.pk}/continuation-elections/",
        {"reduction": reduction, "elected_on": "1983-11-20"},
    )
    assert response.status_code == 201, response.content
    body = clerk_client.get(
        f"/api/v1/employees/{teacher.pk}/premium-lines/", {"month": "1983-12"}
    ).json()
    assert (body["tier"], body["employer_total"], body["employee_total"]) == (
        "full",
        "156.43",
        "49.17",
    )
    history = clerk_client.get(url).json()
    assert [
        (h["effective_date"], h["weekly_hours"], h["continuation_elected"]) for h in history
    ] == [
        ("1982-07-01", "40.00", False),
        ("1983-11-15", "25.00", True),
    ]


def test_R_EL9_separation_through_the_api(clerk_client, teacher):
    response = post(
        clerk_client,
        f"/api/v1/employees/{teacher.pk}/separation/",
        {"separation_date": "1984-03-16", "reason": "retirement"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["separation_date"] == "1984-03-16"
    coverage = clerk_client.get(f"/api/v1/employees/{teacher.pk}/coverage/").json()
    assert (coverage[-1]["start"], coverage[-1]["tier"]) == ("1984-04-01", "none")
    response = post(
        clerk_client,
        f"/api/v1/employees/{teacher.pk}/separation-continuation/",
        {"elected_on": "1984-03-20", "until": None},
    )
    assert response.status_code == 201, response.content
    body = clerk_client.get(
        f"/api/v1/employees/{teacher.pk}/premium-lines/", {"month": "1984-05"}
    ).json()
    assert (body["employer_total"], body["employee_total"]) == ("0.00", "163.93")


def test_R_EL10_override_records_the_reason_and_author(clerk_client, teacher):
    response = post(
        clerk_client,
        f"/api/v1/employees/{teacher.pk}/overrides/",
        {"start": "1982-07-01", "end": "1982-07-31", "tier": "full", "reason": "Transfer"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["created_by"] == "clerk1"
    coverage = clerk_client.get(f"/api/v1/employees/{teacher.pk}/coverage/").json()
    assert coverage[0] | {} == {
        "start": "1982-07-01",
        "end": "1982-07-31",
        "tier": "full",
        "tier_label": "Full (30+ hours)",
        "source": "override",
        "employer_basis": "",
        "employee_pays_difference": False,
        "dental": True,
        "reason": "Transfer",
        "author": "clerk1",
    }
    assert len(clerk_client.get(f"/api/v1/employees/{teacher.pk}/overrides/").json()) == 1


def test_R_EL11_marriage_through_the_api(clerk_client, program, teacher):
    spouse = hire(program=program, first_name="Dan", last_name="Alvarez")
    response = post(
        clerk_client,
        "/api/v1/marriages/",
        {
            "employee_a": teacher.pk,
            "employee_b": spouse.pk,
            "married_on": "1984-09-15",
            "retained": teacher.pk,
        },
    )
    assert response.status_code == 201, response.content
    dependents = clerk_client.get(f"/api/v1/employees/{teacher.pk}/dependents/").json()
    assert [(d["relationship"], d["spouse_employee"], d["covered_from"]) for d in dependents] == [
        ("spouse", spouse.pk, "1984-10-01")
    ]


def test_dependents_and_beneficiaries(clerk_client, teacher):
    base = f"/api/v1/employees/{teacher.pk}"
    child = post(
        clerk_client,
        f"{base}/dependents/",
        {
            "relationship": "child",
            "first_name": "Maya",
            "last_name": "Alvarez",
            "birth_date": "1979-05-04",
        },
    )
    assert child.status_code == 201, child.content
    removal = post(
        clerk_client,
        f"{base}/dependents/{child.json()['id']}/removal/",
        {"ended_on": "1985-06-30", "reason": "Age limit"},
    )
    assert removal.status_code == 200 and removal.json()["ended_on"] == "1985-06-30"
    first = post(
        clerk_client,
        f"{base}/beneficiaries/",
        {
            "name": "Dan Alvarez",
            "relationship": "spouse",
            "share_percent": "50",
            "signed_date": "1982-07-01",
        },
    )
    assert first.status_code == 201 and first.json()["share_percent"] == "50.00"
    revoked = post(
        clerk_client,
        f"{base}/beneficiaries/{first.json()['id']}/revocation/",
        {"revoked_on": "1984-01-02"},
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_on"] == "1984-01-02"


def test_employers_programs_and_plan_years(
    administrator_client, clerk_client, payroll_client, teacher
):
    employers = clerk_client.get("/api/v1/employers/").json()["results"]
    assert [e["code"] for e in employers] == ["MCOE"]
    created = post(
        administrator_client, "/api/v1/employers/", {"code": "ukiah", "name": "Ukiah USD"}
    )
    assert created.status_code == 201 and created.json()["code"] == "UKIAH"
    program = post(
        administrator_client,
        "/api/v1/programs/",
        {"employer": created.json()["id"], "code": "0100", "name": "Administration"},
    )
    assert program.status_code == 201, program.content
    assert post(clerk_client, "/api/v1/employers/", {"code": "X", "name": "Y"}).status_code == 403
    years = clerk_client.get("/api/v1/plan-years/", {"start_year": 1983}).json()["results"]
    full = next(s for s in years[0]["premium_schedules"] if s["tier"] == "full")
    assert (years[0]["label"], full["employer_total"]) == ("1983-84", "205.60")
    charges = payroll_client.get(
        f"/api/v1/employers/{teacher.employer_id}/charges/", {"month": "1983-10"}
    ).json()
    assert (charges["employee_count"], charges["employer_total"], charges["total"]) == (
        1,
        "205.60",
        "205.60",
    )
    assert charges["programs"] == [
        {"program_code": "6500", "employer": "205.60", "employee": "0.00", "total": "205.60"}
    ]


def test_employee_list_has_no_n_plus_1(clerk_client, program, django_assert_max_num_queries):
    for index in range(12):
        hire(program=program, last_name=f"Name{index:02d}", hire_date=date(1982, 7, 1))
    clerk_client.get("/api/v1/employees/")  # warm the session and role caches
    with django_assert_max_num_queries(6):
        response = clerk_client.get("/api/v1/employees/", {"on": "1984-01-01"})
    results = response.json()["results"]
    assert len(results) == 12
    assert {(e["program_code"], e["current_tier"]) for e in results} == {("6500", "full")}


def test_employee_list_filters(clerk_client, program, teacher):
    hire(program=program, last_name="Smith", weekly_hours=D("25"), hire_date=date(1982, 7, 1))
    response = clerk_client.get("/api/v1/employees/", {"search": "alv"})
    assert [e["last_name"] for e in response.json()["results"]] == ["Alvarez"]
    response = clerk_client.get("/api/v1/employees/", {"tier": "three_quarter", "on": "1984-01-01"})
    assert [e["last_name"] for e in response.json()["results"]] == ["Smith"]
    assert clerk_client.get("/api/v1/employees/", {"tier": "gold"}).status_code == 400


# ---------------------------------------------------------------------------------------
# Bad input: 400 with the field error, and nothing changed
# ---------------------------------------------------------------------------------------


def assert_refused(client, url, payload, field, text):
    before = snapshot()
    response = post(client, url, payload)
    assert response.status_code == 400, response.content
    messages = " ".join(map(str, response.json()[field]))
    assert text in messages, messages
    assert snapshot() == before


def test_unknown_employer_or_program_is_refused(clerk_client, program):
    other = ProgramFactory()  # a program of another employer
    assert_refused(
        clerk_client,
        "/api/v1/employees/",
        hire_payload(program, employer=99999),
        "employer",
        "Unknown employer 99999",
    )
    assert_refused(
        clerk_client,
        "/api/v1/employees/",
        hire_payload(program, program=other.pk),
        "program",
        f"Unknown program {other.pk}",
    )


def test_duplicate_employee_number_is_refused(clerk_client, program, teacher):
    assert_refused(
        clerk_client,
        "/api/v1/employees/",
        hire_payload(program, number="1047"),
        "number",
        "Employee number 1047 is already used at MCOE (Ruth Alvarez)",
    )


@pytest.mark.parametrize("hours", ["-1", "80.01", "120"])
def test_weekly_hours_outside_0_to_80_are_refused(clerk_client, program, teacher, hours):
    assert_refused(
        clerk_client,
        "/api/v1/employees/",
        hire_payload(program, weekly_hours=hours),
        "weekly_hours",
        "from 0 to 80",
    )
    assert_refused(
        clerk_client,
        f"/api/v1/employees/{teacher.pk}/hours-changes/",
        {"effective_date": "1984-01-09", "weekly_hours": hours},
        "weekly_hours",
        "from 0 to 80",
    )


def test_hours_change_dated_before_the_hire_date_is_refused(clerk_client, teacher):
    assert_refused(
        clerk_client,
        f"/api/v1/employees/{teacher.pk}/hours-changes/",
        {"effective_date": "1982-06-30", "weekly_hours": "20"},
        "effective_date",
        "before the hire date (1982-07-01)",
    )


def test_separation_before_hire_or_twice_is_refused(clerk_client, teacher):
    url = f"/api/v1/employees/{teacher.pk}/separation/"
    assert_refused(
        clerk_client,
        url,
        {"separation_date": "1982-06-01", "reason": "resignation"},
        "separation_date",
        "before the hire date",
    )
    assert_refused(
        clerk_client,
        url,
        {"separation_date": "1984-06-01", "reason": "fired"},
        "reason",
        "Choose a separation reason",
    )
    assert (
        post(
            clerk_client, url, {"separation_date": "1984-06-01", "reason": "resignation"}
        ).status_code
        == 200
    )
    assert_refused(
        clerk_client,
        url,
        {"separation_date": "1984-08-01", "reason": "resignation"},
        "separation_date",
        "already separated on 1984-06-01",
    )


def test_marrying_oneself_or_someone_already_married_is_refused(clerk_client, program, teacher):
    spouse = hire(program=program, first_name="Dan", last_name="Alvarez")
    third = hire(program=program, first_name="Eve", last_name="Stone")
    assert_refused(
        clerk_client,
        "/api/v1/marriages/",
        {
            "employee_a": teacher.pk,
            "employee_b": teacher.pk,
            "married_on": "1984-09-15",
            "retained": teacher.pk,
        },
        "employee_b",
        "cannot marry themselves",
    )
    services.employees_marry(
        employee_a_id=teacher.pk,
        employee_b_id=spouse.pk,
        married_on=date(1984, 9, 15),
        retained_id=teacher.pk,
    )
    assert_refused(
        clerk_client,
        "/api/v1/marriages/",
        {
            "employee_a": third.pk,
            "employee_b": spouse.pk,
            "married_on": "1985-01-05",
            "retained": third.pk,
        },
        "employee_b",
        "Dan Alvarez is already married to Ruth Alvarez in the plan",
    )


def test_beneficiary_shares_above_100_percent_are_refused(clerk_client, teacher):
    url = f"/api/v1/employees/{teacher.pk}/beneficiaries/"
    payload = {
        "name": "Dan",
        "relationship": "spouse",
        "share_percent": "70",
        "signed_date": "1982-07-01",
    }
    assert post(clerk_client, url, payload).status_code == 201
    assert_refused(
        clerk_client,
        url,
        payload | {"name": "Maya", "relationship": "daughter"},
        "share_percent",
        "would total 140.00%",
    )
    assert_refused(
        clerk_client, url, payload | {"share_percent": "101"}, "share_percent", "at most 100%"
    )


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_R_EL10_an_override_without_a_reason_is_refused(clerk_client, teacher, reason):
    payload = {"start": "1982-07-01", "end": "1982-07-31", "tier": "full"}
    if reason is not None:
        payload["reason"] = reason
    assert_refused(
        clerk_client, f"/api/v1/employees/{teacher.pk}/overrides/", payload, "reason", ""
    )


# ---------------------------------------------------------------------------------------
# Who may see and do what
# ---------------------------------------------------------------------------------------


def test_an_employee_sees_only_their_own_record(employee_client, employee_user, teacher):
    own = Employee.objects.get(user=employee_user)
    listed = employee_client.get("/api/v1/employees/").json()["results"]
    assert [e["id"] for e in listed] == [own.pk]
    assert employee_client.get(f"/api/v1/employees/{own.pk}/").status_code == 200
    assert employee_client.get(f"/api/v1/employees/{own.pk}/coverage/").status_code == 200
    for path in ("", "coverage/", "dependents/", "beneficiaries/", "hours-changes/"):
        assert employee_client.get(f"/api/v1/employees/{teacher.pk}/{path}").status_code == 404
    assert employee_client.get("/api/v1/employees/999999/").status_code == 404
    assert (
        employee_client.get(
            f"/api/v1/employees/{teacher.pk}/premium-lines/", {"month": "1983-09"}
        ).status_code
        == 404
    )


def test_an_employee_cannot_write_even_their_own_record(employee_client, employee_user):
    own = Employee.objects.get(user=employee_user)
    before = snapshot()
    response = post(
        employee_client,
        f"/api/v1/employees/{own.pk}/hours-changes/",
        {"effective_date": "1984-01-09", "weekly_hours": "40"},
    )
    assert response.status_code == 403
    assert employee_client.get("/api/v1/employers/").status_code == 403
    assert snapshot() == before


def test_superintendent_and_payroll_read_but_do_not_write(
    superintendent_client, payroll_client, teacher
):
    for client in (superintendent_client, payroll_client):
        assert client.get(f"/api/v1/employees/{teacher.pk}/coverage/").status_code == 200
        response = post(
            client,
            f"/api/v1/employees/{teacher.pk}/separation/",
            {"separation_date": "1984-06-01", "reason": "resignation"},
        )
        assert response.status_code == 403


def test_anonymous_requests_are_refused(client, teacher):
    assert client.get(f"/api/v1/employees/{teacher.pk}/").status_code in (401, 403)


def test_openapi_schema_documents_the_members_endpoints_with_examples(clerk_client):
    schema = clerk_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/employees/{id}/coverage/",
        "/api/v1/employees/{id}/premium-lines/",
        "/api/v1/employees/{id}/hours-changes/",
        "/api/v1/employees/{id}/overrides/",
        "/api/v1/employers/{id}/charges/",
        "/api/v1/marriages/",
    ):
        assert path in paths
    examples = paths["/api/v1/employees/"]["post"]["requestBody"]["content"]["application/json"]
    assert any(e["value"]["hire_date"] == "1984-08-11" for e in examples["examples"].values())
