"""NACHA ACH files: the fixed-width file a bank takes to pay by direct deposit.

A file is 94-character records, ten to a block: the file header (1); per batch, its
header (5), one entry detail (6) per payment and the batch control (8); the file control
(9); then lines of nines to fill the last block. The controls carry what the bank checks:
how many entries, the credit and debit totals in cents, and the entry hash (the sum of
the 8-digit receiving bank ids of the entries, its last ten digits).

Bank routing numbers are checked with their check digit (the ABA weights 3, 7, 1:
``python-stdnum``'s ``us.rtn``).

Decisions (the plan's rules are silent; chosen as a plan administrator would):

- Decision: credits only (service class 220, an unbalanced file): the plan's bank debits
  the plan's own account for the file's total, as banks do for a payroll-style file; no
  offsetting debit entry is written.
- Decision: names and ids are written as the format allows (upper case, ASCII letters,
  digits and basic punctuation; accents dropped); a name with nothing left (a name in
  another script) is written as the entry's identification (e.g. "PAYEE 12").

Pure: no Django, no database.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import rtn

RECORD_LENGTH = 94
BLOCKING_FACTOR = 10
CHECKING_CREDIT = "22"  # transaction codes of credits to a checking or a savings account
SAVINGS_CREDIT = "32"
CREDITS_ONLY = "220"  # service class code
MAX_ENTRY_CENTS = 9_999_999_999  # ten digits of cents
FILE_ID_MODIFIERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class AchError(ValueError):
    """A file that cannot be written as asked (a bad routing number, an amount too big)."""


def routing_number_error(value: str) -> str | None:
    """Why ``value`` is not a US bank routing number (nine digits whose ABA check digit
    is right), or None."""
    text = (value or "").strip()
    if not text:
        return "Enter the bank's routing number (nine digits)."
    if not (text.isascii() and text.isdigit() and len(text) == 9):
        return "A routing number is nine digits."
    try:
        rtn.validate(text)
    except StdnumError:
        return (
            f"{text} is not a valid routing number: its check digit is wrong (check the "
            "number on the check or with the bank)."
        )
    return None


def account_number_error(value: str) -> str | None:
    """Why ``value`` cannot be a bank account number in an ACH entry (1 to 17 letters or
    digits), or None."""
    text = (value or "").strip()
    if not text:
        return "Enter the account number."
    if len(text) > 17:
        return "An account number has at most 17 characters."
    if not (text.isascii() and text.replace("-", "").isalnum()):
        return "An account number holds digits (letters and hyphens at most)."
    return None


def _alpha(value: str, size: int) -> str:
    """Alphanumeric field: upper-case ASCII, left-justified, space-filled, cut to size."""
    text = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode()
    text = "".join(c if 32 <= ord(c) < 127 else " " for c in text.upper())
    return " ".join(text.split())[:size].ljust(size)


def _number(value: int, size: int) -> str:
    """Numeric field: zero-filled on the left."""
    text = str(value)
    if value < 0 or len(text) > size:
        raise AchError(f"{value} does not fit in {size} digits.")
    return text.rjust(size, "0")


@dataclass(frozen=True)
class Entry:
    """A credit to one account: the receiver's routing and account, cents, who."""

    routing_number: str  # nine digits (ABA)
    account_number: str
    savings: bool  # False: a checking account
    amount_cents: int
    identification: str  # up to 15: our id of the receiver (e.g. "PAYEE 12", "MCOE-1001")
    name: str  # up to 22: the receiver's name

    @property
    def receiving_dfi(self) -> str:
        return self.routing_number[:8]


@dataclass
class Batch:
    """The entries of one company, entry class and effective date."""

    entry_class: str  # "PPD" (people) or "CCD" (companies)
    description: str  # up to 10: what the receiver's statement shows, e.g. "CLAIMS"
    effective_date: date
    discretionary: str = ""  # up to 20: e.g. the employer's code
    entries: list[Entry] = field(default_factory=list)

    @property
    def credit_cents(self) -> int:
        return sum(e.amount_cents for e in self.entries)

    @property
    def entry_hash(self) -> int:
        return sum(int(e.receiving_dfi) for e in self.entries) % 10**10


@dataclass(frozen=True)
class Originator:
    """The plan at its bank, as the administrator set it up."""

    immediate_destination: str  # the bank's routing number (nine digits)
    destination_name: str  # up to 23
    immediate_origin: str  # up to 10: the plan's id at the bank (often 1 + tax id)
    origin_name: str  # up to 23
    company_name: str  # up to 16
    company_id: str  # up to 10

    @property
    def originating_dfi(self) -> str:
        """The plan's bank is the originating bank: the first eight digits of its
        routing number."""
        return self.immediate_destination[:8]


@dataclass(frozen=True)
class AchFileText:
    text: str
    batch_count: int
    entry_count: int
    block_count: int
    entry_hash: int
    credit_cents: int
    lines: int


