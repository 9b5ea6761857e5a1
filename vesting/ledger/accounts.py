"""The accounts of an employer: its funds' default accounts, side and payee accounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from accounts.models import Employee, Employer
from staywell.db import prepared_rows
from vesting.ledger.posting import employer_id_of
from vesting.models import (
    NORMAL_BALANCE,
    SIDE_ACCOUNT_NAME,
    Account,
    Fund,
    FundKind,
)

# The default accounts of each fund: (fund kind, account name).
GENERAL_TRUST_ACCOUNT = (FundKind.GENERAL_TRUST, "General Deductible Trust Fund")
DISTRICT_ACCOUNT = (FundKind.DISTRICT, "District account")
PROGRAM_CHARGES_ACCOUNT = (FundKind.EMPLOYER_BUDGET, "Program charges (employer share)")
PAYROLL_DEDUCTIONS_ACCOUNT = (FundKind.EMPLOYER_BUDGET, "Payroll deductions (employee share)")
CARRIER_ACCOUNT = (FundKind.CARRIER, "Major-medical carrier")
PAYEES_ACCOUNT = (FundKind.PAYEES, "Providers and payees")
ADMINISTRATIVE_EXPENSES_ACCOUNT = (FundKind.PAYEES, "Administrative expenses")
BANK_ACCOUNT = (FundKind.BANK, "Bank interest")
# Money the General Deductible Trust Fund is owed back by employees paid more than a
# re-vested year allows (vesting.revest); opened on first use, not a default account.
OVERPAYMENTS_ACCOUNT = (FundKind.GENERAL_TRUST, "Overpayments receivable")
DEFAULT_ACCOUNTS = (
    GENERAL_TRUST_ACCOUNT,
    DISTRICT_ACCOUNT,
    PROGRAM_CHARGES_ACCOUNT,
    PAYROLL_DEDUCTIONS_ACCOUNT,
    CARRIER_ACCOUNT,
    PAYEES_ACCOUNT,
    ADMINISTRATIVE_EXPENSES_ACCOUNT,
    BANK_ACCOUNT,
)


@dataclass(frozen=True)
class EmployerLedger:
    """The funds and standing accounts of one employer."""

    employer_id: int
    funds: dict[str, Fund]  # the funds of the standing accounts (all but the Vested Trust Fund)
    accounts: dict[tuple[str, str], Account]

    def account(self, key: tuple[str, str]) -> Account:
        return self.accounts[key]

    def fund(self, kind: str) -> Fund:
        if kind not in self.funds:
            self.funds[kind], _ = Fund.objects.get_or_create(
                employer_id=self.employer_id, kind=kind
            )
        return self.funds[kind]

    @property
    def general_trust(self) -> Account:
        return self.accounts[GENERAL_TRUST_ACCOUNT]

    @property
    def district(self) -> Account:
        return self.accounts[DISTRICT_ACCOUNT]


def ledger_accounts_for_employer(employer: Employer | int) -> EmployerLedger:
    """The employer's seven funds and standing accounts, created on first use.

    Decision: created lazily (no signal on Employer, which belongs to ``accounts``); one
    query when they exist; creation is race-safe (unique constraints + get_or_create).
    """
    employer_id = employer.pk if isinstance(employer, Employer) else int(employer)
    names = [name for _, name in DEFAULT_ACCOUNTS]
    found = list(
        Account.objects.filter(
            fund__employer_id=employer_id, employee__isnull=True, name__in=names
        ).select_related("fund")
    )
    accounts = {
        (a.fund.kind, a.name): a for a in found if (a.fund.kind, a.name) in DEFAULT_ACCOUNTS
    }
    funds = {a.fund.kind: a.fund for a in found}
    if len(accounts) < len(DEFAULT_ACCOUNTS):
        for kind in FundKind.values:
            if kind not in funds:
                funds[kind], _ = Fund.objects.get_or_create(employer_id=employer_id, kind=kind)
        for kind, name in DEFAULT_ACCOUNTS:
            if (kind, name) not in accounts:
                accounts[(kind, name)] = account_get_or_create(funds[kind], name=name)
    return EmployerLedger(employer_id=employer_id, funds=funds, accounts=accounts)


def account_get_or_create(
    fund: Fund, *, name: str, employee: Employee | None = None, never_negative: bool = False
) -> Account:
    lookup: dict[str, Any] = {"fund": fund}
    if employee is not None:
        lookup["employee"] = employee
    else:
        lookup["name"] = name
        lookup["employee__isnull"] = True
    account, _ = Account.objects.get_or_create(
        **lookup,
        defaults={
            "name": name,
            "employee": employee,
            "normal_balance": NORMAL_BALANCE[FundKind(fund.kind)],
            "never_negative": never_negative,
        },
    )
    return account  # its balance row is made by the database (migration 0002)


def side_account_for(employee: Employee) -> Account:
    """The employee's side account in the Vested Trust Fund (R-FU1), created on first use."""
    account = (
        Account.objects.filter(
            fund__employer_id=employee.employer_id,
            fund__kind=FundKind.VESTED_TRUST,
            employee=employee,
        )
        .select_related("fund")
        .first()
    )
    if account is not None:
        return account
    fund, _ = Fund.objects.get_or_create(
        employer_id=employee.employer_id, kind=FundKind.VESTED_TRUST
    )
    return account_get_or_create(
        fund, name=SIDE_ACCOUNT_NAME, employee=employee, never_negative=True
    )


