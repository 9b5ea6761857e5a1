"""The employee's own history shows a year's allotment as the rules count it (R-PY2, R-VE1):
n FULL-tier months x 41.67, capped at the deductible, also for a year not rolled over yet."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reports import selectors
from tests.factories import EmployerFactory, ProgramFactory, hire

pytestmark = pytest.mark.django_db

D = Decimal


def test_R_PY2_april_to_june_is_3_x_41_67_in_the_employees_history():
    program = ProgramFactory(employer=EmployerFactory(code="MCOE"))
    employee = hire(program=program, hire_date=date(1984, 3, 1))  # covered from April 1, 1984
    history = {
        line.policy_year: (line.allotment, line.status)
        for line in selectors.self_service(employee, today=date(1985, 7, 15)).history
    }
    # 1983-84: April, May, June 1984: 3 x 41.67 = 125.01 (June carries no rounding).
    # 1984-85: twelve months, 12 x 41.67 = 500.04 capped at the deductible: 500.00.
    # 1985-86, still running on July 15, 1985: July, 41.67.
    assert history == {
        1983: (D("125.01"), "pending"),
        1984: (D("500.00"), "pending"),
        1985: (D("41.67"), "in progress"),
    }
