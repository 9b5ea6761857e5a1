"""The claims administrator's 835 (built here, made-up people): claims entered through the
CSV import's checks and the claim services, with the splits worked by hand; a reversal
voids; a malformed segment refuses the whole file, named; the same interchange imports
once."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from accounts import exchange
from claims import remittance
from claims.models import Claim, FamilyYear, Remittance
from staywell.models import Job
from tests.factories import (
    EmployerFactory,
    ProgramFactory,
    UserFactory,
    celery_eager,
    claims_family,
    enter_claim,
)
from tests.x12_samples import ClaimPayment, ServiceLine
from tests.x12_samples import remittance as remittance_835
from vesting.models import Transaction

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def family():
    exchange.trading_partners_update(
        values={"plan_id": "STAYWELLPLAN", "administrator_id": "VALLEYTPA"}
    )
    program = ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))
    # Linda Castillo, hired 1983-07-01, covered FULL from 1983-08-01 (R-EL6); Ramon, Sofia.
    return claims_family(program=program)


@pytest.fixture
def clerk():
    return UserFactory(username="clerk-835", role="clerk")


def upload(text: str, clerk, capture, name="remit.835") -> remittance.Upload:
    file = io.BytesIO(text.encode("ascii"))
    file.name = name
    with celery_eager(), capture(execute=True):
        return remittance.remittance_upload(file=file, user=clerk)


def member(employee) -> str:
    return f"MCOE-{employee.number}"


def the_file(employee, child, control=1001) -> str:
    linda = member(employee)
    return remittance_835(
        {
            "UKIAH VALLEY MEDICAL CENTER": [
                # Allowed: 240.00 billed less the contractual 40.00 (CO 45) = 200.00.
                ClaimPayment(
                    "TPA-1",
                    D("240.00"),
                    D("200.00"),
                    linda,
                    statement_from=date(1984, 10, 15),
                    received=date(1984, 10, 20),
                    adjustments=[("CO", "45", D("40.00"))],
                ),
                # Sofia, the subscriber Linda: allowed 350.00 (AMT*AU), service date from
                # the service line; it crosses the deductible.
                ClaimPayment(
                    "TPA-2",
                    D("400.00"),
                    D("350.00"),
                    f"{linda}-D{child.pk}",
                    last="CASTILLO",
                    first="SOFIA",
                    subscriber=("CASTILLO", "LINDA", linda),
                    covered=D("350.00"),
                    lines=[
                        ServiceLine(
                            "99214",
                            D("400.00"),
                            D("350.00"),
                            date(1984, 10, 22),
                            [("CO", "45", D("50.00"))],
                        )
                    ],
                ),
            ],
            "DR HELEN AMES": [
                # July 15, 1983: hired, not yet covered (from August 1): denied (R-CL4).
                ClaimPayment(
                    "TPA-3",
                    D("90.00"),
                    D("0"),
                    linda,
                    statement_from=date(1983, 7, 15),
                    patient_responsibility=D("90.00"),
                    adjustments=[("PR", "1", D("90.00"))],
                ),
                # Denied by the administrator: not entered.
                ClaimPayment(
                    "TPA-4",
                    D("55.00"),
                    D("0"),
                    linda,
                    status="4",
                    statement_from=date(1984, 11, 2),
                    adjustments=[("CO", "50", D("55.00"))],
                ),
                # The reversal of the claim entered in September (CLP02 22).
                ClaimPayment(
                    "TPA-0",
                    D("-100.00"),
                    D("-100.00"),
                    linda,
                    status="22",
                    statement_from=date(1984, 9, 10),
                ),
            ],
        },
        control_number=control,
    )


def test_an_835_is_checked_and_entered_with_the_splits_worked_by_hand(
    family, clerk, django_capture_on_commit_callbacks
):
    employee, _spouse, child = family
    # Entered in September by hand: 100.00 from the trust fund.
    before = enter_claim(employee, D("100.00"), number="TPA-0", date_of_service=date(1984, 9, 10))
    result = upload(the_file(employee, child), clerk, django_capture_on_commit_callbacks)
    assert result.problems == [] and result.duplicate is None
    job = Job.objects.get(pk=result.job.pk)
    assert job.status == Job.Status.SUCCEEDED, (job.message, job.errors)
    # Five claim payments: three entered (TPA-3 as denied), one reversal, one denied.
    assert job.message == (
        "3 claims entered, 1 voided (reversals) of 5 claim payments; not entered: 1 denied "
        "by the claims administrator (CLP02 4)."
    )
    claims = {c.admin_claim_number: c for c in Claim.objects.all()}
    # In file order, after TPA-0's 100.00: TPA-1 200.00 all trust fund (absorbed 300.00);
    # TPA-2 350.00: 200.00 trust fund, 150.00 carrier. Then TPA-0 is reversed: the family's
    # year is split again without it (R-CL5): TPA-1 200.00; TPA-2 300.00 + 50.00 carrier.
    one, two, three = claims["TPA-1"], claims["TPA-2"], claims["TPA-3"]
    assert (one.billed, one.allowed, one.trust_fund_amount, one.carrier_amount) == (
        D("240.00"),
        D("200.00"),
        D("200.00"),
        D("0.00"),
    )
    assert (two.allowed, two.trust_fund_amount, two.carrier_amount) == (
        D("350.00"),
        D("300.00"),
        D("50.00"),
    )
    assert two.patient_id == child.pk and two.date_of_service == date(1984, 10, 22)
    assert one.received_on == date(1984, 10, 20) and one.provider == "UKIAH VALLEY MEDICAL CENTER"
    assert {one.source, two.source} == {"remittance"}
    # July 1983 was not covered: denied, nothing paid (R-CL4).
    assert three.status == "denied" and three.trust_fund_amount == D("0.00")
    assert "TPA-4" not in claims
    before.refresh_from_db()
    assert before.status == "voided" and before.trust_fund_amount == D("0.00")
    year = FamilyYear.objects.get(employee=employee, policy_year=1984)
    assert (year.trust_fund_paid, year.carrier_paid) == (D("500.00"), D("50.00"))
    row = Remittance.objects.get()
    assert (row.status, row.claims, row.entered, row.voided, row.skipped) == (
        "imported",
        5,
        3,
        1,
        1,
    )


def test_the_same_interchange_imports_once(family, clerk, django_capture_on_commit_callbacks):
    employee, _, child = family
    enter_claim(employee, D("100.00"), number="TPA-0", date_of_service=date(1984, 9, 10))
    text = the_file(employee, child)
    upload(text, clerk, django_capture_on_commit_callbacks)
    counts = (Claim.objects.count(), Transaction.objects.count(), Job.objects.count())
    again = upload(text, clerk, django_capture_on_commit_callbacks)
    assert again.job is None and again.duplicate is not None
    assert again.duplicate.control_number == "000001001" and again.duplicate.status == "imported"
    assert (Claim.objects.count(), Transaction.objects.count(), Job.objects.count()) == counts
    # Another interchange with the same claims: each is skipped as entered before, the
    # reversal as applied before.
    resent = upload(
        the_file(employee, child, control=1002), clerk, django_capture_on_commit_callbacks
    )
    job = Job.objects.get(pk=resent.job.pk)
    assert job.status == Job.Status.SUCCEEDED
    assert job.message.startswith("0 claims entered, 0 voided")
    assert (Claim.objects.count(), Transaction.objects.count()) == counts[:2]


def test_a_malformed_segment_refuses_the_whole_file_naming_it(
    family, clerk, django_capture_on_commit_callbacks
):
    employee, _, child = family
    enter_claim(employee, D("100.00"), number="TPA-0", date_of_service=date(1984, 9, 10))
    text = the_file(employee, child).replace("CLP*PCN-TPA-2*1*400*", "CLP*PCN-TPA-2*1*4OO*")
    position = text.split("~\n").index("CLP*PCN-TPA-2*1*4OO*350**12*TPA-2") + 1
    counts = (Claim.objects.count(), Transaction.objects.count())
    result = upload(text, clerk, django_capture_on_commit_callbacks)
    job = Job.objects.get(pk=result.job.pk)
    assert job.status == Job.Status.FAILED
    assert job.message == "1 problem found: the file was refused, nothing was entered."
    assert [(e["segment"], e["segment_id"], e["element"]) for e in job.errors] == [
        (position, "CLP", "CLP03")
    ]
    assert "Total Claim Charge Amount" in job.errors[0]["message"]
    assert (Claim.objects.count(), Transaction.objects.count()) == counts
    assert Remittance.objects.get().status == "refused"
    # Corrected, the same interchange may be sent again.
    fixed = upload(the_file(employee, child), clerk, django_capture_on_commit_callbacks)
    assert Job.objects.get(pk=fixed.job.pk).status == Job.Status.SUCCEEDED


def test_the_check_lists_each_problem_by_segment_and_element(
    family, clerk, django_capture_on_commit_callbacks
):
    employee, _, _ = family
    enter_claim(employee, D("80.00"), number="TPA-9", date_of_service=date(1984, 9, 1))
    text = remittance_835(
        {
            "DR HELEN AMES": [
                ClaimPayment(
                    "TPA-7", D("50"), D("50"), "MCOE-NOBODY", statement_from=date(1984, 10, 1)
                ),
                ClaimPayment(
                    "TPA-9", D("90"), D("90"), member(employee), statement_from=date(1984, 9, 1)
                ),
                ClaimPayment(
                    "TPA-8",
                    D("20"),
                    D("20"),
                    member(employee),
                    status="22",
                    statement_from=date(1984, 9, 1),
                ),
                ClaimPayment(
                    "TPA-6", D("60"), D("50"), member(employee), statement_from=date(2999, 1, 1)
                ),
            ]
        }
    )
    lines = text.split("~\n")
    result = upload(text, clerk, django_capture_on_commit_callbacks)
    job = Job.objects.get(pk=result.job.pk)
    assert job.status == Job.Status.FAILED
    found = {(e["segment"], e["element"]) for e in job.errors}
    nm1 = lines.index("NM1*QC*1*CASTILLO*LINDA****MI*MCOE-NOBODY") + 1
    tpa9 = lines.index("CLP*PCN-TPA-9*1*90*90**12*TPA-9") + 1
    tpa8 = lines.index("CLP*PCN-TPA-8*22*20*20**12*TPA-8") + 1
    future = lines.index("DTM*232*29990101") + 1
    assert found == {(nm1, "NM109"), (tpa9, "CLP07"), (tpa8, "CLP07"), (future, "DTM02")}
    messages = " ".join(e["message"] for e in job.errors)
    assert "No employee has the member id MCOE-NOBODY" in messages
    assert (
        "was already entered as claim" in messages and "billed amount, allowed amount" in messages
    )
    assert "Claim TPA-8 is reversed (CLP02 22), but no claim has that number." in messages
    assert Claim.objects.count() == 1


def test_an_835_from_another_sender_or_an_834_is_refused_at_once(
    family, clerk, django_capture_on_commit_callbacks
):
    employee, _, child = family
    other = the_file(employee, child).replace("VALLEYTPA", "OTHER-TPA")
    result = upload(other, clerk, django_capture_on_commit_callbacks)
    assert result.job is None
    assert [(p.segment, p.element) for p in result.problems] == [(1, "ISA06")]
    assert (
        result.problems[0].message
        == "The sender OTHER-TPA is not the claims administrator (VALLEYTPA)."
    )
    junk = upload("employee,amount\n", clerk, django_capture_on_commit_callbacks)
    assert junk.problems[0].message.startswith("The file is not an X12 interchange")
    assert not Remittance.objects.exists()