def _check_entry(entry: Entry, where: str) -> None:
    problem = routing_number_error(entry.routing_number) or account_number_error(
        entry.account_number
    )
    if problem:
        raise AchError(f"{where}: {problem}")
    if not 0 < entry.amount_cents <= MAX_ENTRY_CENTS:
        raise AchError(f"{where}: an entry is more than $0.00 and at most $99,999,999.99.")


def _file_header(origin: Originator, created: datetime, modifier: str) -> str:
    return (
        "1"
        + "01"
        + " "
        + _number(int(origin.immediate_destination), 9)
        + _alpha(origin.immediate_origin, 10).replace(" ", "").rjust(10)
        + created.strftime("%y%m%d")
        + created.strftime("%H%M")
        + modifier
        + "094"
        + "10"
        + "1"
        + _alpha(origin.destination_name, 23)
        + _alpha(origin.origin_name, 23)
        + _alpha("", 8)
    )


def _batch_header(origin: Originator, batch: Batch, number: int) -> str:
    return (
        "5"
        + CREDITS_ONLY
        + _alpha(origin.company_name, 16)
        + _alpha(batch.discretionary, 20)
        + _alpha(origin.company_id, 10)
        + batch.entry_class
        + _alpha(batch.description, 10)
        + batch.effective_date.strftime("%y%m%d")  # descriptive date: the payment's
        + batch.effective_date.strftime("%y%m%d")
        + "   "  # settlement date: the ACH operator fills it in
        + "1"
        + _number(int(origin.originating_dfi), 8)
        + _number(number, 7)
    )


def _entry_detail(origin: Originator, entry: Entry, trace: int) -> str:
    name = entry.name if _alpha(entry.name, 22).strip() else entry.identification
    return (
        "6"
        + (SAVINGS_CREDIT if entry.savings else CHECKING_CREDIT)
        + entry.routing_number[:8]
        + entry.routing_number[8]
        + _alpha(entry.account_number, 17)
        + _number(entry.amount_cents, 10)
        + _alpha(entry.identification, 15)
        + _alpha(name, 22)
        + "  "
        + "0"
        + _number(int(origin.originating_dfi), 8)
        + _number(trace, 7)
    )


def _batch_control(origin: Originator, batch: Batch, number: int) -> str:
    return (
        "8"
        + CREDITS_ONLY
        + _number(len(batch.entries), 6)
        + _number(batch.entry_hash, 10)
        + _number(0, 12)
        + _number(batch.credit_cents, 12)
        + _alpha(origin.company_id, 10)
        + " " * 19
        + " " * 6
        + _number(int(origin.originating_dfi), 8)
        + _number(number, 7)
    )


def ach_file(
    *, origin: Originator, batches: Sequence[Batch], created: datetime, file_id_modifier: str
) -> AchFileText:
    """The file of ``batches`` (those without entries are left out)."""
    problem = routing_number_error(origin.immediate_destination)
    if problem:
        raise AchError(f"The plan's bank (immediate destination): {problem}")
    if not origin.immediate_origin.strip() or not origin.company_id.strip():
        raise AchError("The plan's immediate origin and company id are not set up.")
    if file_id_modifier not in FILE_ID_MODIFIERS or len(file_id_modifier) != 1:
        raise AchError("The file id modifier is one of A-Z or 0-9.")
    lines = [_file_header(origin, created, file_id_modifier)]
    used = [b for b in batches if b.entries]
    trace = 0
    for number, batch in enumerate(used, start=1):
        lines.append(_batch_header(origin, batch, number))
        for index, entry in enumerate(batch.entries, start=1):
            _check_entry(entry, f"Batch {number}, entry {index} ({entry.name})")
            trace += 1
            lines.append(_entry_detail(origin, entry, trace))
        lines.append(_batch_control(origin, batch, number))
    entry_count = sum(len(b.entries) for b in used)
    entry_hash = sum(b.entry_hash for b in used) % 10**10
    credit = sum(b.credit_cents for b in used)
    records = len(lines) + 1
    blocks = -(-records // BLOCKING_FACTOR)
    lines.append(
        "9"
        + _number(len(used), 6)
        + _number(blocks, 6)
        + _number(entry_count, 8)
        + _number(entry_hash, 10)
        + _number(0, 12)
        + _number(credit, 12)
        + " " * 39
    )
    lines += ["9" * RECORD_LENGTH] * (blocks * BLOCKING_FACTOR - records)
    for line in lines:
        assert len(line) == RECORD_LENGTH, line
    return AchFileText(
        text="".join(f"{line}\r\n" for line in lines),
        batch_count=len(used),
        entry_count=entry_count,
        block_count=blocks,
        entry_hash=entry_hash,
        credit_cents=credit,
        lines=len(lines),
    )


def cents_of(amount: Decimal) -> int:
    """Exact dollars and cents as whole cents (an amount with more decimals is refused)."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise AchError(f"{amount} is not dollars and cents.")
    return int(cents)
