"""The plan's exchange partners: the identifiers its X12 and ACH files carry (set by an
administrator), the interchange control numbers it writes, and employees' bank accounts
for direct deposit (set by clerks).

Like ``accounts.configuration``: keyword-only, ``@transaction.atomic``; a refusal is
``ValidationError({field: message})`` and leaves the database unchanged. The pages
(``exchange_views``) and the API (``accounts.api.exchange``) call these.

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: every identifier may be left blank while the plan sets up; the file that
  needs one refuses to be made and names the setting (an 835 cannot be imported before
  the plan's and the administrator's ids are set; an 834 needs the carrier's; an ACH
  file the bank's routing number, immediate origin and company id).
- Decision: interchange ids are checked as X12 writes them (letters, digits, spaces,
  hyphens; at most 15), qualifiers against ISA05's codes, the bank's routing number by
  its check digit, the immediate origin as nine or ten digits (a space or a 1 before a
  tax id, as banks ask).
- Decision: the interchange control numbers (ISA13) of the files the plan writes count
  up from 1 in one row, locked while a number is taken, so no two files share one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import BankAccountType, DirectDeposit, Employee, TradingPartners
from staywell import x12
from staywell.nacha import account_number_error, routing_number_error
from staywell.names import name_character_error

# ISA05/ISA07 interchange id qualifiers of 005010.
QUALIFIERS = {
    "01": "DUNS",
    "14": "DUNS with suffix",
    "20": "Health industry number",
    "27": "Carrier id (Medicare)",
    "28": "Fiscal intermediary id",
    "29": "Medicare provider id",
    "30": "US federal tax id",
    "33": "NAIC company code",
    "ZZ": "Mutually defined",
}
PARTIES = ("plan", "administrator", "carrier")
PARTY_LABELS = {
    "plan": "the plan",
    "administrator": "the claims administrator",
    "carrier": "the carrier",
}
TEXT_LIMITS = {
    "plan_name": 60,
    "administrator_name": 60,
    "carrier_name": 60,
    "group_policy_number": 50,
    "bank_name": 23,
    "origin_name": 23,
    "company_name": 16,
}
FIELDS = (
    *(f"{party}_{part}" for party in PARTIES for part in ("qualifier", "id", "name")),
    "carrier_tax_id",
    "group_policy_number",
    "bank_routing_number",
    "bank_name",
    "immediate_origin",
    "origin_name",
    "company_name",
    "company_id",
)


def trading_partners() -> TradingPartners:
    """The one row of settings (created blank on first use)."""
    return TradingPartners.objects.get_or_create(pk=1)[0]


def _id_error(value: str, what: str) -> str | None:
    if value and x12.clean(value) != value.upper():
        return f"{what} holds letters, digits, spaces and hyphens only."
    return None


def _text(values: Mapping[str, Any], name: str) -> str:
    return " ".join(str(values.get(name) or "").split())


def _party_errors(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for party in PARTIES:
        qualifier = _text(values, f"{party}_qualifier").upper() or "ZZ"
        if qualifier not in QUALIFIERS:
            errors[f"{party}_qualifier"] = (
                f"Choose the qualifier of {PARTY_LABELS[party]}'s id: "
                f"{', '.join(sorted(QUALIFIERS))}."
            )
        ident = _text(values, f"{party}_id")
        if len(ident) > 15:
            errors[f"{party}_id"] = "An interchange id has at most 15 characters."
        elif problem := _id_error(ident, "An interchange id"):
            errors[f"{party}_id"] = problem
    return errors


def _bank_errors(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    routing = _text(values, "bank_routing_number")
    if routing and (problem := routing_number_error(routing)):
        errors["bank_routing_number"] = problem
    origin = _text(values, "immediate_origin")
    if origin and not (origin.isascii() and origin.isdigit() and len(origin) in (9, 10)):
        errors["immediate_origin"] = (
            "The immediate origin is nine or ten digits (as the bank gives it)."
        )
    company = _text(values, "company_id")
    if len(company) > 10 or (company and not (company.isascii() and company.isalnum())):
        errors["company_id"] = "The company id is at most ten letters or digits."
    tax_id = _text(values, "carrier_tax_id")
    if tax_id and not (tax_id.isascii() and tax_id.isdigit() and len(tax_id) == 9):
        errors["carrier_tax_id"] = "A federal tax id is nine digits, without the hyphen."
    return errors


def _text_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """Names: their length (the files' fields), no refused characters. The files write
    them in upper case without accents."""
    errors: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        text = _text(values, name)
        if len(text) > limit:
            errors[name] = f"At most {limit} characters (the file's field)."
        elif problem := name_character_error(text, "name"):
            errors[name] = problem
    return errors


@transaction.atomic
def trading_partners_update(*, values: Mapping[str, Any], user: Any = None) -> TradingPartners:
    """Save every identifier at once (blank ones included); refuse all of them when one
    is wrong, naming each."""
    errors = {**_party_errors(values), **_bank_errors(values), **_text_errors(values)}
    if errors:
        raise ValidationError(errors)
    row = TradingPartners.objects.select_for_update().get_or_create(pk=1)[0]
    for name in FIELDS:
        text = _text(values, name)
        if name.endswith("_qualifier"):
            text = text.upper() or "ZZ"
        elif name.endswith("_id") and name != "company_id":
            text = text.upper()
        setattr(row, name, text)
    row.updated_by = user if getattr(user, "is_authenticated", False) else None
    row.save()
    return row


def missing_settings(row: TradingPartners, names: tuple[str, ...]) -> str | None:
    """The message for files that need settings not set yet, or None."""
    labels = {
        "plan_id": "the plan's interchange id",
        "administrator_id": "the claims administrator's interchange id",
        "carrier_id": "the carrier's interchange id",
        "carrier_name": "the carrier's name",
        "plan_name": "the plan's name",
        "bank_routing_number": "the bank's routing number",
        "immediate_origin": "the immediate origin",
        "company_id": "the company id",
        "company_name": "the company name",
    }
    missing = [labels.get(name, name) for name in names if not getattr(row, name)]
    if not missing:
        return None
    return f"Set {', '.join(missing)} first (Administration, Trading partners: an administrator's page)."


@transaction.atomic
def interchange_number_next() -> int:
    """The next interchange control number (ISA13) of a file the plan writes."""
    row = TradingPartners.objects.select_for_update().get_or_create(pk=1)[0]
    number = row.last_interchange_number % 999_999_999 + 1
    TradingPartners.objects.filter(pk=1).update(last_interchange_number=number)
    return number


# ---------------------------------------------------------------------------------------
# Bank accounts
# ---------------------------------------------------------------------------------------


def bank_account_errors(
    routing_number: str, account_number: str, account_type: str
) -> dict[str, str]:
    """The field errors of a bank account as typed (routing checked by its check digit)."""
    errors: dict[str, str] = {}
    if problem := routing_number_error(routing_number):
        errors["routing_number"] = problem
    if problem := account_number_error(account_number):
        errors["account_number"] = problem
    if account_type not in BankAccountType.values:
        errors["account_type"] = "Choose checking or savings."
    return errors


@transaction.atomic
def direct_deposit_set(
    *,
    employee: Employee,
    routing_number: str,
    account_number: str,
    account_type: str = BankAccountType.CHECKING,
    user: Any = None,
) -> DirectDeposit:
    """The employee's bank account for payouts by ACH (replacing any earlier one)."""
    routing, account = str(routing_number or "").strip(), str(account_number or "").strip()
    kind = str(account_type or "").strip() or BankAccountType.CHECKING
    errors = bank_account_errors(routing, account, kind)
    if errors:
        raise ValidationError(errors)
    deposit, _ = DirectDeposit.objects.update_or_create(
        employee=employee,
        defaults={
            "routing_number": routing,
            "account_number": account,
            "account_type": kind,
            "updated_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    return deposit


@transaction.atomic
def direct_deposit_remove(*, employee: Employee) -> bool:
    """No more direct deposit: payouts go by check. False when there was none."""
    deleted, _ = DirectDeposit.objects.filter(employee=employee).delete()
    return bool(deleted)
