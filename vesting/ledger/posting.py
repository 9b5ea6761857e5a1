"""Posting: the only code that writes to the ledger (R-FU1..R-FU3).

Every movement of money in Stay-Well goes through :func:`post_transaction` (one ledger
transaction), :func:`post_transactions_batch` (many, with COPY) or
:func:`post_transfers_set` (many two-line transfers of one kind and date, in one
statement: the rollover's vesting transfers); the named operations
(:mod:`vesting.ledger.operations`) build their lines and call it. The sign convention is
in :mod:`vesting.models.ledger`.
Decisions (the plan is silent; chosen as a plan administrator and its auditor would):

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
- Decision: the set path (:func:`post_transfers_set`) computes the payload hash in SQL
  from the same canonical text as :func:`payload_hash` (the reference's JSON string made
  by Python's ``json.dumps``, the two lines sorted by code point), so a transfer posted
  by the set path and replayed through :func:`post_transaction` (or the other way round)
  is one transaction. It requires an idempotency key on every transfer. Its side-account
  floor is the database CHECK on each account's net change over the set (the set is one
  date, one moment of the ledger), not entry by entry as in a batch.
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
  office (Role.SUPERINTENDENT), which enters them, and Role.ADMINISTRATOR, although the
  superintendent is otherwise read-only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.db import transaction as db_transaction
from django.utils import timezone

from accounts.models import Employee, Employer
from accounts.rules import add_months
from staywell.db import prepared_rows
from staywell.money import CENT, ZERO
from vesting.models import (
    Account,
    AccountBalance,
    Direction,
    Fund,
    FundKind,
    Transaction,
    TransactionKind,
)

_KINDS = frozenset(TransactionKind.values)
_FUND_KINDS = frozenset(FundKind.values)
MAX_AMOUNT = Decimal("1000000000000")  # DecimalField(14, 2) holds less than a trillion dollars


ONE_DAY = timedelta(days=1)


def month_last_day(first: date) -> date:
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


def money_amount(value: Any, field_name: str = "amount") -> Decimal:
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
        amount = money_amount(line.amount)
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
    existing.replayed = True
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
    savepoint: bool = True,
) -> Transaction:
    """Post one balanced ledger transaction: THE function that writes postings (R-FU3).

    ``lines`` are :func:`debit` / :func:`credit` lines of positive cents that balance,
    all on accounts of one employer's funds. With ``idempotency_key``, a second call with
    the same payload returns the first transaction and posts nothing; a second call with
    a different payload raises :class:`IdempotencyConflict`. A side account that would go
    below zero raises ``ValidationError`` and nothing is posted.

    Inside the caller's atomic block the posting is a savepoint, so that a refusal leaves
    the caller's work usable; ``savepoint=False`` saves its two round trips for a caller
    whose whole transaction is abandoned on a refusal (claim entry).
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
        posted_by_id=user_id_of(posted_by),
    )
    if prepared.employer_id is None:
        prepared.employer_id = _employer_of_accounts(a for a, _, _ in prepared.lines)
    prepared.payload_hash = payload_hash(prepared)
    try:
        if connection.in_atomic_block and savepoint:
            with db_transaction.atomic():  # a savepoint: a refusal leaves the caller's work usable
                return _insert(prepared)
        # Autocommit: the one INSERT statement is its own database transaction (the
        # deferred balance check runs at its end): one round trip per posting.
        return _insert(prepared)
    except IntegrityError as exc:
        raise _translate_integrity_error(exc, prepared) from exc


def user_id_of(user: Any) -> int | None:
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
    posted_by_id = user_id_of(posted_by)
    prepared = _prepare_batch(entries, posted_by_id)
    if not prepared:
        return []
    keys = [p.idempotency_key for p in prepared if p.idempotency_key]
    if len(keys) != len(set(keys)):
        raise ValidationError("Two entries of the batch have the same idempotency key.")
    account_ids = sorted({a for p in prepared for a, _, _ in p.lines})
    accounts = _batch_accounts(prepared, account_ids)

    with db_transaction.atomic():
        ids = _replayed_ids(prepared, keys)
        todo = [i for i, value in enumerate(ids) if value is None]
        if not todo:
            return [int(i) for i in ids if i is not None]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT account_id, balance FROM vesting_accountbalance "
                "WHERE account_id = ANY(%s) ORDER BY account_id FOR UPDATE",
                [account_ids],
            )
            balances = {account_id: balance for account_id, balance in cursor.fetchall()}
            _check_side_accounts_in_order([prepared[i] for i in todo], accounts, balances)
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('vesting_transaction', 'id')) "
                "FROM generate_series(1, %s)",
                [len(todo)],
            )
            new_ids = [new_id for (new_id,) in cursor.fetchall()]
            for index, new_id in zip(todo, new_ids, strict=True):
                ids[index] = new_id
            _copy_batch(cursor, prepared, todo, ids, posted_by_id)
    return [int(i) for i in ids if i is not None]


