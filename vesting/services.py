"""The posting service: the only code that writes to the ledger (R-FU1..R-FU3).

Every movement of money in Stay-Well goes through :func:`post_transaction` (one ledger
transaction) or :func:`post_transactions_batch` (many, with COPY); the named operations
below build their lines and call it. The sign convention is in ``vesting.models``.

Decisions (the issue is silent; chosen as a plan administrator and its auditor would):

- Decision: the row lock that serializes concurrent posters is taken by the balance
  upkeep trigger's ``UPDATE`` of ``AccountBalance`` (in account-id order, then day
  totals, then fund day totals), inside the one ``INSERT`` statement that writes the
  transaction and its postings. A separate ``SELECT ... FOR UPDATE`` round trip would
  take the same locks; dropping it is what makes a posting one round trip (outside an
  atomic block the statement is its own database transaction; inside one, a savepoint).
  "No side account negative" is the CHECK constraint on ``AccountBalance``, translated
  here into a ``ValidationError`` with a clear message. Batches lock every account of the
  batch first (``SELECT ... FOR UPDATE`` in account order) and check side accounts entry
  by entry. Several ledger transactions posted inside one caller's atomic block lock in
  turn and may deadlock with another such block; PostgreSQL then aborts one (retry it).
- Decision: idempotency. The payload hash covers what moves money: kind, effective date,
  employer, lines (account, direction, amount, sorted), employee, reference, period,
  earned-by fund and reversed transaction; not the memo or who posted (a retry by
  someone else with a reworded memo is the same operation). The key is inserted with
  ``ON CONFLICT DO NOTHING``, so two concurrent callers with one key serialize on the
  unique index and the second gets the first's transaction.
- Decision: a reversal is dated the day it is posted unless told otherwise (accounting
  practice: the original stays where it was); a reversal cannot itself be reversed
  (post the operation again instead), and a transaction is reversed at most once
  (unique ``reverses``).
- Decision: only Vested Trust Fund side accounts are floored at zero (R-VE5, R-VE6:
  nothing can be paid from an employee's vested money that is not there). The General
  Deductible Trust Fund and the district account may dip below zero (claims paid before
  the month's contribution is booked; expenses ahead of interest): the fund page shows
  a negative balance plainly.
- Decision: payouts from a side account (lump sum, continuation premium, beneficiary)
  are refused before separation (``vesting.rules.payout_refusal``, R-VE5/R-VE6); a
  beneficiary payment needs a separation by death (R-VE10). Timing (six months, R-VE7)
  is the vesting run's business, not the ledger's.
- Decision: a month close posts its contribution dated the first day of the month (the
  premium is charged for the month on its first day, R-PR2); months are closed in order
  (the first close may be any month); a month that has not begun cannot be closed.
- Decision: interest and expenses need a period that has ended; the posting is dated the
  period's last day unless told otherwise. Interest may be earned by any of the plan's
  three funds; all of it goes to the district account (R-FU2).
- Decision: who may post interest and expenses and close months: the superintendent's
  office (Role.SUPERINTENDENT) and Role.ADMINISTRATOR (issue 4: "entered by the
  superintendent's office"), although the superintendent is otherwise read-only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.db import transaction as db_transaction
from django.utils import timezone

from accounts.models import Employee, Employer
from accounts.rules import add_months, policy_year_end, policy_year_label, policy_year_start
from staywell.db import prepared_rows
from staywell.money import CENT, ZERO
from vesting.models import (
    NORMAL_BALANCE,
    PLAN_FUNDS,
    SIDE_ACCOUNT_NAME,
    Account,
    AccountBalance,
    Direction,
    Fund,
    FundKind,
    MonthClose,
    Transaction,
    TransactionKind,
)
from vesting.rules import PayoutKind, payout_refusal

__all__ = [
    "EmployerLedger",
    "IdempotencyConflict",
    "Line",
    "TransactionSpec",
    "credit",
    "debit",
    "ledger_accounts_for_employer",
    "month_close",
    "payee_account_for",
    "post_administrative_expense",
    "post_beneficiary_payment",
    "post_claim_payment",
    "post_continuation_premium",
    "post_employer_contribution",
    "post_interest",
    "post_lump_sum_payout",
    "post_reversal",
    "post_runout_recovery",
    "post_transaction",
    "post_transactions_batch",
    "post_unvested_transfer",
    "post_vesting_transfer",
    "side_account_for",
]

_KINDS = frozenset(TransactionKind.values)
_FUND_KINDS = frozenset(FundKind.values)
MAX_AMOUNT = Decimal("1000000000000")  # DecimalField(14, 2) holds less than a trillion dollars


ONE_DAY = timedelta(days=1)


def _month_last_day(first: date) -> date:
    return add_months(first, 1) - ONE_DAY


class IdempotencyConflict(ValidationError):
    """The idempotency key was already used for a different operation."""


# --- Lines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One posting to be made: ``amount`` (positive, cents) on one side of one account."""

    account: Account | int
    direction: str  # Direction.DEBIT or Direction.CREDIT
    amount: Decimal

    @property
    def account_id(self) -> int:
        return self.account if isinstance(self.account, int) else self.account.pk


def debit(account: Account | int, amount: Decimal | str | int) -> Line:
    return Line(account, Direction.DEBIT, amount)  # type: ignore[arg-type]


def credit(account: Account | int, amount: Decimal | str | int) -> Line:
    return Line(account, Direction.CREDIT, amount)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TransactionSpec:
    """One transaction of a batch (:func:`post_transactions_batch`)."""

    kind: str
    effective_date: date
    lines: Sequence[Line]
    memo: str = ""
    idempotency_key: str | None = None
    employee_id: int | None = None
    reference: str = ""
    period_start: date | None = None
    period_end: date | None = None
    earned_by: str = ""


@dataclass
class _Prepared:
    employer_id: int | None
    kind: str
    effective_date: date
    lines: list[tuple[int, str, Decimal]]
    memo: str
    reference: str
    idempotency_key: str | None
    employee_id: int | None
    period_start: date | None
    period_end: date | None
    earned_by: str
    reverses_id: int | None
    posted_by_id: int | None
    payload_hash: str = field(default="")