def payee_account_for(
    employer: Employer | int | EmployerLedger, *, name: str = "", employee: Employee | None = None
) -> Account:
    """An account of the providers-and-payees party: one per payee name, or per employee
    paid (lump sums); the standing "Providers and payees" account when neither is given."""
    if isinstance(employer, EmployerLedger):
        ledger: EmployerLedger | None = employer
        employer_id = employer.employer_id
    else:
        ledger, employer_id = None, employer_id_of(employer)
    name = " ".join(name.split())
    if len(name) > 200:
        raise ValidationError({"payee_name": "A payee's name is limited to 200 characters."})
    if employee is None and not name:
        return (ledger or ledger_accounts_for_employer(employer_id)).account(PAYEES_ACCOUNT)
    payees = Account.objects.filter(fund__employer_id=employer_id, fund__kind=FundKind.PAYEES)
    if employee is not None:
        found = payees.filter(employee=employee).first()
    else:
        found = payees.filter(name=name, employee__isnull=True).first()
    if found is not None:
        return found
    fund = (ledger or ledger_accounts_for_employer(employer_id)).fund(FundKind.PAYEES)
    if employee is not None:
        return account_get_or_create(
            fund, name=f"Payments to {employee.full_name}", employee=employee
        )
    return account_get_or_create(fund, name=name)


