"""A month close locks its employer against a second close only: rows that reference the
employer (a rollover's writes) do not wait for it. Locked FOR UPDATE, a close posting to
the trust fund while a rollover held that fund's balance rows deadlocked with it."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import Program
from tests.concurrency import held_open, no_lock_wait
from tests.factories import PlanYearFactory, PremiumScheduleFactory, hire
from vesting import ledger

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_write_referencing_the_employer_does_not_wait_for_its_month_close():
    PlanYearFactory(start_year=1984)
    employee = hire(hire_date=date(1984, 7, 1))
    PremiumScheduleFactory(plan_year__start_year=1984)
    employer_id = employee.employer_id

    # The close's transaction, not committed yet: the program's insert must not wait for it.
    with held_open(lambda: ledger.month_close(employer_id=employer_id, year=1984, month=7)):
        with no_lock_wait():
            Program.objects.create(employer_id=employer_id, code="NEW", name="New program")

    assert Program.objects.filter(employer_id=employer_id, code="NEW").count() == 1