def _amount(value: Any, field_name: str = "amount") -> Decimal:
    """An amount of money as exact positive cents, or a ValidationError on ``field_name``."""
    if isinstance(value, float | bool):
        raise ValidationError(
            {field_name: "Amounts of money must be exact: pass a Decimal or a string, not a float."}
        )
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field_name: "Enter an amount of money, such as 125.50."}) from None
    if not amount.is_finite():
        raise ValidationError({field_name: "Enter an amount of money, such as 125.50."})
    if amount != amount.quantize(CENT):
        raise ValidationError(
            {field_name: "Enter dollars and cents: at most two digits after the decimal point."}
        )
    if amount <= ZERO:
        raise ValidationError({field_name: "The amount must be more than zero."})
    if amount >= MAX_AMOUNT:
        raise ValidationError({field_name: "The amount is too large."})
    return amount.quantize(CENT)


def _prepare(
    *,
    kind: str,
    effective_date: date,
    lines: Sequence[Line],
    memo: str,
    reference: str,
    idempotency_key: str | None,
    employee_id: int | None,
    employer_id: int | None,
    period_start: date | None,
    period_end: date | None,
    earned_by: str,
    reverses_id: int | None,
    posted_by_id: int | None,
) -> _Prepared:
    if kind not in _KINDS:
        raise ValidationError({"kind": f"Unknown kind of ledger transaction: {kind!r}."})
    if not isinstance(effective_date, date) or hasattr(effective_date, "hour"):
        raise ValidationError({"effective_date": "The effective date must be a date."})
    if len(lines) < 2:
        raise ValidationError("A ledger transaction needs at least two postings (R-FU3).")
    prepared_lines: list[tuple[int, str, Decimal]] = []
    debits = credits = ZERO
    for line in lines:
        if line.direction not in (Direction.DEBIT, Direction.CREDIT):
            raise ValidationError(f"A posting is a debit or a credit, not {line.direction!r}.")
        amount = _amount(line.amount)
        if line.direction == Direction.DEBIT:
            debits += amount
        else:
            credits += amount
        prepared_lines.append((line.account_id, str(line.direction), amount))
    if debits != credits:
        raise ValidationError(
            f"The transaction does not balance: debits {debits} and credits {credits} (R-FU3)."
        )
    if len(memo) > 300:
        raise ValidationError({"memo": "The memo is limited to 300 characters."})
    if len(reference) > 100:
        raise ValidationError({"reference": "The reference is limited to 100 characters."})
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 200):
        raise ValidationError({"idempotency_key": "An idempotency key has 1 to 200 characters."})
    if period_start and period_end and period_start > period_end:
        raise ValidationError({"period_end": "The period cannot end before it starts."})
    if earned_by and earned_by not in _FUND_KINDS:
        raise ValidationError({"earned_by": f"Unknown fund: {earned_by!r}."})
    prepared = _Prepared(
        employer_id=employer_id,
        kind=str(kind),
        effective_date=effective_date,
        lines=prepared_lines,
        memo=memo,
        reference=reference,
        idempotency_key=idempotency_key,
        employee_id=employee_id,
        period_start=period_start,
        period_end=period_end,
        earned_by=str(earned_by),
        reverses_id=reverses_id,
        posted_by_id=posted_by_id,
    )
    return prepared


