"""The history of writes (django-pghistory on django-pgtrigger) records the request's
context, through helper functions with no exception block (``staywell.apps``, after every
migrate): no subtransaction started and rolled back for each row written."""

from __future__ import annotations

import pghistory
import pgtrigger
import pytest
from django.db import connection

from claims import services
from claims.models import Claim
from claims.services.batch import BatchClaim, claims_enter_many
from tests.factories import EmployeeFactory, PlanYearFactory, hire

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


def test_claims_entered_under_a_context_name_it_one_by_one_and_in_a_batch():
    """The claims' insert events (a statement-level trigger) name the request's context,
    whether the claim came through ``claim_enter`` or an import's batch."""
    from datetime import date

    PlanYearFactory(start_year=1984)
    employee = hire(hire_date=date(1983, 7, 1))

    def batch(*numbers: str) -> list[BatchClaim]:
        return [
            BatchClaim(employee.pk, None, date(1984, 10, 15), "Dr. Ames", n, "80.00", "80.00")
            for n in numbers
        ]

    claims_enter_many(claims=batch("H-0"))  # a background job: no context
    with pghistory.context(user="clerk1", url="/claims/import/"):
        services.claim_enter(
            employee=employee.pk,
            date_of_service=date(1984, 10, 1),
            provider="Dr. Ames",
            admin_claim_number="H-1",
            billed="50.00",
            allowed="50.00",
        )
        claims_enter_many(claims=batch("H-2", "H-3"))
    history = Claim.history.rel.related_model.objects.filter(pgh_label="insert")
    users = [
        (h.admin_claim_number, (h.pgh_context.metadata if h.pgh_context_id else {}).get("user"))
        for h in history.order_by("pgh_id")
    ]
    assert users == [("H-0", None), ("H-1", "clerk1"), ("H-2", "clerk1"), ("H-3", "clerk1")]
