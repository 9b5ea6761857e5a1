"""The accounts of an employer: its funds' default accounts, side and payee accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from accounts.models import Employee, Employer
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


def overpayments_account_for(employer: Employer | int) -> Account:
    """The employer's receivable account for overpayments (in the General Deductible Trust
    Fund, debit-normal: the dollars owed back to the fund), created on first use."""
    ledger = ledger_accounts_for_employer(employer)
    kind, name = OVERPAYMENTS_ACCOUNT
    return account_get_or_create(ledger.fund(kind), name=name)