def payload_hash(prepared: _Prepared) -> str:
    """SHA-256 of the canonical payload of a transaction (what moves money; see module doc).

    Canonical form: the fields in a fixed order, ``|``-separated (text fields as JSON
    strings so that no separator can be forged), then the lines sorted."""
    lines = sorted(
        f"{account}:{direction}:{amount}" for account, direction, amount in prepared.lines
    )
    canonical = "|".join(
        [
            prepared.kind,
            prepared.effective_date.isoformat(),
            str(prepared.employer_id),
            str(prepared.employee_id),
            json.dumps(prepared.reference),
            prepared.period_start.isoformat() if prepared.period_start else "",
            prepared.period_end.isoformat() if prepared.period_end else "",
            prepared.earned_by,
            str(prepared.reverses_id),
            ",".join(lines),
        ]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _employer_of_accounts(account_ids: Iterable[int]) -> int:
    employers = set(
        Fund.objects.filter(accounts__id__in=set(account_ids)).values_list("employer_id", flat=True)
    )
    if len(employers) != 1:
        raise ValidationError("A ledger transaction moves money within one employer's funds.")
    return employers.pop()


def _check_replay(existing: Transaction, prepared: _Prepared) -> Transaction:
    if existing.payload_hash != prepared.payload_hash:
        raise IdempotencyConflict(
            {
                "idempotency_key": (
                    f"The idempotency key {prepared.idempotency_key!r} was already used for "
                    f"transaction #{existing.pk} ({existing.get_kind_display()} of "
                    f"{existing.effective_date}) with a different payload. A retry must repeat "
                    "the same operation; a new operation needs a new key."
                )
            },
            code="idempotency_conflict",
        )
    return existing


_INSERT_TRANSACTION = """
WITH t AS (
    INSERT INTO vesting_transaction (
        employer_id, kind, effective_date, memo, reference, employee_id, period_start,
        period_end, earned_by, reverses_id, idempotency_key, payload_hash, posted_by_id, posted_at
    )
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, effective_date, posted_at
), p AS (
    INSERT INTO vesting_posting (transaction_id, account_id, direction, amount, effective_date)
    SELECT t.id, v.account_id, v.direction, v.amount, t.effective_date
      FROM t CROSS JOIN (VALUES {values}) AS v(ord, account_id, direction, amount)
     ORDER BY v.ord
)
SELECT id, posted_at FROM t
"""


def _insert(prepared: _Prepared) -> Transaction:
    values = ", ".join(
        ["(%s::integer, %s::bigint, %s::varchar, %s::numeric)"] * len(prepared.lines)
    )
    params: list[Any] = [
        prepared.employer_id,
        prepared.kind,
        prepared.effective_date,
        prepared.memo,
        prepared.reference,
        prepared.employee_id,
        prepared.period_start,
        prepared.period_end,
        prepared.earned_by,
        prepared.reverses_id,
        prepared.idempotency_key,
        prepared.payload_hash,
        prepared.posted_by_id,
    ]
    for index, (account_id, direction, amount) in enumerate(prepared.lines):
        params += [index, account_id, direction, amount]
    # Prepared once per connection and number of lines: about a tenth faster than Django's
    # client-side binding.
    rows = prepared_rows(_INSERT_TRANSACTION.format(values=values), params)
    if not rows:  # the key was used before (or by a concurrent caller who committed)
        existing = Transaction.objects.get(idempotency_key=prepared.idempotency_key)
        return _check_replay(existing, prepared)
    assert prepared.employer_id is not None
    tx = Transaction(
        id=rows[0][0],
        employer_id=prepared.employer_id,
        kind=prepared.kind,
        effective_date=prepared.effective_date,
        memo=prepared.memo,
        reference=prepared.reference,
        employee_id=prepared.employee_id,
        period_start=prepared.period_start,
        period_end=prepared.period_end,
        earned_by=prepared.earned_by,
        reverses_id=prepared.reverses_id,
        idempotency_key=prepared.idempotency_key,
        payload_hash=prepared.payload_hash,
        posted_by_id=prepared.posted_by_id,
        posted_at=rows[0][1],
    )
    tx._state.adding = False
    tx._state.db = connection.alias
    return tx


def _constraint_name(exc: BaseException) -> str:
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def _translate_integrity_error(exc: IntegrityError, prepared: _Prepared) -> Exception:
    """A database refusal as a ValidationError a clerk can read (or the error itself)."""
    name = _constraint_name(exc)
    if name == "side_account_never_negative":
        return _negative_side_account_error(prepared)
    if prepared.reverses_id is not None and ("reverses_id" in name or "reverses" in str(exc)):
        original = Transaction.objects.filter(pk=prepared.reverses_id).first()
        other = getattr(original, "reversed_by", None) if original else None
        return ValidationError(
            f"Transaction #{prepared.reverses_id} was already reversed"
            + (f" by transaction #{other.pk}." if other else "."),
            code="already_reversed",
        )
    return exc


def _negative_side_account_error(prepared: _Prepared) -> ValidationError:
    taken: dict[int, Decimal] = {}
    for account_id, direction, amount in prepared.lines:
        sign = -1 if direction == Direction.CREDIT else 1
        taken[account_id] = taken.get(account_id, ZERO) - sign * amount
    balances = {
        b.account_id: b
        for b in AccountBalance.objects.filter(
            account_id__in=list(taken), never_negative=True
        ).select_related("account__employee")
    }
    for account_id, amount in taken.items():
        balance = balances.get(account_id)
        held = balance.balance if balance else ZERO
        if amount > held:
            who = (
                balance.account.employee if balance and balance.account.employee else "an employee"
            )
            return ValidationError(
                f"The vested account of {who} holds {held}; this transaction would take "
                f"{amount} from it. A Vested Trust Fund side account can never go below zero.",
                code="insufficient_balance",
            )
    return ValidationError(
        "A Vested Trust Fund side account can never go below zero.", code="insufficient_balance"
    )


def post_transaction(
    *,
    kind: str,
    effective_date: date,
    lines: Sequence[Line],
    memo: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    employee: Employee | int | None = None,
    reference: str = "",
    employer: Employer | int | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    earned_by: str = "",
    reverses: Transaction | None = None,
) -> Transaction:
    """Post one balanced ledger transaction: THE function that writes postings (R-FU3).

    ``lines`` are :func:`debit` / :func:`credit` lines of positive cents that balance,
    all on accounts of one employer's funds. With ``idempotency_key``, a second call with
    the same payload returns the first transaction and posts nothing; a second call with
    a different payload raises :class:`IdempotencyConflict`. A side account that would go
    below zero raises ``ValidationError`` and nothing is posted.
    """
    employer_id = employer.pk if isinstance(employer, Employer) else employer
    prepared = _prepare(
        kind=kind,
        effective_date=effective_date,
        lines=lines,
        memo=memo,
        reference=reference,
        idempotency_key=idempotency_key,
        employee_id=employee.pk if isinstance(employee, Employee) else employee,
        employer_id=employer_id,
        period_start=period_start,
        period_end=period_end,
        earned_by=earned_by,
        reverses_id=reverses.pk if reverses is not None else None,
        posted_by_id=_user_id(posted_by),
    )
    if prepared.employer_id is None:
        prepared.employer_id = _employer_of_accounts(a for a, _, _ in prepared.lines)
    prepared.payload_hash = payload_hash(prepared)
    try:
        if connection.in_atomic_block:
            with db_transaction.atomic():  # a savepoint: a refusal leaves the caller's work usable
                return _insert(prepared)
        # Autocommit: the one INSERT statement is its own database transaction (the
        # deferred balance check runs at its end): one round trip per posting.
        return _insert(prepared)
    except IntegrityError as exc:
        raise _translate_integrity_error(exc, prepared) from exc


def _user_id(user: Any) -> int | None:
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    return int(user.pk) if hasattr(user, "pk") else int(user)


def post_transactions_batch(
    *, entries: Sequence[TransactionSpec], posted_by: Any = None
) -> list[int]:
    """Post many balanced transactions in one database transaction, with COPY.

    The same rules as :func:`post_transaction` (validated here, enforced again by the
    database triggers): each entry balances; an entry whose idempotency key exists with
    the same payload is skipped (its existing id is returned), with another payload the
    whole batch is refused. Side accounts are checked entry by entry in order, under the
    row locks of every account of the batch (taken in account-id order). Returns the
    transaction ids in the order of ``entries``.
    """
    posted_by_id = _user_id(posted_by)
    prepared: list[_Prepared] = []
    for index, entry in enumerate(entries):
        try:
            item = _prepare(
                kind=entry.kind,
                effective_date=entry.effective_date,
                lines=entry.lines,
                memo=entry.memo,
                reference=entry.reference,
                idempotency_key=entry.idempotency_key,
                employee_id=entry.employee_id,
                employer_id=None,
                period_start=entry.period_start,
                period_end=entry.period_end,
                earned_by=entry.earned_by,
                reverses_id=None,
                posted_by_id=posted_by_id,
            )
        except ValidationError as exc:
            raise ValidationError(f"Entry {index + 1}: {'; '.join(exc.messages)}") from exc
        prepared.append(item)
    if not prepared:
        return []
    keys = [p.idempotency_key for p in prepared if p.idempotency_key]
    if len(keys) != len(set(keys)):
        raise ValidationError("Two entries of the batch have the same idempotency key.")
    account_ids = sorted({a for p in prepared for a, _, _ in p.lines})
    accounts = {
        row["id"]: row
        for row in Account.objects.filter(id__in=account_ids).values(
            "id", "fund__employer_id", "normal_balance", "never_negative"
        )
    }
    missing = set(account_ids) - set(accounts)
    if missing:
        raise ValidationError(f"No such ledger accounts: {sorted(missing)}.")
    for index, item in enumerate(prepared):
        employers = {accounts[a]["fund__employer_id"] for a, _, _ in item.lines}
        if len(employers) != 1:
            raise ValidationError(
                f"Entry {index + 1}: a ledger transaction moves money within one employer's funds."
            )
        item.employer_id = employers.pop()
        item.payload_hash = payload_hash(item)

    with db_transaction.atomic():
        ids: list[int | None] = [None] * len(prepared)
        if keys:
            existing = {
                t.idempotency_key: t
                for t in Transaction.objects.raw(
                    "SELECT id, idempotency_key, payload_hash, kind, effective_date "
                    "FROM vesting_transaction WHERE idempotency_key = ANY(%s)",
                    [keys],
                )
            }
            for index, item in enumerate(prepared):
                if item.idempotency_key in existing:
                    ids[index] = _check_replay(existing[item.idempotency_key], item).pk
        todo = [i for i, value in enumerate(ids) if value is None]
        if not todo:
            return [int(i) for i in ids if i is not None]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT account_id, balance FROM vesting_accountbalance "
                "WHERE account_id = ANY(%s) ORDER BY account_id FOR UPDATE",
                [account_ids],
            )
            balances = {row[0]: row[1] for row in cursor.fetchall()}
            _check_side_accounts_in_order([prepared[i] for i in todo], accounts, balances)
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('vesting_transaction', 'id')) "
                "FROM generate_series(1, %s)",
                [len(todo)],
            )
            new_ids = [row[0] for row in cursor.fetchall()]
            for index, new_id in zip(todo, new_ids, strict=True):
                ids[index] = new_id
            now = _copy_text(timezone.now())
            posted_by = _copy_text(posted_by_id)
            with cursor.cursor.copy(
                "COPY vesting_transaction (id, employer_id, kind, effective_date, memo, reference, "
                "employee_id, period_start, period_end, earned_by, idempotency_key, "
                "payload_hash, posted_by_id, posted_at) FROM STDIN"
            ) as copy:
                copy.write(
                    "".join(
                        f"{ids[i]}\t{p.employer_id}\t{p.kind}\t{p.effective_date}\t"
                        f"{_copy_text(p.memo)}\t{_copy_text(p.reference)}\t"
                        f"{_copy_text(p.employee_id)}\t{_copy_text(p.period_start)}\t"
                        f"{_copy_text(p.period_end)}\t{p.earned_by}\t"
                        f"{_copy_text(p.idempotency_key)}\t{p.payload_hash}\t{posted_by}\t{now}\n"
                        for i, p in ((i, prepared[i]) for i in todo)
                    )
                )
            with cursor.cursor.copy(
                "COPY vesting_posting (transaction_id, account_id, direction, amount, "
                "effective_date) FROM STDIN"
            ) as copy:
                copy.write(
                    "".join(
                        f"{ids[i]}\t{account_id}\t{direction}\t{amount}\t{prepared[i].effective_date}\n"
                        for i in todo
                        for account_id, direction, amount in prepared[i].lines
                    )
                )
    return [int(i) for i in ids if i is not None]


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """A value in COPY's text format: \\N for NULL, special characters escaped."""
    if value is None:
        return "\\N"
    return str(value).translate(_COPY_ESCAPES)


