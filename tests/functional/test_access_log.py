"""The access log of health data: a row for each kind of read, page and API, written in
at most one INSERT a request; append-only in the database; the administrator's search
and CSV. And the history (django-pghistory) of member and claim writes."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Employee
from claims.models import Claim
from staywell.models import AccessRecord
from tests.factories import UserFactory, claims_family, enter_claim

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def family():
    employee, spouse, _child = claims_family()
    claim = enter_claim(employee, D("120.00"), number="LOG-1")
    return employee, spouse, claim


def rows():
    return list(
        AccessRecord.objects.order_by("id").values_list(
            "user__username", "kind", "object_id", "employee_id", "via", "path"
        )
    )


def inserts(queries) -> list[str]:
    return [q["sql"] for q in queries if "INSERT INTO staywell_accessrecord" in q["sql"]]


@pytest.mark.parametrize(
    ("kind", "via", "url"),
    [
        ("employee", "page", "/employees/{employee}/"),
        ("employee", "api", "/api/v1/employees/{employee}/"),
        ("employee", "api", "/api/v1/employees/{employee}/dependents/"),
        ("family_claims", "page", "/claims/family/{employee}/"),
        ("family_claims", "page", "/claims/?family={employee}"),
        ("family_claims", "api", "/api/v1/claims/?employee={employee}"),
        ("family_claims", "api", "/api/v1/family-deductible/?employee={employee}&year=1984-85"),
        ("claim", "page", "/claims/{claim}/"),
        ("claim", "api", "/api/v1/claims/{claim}/"),
        ("side_account", "page", "/employees/{employee}/side-account/"),
        ("side_account", "api", "/api/v1/employees/{employee}/side-account/"),
    ],
)
def test_each_read_by_a_clerk_writes_one_row_in_one_insert(clerk_client, family, kind, via, url):
    employee, _spouse, claim = family
    path = url.format(employee=employee.pk, claim=claim.pk)
    with CaptureQueriesContext(connection) as queries:
        response = clerk_client.get(path, HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200, response.content[:300]
    object_id = claim.pk if kind == "claim" else employee.pk
    assert rows() == [("clerk1", kind, object_id, employee.pk, via, path)]
    record = AccessRecord.objects.get()
    assert (record.ip, record.user_agent) == ("10.9.8.7", "Firefox/140")
    assert len(inserts(queries.captured_queries)) == 1


@pytest.mark.parametrize(
    ("kind", "via", "url"),
    [
        ("statement", "page", "/my/"),
        ("statement", "page", "/my/statement.pdf"),
        ("statement", "api", "/api/v1/me/"),
        ("side_account", "page", "/employees/{employee}/side-account/"),
        ("claim", "page", "/claims/{claim}/"),
    ],
)
def test_an_employee_reading_their_own_records_is_logged(client, family, kind, via, url):
    employee, _spouse, claim = family
    user = UserFactory(username="linda", role="employee")
    Employee.objects.filter(pk=employee.pk).update(user=user)
    client.force_login(user)
    path = url.format(employee=employee.pk, claim=claim.pk)
    response = client.get(path)
    assert response.status_code == 200
    object_id = claim.pk if kind == "claim" else employee.pk
    assert rows() == [("linda", kind, object_id, employee.pk, via, path)]


def test_a_refused_read_is_not_logged(client, family):
    employee, _spouse, claim = family
    other = UserFactory(username="stranger", role="employee")
    client.force_login(other)
    assert client.get(f"/claims/{claim.pk}/").status_code == 404
    assert client.get(f"/api/v1/employees/{employee.pk}/").status_code == 404
    assert rows() == []


def test_a_write_is_not_a_read(clerk_client, family):
    employee, _spouse, _claim = family
    response = clerk_client.post(
        "/api/v1/claims/",
        {
            "employee": employee.pk,
            "date_of_service": "1984-10-16",
            "provider": "Mendocino Pharmacy",
            "admin_claim_number": "LOG-2",
            "billed": "20.00",
            "allowed": "20.00",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert rows() == []


def test_the_employee_page_logs_one_row_though_it_shows_the_familys_claims(clerk_client, family):
    """The page and its parts: the page's read, then the family's claims (htmx) each once."""
    employee, _spouse, _claim = family
    with CaptureQueriesContext(connection) as queries:
        clerk_client.get(f"/employees/{employee.pk}/")
    assert len(inserts(queries.captured_queries)) == 1
    assert [row[1] for row in rows()] == ["employee"]


def test_the_log_is_append_only(clerk_client, family):
    employee, _spouse, _claim = family
    clerk_client.get(f"/employees/{employee.pk}/")
    record = AccessRecord.objects.get()
    with pytest.raises(IntegrityError, match="append-only: UPDATE refused"), transaction.atomic():
        AccessRecord.objects.filter(pk=record.pk).update(kind="claim")
    with pytest.raises(IntegrityError, match="append-only: DELETE refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM staywell_accessrecord")
    assert AccessRecord.objects.get().kind == "employee"


# --- The administrator's page and CSV -------------------------------------------------------


@pytest.fixture
def logged(family):
    """Reads by two clerks: ann read the employee and the claim, bob the side account."""
    employee, _spouse, claim = family
    ann, bob = Client(), Client()
    ann.force_login(UserFactory(username="ann", role="clerk"))
    bob.force_login(UserFactory(username="bob", role="clerk"))
    ann.get(f"/employees/{employee.pk}/")
    ann.get(f"/claims/{claim.pk}/")
    bob.get(f"/employees/{employee.pk}/side-account/")
    return employee, claim


def table_rows(html: str) -> list[str]:
    body = html.split('id="access-log-table"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [row for row in body.split("<tr>")[1:]]


def test_the_administrator_searches_the_log(administrator_client, logged):
    employee, claim = logged
    page = administrator_client.get("/administration/access-log/").content.decode()
    assert "3 found" in page
    found = administrator_client.get("/administration/access-log/?user=ann").content.decode()
    assert "2 found" in found
    listed = "".join(table_rows(found))
    assert f"Claim {claim.pk}" in listed and "Side account" not in listed
    by_kind = administrator_client.get("/administration/access-log/?kind=side_account")
    assert "1 found" in by_kind.content.decode()
    by_number = administrator_client.get(f"/administration/access-log/?employee={employee.number}")
    assert "3 found" in by_number.content.decode()
    assert "Castillo, Linda" in by_number.content.decode()
    today = date.today().isoformat()
    in_range = administrator_client.get(
        f"/administration/access-log/?date_from={today}&date_to={today}"
    )
    assert "3 found" in in_range.content.decode()
    before = administrator_client.get("/administration/access-log/?date_to=2000-01-01")
    assert "0 found" in before.content.decode()


def test_the_log_sorts_by_user(administrator_client, logged):
    ascending = table_rows(
        administrator_client.get("/administration/access-log/?sort=user").content.decode()
    )
    assert [("bob" in row) for row in ascending] == [False, False, True]
    descending = table_rows(
        administrator_client.get("/administration/access-log/?sort=-user").content.decode()
    )
    assert [("bob" in row) for row in descending] == [True, False, False]


def test_a_bad_date_is_said_inline(administrator_client, logged):
    response = administrator_client.get("/administration/access-log/?date_from=31/31/2020")
    assert response.status_code == 200
    assert 'id="id_date_from-error"' in response.content.decode()


def test_the_administrator_exports_the_log_as_csv(administrator_client, logged):
    employee, claim = logged
    response = administrator_client.get("/administration/access-log.csv?user=ann")
    assert response["Content-Disposition"].startswith('attachment; filename="access-log-')
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["username"], r["kind"], r["object_id"]) for r in table] == [
        ("ann", "claim", str(claim.pk)),
        ("ann", "employee", str(employee.pk)),
    ]
    assert table[0]["employee_name"] == "Castillo, Linda"
    assert table[0]["path"] == f"/claims/{claim.pk}/"


@pytest.mark.parametrize("role", ["clerk", "superintendent", "payroll", "employee", None])
@pytest.mark.parametrize("path", ["/administration/access-log/", "/administration/access-log.csv"])
def test_only_the_administrator_sees_the_log(client, logged, role, path):
    if role:
        client.force_login(UserFactory(username=f"{role}-u", role=role))
    response = client.get(path)
    if role:
        assert response.status_code == 403
    else:
        assert response["Location"].startswith("/login/")
    assert b"Castillo" not in response.content


# --- History of writes (django-pghistory) ---------------------------------------------------


def test_member_writes_keep_their_history(clerk_client, db):
    from accounts.models import DependentHistory, EmployeeHistory
    from tests.factories import hire

    employee = hire(last_name="Ortega", first_name="Ana")
    clerk_client.post(
        f"/employees/{employee.pk}/dependents/add/",
        {"relationship": "child", "first_name": "Eva", "last_name": "Ortega"},
    )
    Employee.objects.filter(pk=employee.pk).update(last_name="Ortega-Ruiz")
    labels = list(
        EmployeeHistory.objects.filter(pgh_obj=employee)
        .order_by("pgh_id")
        .values_list("pgh_label", "last_name")
    )
    assert labels[0] == ("insert", "Ortega")
    assert labels[-1] == ("update", "Ortega-Ruiz")
    dependent = DependentHistory.objects.get(employee_id=employee.pk)
    assert (dependent.pgh_label, dependent.first_name) == ("insert", "Eva")
    assert dependent.pgh_context is not None  # written through the page: its context
    assert dependent.pgh_context.metadata["url"] == f"/employees/{employee.pk}/dependents/add/"
    page = clerk_client.get(f"/employees/{employee.pk}/history/").content.decode()
    assert "Changed: Employee" in page and "Ortega → Ortega-Ruiz" in page
    assert "Created: Dependent" in page and "clerk1" in page


def test_claim_writes_keep_their_history(clerk_client, family):
    from claims.models import ClaimHistory

    _employee, _spouse, claim = family
    response = clerk_client.post(
        f"/claims/{claim.pk}/void/", {"void-reason": "Entered twice"}, follow=True
    )
    assert response.status_code == 200
    assert Claim.objects.get(pk=claim.pk).status == "voided"
    history = list(
        ClaimHistory.objects.filter(pgh_obj=claim)
        .order_by("pgh_id")
        .values_list("pgh_label", "status")
    )
    assert history[0] == ("insert", "paid")
    assert history[-1] == ("update", "voided")
    page = clerk_client.get(f"/claims/{claim.pk}/history/").content.decode()
    assert "status: paid → voided" in page


def test_the_claim_history_is_found_by_family_and_by_duplicate_on_its_own_indexes(
    clerk_client, family
):
    """The history pages find a family's claim events by the employee and a claim's by
    the claim and by its duplicates: those are the claim history's indexes, and no
    other foreign key of the snapshot is indexed (fewer index entries per claim)."""
    employee, _spouse, claim = family
    repeat = enter_claim(employee, D("120.00"), number="LOG-1", confirm_duplicate=True)
    assert repeat.duplicate_of_id == claim.pk
    family_page = clerk_client.get(f"/employees/{employee.pk}/history/").content.decode()
    assert f"Created: Claim {claim.pk}" in family_page
    assert f"Created: Claim {repeat.pk}" in family_page
    claim_page = clerk_client.get(f"/claims/{claim.pk}/history/").content.decode()
    assert f"Created: Claim {repeat.pk}" in claim_page
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_index i"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = 'claims_claimhistory'::regclass"
        )
        indexed = {name for (name,) in cursor.fetchall()}
    assert indexed == {"pgh_id", "pgh_obj_id", "pgh_context_id", "employee_id", "duplicate_of_id"}


def test_history_events_cannot_be_rewritten(family):
    from claims.models import ClaimHistory

    with pytest.raises(Exception, match=r"Cannot update|Cannot delete|protect"):
        with transaction.atomic():
            ClaimHistory.objects.all().delete()
    assert ClaimHistory.objects.exists()


def test_a_claim_entered_through_the_api_keeps_its_author_in_the_history(clerk_client, family):
    from claims.models import ClaimHistory

    employee, _spouse, _claim = family
    response = clerk_client.post(
        "/api/v1/claims/",
        {
            "employee": employee.pk,
            "date_of_service": "1984-10-17",
            "provider": "Mendocino Pharmacy",
            "admin_claim_number": "LOG-3",
            "billed": "30.00",
            "allowed": "30.00",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    event = ClaimHistory.objects.get(pgh_obj_id=response.json()["id"])
    assert event.pgh_label == "insert"
    assert event.pgh_context.metadata["url"] == "/api/v1/claims/"
    assert event.pgh_context.metadata["user"] == response.wsgi_request.user.pk
