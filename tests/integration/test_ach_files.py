"""ACH files of a payment run (CCD, providers) and of a payout register (PPD, employees):
what they pay, their record counts, totals, entry hash and check digits, worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import exchange
from accounts import services as members
from claims import services
from claims.models import Payee
from claims.services import payees
from tests.factories import EmployerFactory, ProgramFactory, claims_family, enter_claim, hire, roll
from vesting import bank_files, payouts
from vesting.models import AchFile

pytestmark = pytest.mark.django_db

D = Decimal
# Routing numbers and their ABA check digits, 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9):
BANK = "121000358"  # 12 + 49 + 9 = 70
CHASE = "322271627"  # 33 + 77 + 10 = 120
WELLS = "121042882"  # 27 + 98 + 5 = 130
TODAY = date(1984, 12, 3)  # a Monday


@pytest.fixture
def partners():
    return exchange.trading_partners_update(
        values={
            "plan_id": "STAYWELLPLAN",
            "bank_routing_number": BANK,
            "bank_name": "First Coast Bank",
            "immediate_origin": "1946000123",
            "origin_name": "Stay Well Trust Fund",
            "company_name": "Stay Well Plan",
            "company_id": "1946000123",
        }
    )


def records(ach: AchFile) -> list[str]:
    return ach.content.split("\r\n")[:-1]


def payee_named(name: str, routing: str, account: str, kind: str = "checking") -> Payee:
    payee = payees.payee_for_provider(name)
    return payees.payee_update(
        payee=payee,
        name=payee.name,
        routing_number=routing,
        account_number=account,
        account_type=kind,
    )


@pytest.fixture
def run(partners):
    """Two employers: A's family pays 160.00 to Dr. Ames and 300.00 to the pharmacy
    (bank accounts on file) and 40.00 to the medical center (no account: a check); B's
    family pays 75.25 to Dr. Ames."""
    employee, spouse, _ = claims_family(
        program=ProgramFactory(employer=EmployerFactory(code="ACOE", name="A County Office"))
    )
    other = hire(
        hire_date=date(1983, 7, 1),
        program=ProgramFactory(employer=EmployerFactory(code="BUSD", name="B Unified")),
    )
    enter_claim(employee, D("100.00"), provider="Dr. Helen Ames")
    enter_claim(employee, D("60.00"), provider="Dr. Helen Ames", date_of_service=date(1984, 11, 1))
    enter_claim(employee, D("300.00"), provider="Mendocino Pharmacy", patient=spouse)
    # The family has absorbed 460.00: of 90.00, 40.00 from the trust fund, 50.00 carrier.
    enter_claim(
        employee,
        D("90.00"),
        provider="Ukiah Valley Medical Center",
        date_of_service=date(1984, 12, 1),
    )
    enter_claim(other, D("75.25"), provider="Dr. Helen Ames, M.D.")
    payee_named("Dr. Helen Ames", CHASE, "12345678")
    payee_named("Mendocino Pharmacy", WELLS, "987654321", "savings")
    return services.payment_run_create()


def test_the_ach_file_of_a_payment_run_pays_the_payees_with_a_bank_account(run, clerk_user):
    ach = services.payment_run_ach(run=run, user=clerk_user, today=TODAY)
    lines = records(ach)
    # Records: header; ACOE batch 1 + 2 entries + 1; BUSD batch 1 + 1 entry + 1; file
    # control: 9 -> one block of ten, one line of nines.
    assert [line[0] for line in lines] == list("1566856899")
    assert all(len(line) == 94 for line in lines) and lines[-1] == "9" * 94
    assert (ach.batch_count, ach.entry_count, ach.effective_date) == (2, 3, date(1984, 12, 4))
    acoe, busd = lines[1], lines[5]
    assert acoe[50:63] == "CCDCLAIMS    " and acoe[20:24] == "ACOE"
    assert busd[20:24] == "BUSD"
    # ACOE: Dr. Ames 160.00 (100 + 60) at Chase, the pharmacy 300.00 at Wells (savings).
    ames, pharmacy = lines[2], lines[3]
    assert ames[1:3] == "22" and ames[3:12] == CHASE and ames[29:39] == "0000016000"
    assert ames[12:29].strip() == "12345678" and ames[54:76].strip() == "DR. HELEN AMES"
    assert pharmacy[1:3] == "32" and pharmacy[3:12] == WELLS and pharmacy[29:39] == "0000030000"
    assert lines[6][3:12] == CHASE and lines[6][29:39] == "0000007525"  # BUSD: 75.25
    # Entry hashes: 32227162 + 12104288 = 44331450; 32227162; file 76558612.
    assert lines[4][4:10] == "000002" and lines[4][10:20] == "0044331450"
    assert lines[4][32:44] == "000000046000"  # 160.00 + 300.00
    assert lines[7][10:20] == "0032227162" and lines[7][32:44] == "000000007525"
    control = lines[8]
    assert control[1:7] == "000002" and control[7:13] == "000001" and control[13:21] == "00000003"
    assert control[21:31] == "0076558612"
    assert control[43:55] == "000000053525"  # 460.00 + 75.25 = 535.25
    assert (ach.entry_hash, ach.total) == (76558612, D("535.25"))
    # The medical center's 40.00 stays a check; the summary shows accounts masked.
    assert "UKIAH" not in ach.content
    assert [(e["employer"], e["name"], e["amount"], e["account"]) for e in ach.entries] == [
        ("ACOE", "Dr. Helen Ames", "160.00", "****5678"),
        ("ACOE", "Mendocino Pharmacy", "300.00", "****4321"),
        ("BUSD", "Dr. Helen Ames", "75.25", "****5678"),
    ]


def test_the_file_is_made_once_and_kept_encrypted(run, clerk_user):
    from django.db import connection

    first = services.payment_run_ach(run=run, user=clerk_user, today=TODAY)
    again = services.payment_run_ach(run=run, user=clerk_user, today=TODAY)
    assert again.pk == first.pk and again.content == first.content
    assert AchFile.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM vesting_achfile WHERE id = %s", [first.pk])
        stored = cursor.fetchone()[0]
    assert "12345678" not in stored and "987654321" not in stored


def test_files_of_one_day_take_the_next_modifier(run, clerk_user):
    first = services.payment_run_ach(run=run, user=clerk_user, today=TODAY)
    assert first.file_id_modifier == "A" and records(first)[0][33] == "A"
    employee = hire(hire_date=date(1983, 7, 1))
    enter_claim(employee, D("20.00"), provider="Dr. Helen Ames")
    second = services.payment_run_ach(
        run=services.payment_run_create(), user=clerk_user, today=TODAY
    )
    assert second.file_id_modifier == "B"


def test_a_run_without_bank_accounts_or_partners_is_refused_clearly(partners, clerk_user):
    employee, _, _ = claims_family()
    enter_claim(employee, D("20.00"), provider="Redwood Pediatrics")
    run = services.payment_run_create()
    with pytest.raises(ValidationError, match="has a bank account on file"):
        services.payment_run_ach(run=run, user=clerk_user, today=TODAY)
    with pytest.raises(ValidationError) as error:
        services.payment_run_ach(run=run, effective_date=date(1984, 12, 1), today=TODAY)
    assert error.value.message_dict == {
        "effective_date": ["The effective date cannot be before today."]
    }


def test_missing_bank_settings_are_named(clerk_user):
    employee, _, _ = claims_family()
    enter_claim(employee, D("20.00"), provider="Dr. Helen Ames")
    payee_named("Dr. Helen Ames", CHASE, "1")
    run = services.payment_run_create()
    with pytest.raises(ValidationError, match="the bank's routing number, the immediate origin"):
        services.payment_run_ach(run=run, user=clerk_user, today=TODAY)


def test_a_payee_s_routing_number_is_checked_by_its_check_digit():
    payee = payees.payee_for_provider("Dr. Helen Ames")
    with pytest.raises(ValidationError) as error:
        payees.payee_update(
            payee=payee, name=payee.name, routing_number="322271628", account_number="1"
        )
    assert "check digit is wrong" in error.value.message_dict["routing_number"][0]
    payee.refresh_from_db()
    assert payee.routing_number == ""


# --- Payout registers (PPD) -------------------------------------------------------------


def test_the_ach_file_of_a_payout_register_pays_lump_sums_by_direct_deposit(partners, clerk_user):
    program = ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))
    ana = hire(program=program, hire_date=date(1982, 6, 1), first_name="Ana", last_name="Rivera")
    ben = hire(program=program, hire_date=date(1982, 6, 1), first_name="Ben", last_name="Ortiz")
    roll(1982, 1983)
    for person in (ana, ben):
        members.employee_separate(
            employee=person, separation_date=date(1984, 9, 30), reason="resignation"
        )
    exchange.direct_deposit_set(employee=ana, routing_number=WELLS, account_number="55501")
    register = payouts.payouts_process(today=date(1985, 1, 1))
    # Each has 1982-83 (payable at separation) and 1983-84 (January 1, 1985): 500.00 each.
    assert register.total == D("2000.00")
    ach = bank_files.payout_register_ach(register=register, user=clerk_user, today=date(1985, 1, 1))
    lines = records(ach)
    # Header, batch header, Ana's two lump sums, batch control, file control: 6 records.
    assert [line[0] for line in lines] == list("1566899999")
    assert lines[1][50:63] == "PPDPAYOUT    " and lines[1][20:24] == "MCOE"
    assert [line[29:39] for line in lines[2:4]] == ["0000050000", "0000050000"]
    assert all(line[3:12] == WELLS and line[54:76].strip() == "ANA RIVERA" for line in lines[2:4])
    # Entry hash 12104288 * 2 = 24208576; total 1,000.00 (Ben is paid by check).
    assert lines[4][10:20] == "0024208576" and lines[4][32:44] == "000000100000"
    assert lines[5][21:31] == "0024208576" and lines[5][43:55] == "000000100000"
    assert ach.effective_date == date(1985, 1, 2)  # the next weekday
    assert [e["account"] for e in ach.entries] == ["****5501", "****5501"]