def _check_side_accounts_in_order(
    entries: Sequence[_Prepared],
    accounts: Mapping[int, Mapping[str, Any]],
    balances: dict[int, Decimal],
) -> None:
    running = dict(balances)
    for number, item in enumerate(entries, start=1):
        for account_id, direction, amount in item.lines:
            info = accounts[account_id]
            if not info["never_negative"]:
                continue
            change = amount if direction == info["normal_balance"] else -amount
            running[account_id] = running.get(account_id, ZERO) + change
        for account_id, _, _ in item.lines:
            if accounts[account_id]["never_negative"] and running[account_id] < ZERO:
                raise ValidationError(
                    f"Entry {number}: the side account #{account_id} would go below zero "
                    f"({running[account_id]}). A Vested Trust Fund side account can never go "
                    "below zero.",
                    code="insufficient_balance",
                )


def _employer_id(employer: Employer | int) -> int:
    return employer.pk if isinstance(employer, Employer) else int(employer)


# --- The accounts of an employer ----------------------------------------------------------

# The default accounts of each fund: (fund kind, account name).
GENERAL_TRUST_ACCOUNT = (FundKind.GENERAL_TRUST, "General Deductible Trust Fund")
DISTRICT_ACCOUNT = (FundKind.DISTRICT, "District account")
PROGRAM_CHARGES_ACCOUNT = (FundKind.EMPLOYER_BUDGET, "Program charges (employer share)")
PAYROLL_DEDUCTIONS_ACCOUNT = (FundKind.EMPLOYER_BUDGET, "Payroll deductions (employee share)")
CARRIER_ACCOUNT = (FundKind.CARRIER, "Major-medical carrier")
PAYEES_ACCOUNT = (FundKind.PAYEES, "Providers and payees")
ADMINISTRATIVE_EXPENSES_ACCOUNT = (FundKind.PAYEES, "Administrative expenses")
BANK_ACCOUNT = (FundKind.BANK, "Bank interest")
DEFAULT_ACCOUNTS = (
    GENERAL_TRUST_ACCOUNT,
    DISTRICT_ACCOUNT,
    PROGRAM_CHARGES_ACCOUNT,
    PAYROLL_DEDUCTIONS_ACCOUNT,
    CARRIER_ACCOUNT,
    PAYEES_ACCOUNT,
    ADMINISTRATIVE_EXPENSES_ACCOUNT,
    BANK_ACCOUNT,
)


