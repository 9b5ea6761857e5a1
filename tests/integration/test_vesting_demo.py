"""The plan's own demo history shows several years of vesting (``seed_demo --mendocino``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Employee
from vesting.demo import seed_vesting
from vesting.ledger import selectors
from vesting.models import Payout, PayoutRegister, VestingLine, VestingRun

pytestmark = pytest.mark.django_db


def test_seed_demo_shows_several_years_of_vesting_history_and_payouts():
    call_command("seed_demo", "--mendocino")
    runs = list(VestingRun.objects.order_by("policy_year"))
    assert [run.label for run in runs] == [
        "1979-80",
        "1980-81",
        "1981-82",
        "1982-83",
        "1983-84",
        "1984-85",
        "1985-86",
    ]
    assert {run.status for run in runs} == {"completed"}
    assert all(run.amount_vested > 0 for run in runs[1:])
    assert VestingLine.objects.values("policy_year").distinct().count() == 7
    # The separated employees have payout schedules; some are paid through registers.
    separated = Employee.objects.filter(separation_date__isnull=False)
    assert Payout.objects.filter(employee__in=separated).values("employee").distinct().count() >= 4
    assert PayoutRegister.objects.exists()
    assert Payout.objects.filter(kind="continuation", status="paid").exists()  # the retiree
    assert selectors.balances_check() == []
    # The couple married in 1983-84 vest half and half from that year on (R-VE11).
    pooled = VestingLine.objects.filter(policy_year=1984, spouse__isnull=False)
    assert pooled.count() == 2
    # Seeding the vesting history again changes nothing.
    before = (VestingLine.objects.count(), Payout.objects.count(), PayoutRegister.objects.count())
    assert seed_vesting() == {"runs": 0, "registers": 0, "premiums": 0}
    assert before == (
        VestingLine.objects.count(),
        Payout.objects.count(),
        PayoutRegister.objects.count(),
    )
    assert sum(VestingRun.objects.values_list("amount_vested", flat=True)) > Decimal("100000")
