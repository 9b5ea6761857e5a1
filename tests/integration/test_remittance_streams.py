"""A large 835 is entered in streams at the same time (``claims.remittance.entry_streams``,
a thread and a database connection each): the claims and reversals of independent
employers in streams of their own, each in the file's order, an R-EL11 spouse's employer
with the family's; the splits to the cent as one after the other; a refusal in one stream
stops the import, naming its segment."""

from __future__ import annotations

import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts import exchange
from claims import importer, remittance
from claims.models import Claim, FamilyYear, Remittance
from staywell.models import Job
from tests.factories import (
    EmployerFactory,
    ProgramFactory,
    UserFactory,
    celery_eager,
    claims_family,
    enter_claim,
    hire,
    retained_marriage,
)
from tests.x12_samples import ClaimPayment
from tests.x12_samples import remittance as remittance_835

D = Decimal
PROVIDER = "UKIAH VALLEY MEDICAL CENTER"


@pytest.fixture
def pool(settings):
    """Linda (MCOE), Ana (UKIAH), Robert (MCOE) and Grace (WILLITS), married on August 20,
    1984 on Robert's policy (R-EL11: from September 1 Grace's claims go to his family)."""
    settings.CLAIMS_REMITTANCE_STREAMS = 2
    settings.CLAIMS_REMITTANCE_STREAM_ITEMS = 1
    exchange.trading_partners_update(
        values={"plan_id": "STAYWELLPLAN", "administrator_id": "VALLEYTPA"}
    )
    mcoe = ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))
    linda, _, _ = claims_family(program=mcoe)
    hired = date(1983, 7, 1)
    ana = hire(
        program=ProgramFactory(employer=EmployerFactory(code="UKIAH", name="Ukiah Unified")),
        first_name="Ana",
        last_name="Rivera",
        hire_date=hired,
    )
    robert, grace = retained_marriage(
        program=mcoe,
        wife_program=ProgramFactory(
            employer=EmployerFactory(code="WILLITS", name="Willits Unified")
        ),
        hire_date=hired,
    )
    return {"linda": linda, "ana": ana, "robert": robert, "grace": grace}


def claim(number: str, allowed: str, employee, *, status: str = "1") -> ClaimPayment:
    amount = D(allowed)
    return ClaimPayment(
        number,
        amount,
        amount,
        f"{employee.employer.code}-{employee.number}",
        last=employee.last_name.upper(),
        first=employee.first_name.upper(),
        status=status,
        statement_from=date(1984, 10, 15),
        received=date(1984, 10, 20),
    )


def the_file(pool) -> str:
    linda, ana, robert, grace = (pool[name] for name in ("linda", "ana", "robert", "grace"))
    return remittance_835(
        {
            PROVIDER: [
                claim("L-1", "300.00", linda),
                claim("A-1", "450.00", ana),
                claim("G-1", "250.00", grace),  # Robert's family (R-EL11)
                claim("A-2", "100.00", ana),
                claim("L-1", "-300.00", linda, status="22"),  # L-1 reversed
                claim("L-2", "600.00", linda),
                claim("G-2", "300.00", robert),
            ]
        },
        control_number=2001,
    )


def numbers(stream) -> list[str]:
    return [item[1][1] if item[0] == "claim" else f"void {item[2]}" for item in stream]


@pytest.mark.django_db
def test_the_streams_keep_each_employer_s_claims_in_file_order_a_spouse_s_with_the_family(
    pool, settings
):
    items = remittance.check_remittance(the_file(pool)).items

    streams = remittance.entry_streams(items)

    assert [numbers(stream) for stream in streams] == [
        ["L-1", "G-1", "void L-1", "L-2", "G-2"],  # MCOE, and WILLITS for Grace (R-EL11)
        ["A-1", "A-2"],  # UKIAH
    ]
    # A file of fewer claims than a stream takes: one stream, the file's order.
    settings.CLAIMS_REMITTANCE_STREAM_ITEMS = 4
    assert [numbers(stream) for stream in remittance.entry_streams(items)] == [
        ["L-1", "A-1", "G-1", "A-2", "void L-1", "L-2", "G-2"]
    ]


@pytest.mark.django_db
def test_a_correction_naming_another_employer_s_family_keeps_the_file_in_one_stream(pool):
    linda, ana = pool["linda"], pool["ana"]
    enter_claim(ana, D("100.00"), number="C-1")  # Ana's, at UKIAH
    text = remittance_835(
        {
            PROVIDER: [
                claim("L-1", "300.00", linda),
                claim("A-1", "450.00", ana),
                claim("C-1", "-100.00", ana, status="22"),  # Ana's C-1 reversed
                claim("C-1", "100.00", linda),  # and sent again for Linda, at MCOE
            ]
        },
        control_number=2002,
    )
    checked = remittance.check_remittance(text)
    assert checked.problems == []

    # The reversal touches UKIAH's family, its correction MCOE's: they stay in order.
    assert [numbers(s) for s in remittance.entry_streams(checked.items)] == [
        ["L-1", "A-1", "void C-1", "C-1"]
    ]