@dataclass(frozen=True)
class EmployerLedger:
    """The funds and standing accounts of one employer."""

    employer_id: int
    funds: dict[str, Fund]  # the funds of the standing accounts (all but the Vested Trust Fund)
    accounts: dict[tuple[str, str], Account]

    def account(self, key: tuple[str, str]) -> Account:
        return self.accounts[key]

    def fund(self, kind: str) -> Fund:
        if kind not in self.funds:
            self.funds[kind], _ = Fund.objects.get_or_create(
                employer_id=self.employer_id, kind=kind
            )
        return self.funds[kind]

    @property
    def general_trust(self) -> Account:
        return self.accounts[GENERAL_TRUST_ACCOUNT]

    @property
    def district(self) -> Account:
        return self.accounts[DISTRICT_ACCOUNT]


def ledger_accounts_for_employer(employer: Employer | int) -> EmployerLedger:
    """The employer's seven funds and standing accounts, created on first use.

    Decision: created lazily (no signal on Employer, which belongs to ``accounts``); one
    query when they exist; creation is race-safe (unique constraints + get_or_create).
    """
    employer_id = employer.pk if isinstance(employer, Employer) else int(employer)
    names = [name for _, name in DEFAULT_ACCOUNTS]
    found = list(
        Account.objects.filter(
            fund__employer_id=employer_id, employee__isnull=True, name__in=names
        ).select_related("fund")
    )
    accounts = {
        (a.fund.kind, a.name): a for a in found if (a.fund.kind, a.name) in DEFAULT_ACCOUNTS
    }
    funds = {a.fund.kind: a.fund for a in found}
    if len(accounts) < len(DEFAULT_ACCOUNTS):
        for kind in FundKind.values:
            if kind not in funds:
                funds[kind], _ = Fund.objects.get_or_create(employer_id=employer_id, kind=kind)
        for kind, name in DEFAULT_ACCOUNTS:
            if (kind, name) not in accounts:
                accounts[(kind, name)] = _account_get_or_create(funds[kind], name=name)
    return EmployerLedger(employer_id=employer_id, funds=funds, accounts=accounts)


def _account_get_or_create(
    fund: Fund, *, name: str, employee: Employee | None = None, never_negative: bool = False
) -> Account:
    lookup: dict[str, Any] = {"fund": fund}
    if employee is not None:
        lookup["employee"] = employee
    else:
        lookup["name"] = name
        lookup["employee__isnull"] = True
    account, _ = Account.objects.get_or_create(
        **lookup,
        defaults={
            "name": name,
            "employee": employee,
            "normal_balance": NORMAL_BALANCE[FundKind(fund.kind)],
            "never_negative": never_negative,
        },
    )
    return account  # its balance row is made by the database (migration 0002)


def side_account_for(employee: Employee) -> Account:
    """The employee's side account in the Vested Trust Fund (R-FU1), created on first use."""
    account = (
        Account.objects.filter(
            fund__employer_id=employee.employer_id,
            fund__kind=FundKind.VESTED_TRUST,
            employee=employee,
        )
        .select_related("fund")
        .first()
    )
    if account is not None:
        return account
    fund, _ = Fund.objects.get_or_create(
        employer_id=employee.employer_id, kind=FundKind.VESTED_TRUST
    )
    return _account_get_or_create(
        fund, name=SIDE_ACCOUNT_NAME, employee=employee, never_negative=True
    )


def payee_account_for(
    employer: Employer | int | EmployerLedger, *, name: str = "", employee: Employee | None = None
) -> Account:
    """An account of the providers-and-payees party: one per payee name, or per employee
    paid (lump sums); the standing "Providers and payees" account when neither is given."""
    if isinstance(employer, EmployerLedger):
        ledger: EmployerLedger | None = employer
        employer_id = employer.employer_id
    else:
        ledger, employer_id = None, _employer_id(employer)
    name = " ".join(name.split())
    if len(name) > 200:
        raise ValidationError({"payee_name": "A payee's name is limited to 200 characters."})
    if employee is None and not name:
        return (ledger or ledger_accounts_for_employer(employer_id)).account(PAYEES_ACCOUNT)
    payees = Account.objects.filter(fund__employer_id=employer_id, fund__kind=FundKind.PAYEES)
    if employee is not None:
        found = payees.filter(employee=employee).first()
    else:
        found = payees.filter(name=name, employee__isnull=True).first()
    if found is not None:
        return found
    fund = (ledger or ledger_accounts_for_employer(employer_id)).fund(FundKind.PAYEES)
    if employee is not None:
        return _account_get_or_create(
            fund, name=f"Payments to {employee.full_name}", employee=employee
        )
    return _account_get_or_create(fund, name=name)


# --- Named operations ---------------------------------------------------------------------


def _refuse_payout(employee: Employee, kind: PayoutKind, on: date) -> None:
    refusal = payout_refusal(kind=kind, on=on, separation_date=employee.separation_date)
    if refusal:
        raise ValidationError(f"{employee}: {refusal}", code="payout_refused")


