"""A claim's business dates: received, paid (the payment run's date), and the dates of its
void; their ledger postings are dated by them, never by the wall clock; a date in a closed
month of the employer's ledger is refused; a past policy year's claim paid now is allowed
(R-CL6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import PlanYear
from claims import importer, services
from claims.models import Claim, ClaimLedgerEntry
from tests.factories import (
    PremiumScheduleFactory,
    ProgramFactory,
    celery_eager,
    claims_family,
    enter_claim,
    retained_marriage,
)
from vesting import ledger
from vesting.models import Transaction, TransactionKind

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def family():
    return claims_family()


@pytest.fixture
def eager():
    with celery_eager():
        yield


def close_november_1984(employee) -> None:
    PremiumScheduleFactory(plan_year=PlanYear.objects.get(start_year=1984))
    ledger.month_close(
        employer_id=employee.employer_id, year=1984, month=11, today=date(1985, 1, 2)
    )


def claim_payments() -> int:
    return Transaction.objects.filter(kind=TransactionKind.CLAIM_PAYMENT).count()


def test_a_claim_paid_in_a_payment_run_carries_the_runs_date(family):
    employee, _, _ = family
    # Service Oct 15, 1984, received Oct 22, paid in the run of Nov 5, 1984.
    first = enter_claim(
        employee, D("100.00"), received_on=date(1984, 10, 22), paid_on=date(1984, 11, 5)
    )
    later = enter_claim(
        employee,
        D("60.00"),
        date_of_service=date(1984, 11, 1),
        received_on=date(1984, 11, 12),
        paid_on=date(1984, 11, 20),
    )
    run = services.payment_run_create(paid_on=date(1984, 11, 5), today=date(1984, 11, 5))
    first.refresh_from_db()
    assert (run.paid_on, run.total, run.claim_count) == (date(1984, 11, 5), D("100.00"), 1)
    assert first.received_on == date(1984, 10, 22)
    assert first.paid_on == date(1984, 11, 5)
    assert first.payment_transaction.effective_date == date(1984, 11, 5)
    assert {p.effective_date for p in first.payment_transaction.postings.all()} == {
        date(1984, 11, 5)
    }
    entry = ClaimLedgerEntry.objects.get(claim=first)
    assert entry.payment_run == run
    # The payment of Nov 20 waits for the run of its date.
    assert ClaimLedgerEntry.objects.get(claim=later).payment_run is None
    second = services.payment_run_create(paid_on=date(1984, 11, 20), today=date(1984, 11, 30))
    assert (second.number, second.paid_on, second.total) == (2, date(1984, 11, 20), D("60.00"))


def test_the_dates_default_to_the_business_day_given_not_the_clock(family):
    employee, _, _ = family
    claim = enter_claim(employee, D("80.00"), today=date(1984, 12, 3))
    assert (claim.received_on, claim.paid_on) == (date(1984, 12, 3), date(1984, 12, 3))
    assert claim.payment_transaction.effective_date == date(1984, 12, 3)
    # Paid on a given day and no date received: received that day.
    other = enter_claim(employee, D("20.00"), paid_on=date(1984, 11, 28))
    assert (other.received_on, other.paid_on) == (date(1984, 11, 28), date(1984, 11, 28))


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        (
            {"received_on": date(1984, 10, 1)},
            "received_on",
            "The date received is before the date of service (1984-10-15)",
        ),
        (
            {"received_on": date(1984, 12, 4)},
            "received_on",
            "The date received cannot be in the future.",
        ),
        (
            {"received_on": date(1984, 11, 2), "paid_on": date(1984, 11, 1)},
            "paid_on",
            "The date paid is before the date received (1984-11-02).",
        ),
        ({"paid_on": date(1984, 12, 5)}, "paid_on", "The date paid cannot be in the future."),
    ],
)
def test_bad_dates_are_refused_and_nothing_is_saved(family, dates, field, message):
    employee, _, _ = family
    with pytest.raises(ValidationError) as error:
        enter_claim(employee, D("80.00"), today=date(1984, 12, 3), **dates)
    assert message in " ".join(error.value.message_dict[field])
    assert not Claim.objects.exists() and claim_payments() == 0


def test_bad_dates_are_reported_with_the_other_fields(family):
    employee, _, _ = family
    with pytest.raises(ValidationError) as error:
        enter_claim(employee, D("80.00"), provider="", received_on=date(1984, 10, 1))
    assert set(error.value.message_dict) == {"provider", "received_on"}


def test_a_date_paid_in_a_closed_month_is_refused(family):
    employee, _, _ = family
    close_november_1984(employee)
    with pytest.raises(ValidationError) as error:
        enter_claim(employee, D("80.00"), paid_on=date(1984, 11, 20))
    assert error.value.message_dict["paid_on"] == [
        "November 1984 is closed in the employer's ledger (its month close is done); use a "
        "date in an open month."
    ]
    assert not Claim.objects.exists() and claim_payments() == 0
    # Received in the closed month (no money moved then), paid in December: accepted.
    claim = enter_claim(
        employee, D("80.00"), received_on=date(1984, 11, 20), paid_on=date(1984, 12, 3)
    )
    assert claim.payment_transaction.effective_date == date(1984, 12, 3)


def test_R_EL11_the_closed_month_is_the_retained_familys_employers(family):
    """A claim entered for Grace goes to Robert's family (R-EL11), in his employer's ledger:
    his employer's closed month refuses it, hers does not matter. The month's close is read
    with the family, in the same query."""
    husband, wife = retained_marriage(wife_program=ProgramFactory())
    assert husband.employer_id != wife.employer_id
    close_november_1984(wife)  # her employer's November: not the ledger the claim goes to
    claim = enter_claim(wife, D("80.00"), paid_on=date(1984, 11, 20), today=date(1984, 12, 3))
    assert (claim.employee_id, claim.paid_on) == (husband.pk, date(1984, 11, 20))
    close_november_1984(husband)
    with pytest.raises(ValidationError) as error:
        enter_claim(wife, D("50.00"), paid_on=date(1984, 11, 21), today=date(1984, 12, 3))
    assert error.value.message_dict["paid_on"][0].startswith("November 1984 is closed")
    assert Claim.objects.count() == 1


def test_R_CL6_a_claim_of_a_past_year_is_paid_in_an_open_month(family):
    employee, _, _ = family
    close_november_1984(employee)
    claim = enter_claim(
        employee, D("75.00"), received_on=date(1986, 8, 18), paid_on=date(1986, 9, 2)
    )
    assert (claim.policy_year, claim.status, claim.trust_fund_amount) == (
        1984,
        Claim.Status.PAID,
        D("75.00"),
    )
    assert claim.payment_transaction.effective_date == date(1986, 9, 2)
    assert claim.payment_transaction.period_start == date(1984, 10, 15)


def test_a_void_is_dated_by_its_own_business_date(family):
    employee, _, _ = family
    claim = enter_claim(employee, D("100.00"), paid_on=date(1984, 11, 5))
    services.claim_void(claim=claim, reason="Billed twice", effective_date=date(1985, 1, 10))
    reversal = Transaction.objects.get(reverses=claim.payment_transaction)
    assert reversal.effective_date == date(1985, 1, 10)
    assert {p.effective_date for p in reversal.postings.all()} == {date(1985, 1, 10)}


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (
            date(1984, 11, 4),
            "The family's claims of the year were last paid or corrected on 1984-11-05; a "
            "correction cannot be dated before that.",
        ),
        (date(1984, 11, 30), "November 1984 is closed in the employer's ledger"),
        (date(2999, 1, 1), "The date of the correction cannot be in the future."),
    ],
)
def test_a_void_dated_badly_is_refused(family, day, message):
    employee, _, _ = family
    claim = enter_claim(employee, D("100.00"), paid_on=date(1984, 11, 5))
    close_november_1984(employee)
    with pytest.raises(ValidationError) as error:
        services.claim_void(claim=claim, reason="Billed twice", effective_date=day)
    assert message in " ".join(error.value.message_dict["effective_date"])
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    assert not Transaction.objects.filter(kind=TransactionKind.REVERSAL).exists()


def test_an_adjustment_is_dated_by_its_business_date(family):
    employee, _, _ = family
    claim = enter_claim(employee, D("100.00"), paid_on=date(1984, 11, 5))
    services.claim_adjust(
        claim=claim, allowed="60.00", reason="Corrected EOB", effective_date=date(1984, 12, 1)
    )
    dates = sorted(
        (e.kind, e.transaction.effective_date, e.amount)
        for e in ClaimLedgerEntry.objects.filter(claim=claim, adjustment__isnull=False)
    )
    assert dates == [
        ("payment", date(1984, 12, 1), D("60.00")),
        ("reversal", date(1984, 12, 1), D("-100.00")),
    ]


HEADER = (
    "admin_claim_number,employer_code,employee_number,patient,date_of_service,provider,"
    "billed,allowed,received_on\n"
)


def test_import_reads_the_date_received_and_refuses_a_bad_one(
    family, eager, django_capture_on_commit_callbacks
):
    employee, _, _ = family
    code, number = employee.employer.code, employee.number
    bad = (
        HEADER
        + f"F-1,{code},{number},,1984-10-15,Dr. Ames,50.00,50.00,1984-10-20\n"
        + f"F-2,{code},{number},,1984-10-15,Dr. Ames,50.00,50.00,10/45/1984\n"
        + f"F-3,{code},{number},,1984-10-15,Dr. Ames,50.00,50.00,1984-10-01\n"
    )
    result = importer.import_file(file=BytesIO(bad.encode()))
    assert result.job is None
    assert result.errors == [
        {
            "row": 3,
            "field": "received_on",
            "message": "Enter the date received as YYYY-MM-DD or MM/DD/YYYY.",
        },
        {
            "row": 4,
            "field": "received_on",
            "message": "The date received is before the date of service (1984-10-15); a claim "
            "is received after the visit.",
        },
    ]
    assert not Claim.objects.exists()
    good = HEADER + f"F-1,{code},{number},,1984-10-15,Dr. Ames,50.00,50.00,1984-10-20\n"
    with django_capture_on_commit_callbacks(execute=True):
        result = importer.import_file(file=BytesIO(good.encode()))
    assert result.errors == [] and result.job is not None
    claim = Claim.objects.get()
    assert claim.received_on == date(1984, 10, 20)
    assert claim.source == Claim.Source.IMPORT


def test_the_migration_backfills_the_dates_of_existing_claims(family):
    """Rows from before the dates: paid on their payment's ledger date, received on the
    day entered but never after the date paid nor before the date of service."""
    import importlib

    from django.apps import apps
    from django.db import connection

    employee, _, _ = family
    paid = enter_claim(employee, D("100.00"), paid_on=date(1984, 11, 5))
    denied_day = date(1983, 7, 20)  # before coverage (R-EL6): denied, nothing paid
    denied = enter_claim(employee, D("40.00"), date_of_service=denied_day)
    assert denied.status == Claim.Status.DENIED
    Claim.objects.filter(pk=paid.pk).update(paid_on=None, received_on=date(1984, 10, 15))
    Claim.objects.filter(pk=denied.pk).update(received_on=denied_day)
    migration = importlib.import_module("claims.migrations.0003_dates_received_and_paid")
    with connection.schema_editor() as editor:
        migration.backfill(apps, editor)
    paid.refresh_from_db()
    denied.refresh_from_db()
    assert (paid.paid_on, paid.received_on) == (date(1984, 11, 5), date(1984, 11, 5))
    today = timezone.localdate()
    assert (denied.paid_on, denied.received_on) == (None, today)


def test_a_void_cannot_be_dated_before_a_later_payment_of_the_familys_year(family):
    """R-CL5: the void re-splits the family's year; the later claim's payment (Dec 3) would
    be reversed before it was made."""
    employee, _, _ = family
    first = enter_claim(employee, D("450.00"), paid_on=date(1984, 11, 5))
    enter_claim(
        employee, D("100.00"), date_of_service=date(1984, 11, 20), paid_on=date(1984, 12, 3)
    )
    with pytest.raises(ValidationError) as error:
        services.claim_void(claim=first, reason="Billed twice", effective_date=date(1984, 11, 10))
    assert "last paid or corrected on 1984-12-03" in error.value.message_dict["effective_date"][0]
    services.claim_void(claim=first, reason="Billed twice", effective_date=date(1984, 12, 10))
    assert set(
        Transaction.objects.filter(kind=TransactionKind.REVERSAL).values_list(
            "effective_date", flat=True
        )
    ) == {date(1984, 12, 10)}
