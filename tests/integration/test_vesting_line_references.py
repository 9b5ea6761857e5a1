"""A vesting line's employee, run and settling run are held by the database once per
statement (migration vesting 0012): raw SQL can neither point a line at a row that does
not exist nor delete an employee or a run that lines point at."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import EmployeeFactory
from vesting.models import VestingLine, VestingRun

pytestmark = pytest.mark.django_db


def _insert_line(cursor, *, employee_id: int, run_id: int | None, settled_run_id=None) -> None:
    cursor.execute(
        "INSERT INTO vesting_vestingline (employee_id, policy_year, allotment, "
        "trust_fund_claims, unused, full_year, amount, outcome, run_id, settled_run_id, "
        "runout_recovered, created_at) VALUES (%s, 1984, 500, 0, 500, true, 500, 'pending', "
        "%s, %s, 0, now())",
        [employee_id, run_id, settled_run_id],
    )


@pytest.fixture
def line():
    run = VestingRun.objects.create(policy_year=1984)
    with connection.cursor() as cursor:
        _insert_line(cursor, employee_id=EmployeeFactory().pk, run_id=run.pk)
    return VestingLine.objects.get()


def test_a_line_for_an_employee_that_does_not_exist_is_refused():
    run = VestingRun.objects.create(policy_year=1984)
    with pytest.raises(IntegrityError, match=r"\(employee_id\)=\(987654\)"):
        with transaction.atomic(), connection.cursor() as cursor:
            _insert_line(cursor, employee_id=987654, run_id=run.pk)
    assert VestingLine.objects.count() == 0


def test_a_line_of_a_run_that_does_not_exist_is_refused():
    employee = EmployeeFactory()
    with pytest.raises(IntegrityError, match=r"\(run_id or settled_run_id\)=\(424242\)"):
        with transaction.atomic(), connection.cursor() as cursor:
            _insert_line(cursor, employee_id=employee.pk, run_id=None, settled_run_id=424242)
    assert VestingLine.objects.count() == 0


def test_pointing_a_line_at_another_run_that_does_not_exist_is_refused(line):
    with pytest.raises(IntegrityError, match="vesting_vestingrun"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE vesting_vestingline SET run_id = 515151")
    line.refresh_from_db()
    assert line.run_id is not None and line.run_id != 515151


def test_an_employee_with_lines_cannot_be_deleted_even_by_raw_sql(line):
    with pytest.raises(
        IntegrityError, match='vesting_line_references" on table "vesting_vestingline'
    ):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_employee WHERE id = %s", [line.employee_id])
    assert VestingLine.objects.filter(employee_id=line.employee_id).exists()


def test_a_run_with_lines_cannot_be_deleted_even_by_raw_sql(line):
    with pytest.raises(
        IntegrityError, match='vesting_line_references" on table "vesting_vestingline'
    ):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM vesting_vestingrun WHERE id = %s", [line.run_id])
    assert VestingRun.objects.filter(pk=line.run_id).exists()


def test_an_employee_and_a_run_without_lines_can_still_be_deleted(line):
    other = EmployeeFactory()
    spare = VestingRun.objects.create(policy_year=1985)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM vesting_vestingrun WHERE id = %s", [spare.pk])
        cursor.execute("DELETE FROM accounts_employee WHERE id = %s", [other.pk])
    assert not VestingRun.objects.filter(pk=spare.pk).exists()
    assert VestingLine.objects.count() == 1
