"""The history of writes (django-pghistory on django-pgtrigger) records the request's
context, through helper functions with no exception block (``staywell.apps``, after every
migrate): no subtransaction started and rolled back for each row written."""

from __future__ import annotations

import pghistory
import pgtrigger
import pytest
from django.db import connection

from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("function", "setting"),
    [
        ("_pgh_attach_context", "pghistory.context_id"),
        ("_pgtrigger_should_ignore", "pgtrigger.ignore"),
    ],
)
def test_the_trigger_helpers_start_no_subtransaction_per_row(function, setting):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef(%s::regproc)", [function])
        definition = cursor.fetchone()[0]
    assert f"current_setting('{setting}', true)" in definition
    assert "EXCEPTION" not in definition.upper()


def test_ignoring_a_trigger_still_works():
    employee = EmployeeFactory()
    before = pghistory.models.Events.objects.filter(pgh_obj_model="accounts.Employee").count()
    with pgtrigger.ignore("accounts.Employee:update_update"):
        employee.first_name = "Quiet"
        employee.save(update_fields=["first_name"])
    after = pghistory.models.Events.objects.filter(pgh_obj_model="accounts.Employee").count()
    assert after == before


def test_the_context_of_a_write_is_still_recorded():
    employee = EmployeeFactory()
    employee.last_name = "Nobody"  # no context: none recorded
    employee.save(update_fields=["last_name"])
    with pghistory.context(user="clerk1", url="/employees/1/"):
        employee.last_name = "Ames"
        employee.save(update_fields=["last_name"])
    with pghistory.context(user="clerk2"):
        employee.last_name = "Bell"
        employee.save(update_fields=["last_name"])
    events = list(
        pghistory.models.Events.objects.filter(
            pgh_obj_model="accounts.Employee", pgh_obj_id=str(employee.pk)
        ).order_by("pgh_created_at", "pgh_id")
    )
    contexts = [(e.pgh_data.get("last_name"), (e.pgh_context or {}).get("user")) for e in events]
    assert contexts[-3:] == [("Nobody", None), ("Ames", "clerk1"), ("Bell", "clerk2")]