def upload(text: str, clerk) -> Job:
    file = io.BytesIO(text.encode("ascii"))
    file.name = "streams.835"
    with celery_eager():
        result = remittance.remittance_upload(file=file, user=clerk)
    assert result.problems == [] and result.job is not None
    return Job.objects.get(pk=result.job.pk)


def splits() -> dict[str, tuple[str, Decimal, Decimal]]:
    return {
        c.admin_claim_number: (c.status, c.trust_fund_amount, c.carrier_amount)
        for c in Claim.objects.all()
    }


@pytest.mark.django_db(transaction=True)
def test_the_streams_enter_at_once_with_the_splits_of_the_file_s_order(pool, monkeypatch):
    threads: dict[str, set[str]] = {}
    enter_rows = importer.enter_rows

    def recorded(rows, *args, **kwargs):
        name = threading.current_thread().name
        threads.setdefault(name, set()).update(row[1] for row in rows)
        return enter_rows(rows, *args, **kwargs)

    monkeypatch.setattr(importer, "enter_rows", recorded)

    job = upload(the_file(pool), UserFactory(username="clerk-streams", role="clerk"))

    assert job.status == Job.Status.SUCCEEDED, (job.message, job.errors)
    assert job.message == "6 claims entered, 1 voided (reversals) of 7 claim payments."
    assert job.done == job.total == 7
    # Two threads, neither this one, one for MCOE and WILLITS, one for UKIAH.
    assert threading.current_thread().name not in threads
    assert sorted(map(sorted, threads.values())) == [
        ["A-1", "A-2"],
        ["G-1", "G-2", "L-1", "L-2"],
    ]
    # Worked by hand, each family in the file's order, $500.00 deductible (R-CL3):
    # Linda: L-1 300.00 paid, then voided (R-CL5); L-2 600.00: 500.00 + 100.00 carrier.
    # Ana: A-1 450.00; A-2 100.00: 50.00 + 50.00 carrier.
    # Robert's family: G-1 (Grace) 250.00; G-2 300.00: 250.00 + 50.00 carrier.
    assert splits() == {
        "L-1": ("voided", D("0.00"), D("0.00")),
        "L-2": ("paid", D("500.00"), D("100.00")),
        "A-1": ("paid", D("450.00"), D("0.00")),
        "A-2": ("paid", D("50.00"), D("50.00")),
        "G-1": ("paid", D("250.00"), D("0.00")),
        "G-2": ("paid", D("250.00"), D("50.00")),
    }
    assert Claim.objects.get(admin_claim_number="G-1").employee_id == pool["robert"].pk
    years = {
        y.employee.first_name: (y.trust_fund_paid, y.carrier_paid, y.claim_count)
        for y in FamilyYear.objects.filter(policy_year=1984).select_related("employee")
    }
    assert years == {
        "Linda": (D("500.00"), D("100.00"), 1),
        "Ana": (D("500.00"), D("50.00"), 2),
        "Robert": (D("500.00"), D("50.00"), 2),
    }
    call_command("ledger_check")  # balanced, totals agree


@pytest.mark.django_db(transaction=True)
def test_a_claim_refused_in_one_stream_stops_the_import_naming_its_segment(pool, monkeypatch):
    enter_rows = importer.enter_rows
    refused: list[tuple[str, str]] = []  # (thread, segment)

    def refusing(rows, *args, **kwargs):
        if any(row[1] == "A-2" for row in rows):
            segment = next(str(row[0]) for row in rows if row[1] == "A-2")
            refused.append((threading.current_thread().name, segment))
            raise ValidationError(f"Segment {segment}: the month is closed.")
        return enter_rows(rows, *args, **kwargs)

    monkeypatch.setattr(importer, "enter_rows", refusing)

    job = upload(the_file(pool), UserFactory(username="clerk-streams", role="clerk"))

    # Refused in UKIAH's stream, a thread of its own; the job names A-2's CLP segment.
    [(thread, segment)] = refused
    assert thread != threading.current_thread().name
    assert job.status == Job.Status.FAILED
    assert job.message == (
        f"Stopped: Segment {segment}: the month is closed. Import the file again once "
        "fixed: what was entered is skipped."
    )
    assert Remittance.objects.get().status == "stopped"
    # Ana's stream was one chunk: nothing of it is saved.
    assert not Claim.objects.filter(admin_claim_number__startswith="A-").exists()
    call_command("ledger_check")
