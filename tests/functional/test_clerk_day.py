"""The clerk's day through the test client: the payee directory (near spellings offered,
one check per payee), names refused with control or text-direction characters (pages,
API, CSV imports), lists sorted by column, the family's claims in place."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Employee, Employer
from claims import services
from claims.models import Claim, Payee
from tests.factories import EmployerFactory, ProgramFactory, claims_family, enter_claim, hire

pytestmark = pytest.mark.django_db

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def family():
    employee, _spouse, _child = claims_family()
    return employee


def entry_form(employee, **changes):
    values = {
        "employee": employee.pk,
        "patient": "",
        "date_of_service": "10/15/1984",
        "provider": "Dr. Helen Ames",
        "admin_claim_number": "H-1",
        "billed": "100.00",
        "allowed": "100.00",
        "paid_on": "10/20/1984",
        "received_on": "10/16/1984",
    }
    values.update(changes)
    return values


# --- The payee directory --------------------------------------------------------------------


def test_a_near_spelling_is_offered_and_picking_it_makes_one_check(clerk_client, family):
    clerk_client.post("/claims/enter/", entry_form(family), **HTMX)
    ames = Payee.objects.get()
    assert ames.name == "Dr. Helen Ames"

    # The credential spelled out is the same payee; a typo is offered as similar.
    same = text(clerk_client.get("/claims/payees/suggest/", {"provider": "Dr. Helen Ames, M.D."}))
    assert "Paid to <strong>Dr. Helen Ames</strong>" in same
    near = text(clerk_client.get("/claims/payees/suggest/", {"provider": "Dr Hellen Ames MD"}))
    assert "is not in the directory; similar payees" in near
    assert f'data-payee="{ames.pk}" data-name="Dr. Helen Ames"' in near

    clerk_client.post(
        "/claims/enter/",
        entry_form(family, provider="Dr. Helen Ames, M.D.", admin_claim_number="H-2"),
        **HTMX,
    )
    clerk_client.post(
        "/claims/enter/",
        entry_form(
            family, provider="Dr Hellen Ames MD", admin_claim_number="H-3", payee=str(ames.pk)
        ),
        **HTMX,
    )
    claims = Claim.objects.order_by("admin_claim_number")
    assert [c.provider for c in claims] == [
        "Dr. Helen Ames",
        "Dr. Helen Ames, M.D.",
        "Dr Hellen Ames MD",
    ]
    assert {c.payee_id for c in claims} == {ames.pk}

    run = services.payment_run_create(paid_on=date(1984, 10, 31), today=date(1984, 11, 1))
    assert (run.check_count, run.total) == (1, D("300.00"))
    register = clerk_client.get(f"/claims/payment-runs/{run.number}/register.csv")
    rows = register.content.decode().splitlines()
    assert "Dr. Helen Ames,,,,,check total,300.00" in rows[-2]
    assert not any("M.D." in row or "Hellen" in row for row in rows)


def test_a_near_spelling_not_picked_is_another_payee_and_another_check(clerk_client, family):
    clerk_client.post("/claims/enter/", entry_form(family), **HTMX)
    clerk_client.post(
        "/claims/enter/",
        entry_form(family, provider="Dr Hellen Ames", admin_claim_number="H-2"),
        **HTMX,
    )
    assert Payee.objects.count() == 2
    run = services.payment_run_create(paid_on=date(1984, 10, 31), today=date(1984, 11, 1))
    assert run.check_count == 2


def test_claims_entered_by_the_api_find_their_payee_by_the_name(clerk_client, family):
    enter_claim(family, D("50.00"), provider="Ukiah Valley Medical Center")
    response = clerk_client.post(
        "/api/v1/claims/",
        data=json.dumps(
            {
                "employee": family.pk,
                "date_of_service": "1984-10-16",
                "provider": "UKIAH VALLEY MEDICAL CENTER, INC.",
                "admin_claim_number": "API-1",
                "billed": "60.00",
                "allowed": "60.00",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    payee = Payee.objects.get()
    assert payee.name == "Ukiah Valley Medical Center"
    assert response.json()["payee"] == payee.pk
    assert Claim.objects.filter(payee=payee).count() == 2


def test_payee_pages_list_edit_and_refuse_a_second_payee_of_one_name(clerk_client, family):
    enter_claim(family, D("50.00"), provider="Mendocino Pharmacy")
    payee = Payee.objects.get()
    page = text(clerk_client.get("/claims/payees/"))
    assert "Mendocino Pharmacy" in page
    edited = clerk_client.post(
        f"/claims/payees/{payee.pk}/",
        {"name": "Mendocino Pharmacy Inc.", "address": "1 Main St, Ukiah", "active": "on"},
    )
    assert edited.status_code == 302
    payee.refresh_from_db()
    assert (payee.name, payee.address) == ("Mendocino Pharmacy Inc.", "1 Main St, Ukiah")
    second = clerk_client.post("/claims/payees/new/", {"name": "THE MENDOCINO PHARMACY"})
    assert second.status_code == 400
    assert "Mendocino Pharmacy Inc. (payee" in text(second)
    assert Payee.objects.count() == 1


def test_payee_pages_are_for_clerks(superintendent_client, employee_client):
    assert superintendent_client.get("/claims/payees/").status_code == 403
    assert employee_client.get("/claims/payees/").status_code == 403


# --- Control and text-direction characters in names -------------------------------------


def test_a_provider_with_a_right_to_left_override_is_refused_on_the_page(clerk_client, family):
    response = clerk_client.post(
        "/claims/enter/", entry_form(family, provider=f"Dr. {RLO}semA neleH"), **HTMX
    )
    html = text(response)
    assert "id_provider-error" in html
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in html
    assert not Claim.objects.exists()
    assert not Payee.objects.exists()


def test_a_provider_with_a_control_character_is_refused_by_the_api(clerk_client, family):
    response = clerk_client.post(
        "/api/v1/claims/",
        data=json.dumps(
            {
                "employee": family.pk,
                "date_of_service": "1984-10-16",
                "provider": "Ukiah\u0007 Valley",
                "admin_claim_number": "API-9",
                "billed": "60.00",
                "allowed": "60.00",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "U+0007" in response.json()["provider"][0]
    assert not Claim.objects.exists()


def test_a_claims_file_with_an_override_in_a_provider_is_refused(clerk_client, family):
    header = "admin_claim_number,employer_code,employee_number,patient,date_of_service,"
    header += "provider,billed,allowed\n"
    row = f"F-1,{family.employer.code},{family.number},,1984-10-15,Dr.{RLO} Ames,100.00,90.00\n"
    response = clerk_client.post(
        "/claims/import/", {"file": SimpleUploadedFile("c.csv", (header + row).encode())}
    )
    assert response.status_code == 400
    assert "RIGHT-TO-LEFT OVERRIDE" in text(response)
    assert not Claim.objects.exists()


def test_an_employee_name_with_an_isolate_is_refused_by_the_api(clerk_client):
    program = ProgramFactory(employer=EmployerFactory(code="MCOE"), code="6500")
    response = clerk_client.post(
        "/api/v1/employees/",
        data=json.dumps(
            {
                "employer": program.employer_id,
                "program": program.pk,
                "number": "2001",
                "first_name": "Ruth",
                "last_name": "Alva\u2067rez",
                "birth_date": "1948-03-02",
                "hire_date": "1983-08-11",
                "status": "regular",
                "weekly_hours": "40.00",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "U+2067 RIGHT-TO-LEFT ISOLATE" in response.json()["last_name"][0]
    assert not Employee.objects.filter(number="2001").exists()


def test_a_census_row_with_an_override_in_a_name_is_refused(clerk_client):
    ProgramFactory(employer=EmployerFactory(code="MCOE"), code="0100")
    header = "employer_code,employee_number,last_name,first_name,birth_date,hire_date,status,"
    header += "weekly_hours,effective_date,program_code,grandfathered\n"
    row = f"MCOE,1234,Rivera,A{RLO}na,1951-04-02,1983-08-11,regular,40,,0100,no\n"
    response = clerk_client.post(
        "/census/",
        {"file": SimpleUploadedFile("c.csv", (header + row).encode(), "text/csv")},
    )
    assert "RIGHT-TO-LEFT OVERRIDE" in text(response)
    assert not Employee.objects.filter(number="1234").exists()


def test_an_employer_and_a_dependent_name_are_refused_by_the_services():
    from django.core.exceptions import ValidationError

    from accounts import services as accounts

    with pytest.raises(ValidationError) as refused:
        accounts.employer_create(code="XYZ", name=f"Ukiah {RLO}Unified")
    assert "RIGHT-TO-LEFT OVERRIDE" in refused.value.message_dict["name"][0]
    assert not Employer.objects.filter(code="XYZ").exists()
    employee = hire(number="77")
    with pytest.raises(ValidationError) as refused:
        accounts.dependent_add(
            employee=employee, relationship="child", first_name="Ana\u200f", last_name="Ruiz"
        )
    assert "U+200F RIGHT-TO-LEFT MARK" in refused.value.message_dict["first_name"][0]


def test_a_payee_name_with_an_override_is_refused_on_the_page(clerk_client):
    response = clerk_client.post("/claims/payees/new/", {"name": f"Ames{RLO}"})
    assert response.status_code == 400
    assert "id_name-error" in text(response)
    assert not Payee.objects.exists()


# --- Lists sorted by column -------------------------------------------------------------


def test_the_claims_list_sorts_by_column_and_keeps_the_filters(clerk_client, family):
    for number, allowed in (("S-1", "30.00"), ("S-2", "90.00"), ("S-3", "60.00")):
        enter_claim(family, D(allowed), number=number)
    page = text(clerk_client.get("/claims/", {"sort": "-allowed", "status": "paid"}))
    assert page.index(">S-2<") < page.index(">S-3<") < page.index(">S-1<")
    assert '<th scope="col" aria-sort="descending" class="sw-money">' in page
    # The header link sorts the other way, the filters kept, the page dropped.
    assert 'href="?sort=allowed&amp;status=paid"' in page or (
        'href="?status=paid&amp;sort=allowed"' in page
    )
    ascending = text(clerk_client.get("/claims/", {"sort": "allowed"}))
    assert ascending.index(">S-1<") < ascending.index(">S-3<") < ascending.index(">S-2<")
    # A key outside the whitelist is the default order (newest first), not an error.
    default = clerk_client.get("/claims/", {"sort": "entered_by__password"})
    assert default.status_code == 200
    html = text(default)
    assert html.index(">S-3<") < html.index(">S-2<") < html.index(">S-1<")


def test_the_employee_list_sorts_by_hire_date(clerk_client):
    program = ProgramFactory(employer=EmployerFactory(code="MCOE"), code="6500")
    hire(program=program, number="1", last_name="Avila", hire_date=date(1982, 1, 4))
    hire(program=program, number="2", last_name="Baker", hire_date=date(1980, 7, 1))
    hire(program=program, number="3", last_name="Cruz", hire_date=date(1981, 3, 2))
    html = text(clerk_client.get("/employees/", {"sort": "hired"}))
    assert html.index("Baker,") < html.index("Cruz,") < html.index("Avila,")
    assert (
        '<th scope="col" aria-sort="ascending"><a class="usa-link sw-sort" href="?sort=-hired"'
        in html
    )
    by_name = text(clerk_client.get("/employees/"))
    assert by_name.index("Avila,") < by_name.index("Baker,") < by_name.index("Cruz,")


# --- The family's claims in place -------------------------------------------------------


def test_void_in_place_answers_the_familys_claims_and_a_missing_reason_in_the_form(
    clerk_client, family
):
    claim = enter_claim(family, D("200.00"), number="V-1")
    form = text(clerk_client.get(f"/claims/{claim.pk}/void/form/", **HTMX))
    assert f'id="id_void-{claim.pk}-reason"' in form and "autofocus" in form
    missing = clerk_client.post(
        f"/claims/{claim.pk}/void/", {"inline": "family", f"void-{claim.pk}-reason": ""}, **HTMX
    )
    assert "Give the reason for the void." in text(missing)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    done = clerk_client.post(
        f"/claims/{claim.pk}/void/",
        {"inline": "family", f"void-{claim.pk}-reason": "Entered twice"},
        **HTMX,
    )
    assert done["HX-Retarget"] == "#family-claims"
    assert "$500.00</strong> remains" in text(done)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.VOIDED


def test_the_familys_claims_are_for_staff(superintendent_client, employee_client, family):
    enter_claim(family, D("40.00"), number="W-1")
    page = text(superintendent_client.get(f"/claims/family/{family.pk}/", {"year": "1984-85"}))
    assert "W-1" in page and "Void" not in page  # readers see, clerks void
    assert employee_client.get(f"/claims/family/{family.pk}/").status_code == 403


def test_the_claims_api_orders_by_a_whitelisted_field(clerk_client, family):
    for number, allowed in (("O-1", "30.00"), ("O-2", "90.00"), ("O-3", "60.00")):
        enter_claim(family, D(allowed), number=number)
    body = clerk_client.get("/api/v1/claims/", {"ordering": "-allowed"}).json()
    assert [row["admin_claim_number"] for row in body["results"]] == ["O-2", "O-3", "O-1"]
    ignored = clerk_client.get("/api/v1/claims/", {"ordering": "entered_by__password"}).json()
    assert [row["admin_claim_number"] for row in ignored["results"]] == ["O-3", "O-2", "O-1"]


def test_payment_runs_sort_by_number_either_way(clerk_client, family):
    enter_claim(family, D("30.00"), number="R-1", paid_on=date(1984, 10, 20))
    services.payment_run_create(paid_on=date(1984, 10, 31), today=date(1984, 11, 1))
    enter_claim(family, D("40.00"), number="R-2", paid_on=date(1984, 11, 20))
    services.payment_run_create(paid_on=date(1984, 11, 30), today=date(1984, 12, 1))
    newest = text(clerk_client.get("/claims/payment-runs/"))
    assert newest.index(">Run 2<") < newest.index(">Run 1<")
    oldest = text(clerk_client.get("/claims/payment-runs/", {"sort": "run"}))
    assert oldest.index(">Run 1<") < oldest.index(">Run 2<")
    assert 'aria-sort="ascending"' in oldest


def test_inline_void_and_adjust_are_for_clerks(superintendent_client, family):
    claim = enter_claim(family, D("30.00"), number="X-1")
    assert superintendent_client.get(f"/claims/{claim.pk}/void/form/").status_code == 403
    assert superintendent_client.get(f"/claims/{claim.pk}/adjust/form/").status_code == 403
    refused = superintendent_client.post(
        f"/claims/{claim.pk}/void/", {"inline": "family", f"void-{claim.pk}-reason": "x"}
    )
    assert refused.status_code == 403
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
