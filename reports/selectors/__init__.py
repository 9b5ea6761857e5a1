"""Reads behind the reports: the year-end fund report (R-FU4), the superintendent's
dashboard (section 8), the employee's self-service page and the payroll preview (R-PR2).

Every money figure is derived from ledger postings (R-FU3) by set-based SQL: a handful of
grouped aggregates per page, never one query per employee. Sign convention as in
``vesting.models``: each plan fund's balance is the money it holds (debit-normal).

Conventions shared by every figure here:

- Decision: a reversal counts as its original: it is grouped under the original's kind
  and, for claims, the original's date of service (``period_start``), but it falls in the
  period of its own effective date (accounting practice: the original stays where it was).
  So "claims net of their reversals" and "refunds net of reversals" need no special case.
- Decision: a claim payment's date of service is its transaction's ``period_start`` (the
  ledger's ``post_claim_payment(service_date=...)`` stores it there); a payment posted
  without one counts as serviced on its payment date.
- Decision: membership of a policy year (R-PY1) is by effective date (the day money
  moved), except claims, whose "prior year / current year" is by date of service.

The package: ``_fund_report`` (R-FU4), ``_dashboard`` (section 8), ``_self_service``,
``_payroll`` (R-PR2) and ``_common`` (shared conventions, the switch-over points).
"""

from __future__ import annotations

from reports.selectors._common import REFUND_KINDS, reporting_date
from reports.selectors._dashboard import (
    BALANCE_MONTHS,
    DASHBOARD_CACHE_SECONDS,
    FLOW_MONTHS,
    UNPAID_PAYOUT_STATUSES,
    Dashboard,
    DeductibleShare,
    Savings,
    Series,
    dashboard,
    families_under_deductible,
    payouts_outstanding,
    savings_against_full_coverage,
)
from reports.selectors._fund_report import (
    FundReport,
    LedgerCheck,
    ReportLine,
    fund_report,
    fund_report_years,
    latest_document,
    latest_documents,
)
from reports.selectors._payroll import (
    PAYERS,
    PREMIUM_LINES,
    EmployeeCharges,
    PayrollPreview,
    charges_by_employee,
    grand_total,
    month_close_of,
    payroll_preview,
    program_totals,
)
from reports.selectors._self_service import (
    ScheduledPayout,
    SelfService,
    YearLine,
    employee_for_self_service,
    payout_schedule,
    self_service,
    vesting_history,
)

__all__ = [
    "BALANCE_MONTHS",
    "DASHBOARD_CACHE_SECONDS",
    "FLOW_MONTHS",
    "PAYERS",
    "PREMIUM_LINES",
    "REFUND_KINDS",
    "UNPAID_PAYOUT_STATUSES",
    "Dashboard",
    "DeductibleShare",
    "EmployeeCharges",
    "FundReport",
    "LedgerCheck",
    "PayrollPreview",
    "ReportLine",
    "Savings",
    "ScheduledPayout",
    "SelfService",
    "Series",
    "YearLine",
    "charges_by_employee",
    "dashboard",
    "employee_for_self_service",
    "families_under_deductible",
    "fund_report",
    "fund_report_years",
    "grand_total",
    "latest_document",
    "latest_documents",
    "month_close_of",
    "payout_schedule",
    "payouts_outstanding",
    "payroll_preview",
    "program_totals",
    "reporting_date",
    "savings_against_full_coverage",
    "self_service",
    "vesting_history",
]
