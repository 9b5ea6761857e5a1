"""A month close locks its employer against a second close only: rows that reference the
employer (a rollover's writes) do not wait for it. Locked FOR UPDATE, a close posting to
the trust fund while a rollover held that fund's balance rows deadlocked with it."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from accounts.models import Program
from tests.factories import PlanYearFactory, PremiumScheduleFactory, hire
from vesting import ledger

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_write_referencing_the_employer_does_not_wait_for_its_month_close():
    PlanYearFactory(start_year=1984)
    employee = hire(hire_date=date(1984, 7, 1))
    PremiumScheduleFactory(plan_year__start_year=1984)
    employer_id = employee.employer_id
    closing, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def payroll() -> None:
        try:
            with transaction.atomic():  # the close's transaction, not committed yet
                ledger.month_close(employer_id=employer_id, year=1984, month=7)
                closing.set()
                release.wait(10)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            closing.set()
        finally:
            connection.close()

    thread = threading.Thread(target=payroll)
    thread.start()
    try:
        assert closing.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:  # waiting on the employer's row fails here
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            Program.objects.create(employer_id=employer_id, code="NEW", name="New program")
    finally:
        release.set()
        thread.join(10)

    assert errors == []
    assert Program.objects.filter(employer_id=employer_id, code="NEW").count() == 1
