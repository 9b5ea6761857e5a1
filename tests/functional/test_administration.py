"""The administrator's pages and API: plan years and their settings, premium schedules
(R-PR1), employers and programs, users and their roles.

Every refusal names its field and saves nothing; only the administrator may write.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.test import Client

from accounts.models import Employee, Employer, PlanYear, PremiumSchedule, Program
from accounts.rules import Tier
from accounts.selectors import monthly_premium_charges, plan_year_rates
from tests.conftest import sign_in, verified_device
from tests.factories import EmployerFactory, PlanYearFactory, ProgramFactory, hire
from vesting.models import MonthClose, VestingRun, VestingRunEmployerStep

pytestmark = pytest.mark.django_db

D = Decimal

SETTINGS = {
    "deductible": "500.00",
    "maximum_vest": "500.00",
    "carrier_maximum": "1000000.00",
    "grandfathered_employer_share": "0.5",
    "separation_year_vests": "on",
    "prior_year_hold_from": "year_end",
}
SCHEDULE_1986 = {
    "effective_from": "1986-07",
    "full-major_medical_employer": "141.30",
    "full-trust_fund_employer": "41.67",
    "full-dental_employer": "34.00",
    "three_quarter-major_medical_employer": "141.30",
    "three_quarter-dental_employer": "25.50",
    "three_quarter-dental_employee": "8.50",
    "self_pay-major_medical_employee": "141.30",
    "self_pay-dental_employee": "34.00",
}


def post_json(client, url, data, method="post"):
    return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")


def close_month(employer, year, month):
    return MonthClose.objects.create(employer=employer, year=year, month=month)


# --- The Administration page -------------------------------------------------------------


def test_administration_page_links_to_the_apps_own_pages(administrator_client):
    page = administrator_client.get("/administration/").content.decode()
    assert "/administration/plan-years/" in page
    assert "/administration/employers/" in page
    assert "/administration/users/" in page
    assert "/admin/accounts" not in page
    assert "/admin/auth" not in page


# --- Plan years --------------------------------------------------------------------------


def test_administrator_creates_a_plan_year_on_its_page(administrator_client):
    response = administrator_client.post(
        "/administration/plan-years/new/", {"start_year": "1986", **SETTINGS}
    )
    assert response.status_code == 302
    assert response["Location"] == "/administration/plan-years/1986-87/"
    year = PlanYear.objects.get(start_year=1986)
    assert (year.deductible, year.maximum_vest, year.grandfathered_employer_share) == (
        D("500.00"),
        D("500.00"),
        D("0.5000"),
    )
    listing = administrator_client.get("/administration/plan-years/").content.decode()
    assert "1986-87" in listing
    detail = administrator_client.get(response["Location"]).content.decode()
    assert "has no premium schedule yet" in detail


def test_impossible_plan_year_settings_are_refused_inline_and_nothing_is_saved(
    administrator_client,
):
    before = PlanYear.objects.count()
    response = administrator_client.post(
        "/administration/plan-years/new/",
        {
            **SETTINGS,
            "start_year": "1986",
            "deductible": "-500",
            "maximum_vest": "-1",
            "grandfathered_employer_share": "7",
            "carrier_maximum": "12.345",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "nothing was saved" in page
    assert 'id="id_deductible-error"' in page
    assert 'id="id_maximum_vest-error"' in page
    assert 'id="id_grandfathered_employer_share-error"' in page
    assert 'id="id_carrier_maximum-error"' in page
    assert "The amount cannot be negative." in page
    assert "at most two decimals" in page
    assert "fraction from 0 to 1" in page
    assert PlanYear.objects.count() == before


def test_maximum_vest_above_the_deductible_is_refused_R_VE1(administrator_client):
    response = administrator_client.post(
        "/administration/plan-years/new/",
        {**SETTINGS, "start_year": "1986", "deductible": "400.00", "maximum_vest": "500.00"},
    )
    page = response.content.decode()
    assert 'id="id_maximum_vest-error"' in page
    assert "cannot be above the deductible (400.00)" in page
    assert not PlanYear.objects.filter(start_year=1986).exists()


def test_a_plan_year_that_exists_is_refused_on_start_year(administrator_client):
    response = administrator_client.post(
        "/administration/plan-years/new/", {**SETTINGS, "start_year": "1983"}
    )
    assert 'id="id_start_year-error"' in response.content.decode()
    assert "1983-84 exists already" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("deductible", D("-500.00")),
        ("maximum_vest", D("-1.00")),
        ("carrier_maximum", D("-1.00")),
        ("grandfathered_employer_share", D("7")),
        ("grandfathered_employer_share", D("-0.1")),
    ],
)
def test_the_database_refuses_impossible_settings_whoever_saves_them(field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanYear.objects.create(start_year=1990, **{field: value})


def test_the_django_admin_cannot_save_a_share_of_seven_either(db):
    # The superuser's form refuses it; the database would too (above).
    superuser = User.objects.create_superuser("root", password="x-long-password-1")
    client = Client()
    client.force_login(superuser)
    year = PlanYear.objects.get(start_year=1983)
    data = {
        "start_year": "1983",
        "deductible": "500.00",
        "maximum_vest": "500.00",
        "carrier_maximum": "1000000.00",
        "grandfathered_employer_share": "7",
        "prior_year_hold_from": "year_end",
        "premium_schedules-TOTAL_FORMS": "0",
        "premium_schedules-INITIAL_FORMS": "0",
    }
    response = client.post(f"/admin/accounts/planyear/{year.pk}/change/", data)
    assert (
        "The grandfathered employer share is a fraction from 0 to 1." in response.content.decode()
    )
    year.refresh_from_db()
    assert year.grandfathered_employer_share == D("0.5000")


def test_editing_a_plan_year_with_closed_months_locks_its_money_settings(administrator_client):
    employer = EmployerFactory()
    close_month(employer, 1983, 7)
    page = administrator_client.get("/administration/plan-years/1983-84/edit/").content.decode()
    assert "Locked: July 1983 is closed" in page
    response = administrator_client.post(
        "/administration/plan-years/1983-84/edit/",
        {**SETTINGS, "deductible": "600.00", "separation_year_vests": ""},
    )
    assert response.status_code == 302
    year = PlanYear.objects.get(start_year=1983)
    assert year.deductible == D("500.00")  # the disabled field kept its value
    assert year.separation_year_vests is False  # still editable until the rollover


def test_the_service_refuses_a_locked_setting_with_its_reason(administrator_client):
    employer = EmployerFactory()
    close_month(employer, 1983, 9)
    year = PlanYear.objects.get(start_year=1983)
    response = post_json(
        administrator_client, f"/api/v1/plan-years/{year.pk}/", {"deductible": "600.00"}, "patch"
    )
    assert response.status_code == 400
    assert "September 1983 is closed" in response.json()["deductible"][0]
    year.refresh_from_db()
    assert year.deductible == D("500.00")


def test_after_the_rollover_vested_every_setting_is_locked(administrator_client):
    employer = EmployerFactory()
    run = VestingRun.objects.create(policy_year=1983, status="completed")
    VestingRunEmployerStep.objects.create(
        run=run, employer=employer, policy_year=1983, status="completed"
    )
    year = PlanYear.objects.get(start_year=1983)
    response = post_json(
        administrator_client,
        f"/api/v1/plan-years/{year.pk}/",
        {"separation_year_vests": False},
        "patch",
    )
    assert response.status_code == 400
    assert "rollover has vested" in response.json()["separation_year_vests"][0]


def test_a_failed_rollover_leaves_the_settings_correctable(administrator_client):
    employer = EmployerFactory()
    run = VestingRun.objects.create(policy_year=1983, status="failed")
    VestingRunEmployerStep.objects.create(
        run=run, employer=employer, policy_year=1983, status="failed"
    )
    year = PlanYear.objects.get(start_year=1983)
    response = post_json(
        administrator_client, f"/api/v1/plan-years/{year.pk}/", {"maximum_vest": "400.00"}, "patch"
    )
    assert response.status_code == 200
    assert response.json()["maximum_vest"] == "400.00"


# --- Premium schedules -------------------------------------------------------------------


def test_first_schedule_is_saved_and_its_totals_are_computed(administrator_client):
    PlanYearFactory(start_year=1986)
    response = administrator_client.post(
        "/administration/plan-years/1986-87/schedule/", SCHEDULE_1986
    )
    assert response.status_code == 302
    full = PremiumSchedule.objects.get(plan_year__start_year=1986, tier="full")
    assert full.effective_from == date(1986, 7, 1)
    page = administrator_client.get("/administration/plan-years/1986-87/").content.decode()
    assert "From July 1986" in page
    assert "216.97" in page  # 141.30 + 41.67 + 34.00, the full tier's employer total
    assert "166.80" in page  # 141.30 + 25.50, three-quarter employer
    assert "175.30" in page  # self-pay: the employee pays it all


def test_first_schedule_without_a_tier_is_refused_and_saves_nothing(administrator_client):
    PlanYearFactory(start_year=1986)
    data = {k: v for k, v in SCHEDULE_1986.items() if not k.startswith("self_pay")}
    response = administrator_client.post("/administration/plan-years/1986-87/schedule/", data)
    page = response.content.decode()
    assert 'id="id_self_pay-major_medical_employer-error"' in page
    assert "Give the Self-pay (under 20 hours) rates: 1986-87 has no schedule for it yet" in page
    assert not PremiumSchedule.objects.filter(plan_year__start_year=1986).exists()


def test_a_rate_with_three_decimals_is_refused_on_its_field(administrator_client):
    PlanYearFactory(start_year=1986)
    data = {**SCHEDULE_1986, "full-dental_employer": "34.005"}
    response = administrator_client.post("/administration/plan-years/1986-87/schedule/", data)
    assert 'id="id_full-dental_employer-error"' in response.content.decode()
    summary = "Full (30+ hours), dental, employer: Enter dollars and cents: at most two decimals."
    assert summary in response.content.decode()
    assert not PremiumSchedule.objects.filter(plan_year__start_year=1986).exists()


def test_revision_from_a_closed_month_is_refused(administrator_client):
    employer = EmployerFactory()
    close_month(employer, 1983, 7)
    close_month(employer, 1983, 8)
    response = administrator_client.post(
        "/administration/plan-years/1983-84/schedule/",
        {
            "effective_from": "1983-08",
            "full-major_medical_employer": "150.00",
            "full-trust_fund_employer": "41.67",
            "full-dental_employer": "30.00",
        },
    )
    page = response.content.decode()
    assert 'id="id_effective_from-error"' in page
    assert "August 1983 is closed" in page
    assert PremiumSchedule.objects.filter(plan_year__start_year=1983).count() == 3


def test_revision_from_an_open_month_applies_from_that_month_only(administrator_client):
    employer = EmployerFactory()
    close_month(employer, 1983, 7)
    response = administrator_client.post(
        "/administration/plan-years/1983-84/schedule/",
        {
            "effective_from": "1983-09",
            "full-major_medical_employer": "141.30",
            "full-trust_fund_employer": "41.67",
            "full-dental_employer": "34.00",
        },
    )
    assert response.status_code == 302
    august = plan_year_rates(1983, date(1983, 8, 1)).rates_by_tier[Tier.FULL]
    september = plan_year_rates(1983, date(1983, 9, 1)).rates_by_tier[Tier.FULL]
    june = plan_year_rates(1983, date(1984, 6, 1)).rates_by_tier[Tier.FULL]
    assert august.major_medical_employer == D("133.93")
    assert september.major_medical_employer == D("141.30")
    assert june.dental_employer == D("34.00")
    # The tiers left out keep their rates.
    three_quarter = plan_year_rates(1983, date(1983, 9, 1)).rates_by_tier[Tier.THREE_QUARTER]
    assert three_quarter.dental_employee == D("7.50")


def test_monthly_charges_follow_the_revision_in_force(administrator_client):
    program = ProgramFactory()
    hire(program=program, hire_date=date(1983, 6, 1))  # FULL from July 1, 1983
    post_json(
        administrator_client,
        f"/api/v1/plan-years/{PlanYear.objects.get(start_year=1983).pk}/schedule/",
        {
            "effective_from": "1984-01-01",
            "rates": [
                {
                    "tier": "full",
                    "major_medical_employer": "141.30",
                    "trust_fund_employer": "41.67",
                    "dental_employer": "34.00",
                }
            ],
        },
    )
    december = monthly_premium_charges(employer_id=program.employer_id, year=1983, month=12)
    january = monthly_premium_charges(employer_id=program.employer_id, year=1984, month=1)
    assert december.total(payer="employer") == D("205.60")
    assert january.total(payer="employer") == D("216.97")


def test_api_schedule_revision_answers_field_errors(administrator_client):
    employer = EmployerFactory()
    close_month(employer, 1983, 10)
    year = PlanYear.objects.get(start_year=1983)
    response = post_json(
        administrator_client,
        f"/api/v1/plan-years/{year.pk}/schedule/",
        {"effective_from": "1983-09-01", "rates": [{"tier": "full", "dental_employer": "34.00"}]},
    )
    assert response.status_code == 400
    assert "October 1983 is closed" in response.json()["effective_from"][0]
    response = post_json(
        administrator_client,
        f"/api/v1/plan-years/{year.pk}/schedule/",
        {"effective_from": "1983-11-01", "rates": [{"tier": "full", "dental_employer": "-1"}]},
    )
    assert response.status_code == 400, response.json()
    assert response.json()["rates"]["0"] == {"dental_employer": ["The amount cannot be negative."]}
    assert PremiumSchedule.objects.filter(plan_year=year).count() == 3


def test_api_creates_a_plan_year_and_refuses_bad_values(administrator_client):
    response = post_json(
        administrator_client,
        "/api/v1/plan-years/",
        {
            "start_year": 1986,
            "deductible": "-500",
            "maximum_vest": "-1",
            "carrier_maximum": "1000000.00",
            "grandfathered_employer_share": "7",
        },
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"deductible", "maximum_vest", "grandfathered_employer_share"}
    assert not PlanYear.objects.filter(start_year=1986).exists()
    response = post_json(
        administrator_client,
        "/api/v1/plan-years/",
        {
            "start_year": 1986,
            "deductible": "500.00",
            "maximum_vest": "500.00",
            "carrier_maximum": "1000000.00",
            "grandfathered_employer_share": "0.5",
        },
    )
    assert response.status_code == 201
    assert response.json()["label"] == "1986-87"
    assert response.json()["locked"] == {}


# --- Employers and programs --------------------------------------------------------------


def test_administrator_creates_and_edits_employers_and_programs(administrator_client):
    response = administrator_client.post(
        "/administration/employers/new/", {"code": "ukiah", "name": "Ukiah Unified"}
    )
    assert response.status_code == 302
    employer = Employer.objects.get(code="UKIAH")
    administrator_client.post(f"/administration/employers/{employer.pk}/", {"name": "Ukiah USD"})
    employer.refresh_from_db()
    assert employer.name == "Ukiah USD"
    response = administrator_client.post(
        "/administration/programs/new/",
        {
            "employer": employer.pk,
            "code": "6500",
            "name": "Special education",
            "categorically_funded": "on",
        },
    )
    assert response.status_code == 302
    program = Program.objects.get(employer=employer, code="6500")
    assert program.categorically_funded is True
    page = administrator_client.get("/administration/employers/").content.decode()
    assert "Ukiah USD (UKIAH)" in page
    assert "Special education" in page


def test_duplicate_codes_are_refused_inline(administrator_client):
    employer = EmployerFactory(code="MCOE")
    ProgramFactory(employer=employer, code="6500")
    response = administrator_client.post(
        "/administration/employers/new/", {"code": "mcoe", "name": "Another"}
    )
    assert 'id="id_code-error"' in response.content.decode()
    response = administrator_client.post(
        "/administration/programs/new/", {"employer": employer.pk, "code": "6500", "name": "X"}
    )
    assert "already used by this employer" in response.content.decode()
    assert Program.objects.filter(employer=employer).count() == 1


# --- Users -------------------------------------------------------------------------------


USER = {
    "username": "mgarcia",
    "first_name": "Maria",
    "last_name": "Garcia",
    "email": "mgarcia@example.org",
    "role": "clerk",
    "password1": "trust-fund-1986",
    "password2": "trust-fund-1986",
}


def test_administrator_creates_a_user_with_a_role_who_can_log_in(administrator_client):
    response = administrator_client.post("/administration/users/new/", USER)
    assert response.status_code == 302
    user = User.objects.get(username="mgarcia")
    assert list(user.groups.values_list("name", flat=True)) == ["clerk"]
    client = Client()
    verified_device(user)  # the new clerk has set up their authenticator app
    assert sign_in(client, "mgarcia", "trust-fund-1986")
    assert client.get("/").headers["Location"] == "/employees/"
    listing = administrator_client.get("/administration/users/").content.decode()
    assert "mgarcia" in listing
    assert "Benefits clerk" in listing


def test_a_weak_password_is_refused_and_no_user_is_saved(administrator_client):
    response = administrator_client.post(
        "/administration/users/new/", {**USER, "password1": "1234", "password2": "1234"}
    )
    page = response.content.decode()
    assert 'id="id_password1-error"' in page
    assert "too short" in page
    assert not User.objects.filter(username="mgarcia").exists()


def test_an_employee_user_is_linked_to_the_employee_record(administrator_client):
    program = ProgramFactory(employer=EmployerFactory(code="MCOE"))
    employee = hire(program=program, number="1047")
    response = administrator_client.post(
        "/administration/users/new/",
        {**USER, "role": "employee", "employer": program.employer_id, "employee_number": "1047"},
    )
    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.user.username == "mgarcia"


def test_an_unknown_employee_number_is_refused_and_nothing_is_saved(administrator_client):
    response = administrator_client.post(
        "/administration/users/new/", {**USER, "role": "employee", "employee_number": "9999"}
    )
    page = response.content.decode()
    assert 'id="id_employee_number-error"' in page
    assert "No employee has the number 9999" in page
    assert not User.objects.filter(username="mgarcia").exists()


def test_an_employee_already_linked_is_refused(administrator_client, employee_user):
    employee = Employee.objects.get(user=employee_user)
    response = administrator_client.post(
        "/administration/users/new/",
        {
            **USER,
            "role": "employee",
            "employer": employee.employer_id,
            "employee_number": employee.number,
        },
    )
    assert "linked to another user already" in response.content.decode()
    assert not User.objects.filter(username="mgarcia").exists()


def test_administrator_changes_a_role_deactivates_and_sets_a_password(
    administrator_client, clerk_user
):
    response = administrator_client.post(
        f"/administration/users/{clerk_user.pk}/",
        {"first_name": "Ann", "last_name": "Lee", "email": "", "role": "payroll"},
    )
    assert response.status_code == 302
    clerk_user.refresh_from_db()
    assert list(clerk_user.groups.values_list("name", flat=True)) == ["payroll"]
    assert clerk_user.is_active is False  # the Active box was left unchecked
    response = administrator_client.post(
        f"/administration/users/{clerk_user.pk}/password/",
        {"password1": "new-password-1986", "password2": "new-password-1986"},
    )
    assert response.status_code == 302
    clerk_user.refresh_from_db()
    assert clerk_user.check_password("new-password-1986")
    assert not sign_in(Client(), clerk_user.username, "new-password-1986")


def test_an_administrator_cannot_demote_themself(administrator_client, administrator_user):
    response = administrator_client.post(
        f"/administration/users/{administrator_user.pk}/",
        {"role": "clerk", "is_active": "on"},
    )
    assert "cannot take your own administrator role away" in response.content.decode()
    assert administrator_user.groups.filter(name="administrator").exists()


def test_users_api_creates_and_refuses(administrator_client):
    response = post_json(
        administrator_client,
        "/api/v1/users/",
        {"username": "pay2", "role": "payroll", "password": "short"},
    )
    assert response.status_code == 400
    assert "password" in response.json()
    response = post_json(
        administrator_client,
        "/api/v1/users/",
        {"username": "pay2", "role": "payroll", "password": "payroll-of-1986"},
    )
    assert response.status_code == 201
    assert response.json()["role"] == "payroll"
    user_id = response.json()["id"]
    response = post_json(
        administrator_client, f"/api/v1/users/{user_id}/", {"is_active": False}, "patch"
    )
    assert response.json()["is_active"] is False
    assert response.json()["role"] == "payroll"
    response = post_json(
        administrator_client, f"/api/v1/users/{user_id}/password/", {"password": "abc"}
    )
    assert response.status_code == 400


# --- Who may -----------------------------------------------------------------------------


PAGES = [
    "/administration/plan-years/",
    "/administration/plan-years/new/",
    "/administration/plan-years/1983-84/",
    "/administration/plan-years/1983-84/edit/",
    "/administration/plan-years/1983-84/schedule/",
    "/administration/employers/",
    "/administration/employers/new/",
    "/administration/programs/new/",
    "/administration/users/",
    "/administration/users/new/",
]


@pytest.mark.parametrize("role", ["clerk", "superintendent", "payroll", "employee"])
def test_other_roles_get_403_on_the_pages_and_the_api(role, request):
    client = request.getfixturevalue(f"{role}_client")
    for url in PAGES:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"start_year": "1990", **SETTINGS}).status_code == 403, url
    year = PlanYear.objects.get(start_year=1983)
    assert post_json(client, "/api/v1/plan-years/", {"start_year": 1990}).status_code == 403
    assert (
        post_json(client, f"/api/v1/plan-years/{year.pk}/schedule/", {"rates": []}).status_code
        == 403
    )
    assert post_json(client, f"/api/v1/plan-years/{year.pk}/", {}, "patch").status_code == 403
    assert client.get("/api/v1/users/").status_code == 403
    assert post_json(client, "/api/v1/users/", {"username": "x"}).status_code == 403
    assert not PlanYear.objects.filter(start_year=1990).exists()


def test_the_schema_names_the_new_endpoints(administrator_client):
    schema = administrator_client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/plan-years/{id}/schedule/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/plan-years/"]
    assert "/api/v1/users/{id}/password/" in schema["paths"]


def test_revising_the_same_month_again_replaces_its_rates(administrator_client):
    url = "/administration/plan-years/1983-84/schedule/"
    rates = {"full-major_medical_employer": "141.30", "full-trust_fund_employer": "41.67"}
    administrator_client.post(url, {"effective_from": "1984-01", **rates})
    administrator_client.post(
        url, {"effective_from": "1984-01", **rates, "full-major_medical_employer": "145.00"}
    )
    january = PremiumSchedule.objects.filter(
        plan_year__start_year=1983, tier="full", effective_from=date(1984, 1, 1)
    )
    assert [row.major_medical_employer for row in january] == [D("145.00")]
    assert plan_year_rates(1983, date(1983, 12, 1)).rates_by_tier[Tier.FULL].dental_employer == D(
        "30.00"
    )


def test_the_demo_administrator_reaches_every_page(db):
    from reports.management.commands.seed_demo import DEMO_PASSWORD, seed_users

    seed_users()
    client = Client()
    assert sign_in(client, "administrator", DEMO_PASSWORD)
    for url in PAGES:
        assert client.get(url).status_code == 200, url


def test_list_pages_read_in_a_fixed_number_of_queries(
    administrator_client, django_assert_max_num_queries
):
    from tests.factories import UserFactory

    for index in range(8):
        UserFactory(username=f"clerk-{index}", role="clerk")
        PlanYearFactory(start_year=1990 + index)
        ProgramFactory()
    for url in (
        "/administration/users/",
        "/administration/plan-years/",
        "/administration/employers/",
    ):
        with django_assert_max_num_queries(10):
            assert administrator_client.get(url).status_code == 200


def test_the_django_admin_shows_locked_settings_read_only(db):
    close_month(EmployerFactory(), 1983, 7)
    superuser = User.objects.create_superuser("root", password="x-long-password-1")
    client = Client()
    client.force_login(superuser)
    year = PlanYear.objects.get(start_year=1983)
    page = client.get(f"/admin/accounts/planyear/{year.pk}/change/").content.decode()
    assert 'name="deductible"' not in page
    assert 'name="separation_year_vests"' in page