def post_employer_contribution(
    *,
    employer: Employer | int,
    year: int,
    month: int,
    amount: Decimal,
    employee_amount: Decimal = ZERO,
    posted_by: Any = None,
    idempotency_key: str | None = None,
    memo: str = "",
) -> Transaction:
    """The month's trust-fund contributions into the General Deductible Trust Fund (R-FU1).

    ``amount`` is the employer's share (program charges), ``employee_amount`` the employees'
    (payroll deductions) of the trust-fund premium line (R-PR1). Dated the first of the
    month. Default idempotency key: one contribution per employer and month.
    """
    if not 1 <= month <= 12:
        raise ValidationError({"month": "A month is 1 to 12."})
    first = date(year, month, 1)
    ledger = ledger_accounts_for_employer(employer)
    employer_share = _amount(amount) if amount else ZERO
    employee_share = _amount(employee_amount, "employee_amount") if employee_amount else ZERO
    if employer_share + employee_share <= ZERO:
        raise ValidationError({"amount": "The contribution must be more than zero."})
    lines = [debit(ledger.general_trust, employer_share + employee_share)]
    if employer_share:
        lines.append(credit(ledger.account(PROGRAM_CHARGES_ACCOUNT), employer_share))
    if employee_share:
        lines.append(credit(ledger.account(PAYROLL_DEDUCTIONS_ACCOUNT), employee_share))
    return post_transaction(
        kind=TransactionKind.EMPLOYER_CONTRIBUTION,
        effective_date=first,
        lines=lines,
        memo=memo or f"Trust-fund contributions for {first:%B %Y}",
        idempotency_key=idempotency_key
        or f"contribution:{ledger.employer_id}:{year:04d}-{month:02d}",
        posted_by=posted_by,
        employer=ledger.employer_id,
        period_start=first,
        period_end=_month_last_day(first),
    )


