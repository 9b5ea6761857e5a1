"""The NACHA writer: record layout, counts, totals, entry hash, blocks, check digits.

Every expected figure below is worked by hand in the comments, not by the writer.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from staywell import nacha

# ABA check digits worked by hand: 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9) = 0 mod 10.
BANK = "121000358"  # 3*(1+0+3)=12, 7*(2+0+5)=49, 1+0+8=9: 70
CHASE = "322271627"  # 3*(3+2+6)=33, 7*(2+7+2)=77, 2+1+7=10: 120
WELLS = "121042882"  # 3*(1+0+8)=27, 7*(2+4+8)=98, 1+2+2=5: 130
BOSTON = "011000015"  # 3*(0+0+0)=0, 7*(1+0+1)=14, 1+0+5=6: 20

ORIGIN = nacha.Originator(
    immediate_destination=BANK,
    destination_name="First Coast Bank",
    immediate_origin="1946000123",
    origin_name="Stay Well Trust Fund",
    company_name="Stay Well Plan",
    company_id="1946000123",
)
CREATED = datetime(1984, 11, 5, 14, 30)


def entry(routing, account, cents, name, *, savings=False, ident="PAYEE 1"):
    return nacha.Entry(routing, account, savings, cents, ident, name)


@pytest.mark.parametrize("number", [BANK, CHASE, WELLS, BOSTON])
def test_routing_numbers_with_a_right_check_digit_are_accepted(number):
    assert nacha.routing_number_error(number) is None


def test_a_wrong_check_digit_or_length_is_named():
    # 121000359: the sum is 70 + 1 = 71, not a multiple of ten.
    assert "check digit is wrong" in nacha.routing_number_error("121000359")
    assert nacha.routing_number_error("12100035") == "A routing number is nine digits."
    assert nacha.routing_number_error("12100035x") == "A routing number is nine digits."
    assert nacha.routing_number_error("") == "Enter the bank's routing number (nine digits)."


def test_account_numbers_are_1_to_17_letters_or_digits():
    assert nacha.account_number_error("12345678901234567") is None
    assert nacha.account_number_error("123456789012345678") == (
        "An account number has at most 17 characters."
    )
    assert nacha.account_number_error("12 34") is not None
    assert nacha.account_number_error("") == "Enter the account number."


def two_batches():
    claims = nacha.Batch(
        entry_class="CCD",
        description="CLAIMS",
        effective_date=date(1984, 11, 6),
        discretionary="MCOE",
        entries=[
            entry(CHASE, "12345678", 12000, "Ukiah Valley Medical Center", ident="PAYEE 7"),
            entry(WELLS, "987654321", 5050, "Dr. Helen Ames", savings=True, ident="PAYEE 9"),
        ],
    )
    payouts = nacha.Batch(
        entry_class="PPD",
        description="PAYOUT",
        effective_date=date(1984, 11, 6),
        entries=[entry(BOSTON, "555", 100, "Linda Castillo", ident="MCOE-1001")],
    )
    return [claims, payouts]


def test_a_file_of_two_batches_has_its_counts_totals_hash_and_blocks():
    result = nacha.ach_file(
        origin=ORIGIN, batches=two_batches(), created=CREATED, file_id_modifier="A"
    )
    lines = result.text.split("\r\n")[:-1]
    # Records: file header 1, batch one 1+2+1, batch two 1+1+1, file control 1 = 9;
    # one block of ten, so one line of nines fills it.
    assert len(lines) == 10 and result.block_count == 1
    assert all(len(line) == 94 for line in lines)
    assert [line[0] for line in lines] == list("1566856899")
    assert lines[-1] == "9" * 94
    # Entry hash: 32227162 + 12104288 = 44331450; 01100001; file: 45431451.
    batch_one, batch_two, control = lines[4], lines[7], lines[8]
    assert batch_one[4:10] == "000002" and batch_one[10:20] == "0044331450"
    assert batch_two[4:10] == "000001" and batch_two[10:20] == "0001100001"
    # Credits: 120.00 + 50.50 = 170.50 -> 17050 cents; 1.00 -> 100; file 17150.
    assert batch_one[20:32] == "0" * 12 and batch_one[32:44] == "000000017050"
    assert batch_two[32:44] == "000000000100"
    assert control[1:7] == "000002"  # batches
    assert control[7:13] == "000001"  # blocks
    assert control[13:21] == "00000003"  # entries
    assert control[21:31] == "0045431451"
    assert control[31:43] == "0" * 12 and control[43:55] == "000000017150"
    assert (result.entry_count, result.entry_hash, result.credit_cents) == (3, 45431451, 17150)


def test_the_records_carry_the_fields_at_their_positions():
    lines = nacha.ach_file(
        origin=ORIGIN, batches=two_batches(), created=CREATED, file_id_modifier="B"
    ).text.split("\r\n")
    header, batch, first, second = lines[0], lines[1], lines[2], lines[3]
    assert header[:3] == "101"
    assert header[3:13] == " 121000358"
    assert header[13:23] == "1946000123"
    assert header[23:33] == "8411051430"  # YYMMDD HHMM
    assert header[33] == "B" and header[34:40] == "094101"
    assert header[40:63] == "FIRST COAST BANK".ljust(23)
    assert header[63:86] == "STAY WELL TRUST FUND".ljust(23)
    assert batch[:4] == "5220"  # credits only
    assert batch[4:20] == "STAY WELL PLAN".ljust(16)
    assert batch[20:40] == "MCOE".ljust(20)
    assert batch[40:50] == "1946000123"
    assert batch[50:53] == "CCD" and batch[53:63] == "CLAIMS".ljust(10)
    assert batch[69:75] == "841106"  # effective date
    assert batch[79:87] == "12100035" and batch[87:94] == "0000001"
    # Entry: checking credit 22; bank 32227162 with check digit 7; account; $120.00.
    assert first[:3] == "622" and first[3:11] == "32227162" and first[11] == "7"
    assert first[12:29] == "12345678".ljust(17)
    assert first[29:39] == "0000012000"
    assert first[39:54] == "PAYEE 7".ljust(15)
    assert first[54:76] == "UKIAH VALLEY MEDICAL C"  # cut to 22
    assert first[78] == "0"  # no addenda
    assert first[79:94] == "12100035" + "0000001"  # trace: our bank, then 1, 2, 3 ...
    assert second[:3] == "632"  # savings credit
    assert second[79:94] == "12100035" + "0000002"


def test_the_entry_hash_keeps_its_last_ten_digits_and_blocks_fill_with_nines():
    # 311 entries at 32227162: 32227162 * 311 = 10,022,647,382 -> 0022647382.
    batch = nacha.Batch(
        entry_class="CCD",
        description="CLAIMS",
        effective_date=date(1984, 11, 6),
        entries=[entry(CHASE, f"{n}", 1, f"P{n}") for n in range(311)],
    )
    result = nacha.ach_file(origin=ORIGIN, batches=[batch], created=CREATED, file_id_modifier="C")
    lines = result.text.split("\r\n")[:-1]
    # Records: 1 + 1 + 311 + 1 + 1 = 315 -> 32 blocks, 320 lines, 5 of nines.
    assert result.block_count == 32 and len(lines) == 320
    assert lines[-5:] == ["9" * 94] * 5 and lines[-6][0] == "9" and lines[-6] != "9" * 94
    assert lines[-6][21:31] == "0022647382"
    assert lines[-6][43:55] == "000000000311"  # 311 cents


def test_a_bad_routing_number_or_amount_refuses_the_file():
    bad = nacha.Batch("CCD", "CLAIMS", date(1984, 11, 6), entries=[entry("322271628", "1", 5, "X")])
    with pytest.raises(nacha.AchError, match="check digit is wrong"):
        nacha.ach_file(origin=ORIGIN, batches=[bad], created=CREATED, file_id_modifier="A")
    big = nacha.Batch(
        "CCD", "CLAIMS", date(1984, 11, 6), entries=[entry(CHASE, "1", 10_000_000_000, "X")]
    )
    with pytest.raises(nacha.AchError, match="at most"):
        nacha.ach_file(origin=ORIGIN, batches=[big], created=CREATED, file_id_modifier="A")


def test_names_are_written_in_the_format_s_letters():
    batch = nacha.Batch(
        "PPD", "PAYOUT", date(1984, 11, 6), entries=[entry(CHASE, "1", 5, "José Núñez-Ávila")]
    )
    text = nacha.ach_file(origin=ORIGIN, batches=[batch], created=CREATED, file_id_modifier="A")
    assert text.text.split("\r\n")[2][54:76] == "JOSE NUNEZ-AVILA".ljust(22)


def test_cents_are_exact():
    assert nacha.cents_of(Decimal("170.50")) == 17050
    with pytest.raises(nacha.AchError):
        nacha.cents_of(Decimal("1.005"))


def test_a_name_in_another_script_is_written_as_the_identification():
    batch = nacha.Batch(
        "CCD",
        "CLAIMS",
        date(1984, 11, 6),
        entries=[entry(CHASE, "1", 5, "陳大文", ident="PAYEE 12")],
    )
    text = nacha.ach_file(origin=ORIGIN, batches=[batch], created=CREATED, file_id_modifier="A")
    assert text.text.split("\r\n")[2][54:76] == "PAYEE 12".ljust(22)