# The trust-fund account of each employer and the payee account of each (employer, payee
# name) pair a batch of claims pays, in one statement however many claims.
_PAYMENT_ACCOUNTS_SQL = """
SELECT w.employer_id, w.name, t.id, p.id
  FROM unnest(%(employers)b::bigint[], %(names)b::text[]) AS w(employer_id, name)
  LEFT JOIN LATERAL (
        SELECT a.id FROM vesting_fund f JOIN vesting_account a ON a.fund_id = f.id
         WHERE f.employer_id = w.employer_id AND f.kind = %(trust_kind)s
           AND a.name = %(trust_name)s AND a.employee_id IS NULL) t ON true
  LEFT JOIN LATERAL (
        SELECT a.id FROM vesting_fund f JOIN vesting_account a ON a.fund_id = f.id
         WHERE f.employer_id = w.employer_id AND f.kind = %(payees_kind)s
           AND a.name = w.name AND a.employee_id IS NULL) p ON true
"""
# The same for one claim (a claim entered): PostgreSQL plans the batch's statement again on
# every run, as its generic plan looks dear for an array of unknown length (0.5 ms of a
# claim's), and keeps this one's generic plan. No row when the trust fund is missing.
_ONE_PAYMENT_ACCOUNTS_SQL = """
SELECT f.employer_id, %(name)s::text,
       (SELECT a.id FROM vesting_account a
         WHERE a.fund_id = f.id AND a.name = %(trust_name)s AND a.employee_id IS NULL),
       (SELECT a.id FROM vesting_fund pf JOIN vesting_account a ON a.fund_id = pf.id
         WHERE pf.employer_id = f.employer_id AND pf.kind = %(payees_kind)s
           AND a.name = %(name)s AND a.employee_id IS NULL)
  FROM vesting_fund f
 WHERE f.employer_id = %(employer)s AND f.kind = %(trust_kind)s
"""
# The payee accounts missing, made together (each its balance row by the database's
# trigger, as one made alone); a pair made meanwhile by another transaction is kept.
_NEW_PAYEE_ACCOUNTS_SQL = """
INSERT INTO vesting_account (fund_id, name, employee_id, normal_balance, never_negative,
                             created_at)
SELECT f.id, w.name, NULL, %(normal)s, false, now()
  FROM unnest(%(employers)b::bigint[], %(names)b::text[]) AS w(employer_id, name)
  JOIN vesting_fund f ON f.employer_id = w.employer_id AND f.kind = %(payees_kind)s
ON CONFLICT (fund_id, name) WHERE employee_id IS NULL DO NOTHING
"""


def claim_payment_accounts(
    pairs: Iterable[tuple[int, str]],
) -> dict[tuple[int, str], tuple[int, int]]:
    """(employer, payee name) -> (the employer's trust-fund account, the payee's account)
    for claim payments, every account created on first use (as ``payee_account_for``):
    the standing accounts of an employer paid for the first time, one by one (once an
    employer), then the payee accounts missing, together (one by one should an employer
    lack its payees' fund)."""
    wanted = sorted({(employer, " ".join(name.split())) for employer, name in pairs})
    if any(len(name) > 200 for _employer, name in wanted):
        raise ValidationError({"payee_name": "A payee's name is limited to 200 characters."})
    params = {
        "employers": [employer for employer, _name in wanted],
        "names": [name for _employer, name in wanted],
        "trust_kind": GENERAL_TRUST_ACCOUNT[0].value,
        "trust_name": GENERAL_TRUST_ACCOUNT[1],
        "payees_kind": FundKind.PAYEES.value,
    }
    if len(wanted) == 1:
        [(employer, name)] = wanted
        rows = prepared_rows(
            _ONE_PAYMENT_ACCOUNTS_SQL, {**params, "employer": employer, "name": name}
        )
    else:
        rows = prepared_rows(_PAYMENT_ACCOUNTS_SQL, params)
    if len(rows) < len(wanted) or any(t is None or p is None for _e, _n, t, p in rows):
        found = {e for e, _n, trust, _p in rows if trust is not None}
        for employer in sorted({e for e, _n in wanted} - found):
            ledger_accounts_for_employer(employer)
        prepared_rows(
            _NEW_PAYEE_ACCOUNTS_SQL,
            {**params, "normal": NORMAL_BALANCE[FundKind.PAYEES]},
        )
        rows = prepared_rows(_PAYMENT_ACCOUNTS_SQL, params)
    return {
        (employer, name): (trust, payee or payee_account_for(employer, name=name).pk)
        for employer, name, trust, payee in rows
    }


def overpayments_account_for(employer: Employer | int) -> Account:
    """The employer's receivable account for overpayments (in the General Deductible Trust
    Fund, debit-normal: the dollars owed back to the fund), created on first use."""
    ledger = ledger_accounts_for_employer(employer)
    kind, name = OVERPAYMENTS_ACCOUNT
    return account_get_or_create(ledger.fund(kind), name=name)