def post_claim_payment(
    *,
    employer: Employer | int,
    amount: Decimal,
    effective_date: date,
    payee_name: str = "",
    payee: Account | None = None,
    employee: Employee | None = None,
    service_date: date | None = None,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """A claim paid from the General Deductible Trust Fund to a provider or payee (R-CL3).

    ``service_date`` (the claim's date of service) is kept as the transaction's period, so
    that the trust fund's spending per family and policy year can be read from the ledger
    (R-VE2, R-CL6) without the ledger knowing about claims.
    """
    employer_id = _employer_id(employer)
    if employee is not None and employee.employer_id != employer_id:
        raise ValidationError({"employee": "The employee belongs to another employer."})
    general_trust_id, payees_fund_id = _claim_payment_accounts(employer_id)
    to = payee or payee_account_for(employer_id, name=payee_name)
    if to.fund_id != payees_fund_id:
        raise ValidationError(
            {"payee": "A claim is paid to an account of the providers and payees."}
        )
    return post_transaction(
        kind=TransactionKind.CLAIM_PAYMENT,
        effective_date=effective_date,
        lines=[debit(to, amount), credit(general_trust_id, amount)],
        memo=memo or f"Claim paid to {to.name}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=employer_id,
        period_start=service_date,
        period_end=service_date,
    )


# The General Deductible Trust Fund's account and the payees' fund of an employer: one
# prepared statement on the path of every claim paid.
_CLAIM_PAYMENT_ACCOUNTS_SQL = """
SELECT a.id, p.id
  FROM vesting_fund f
  JOIN vesting_account a ON a.fund_id = f.id AND a.name = %s AND a.employee_id IS NULL
  JOIN vesting_fund p ON p.employer_id = f.employer_id AND p.kind = %s
 WHERE f.employer_id = %s AND f.kind = %s
"""


def _claim_payment_accounts(employer_id: int) -> tuple[int, int]:
    """The ids of the employer's trust-fund account and payees' fund (created on first use)."""
    kind, name = GENERAL_TRUST_ACCOUNT
    rows = prepared_rows(
        _CLAIM_PAYMENT_ACCOUNTS_SQL, [name, FundKind.PAYEES.value, employer_id, kind.value]
    )
    if rows:
        return rows[0][0], rows[0][1]
    ledger = ledger_accounts_for_employer(employer_id)
    return ledger.general_trust.pk, ledger.fund(FundKind.PAYEES).pk


def post_vesting_transfer(
    *,
    employee: Employee,
    amount: Decimal,
    policy_year: int,
    effective_date: date | None = None,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """A year's unused amount vests: General Deductible Trust Fund -> side account (R-VE3).

    Dated July 1 after the policy year unless told otherwise (a separation, R-VE4).
    """
    ledger = ledger_accounts_for_employer(employee.employer_id)
    side = side_account_for(employee)
    return post_transaction(
        kind=TransactionKind.VESTING_TRANSFER,
        effective_date=effective_date or policy_year_start(policy_year + 1),
        lines=[debit(side, amount), credit(ledger.general_trust, amount)],
        memo=memo or f"Vested for {policy_year_label(policy_year)}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=ledger.employer_id,
        period_start=policy_year_start(policy_year),
        period_end=policy_year_end(policy_year),
    )


def post_unvested_transfer(
    *,
    employer: Employer | int,
    amount: Decimal,
    policy_year: int,
    effective_date: date | None = None,
    employee: Employee | None = None,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """An unvested amount goes to the district: General Trust Fund -> district (R-VE4, R-FU1)."""
    ledger = ledger_accounts_for_employer(employer)
    return post_transaction(
        kind=TransactionKind.UNVESTED_TRANSFER,
        effective_date=effective_date or policy_year_start(policy_year + 1),
        lines=[debit(ledger.district, amount), credit(ledger.general_trust, amount)],
        memo=memo or f"Unvested for {policy_year_label(policy_year)}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=ledger.employer_id,
        period_start=policy_year_start(policy_year),
        period_end=policy_year_end(policy_year),
    )


def post_runout_recovery(
    *,
    employee: Employee,
    amount: Decimal,
    policy_year: int,
    effective_date: date,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """A run-out claim for a vested year takes back from the side account (R-CL6, R-FU1)."""
    ledger = ledger_accounts_for_employer(employee.employer_id)
    side = side_account_for(employee)
    return post_transaction(
        kind=TransactionKind.RUNOUT_RECOVERY,
        effective_date=effective_date,
        lines=[debit(ledger.general_trust, amount), credit(side, amount)],
        memo=memo or f"Run-out claim recovered from {policy_year_label(policy_year)}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=ledger.employer_id,
        period_start=policy_year_start(policy_year),
        period_end=policy_year_end(policy_year),
    )


def post_lump_sum_payout(
    *,
    employee: Employee,
    amount: Decimal,
    effective_date: date,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """A lump sum from the side account to the separated employee (R-VE6, R-VE7)."""
    _refuse_payout(employee, PayoutKind.LUMP_SUM, effective_date)
    side = side_account_for(employee)
    to = payee_account_for(employee.employer_id, employee=employee)
    return post_transaction(
        kind=TransactionKind.LUMP_SUM_PAYOUT,
        effective_date=effective_date,
        lines=[debit(to, amount), credit(side, amount)],
        memo=memo or f"Lump sum to {employee.full_name}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=employee.employer_id,
    )


def post_continuation_premium(
    *,
    employee: Employee,
    amount: Decimal,
    month: date,
    carrier_name: str = "",
    effective_date: date | None = None,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """A month's continuation premium paid from the side account to the carrier (R-VE8, R-VE9)."""
    month = month.replace(day=1)
    when = effective_date or month
    _refuse_payout(employee, PayoutKind.CONTINUATION_PREMIUM, when)
    ledger = ledger_accounts_for_employer(employee.employer_id)
    carrier = (
        _account_get_or_create(ledger.fund(FundKind.CARRIER), name=" ".join(carrier_name.split()))
        if carrier_name.strip()
        else ledger.account(CARRIER_ACCOUNT)
    )
    side = side_account_for(employee)
    return post_transaction(
        kind=TransactionKind.CONTINUATION_PREMIUM,
        effective_date=when,
        lines=[debit(carrier, amount), credit(side, amount)],
        memo=memo or f"Continuation premium for {month:%B %Y}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=ledger.employer_id,
        period_start=month,
        period_end=_month_last_day(month),
    )


def post_beneficiary_payment(
    *,
    employee: Employee,
    amount: Decimal,
    beneficiary_name: str,
    effective_date: date,
    reference: str = "",
    idempotency_key: str | None = None,
    posted_by: Any = None,
    memo: str = "",
) -> Transaction:
    """The vested balance of an employee who died, paid to the beneficiary (R-VE10)."""
    if employee.separation_reason != Employee.SeparationReason.DEATH:
        raise ValidationError(
            f"{employee}: a beneficiary is paid only after the employee's death (R-VE10).",
            code="payout_refused",
        )
    _refuse_payout(employee, PayoutKind.BENEFICIARY, effective_date)
    name = " ".join(beneficiary_name.split())
    if not name:
        raise ValidationError({"beneficiary_name": "Name the beneficiary."})
    side = side_account_for(employee)
    to = payee_account_for(employee.employer_id, name=f"Beneficiary {name}")
    return post_transaction(
        kind=TransactionKind.BENEFICIARY_PAYMENT,
        effective_date=effective_date,
        lines=[debit(to, amount), credit(side, amount)],
        memo=memo or f"Vested balance of {employee.full_name} to beneficiary {name}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=employee,
        reference=reference,
        employer=employee.employer_id,
    )


def _period(period_start: date, period_end: date, today: date | None) -> None:
    if period_start > period_end:
        raise ValidationError({"period_end": "The period cannot end before it starts."})
    if period_end > (today or timezone.localdate()):
        raise ValidationError({"period_end": "The period has not ended yet."})


def post_interest(
    *,
    employer: Employer | int,
    amount: Decimal,
    period_start: date,
    period_end: date,
    earned_by: str,
    effective_date: date | None = None,
    posted_by: Any = None,
    idempotency_key: str | None = None,
    memo: str = "",
    today: date | None = None,
) -> Transaction:
    """Interest earned by a trust fund, credited to the district account (R-FU2).

    The bank pays it; it belongs to the employer, never to employees (R-VE5).
    """
    if earned_by not in PLAN_FUNDS:
        raise ValidationError({"earned_by": "Choose the fund that earned the interest."})
    _period(period_start, period_end, today)
    ledger = ledger_accounts_for_employer(employer)
    label = FundKind(earned_by).label
    return post_transaction(
        kind=TransactionKind.INTEREST,
        effective_date=effective_date or period_end,
        lines=[debit(ledger.district, amount), credit(ledger.account(BANK_ACCOUNT), amount)],
        memo=memo or f"Interest earned by the {label}, {period_start} to {period_end}",
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employer=ledger.employer_id,
        period_start=period_start,
        period_end=period_end,
        earned_by=earned_by,
    )


def post_administrative_expense(
    *,
    employer: Employer | int,
    amount: Decimal,
    period_start: date,
    period_end: date,
    description: str,
    payee_name: str = "",
    effective_date: date | None = None,
    posted_by: Any = None,
    idempotency_key: str | None = None,
    today: date | None = None,
) -> Transaction:
    """An administrative cost paid from the district account (R-FU1, R-FU2)."""
    description = " ".join(description.split())
    if not description:
        raise ValidationError({"description": "Describe the expense."})
    _period(period_start, period_end, today)
    ledger = ledger_accounts_for_employer(employer)
    to = (
        payee_account_for(ledger, name=payee_name)
        if payee_name.strip()
        else ledger.account(ADMINISTRATIVE_EXPENSES_ACCOUNT)
    )
    return post_transaction(
        kind=TransactionKind.ADMINISTRATIVE_EXPENSE,
        effective_date=effective_date or period_end,
        lines=[debit(to, amount), credit(ledger.district, amount)],
        memo=description,
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employer=ledger.employer_id,
        period_start=period_start,
        period_end=period_end,
    )


def post_reversal(
    *,
    transaction: Transaction,
    reason: str,
    posted_by: Any = None,
    effective_date: date | None = None,
    idempotency_key: str | None = None,
) -> Transaction:
    """Reverse every posting of ``transaction`` (R-FU3, R-CL5). Once per transaction."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": "Give the reason for the reversal."})
    if transaction.kind == TransactionKind.REVERSAL:
        raise ValidationError(
            "A reversal cannot be reversed; post the original operation again instead.",
            code="reversal_of_reversal",
        )
    if idempotency_key is None:
        existing = Transaction.objects.filter(reverses=transaction).first()
        if existing is not None:
            raise ValidationError(
                f"Transaction #{transaction.pk} was already reversed by transaction #{existing.pk}.",
                code="already_reversed",
            )
    lines = [
        Line(
            p.account_id,
            Direction.CREDIT if p.direction == Direction.DEBIT else Direction.DEBIT,
            p.amount,
        )
        for p in transaction.postings.order_by("id")
    ]
    return post_transaction(
        kind=TransactionKind.REVERSAL,
        effective_date=effective_date or timezone.localdate(),
        lines=lines,
        memo=f"Reversal of #{transaction.pk}: {reason}"[:300],
        idempotency_key=idempotency_key,
        posted_by=posted_by,
        employee=transaction.employee_id,
        reference=transaction.reference,
        employer=transaction.employer_id,
        period_start=transaction.period_start,
        period_end=transaction.period_end,
        earned_by=transaction.earned_by,
        reverses=transaction,
    )


# --- Month close --------------------------------------------------------------------------


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
    employee shares. A second close of the same month returns the first close and posts
    nothing; a month without contributions is recorded with no transaction.
    """
    existing = MonthClose.objects.filter(employer_id=employer_id, year=year, month=month).first()
    if existing is not None:
        return existing
    if not 1 <= month <= 12:
        raise ValidationError({"month": "A month is 1 to 12."})
    first = date(year, month, 1)
    if first > (today or timezone.localdate()):
        raise ValidationError({"month": f"{first:%B %Y} has not begun; it cannot be closed yet."})
    _check_close_order(employer_id, first)
    from accounts.selectors import monthly_premium_charges  # written by the accounts app

    charges = monthly_premium_charges(employer_id=employer_id, year=year, month=month)
    return _record_month_close(
        employer_id=employer_id,
        first=first,
        employer_amount=charges.total(line="trust_fund", payer="employer"),
        employee_amount=charges.total(line="trust_fund", payer="employee"),
        employee_count=charges.employee_count,
        closed_by=closed_by,
    )


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
        close, _ = MonthClose.objects.get_or_create(
            employer_id=employer_id,
            year=first.year,
            month=first.month,
            defaults={
                "employer_amount": employer_amount,
                "employee_amount": employee_amount,
                "employee_count": employee_count,
                "transaction": tx,
                "closed_by_id": _user_id(closed_by),
            },
        )
    return close


# --- Vesting (issue 6): the rollover, separations, payouts ------------------------------------
# The implementations live in ``vesting.rollover`` and ``vesting.payouts`` (which post through
# the functions above); these are the entry points other apps and the pages call.


def rollover_start(
    *, policy_year: int, started_by: Any = None, today: date | None = None, queue: bool = True
) -> Any:
    """Ask for (and queue) the July 1 rollover of a policy year (R-VE3); see
    :func:`vesting.rollover.rollover_start`. Refused for a year that has not ended."""
    from vesting.rollover import rollover_start as start

    return start(policy_year=policy_year, started_by=started_by, today=today, queue=queue)


def rollover_execute(run_id: int, **kwargs: Any) -> Any:
    """Run or finish a rollover in this process (:func:`vesting.rollover.rollover_execute`)."""
    from vesting.rollover import rollover_execute as execute

    return execute(run_id, **kwargs)


def separation_record(*, employee: Employee) -> Any:
    """R-VE4, R-VE7, R-VE10 at separation (:func:`vesting.payouts.separation_record`)."""
    from vesting.payouts import separation_record as record

    return record(employee=employee)


def payouts_process(*, today: date | None = None, created_by: Any = None) -> Any:
    """The daily payouts job (:func:`vesting.payouts.payouts_process`)."""
    from vesting.payouts import payouts_process as process

    return process(today=today, created_by=created_by)


def continuation_premium_record(
    *, employee: Employee | int, month: date, amount: Decimal | None = None, posted_by: Any = None
) -> Any:
    """A month of continued coverage paid from the side account (R-VE8, R-VE9)."""
    from vesting.payouts import continuation_premium_record as record

    return record(employee=employee, month=month, amount=amount, posted_by=posted_by)


def runout_claim_paid(
    *,
    employee: Employee,
    policy_year: int,
    amount: Decimal,
    paid_on: date,
    reference: str = "",
    posted_by: Any = None,
) -> Decimal:
    """R-CL6: the claims app calls this after every trust-fund claim payment.

    When ``policy_year`` has vested for the employee, the late claim reduces that year's
    vested amount: what is still held for the year is taken back from the side account to
    the General Deductible Trust Fund, the held payout is reduced, the vesting line keeps
    an audit (``VestingAdjustment``). Returns the dollars recovered; 0.00 when the year has
    not vested (see :func:`vesting.payouts.runout_claim_paid`).
    """
    from vesting.payouts import runout_claim_paid as recover

    return recover(
        employee=employee,
        policy_year=policy_year,
        amount=amount,
        paid_on=paid_on,
        reference=reference,
        posted_by=posted_by,
    )


def side_account_withdraw(
    *, employee: Employee, amount: Decimal, kind: str, on: date | None = None
) -> None:
    """R-VE5: withdrawals, loans and interest from a side account are refused with the
    plan's reason (``ValidationError``); see :func:`vesting.payouts.side_account_withdraw`."""
    from vesting.payouts import side_account_withdraw as withdraw

    withdraw(employee=employee, amount=amount, kind=kind, on=on)
