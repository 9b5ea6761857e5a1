"""The business dates of a claim: the date received, the date paid, and the date of a void
or an adjustment. Postings are dated by these, never by the wall clock alone (the clock
gives only the default: today, in the plan's time zone).

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: the date received is the day the claim reached the plan, as the clerk enters
  it (default today on the page and in the API; in a file, the ``received_on`` column or
  the day of the import). It cannot be in the future, nor before the date of service (a
  bill follows the visit; a database constraint holds it too). A date received in a
  closed month is accepted: receiving a claim moves no money.
- Decision: a claim is paid when it is entered (its trust-fund share is posted then, so
  the family's deductible and the fund's balance are right at once). The date paid is the
  entry's business date: the date of the payment run the claim goes in, given by the
  clerk, else today. It is the effective date of the trust-fund claim payment posting
  and the date the run-out rules read (R-CL6, R-VE7). A payment run dated D takes the
  payments dated on or before D (``payment_run_create``); one dated later waits.
- Decision: the date paid cannot be in the future, nor before the date received or the
  date of service; with no date received given, the claim was received on its date paid.
  A claim for a past policy year paid in an open month is a run-out claim (R-CL6) and is
  accepted like any other.
- Decision: a date paid, voided or adjusted in a month the employer's ledger has closed
  (``vesting.ledger.month_is_closed``: its month close is done) is refused with a field
  error: the month's figures are final. Enter such a correction on a day of an open month.
- Decision: a void or adjustment is dated by its own business date (default today): not
  in the future, not in a closed month, and not before the last trust-fund movement of
  the family's claims of the year (it re-splits them all, R-CL5: a reversal cannot come
  before the payment it reverses).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from vesting import ledger

ClosedCheck = Callable[[int, date], bool]  # (employer id, day) -> the month is closed


def _closed(employer_id: int | None, day: date, is_closed: ClosedCheck | None = None) -> str | None:
    closed = is_closed or ledger.month_is_closed
    if employer_id is not None and closed(employer_id, day):
        return (
            f"{day:%B %Y} is closed in the employer's ledger (its month close is done); "
            "use a date in an open month."
        )
    return None


def received_error(received: date, date_of_service: date | None, today: date) -> str | None:
    """What is wrong with a date received (the entry and the import)."""
    if received > today:
        return "The date received cannot be in the future."
    if date_of_service is not None and received < date_of_service:
        return (
            f"The date received is before the date of service ({date_of_service.isoformat()}); "
            "a claim is received after the visit."
        )
    return None


def _paid_error(
    paid: date,
    *,
    received: date | None,
    date_of_service: date | None,
    employer_id: int | None,
    today: date,
    is_closed: ClosedCheck | None = None,
) -> str | None:
    if paid > today:
        return "The date paid cannot be in the future."
    if date_of_service is not None and paid < date_of_service:
        return f"The date paid is before the date of service ({date_of_service.isoformat()})."
    if received is not None and paid < received:
        return f"The date paid is before the date received ({received.isoformat()})."
    return _closed(employer_id, paid, is_closed)


def entry_date_errors(
    *,
    employer_id: int | None,
    date_of_service: date | None,
    received_on: date | None,
    paid_on: date | None,
    today: date,
    is_closed: ClosedCheck | None = None,
) -> dict[str, str]:
    """The problems of a new claim's dates, by field (``received_on``, ``paid_on``);
    ``employer_id`` None (the employee unknown) skips the closed-month check
    (``is_closed``: ``vesting.ledger.month_is_closed`` unless another, e.g. remembered
    for many claims, is given)."""
    errors: dict[str, str] = {}
    if received_on is not None:
        problem = received_error(received_on, date_of_service, today)
        if problem:
            errors["received_on"] = problem
    # Paid today (the default) is checked only against the closed months: the date of
    # service's own error says when it is in the future.
    paid_problem = (
        _paid_error(
            paid_on,
            received=received_on,
            date_of_service=date_of_service,
            employer_id=employer_id,
            today=today,
            is_closed=is_closed,
        )
        if paid_on is not None
        else _closed(employer_id, today, is_closed)
    )
    if paid_problem:
        errors["paid_on"] = paid_problem
    return errors


def entry_dates(
    *,
    employer_id: int,
    date_of_service: date,
    received_on: date | None,
    paid_on: date | None,
    today: date | None = None,
    is_closed: ClosedCheck | None = None,
) -> tuple[date, date]:
    """The claim's (date received, date paid), checked; raises ``ValidationError`` by field."""
    today = today or timezone.localdate()
    errors = entry_date_errors(
        employer_id=employer_id,
        date_of_service=date_of_service,
        received_on=received_on,
        paid_on=paid_on,
        today=today,
        is_closed=is_closed,
    )
    if errors:
        raise ValidationError(errors)
    paid = paid_on or today
    return received_on or paid, paid


def correction_date(
    *,
    employer_id: int,
    last_movement: date | None,
    effective_date: date | None,
    today: date | None = None,
) -> date:
    """The business date of a void or adjustment (default today), checked against the
    last ledger movement of the family's claims of the year; raises ``ValidationError``
    on ``effective_date``."""
    today = today or timezone.localdate()
    day = effective_date or today
    problem: str | None
    if day > today:
        problem = "The date of the correction cannot be in the future."
    elif last_movement is not None and day < last_movement:
        problem = (
            "The family's claims of the year were last paid or corrected on "
            f"{last_movement.isoformat()}; a correction cannot be dated before that."
        )
    else:
        problem = _closed(employer_id, day)
    if problem:
        raise ValidationError({"effective_date": problem})
    return day
