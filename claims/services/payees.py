"""The payee directory: providers found or created by their key, edited by clerks.

A claim names its provider as typed (``Claim.provider``) and is paid to a payee of the
directory (``Claim.payee``). :func:`payee_for_claim` decides which: the payee the clerk
picked, else the one whose key (``staywell.names.provider_key``) is the typed name's,
created on first use. So "Dr. Helen Ames, M.D." typed after "Dr. Helen Ames" is the same
payee, and its trust-fund payments are one check of the payment run.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from psycopg.rows import dict_row

from accounts.exchange import bank_account_errors
from claims.models import Payee
from claims.services.checking import normalized_text
from staywell.db import model_from_row, parse_id, prepared_rows
from staywell.names import name_character_error, provider_key

# Find or create (the entry path): the row of the key, found without a lock, else inserted.
# Not ``INSERT ... ON CONFLICT DO UPDATE``: that locks and rewrites the payee's row for the
# rest of the claim's transaction, so every claim of one provider (a hospital) waited for
# the one before it to commit, and throughput fell as clerks were added.
_FIND_OR_CREATE_SQL = """
WITH found AS (SELECT id, name, key, active FROM claims_payee WHERE key = %(key)s),
new AS (
    INSERT INTO claims_payee (name, key, address, active, created_at)
    SELECT %(name)s, %(key)s, '', true, %(now)s WHERE NOT EXISTS (SELECT 1 FROM found)
    ON CONFLICT (key) DO NOTHING
    RETURNING id, name, key, active
)
SELECT * FROM found UNION ALL SELECT * FROM new
"""
# When another transaction created the key at the same moment (its INSERT won): its row.
_FIND_SQL = "SELECT id, name, key, active FROM claims_payee WHERE key = %(key)s"


def payee_for_provider(provider: str) -> Payee:
    """The payee of a provider's name (checked by the caller): the one of its key, or a
    new payee with that name."""
    name = normalized_text(provider)
    values = {"name": name, "key": provider_key(name)[:200], "now": timezone.now()}
    rows = prepared_rows(_FIND_OR_CREATE_SQL, values, row_factory=dict_row) or prepared_rows(
        _FIND_SQL, values, row_factory=dict_row
    )
    payee: Payee = model_from_row(Payee, rows[0])
    return payee


def payee_for_claim(*, payee: Payee | int | str | None, provider: str) -> Payee:
    """The payee a claim is paid to: the one picked (it must be active), else the
    provider's (:func:`payee_for_provider`)."""
    if payee in (None, ""):
        return payee_for_provider(provider)
    if isinstance(payee, Payee):
        return payee
    pk = parse_id(payee)
    found = Payee.objects.filter(pk=pk, active=True).first() if pk is not None else None
    if found is None:
        raise ValidationError({"payee": f"Unknown or inactive payee {payee}."})
    return found


def _checked_name(name: str | None) -> tuple[str, str]:
    text = normalized_text(name)
    if not text:
        raise ValidationError({"name": "Enter the payee's name."})
    if len(text) > 200:
        raise ValidationError({"name": "The payee's name is limited to 200 characters."})
    refused = name_character_error(text, "payee's name")
    if refused:
        raise ValidationError({"name": refused})
    key = provider_key(text)
    if not key:
        raise ValidationError({"name": "Enter the payee's name with letters or digits."})
    return text, key[:200]


def _same_key_error(key: str, exclude: int | None = None) -> ValidationError | None:
    other = Payee.objects.filter(key=key).exclude(pk=exclude).first()
    if other is None:
        return None
    return ValidationError(
        {"name": f"{other.name} (payee {other.pk}) is this payee already: edit that one."}
    )


def _bank(
    payee: Payee | None, routing_number: str, account_number: str, account_type: str, remove: bool
) -> dict[str, str]:
    """The payee's bank fields after the change: removed, kept (nothing typed; an
    existing account number is kept when only the routing number or type is typed), or
    the typed ones checked (the routing number by its check digit)."""
    if remove:
        return {"routing_number": "", "account_number": "", "account_type": "checking"}
    routing = str(routing_number or "").strip()
    account = str(account_number or "").strip()
    kind = str(account_type or "").strip() or "checking"
    if payee is not None and not account and payee.account_number and routing:
        account = payee.account_number
    if not routing and not account:
        if payee is None:
            return {}
        return {
            "routing_number": payee.routing_number,
            "account_number": payee.account_number,
            "account_type": kind if payee.routing_number else payee.account_type,
        }
    errors = bank_account_errors(routing, account, kind)
    if errors:
        raise ValidationError(errors)
    return {"routing_number": routing, "account_number": account, "account_type": kind}


@transaction.atomic
def payee_create(
    *,
    name: str,
    address: str = "",
    active: bool = True,
    routing_number: str = "",
    account_number: str = "",
    account_type: str = "checking",
    remove_bank_account: bool = False,
) -> Payee:
    """A new payee of the directory; a name with the key of another payee is refused.
    With a bank account (routing and account numbers), its checks are paid by ACH."""
    text, key = _checked_name(name)
    error = _same_key_error(key)
    if error:
        raise error
    bank = _bank(None, routing_number, account_number, account_type, remove_bank_account)
    try:
        with transaction.atomic():
            return Payee.objects.create(
                name=text, key=key, address=str(address or "").strip(), active=active, **bank
            )
    except IntegrityError:  # created meanwhile by an entry with that name
        raise _same_key_error(key) or ValidationError({"name": "This payee exists."}) from None


@transaction.atomic
def payee_update(
    *,
    payee: Payee,
    name: str,
    address: str = "",
    active: bool = True,
    routing_number: str = "",
    account_number: str = "",
    account_type: str = "checking",
    remove_bank_account: bool = False,
) -> Payee:
    """Rename a payee (the checks of later payment runs print the new name), change its
    address, its bank account (``_bank``), or make it inactive (no longer offered when a
    claim is entered)."""
    text, key = _checked_name(name)
    payee = Payee.objects.select_for_update().get(pk=payee.pk)
    error = _same_key_error(key, exclude=payee.pk)
    if error:
        raise error
    bank = _bank(payee, routing_number, account_number, account_type, remove_bank_account)
    payee.name, payee.key = text, key
    payee.address = str(address or "").strip()
    payee.active = bool(active)
    for field, value in bank.items():
        setattr(payee, field, value)
    payee.save(update_fields=["name", "key", "address", "active", *bank])
    return payee


def payee_name_of(claim: Any) -> str:
    """The name the claim's checks are made out to: its payee's, else as typed."""
    payee = getattr(claim, "payee", None) if getattr(claim, "payee_id", None) else None
    return payee.name if payee is not None else claim.provider
