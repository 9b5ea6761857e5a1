"""Month close: an employer's trust-fund contributions of a month, posted once (R-FU1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.utils import timezone

from accounts import selectors as member_selectors  # the premium charges are the accounts app's
from accounts.models import Employer
from accounts.rules import add_months
from staywell.db import prepared_rows
from staywell.money import CENT, ZERO
from vesting.ledger import seals
from vesting.ledger.operations import post_employer_contribution
from vesting.ledger.posting import user_id_of
from vesting.models import (
    MonthClose,
)


def month_close(
    *,
    employer_id: int,
    year: int,
    month: int,
    closed_by: Any = None,
    today: date | None = None,
) -> MonthClose:
    """Close an employer's month: post its trust-fund contributions, once (R-FU1, R-PR1).

    The amounts come from the month's premium charges
    (``accounts.selectors.monthly_premium_charges``): the trust-fund line, employer and
    employee shares. A second close of the same month returns the first close (marked
    ``replayed``) and posts nothing, concurrent closes included (they wait on the
    employer's row); a month without contributions is recorded with no transaction.
    """
    with db_transaction.atomic():
        # One close of an employer at a time: a concurrent second close of the same month
        # waits, then finds the first and answers it (a replay), never "out of order".
        # FOR NO KEY UPDATE: rows that merely reference the employer (a rollover's writes,
        # checked FOR KEY SHARE) do not wait for the close; with FOR UPDATE a rollover that
        # held the trust fund's balance rows deadlocked with a close posting to them.
        Employer.objects.select_for_update(no_key=True).filter(pk=employer_id).first()
        existing = MonthClose.objects.filter(
            employer_id=employer_id, year=year, month=month
        ).first()
        if existing is not None:
            existing.replayed = True
            return existing
        if not 1 <= month <= 12:
            raise ValidationError({"month": "A month is 1 to 12."})
        first = date(year, month, 1)
        if first > (today or timezone.localdate()):
            raise ValidationError(
                {"month": f"{first:%B %Y} has not begun; it cannot be closed yet."}
            )
        _check_close_order(employer_id, first)
        charges = member_selectors.monthly_premium_charges(
            employer_id=employer_id, year=year, month=month
        )
        return _record_month_close(
            employer_id=employer_id,
            first=first,
            employer_amount=charges.total(line="trust_fund", payer="employer"),
            employee_amount=charges.total(line="trust_fund", payer="employee"),
            employee_count=charges.employee_count,
            closed_by=closed_by,
        )


def month_is_closed(employer_id: int, day: date) -> bool:
    """Whether the employer's month of ``day`` is closed: the business dates of claims
    (paid, voided, adjusted) are refused in it by ``claims.services.dates``. The ledger
    itself does not refuse a posting dated in a closed month (the rollover, go-live and
    re-vest post on dates of their own). A prepared statement: every claim entered asks."""
    rows = prepared_rows(
        "SELECT 1 FROM vesting_monthclose WHERE employer_id = %s AND year = %s AND month = %s",
        [employer_id, day.year, day.month],
    )
    return bool(rows)


def next_month_to_close(employer_id: int) -> date | None:
    """The month after the last closed one (``None``: nothing closed yet)."""
    last = MonthClose.objects.filter(employer_id=employer_id).order_by("-year", "-month").first()
    return add_months(date(last.year, last.month, 1), 1) if last else None


def _check_close_order(employer_id: int, first: date) -> None:
    expected = next_month_to_close(employer_id)
    if expected is not None and first != expected:
        raise ValidationError(
            {"month": f"Months are closed in order: the next month to close is {expected:%B %Y}."}
        )


def _record_month_close(
    *,
    employer_id: int,
    first: date,
    employer_amount: Decimal,
    employee_amount: Decimal,
    employee_count: int,
    closed_by: Any,
) -> MonthClose:
    employer_amount = Decimal(employer_amount).quantize(CENT)
    employee_amount = Decimal(employee_amount).quantize(CENT)
    with db_transaction.atomic():
        tx = None
        if employer_amount + employee_amount > ZERO:
            tx = post_employer_contribution(
                employer=employer_id,
                year=first.year,
                month=first.month,
                amount=employer_amount,
                employee_amount=employee_amount,
                posted_by=closed_by,
            )
        close, created = MonthClose.objects.get_or_create(
            employer_id=employer_id,
            year=first.year,
            month=first.month,
            defaults={
                "employer_amount": employer_amount,
                "employee_amount": employee_amount,
                "employee_count": employee_count,
                "transaction": tx,
                "closed_by_id": user_id_of(closed_by),
            },
        )
        close.replayed = not created
        # The month's postings sealed once they are committed (vesting.ledger.seals).
        db_transaction.on_commit(lambda: seals.seal_postings(sealed_by="month close"))
    return close