def _prepare_batch(entries: Sequence[TransactionSpec], posted_by_id: int | None) -> list[_Prepared]:
    """Each entry validated like one :func:`post_transaction`; errors name the entry."""
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
    return prepared


def _batch_accounts(
    prepared: Sequence[_Prepared], account_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """The batch's accounts by id; stamps each entry with its employer and payload hash."""
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
    return accounts


def _replayed_ids(prepared: Sequence[_Prepared], keys: Sequence[str | None]) -> list[int | None]:
    """The existing transaction of each entry whose key was already posted, else ``None``."""
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
    return ids


def _copy_batch(
    cursor: Any,
    prepared: Sequence[_Prepared],
    todo: Sequence[int],
    ids: Sequence[int | None],
    posted_by_id: int | None,
) -> None:
    """COPY the new transactions (``todo``, with their ``ids``) and their postings."""
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


def employer_id_of(employer: Employer | int) -> int:
    return employer.pk if isinstance(employer, Employer) else int(employer)


# --- The set path ------------------------------------------------------------------------


class Transfer(NamedTuple):
    """One two-line transfer of :func:`post_transfers_set`: ``amount`` (positive cents)
    debited to ``debit_account`` and credited to ``credit_account``."""

    debit_account: int
    credit_account: int
    amount: Decimal
    idempotency_key: str
    employee_id: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    memo: str = ""
    reference: str = ""
    # An id taken beforehand from the transactions' sequence (:data:`TRANSACTION_ID_SEQUENCE`)
    # so that rows written before the posting can already point at it; None: a new id.
    transaction_id: int | None = None


# The sequence of ``vesting_transaction.id``, for :attr:`Transfer.transaction_id`.
TRANSACTION_ID_SEQUENCE = "pg_get_serial_sequence('vesting_transaction', 'id')"


# The transfers of one call, one row each, with their employer (from the debited account)
# and the payload hash of :func:`payload_hash` computed in SQL: the same canonical text
# (kind|date|employer|employee|"reference"|period start|period end|earned by|reverses|
# the two lines "account:direction:amount" sorted by code point, comma-separated).
_SET_LOAD = """
CREATE TEMPORARY TABLE ledger_transfer_set ON COMMIT DROP AS
SELECT v.ord, v.debit_account, v.credit_account, v.amount, v.employee_id, v.period_start,
       v.period_end, v.idempotency_key, v.memo, v.reference, v.transaction_id,
       fd.employer_id AS debit_employer, fc.employer_id AS credit_employer,
       encode(sha256(convert_to(concat_ws('|',
           %(kind)s::text, to_char(%(day)s::date, 'YYYY-MM-DD'), fd.employer_id::text,
           coalesce(v.employee_id::text, 'None'), v.reference_json,
           coalesce(to_char(v.period_start, 'YYYY-MM-DD'), ''),
           coalesce(to_char(v.period_end, 'YYYY-MM-DD'), ''), '', 'None',
           least(l.d, l.c) || ',' || greatest(l.d, l.c)), 'UTF8')), 'hex') AS payload_hash
  FROM unnest(%(debits)s::bigint[], %(credits)s::bigint[], %(amounts)s::numeric[],
              %(employees)s::bigint[], %(starts)s::date[], %(ends)s::date[], %(keys)s::text[],
              %(memos)s::text[], %(references)s::text[], %(reference_json)s::text[],
              %(transaction_ids)s::bigint[])
       WITH ORDINALITY AS v(debit_account, credit_account, amount, employee_id, period_start,
                            period_end, idempotency_key, memo, reference, reference_json,
                            transaction_id, ord)
  LEFT JOIN vesting_account ad ON ad.id = v.debit_account
  LEFT JOIN vesting_fund fd ON fd.id = ad.fund_id
  LEFT JOIN vesting_account ac ON ac.id = v.credit_account
  LEFT JOIN vesting_fund fc ON fc.id = ac.fund_id
 CROSS JOIN LATERAL (
       SELECT (v.debit_account || ':debit:' || v.amount::numeric(14, 2)) COLLATE "C" AS d,
              (v.credit_account || ':credit:' || v.amount::numeric(14, 2)) COLLATE "C" AS c
 ) l
"""

# The first thing wrong with the set, if anything: (position, what).
_SET_PROBLEM = """
SELECT ord, problem FROM (
SELECT ord, CASE
    WHEN debit_employer IS NULL OR credit_employer IS NULL THEN 'no such ledger account'
    WHEN debit_employer <> credit_employer
        THEN 'a ledger transaction moves money within one employer''s funds'
    WHEN amount IS NULL OR amount <= 0 THEN 'the amount must be more than zero'
    WHEN amount <> trunc(amount, 2)
        THEN 'enter dollars and cents: at most two digits after the decimal point'
    WHEN amount >= %(max)s THEN 'the amount is too large'
    WHEN idempotency_key IS NULL OR length(idempotency_key) NOT BETWEEN 1 AND 200
        THEN 'an idempotency key has 1 to 200 characters'
    WHEN length(memo) > 300 THEN 'the memo is limited to 300 characters'
    WHEN length(reference) > 100 THEN 'the reference is limited to 100 characters'
    WHEN period_start > period_end THEN 'the period cannot end before it starts'
    WHEN row_number() OVER (PARTITION BY idempotency_key ORDER BY ord) > 1
        THEN 'two transfers of the set have the same idempotency key'
    END AS problem
  FROM ledger_transfer_set
) checked
 WHERE problem IS NOT NULL
 ORDER BY ord
 LIMIT 1
"""

# The transfers whose key was posted before: (position, transaction, same payload?).
_SET_EXISTING = """
SELECT s.ord, t.id, t.payload_hash = s.payload_hash, t.kind, t.effective_date
  FROM ledger_transfer_set s JOIN vesting_transaction t ON t.idempotency_key = s.idempotency_key
"""

# The new transfers, each a transaction and its two postings, in ONE statement (the
# balance upkeep trigger runs once for it; the balance check once per transaction at
# commit). A key posted meanwhile by a concurrent caller is skipped (ON CONFLICT) and
# checked afterwards like a replay.
_SET_INSERT = """
WITH t AS (
    INSERT INTO vesting_transaction (
        id, employer_id, kind, effective_date, memo, reference, employee_id, period_start,
        period_end, earned_by, reverses_id, idempotency_key, payload_hash, posted_by_id,
        posted_at)
    SELECT coalesce(s.transaction_id, nextval(TRANSACTION_ID_SEQUENCE)),
           s.debit_employer, %(kind)s, %(day)s, s.memo, s.reference, s.employee_id,
           s.period_start, s.period_end, '', NULL, s.idempotency_key, s.payload_hash,
           %(posted_by)s, now()
      FROM ledger_transfer_set s
     WHERE NOT EXISTS (SELECT 1 FROM vesting_transaction x
                        WHERE x.idempotency_key = s.idempotency_key)
     ORDER BY s.ord
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, idempotency_key
), new AS (
    SELECT t.id, s.ord, s.debit_account, s.credit_account, s.amount
      FROM t JOIN ledger_transfer_set s ON s.idempotency_key = t.idempotency_key
), p AS (
    INSERT INTO vesting_posting (transaction_id, account_id, direction, amount, effective_date)
    SELECT n.id, x.account_id, x.direction, n.amount, %(day)s
      FROM new n
     CROSS JOIN LATERAL (VALUES (n.debit_account, 'debit'), (n.credit_account, 'credit'))
           AS x(account_id, direction)
)
SELECT ord, id FROM new
""".replace("TRANSACTION_ID_SEQUENCE", TRANSACTION_ID_SEQUENCE)


def post_transfers_set(
    *,
    kind: str,
    effective_date: date,
    transfers: Sequence[Transfer],
    posted_by: Any = None,
) -> list[int]:
    """Post many two-line transfers of one kind and date set-based: one statement loads
    them (with their payload hashes, computed in SQL), one checks them, one inserts every
    new transaction with its postings.

    The rules of :func:`post_transaction`, checked for the whole set before anything is
    written (an error names the transfer by its position, from 1): positive exact cents,
    both accounts of one employer, an idempotency key on every transfer, unique in the
    set. A transfer whose key was posted before with the same payload (the hash of
    :func:`payload_hash`) is skipped and its transaction returned; with another payload
    the whole set is refused (:class:`IdempotencyConflict`). Side accounts (R-VE5) are
    floored by the database's CHECK on the net change of the set (one date: the set is
    one moment of the ledger). A transfer may bring its transaction's id, taken
    beforehand from the sequence (rows written earlier in the same database transaction
    point at it; the foreign keys are checked at commit); a replay answers the id posted
    before instead. Returns the transaction ids in the order of ``transfers``.
    :func:`post_transactions_batch` remains the path for transactions of several kinds,
    dates or more than two lines.
    """
    if kind not in _KINDS:
        raise ValidationError({"kind": f"Unknown kind of ledger transaction: {kind!r}."})
    if not isinstance(effective_date, date) or hasattr(effective_date, "hour"):
        raise ValidationError({"effective_date": "The effective date must be a date."})
    if not transfers:
        return []
    if any(isinstance(t.amount, float | bool) for t in transfers):
        raise ValidationError(
            {"amount": "Amounts of money must be exact: pass a Decimal or a string, not a float."}
        )
    columns = list(zip(*transfers, strict=True))
    params = {
        "kind": str(kind),
        "day": effective_date,
        "debits": list(columns[0]),
        "credits": list(columns[1]),
        "amounts": [_exact(a) for a in columns[2]],
        "keys": list(columns[3]),
        "employees": list(columns[4]),
        "starts": list(columns[5]),
        "ends": list(columns[6]),
        "memos": list(columns[7]),
        "references": list(columns[8]),
        "reference_json": [json.dumps(r) for r in columns[8]],
        "transaction_ids": list(columns[9]),
        "max": MAX_AMOUNT,
        "posted_by": user_id_of(posted_by),
    }
    ids: list[int | None] = [None] * len(transfers)
    with db_transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.ledger_transfer_set")
        cursor.execute(_SET_LOAD, params)
        cursor.execute(_SET_PROBLEM, params)
        problem = cursor.fetchone()
        if problem and problem[1]:
            raise ValidationError(
                f"Transfer {problem[0]}: {problem[1][0].upper()}{problem[1][1:]}."
            )
        _set_replays(cursor, transfers, ids)
        if any(i is None for i in ids):
            try:
                with db_transaction.atomic():
                    cursor.execute(_SET_INSERT, params)
                    for ord_, new_id in cursor.fetchall():
                        ids[ord_ - 1] = new_id
            except IntegrityError as exc:
                if _constraint_name(exc) == "side_account_never_negative":
                    raise _set_negative_error(cursor) from exc
                raise
            if any(i is None for i in ids):  # posted meanwhile by a concurrent caller
                _set_replays(cursor, transfers, ids)
        cursor.execute("DROP TABLE pg_temp.ledger_transfer_set")
    return [int(i) for i in ids if i is not None]


def _exact(value: Any) -> Decimal:
    """An amount as an exact Decimal (its cents are checked in SQL), or a ValidationError."""
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": "Enter an amount of money, such as 125.50."}) from None


def _set_replays(cursor: Any, transfers: Sequence[Transfer], ids: list[int | None]) -> None:
    """Fill ``ids`` with the transactions of the keys posted before (same payload), or
    refuse the set (another payload)."""
    cursor.execute(_SET_EXISTING)
    for ord_, tx_id, same, kind, effective_date in cursor.fetchall():
        if not same:
            key = transfers[ord_ - 1].idempotency_key
            raise IdempotencyConflict(
                {
                    "idempotency_key": (
                        f"The idempotency key {key!r} was already used for transaction "
                        f"#{tx_id} ({TransactionKind(kind).label} of {effective_date}) with a "
                        "different payload. A retry must repeat the same operation; a new "
                        "operation needs a new key."
                    )
                },
                code="idempotency_conflict",
            )
        ids[ord_ - 1] = tx_id


def _set_negative_error(cursor: Any) -> ValidationError:
    """The first side account the set would take below zero, as a clerk reads it."""
    cursor.execute(
        """
        WITH change AS (
            SELECT x.account_id,
                   sum(CASE WHEN x.direction = a.normal_balance THEN s.amount
                            ELSE -s.amount END) AS change
              FROM ledger_transfer_set s
             CROSS JOIN LATERAL (VALUES (s.debit_account, 'debit'),
                                        (s.credit_account, 'credit')) AS x(account_id, direction)
              JOIN vesting_account a ON a.id = x.account_id
             GROUP BY x.account_id
        )
        SELECT b.account_id, b.balance, -c.change
          FROM change c JOIN vesting_accountbalance b ON b.account_id = c.account_id
         WHERE b.never_negative AND b.balance + c.change < 0
         ORDER BY b.account_id LIMIT 1
        """
    )
    row = cursor.fetchone()
    if row is None:
        return ValidationError(
            "A Vested Trust Fund side account can never go below zero.",
            code="insufficient_balance",
        )
    account = Account.objects.select_related("employee").get(pk=row[0])
    who = account.employee or "an employee"
    return ValidationError(
        f"The vested account of {who} holds {row[1]}; these transfers would take {row[2]} "
        "from it. A Vested Trust Fund side account can never go below zero.",
        code="insufficient_balance",
    )
