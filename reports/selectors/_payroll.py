"""The payroll preview and the rows of the export (R-PR2)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from accounts.models import (
    Employer,
)
from accounts.selectors import (
    MonthlyCharges,
    monthly_premium_charges,
)
from staywell.money import ZERO
from vesting.models import (
    MonthClose,
)


@dataclass(slots=True)
class EmployeeCharges:
    """One employee's premium charges of a month: the payroll line (R-PR2)."""

    employee_id: int
    employee_number: str
    employee_name: str
    program_code: str
    tier: str
    shares: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (line, payer)

    def share(self, line: str, payer: str) -> Decimal:
        return self.shares.get((line, payer), ZERO)

    def payer_total(self, payer: str) -> Decimal:
        return sum((v for (_, p), v in self.shares.items() if p == payer), ZERO)

    @property
    def total(self) -> Decimal:
        return sum(self.shares.values(), ZERO)


PREMIUM_LINES = ("major_medical", "trust_fund", "dental")


PAYERS = ("employer", "employee")


def charges_by_employee(charges: MonthlyCharges) -> list[EmployeeCharges]:
    """The month's charge lines gathered per employee, in the selector's order (program,
    name, number)."""
    result: dict[int, EmployeeCharges] = {}
    for item in charges.lines:
        row = result.get(item.employee_id)
        if row is None:
            row = result[item.employee_id] = EmployeeCharges(
                item.employee_id,
                item.employee_number,
                item.employee_name,
                item.program_code,
                item.tier,
                {},
            )
        key = (item.line, item.payer)
        shares = row.shares
        shares[key] = shares[key] + item.amount if key in shares else item.amount
    return list(result.values())


def program_totals(rows: Iterable[EmployeeCharges]) -> dict[str, dict[tuple[str, str], Decimal]]:
    """Program code -> {(line, payer): total} plus ("all", payer) and ("all", "all")."""
    totals: dict[str, dict[tuple[str, str], Decimal]] = {}
    for row in rows:
        entry = totals.setdefault(row.program_code, defaultdict(lambda: ZERO))
        _add_shares(entry, row)
    return {code: dict(totals[code]) for code in sorted(totals)}


def _add_shares(entry: dict[tuple[str, str], Decimal], row: EmployeeCharges) -> None:
    for (line, payer), amount in row.shares.items():
        entry[(line, payer)] += amount
        entry[("all", payer)] += amount
        entry[("all", "all")] += amount


def grand_total(rows: Iterable[EmployeeCharges]) -> dict[tuple[str, str], Decimal]:
    entry: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        _add_shares(entry, row)
    return dict(entry)


@dataclass(frozen=True)
class PayrollPreview:
    employer: Employer
    year: int
    month: int
    rows: list[EmployeeCharges]
    programs: dict[str, dict[tuple[str, str], Decimal]]
    totals: dict[tuple[str, str], Decimal]
    close: MonthClose | None  # the month's close, if done
    next_to_close: date | None  # the month the ledger expects to be closed next

    @property
    def month_first(self) -> date:
        return date(self.year, self.month, 1)


def payroll_preview(*, employer: Employer, year: int, month: int) -> PayrollPreview:
    """R-PR2: an employer's charges of a month per employee and per program, and whether
    the month is closed in the ledger (three queries)."""
    from vesting.ledger import next_month_to_close

    charges = monthly_premium_charges(employer_id=employer.pk, year=year, month=month)
    rows = charges_by_employee(charges)
    return PayrollPreview(
        employer=employer,
        year=year,
        month=month,
        rows=rows,
        programs=program_totals(rows),
        totals=grand_total(rows),
        close=month_close_of(employer.pk, year, month),
        next_to_close=next_month_to_close(employer.pk),
    )


def month_close_of(employer_id: int, year: int, month: int) -> MonthClose | None:
    return (
        MonthClose.objects.select_related("closed_by", "transaction")
        .filter(employer_id=employer_id, year=year, month=month)
        .first()
    )
