"""Reads of the ledger: balances (now or as of a date), statements, transactions, checks.

Balances are derived from postings (R-FU3) through the tables the posting trigger keeps
in the same database transaction (``vesting.models``): the current balance per account
(``AccountBalance``) and the net change per account and per fund per effective date
(``AccountDayTotal``, ``FundDayTotal``). A balance as of a date is the sum of the day
totals up to that date, so a read costs one row per day with activity, never one per
posting. :func:`balances_check` recomputes all of them from the postings.

Every balance is read on the account's normal side (sign convention in
``vesting.models``): money held by the plan's funds, paid in by sources, paid out to
payees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Employer
from accounts.rules import policy_year_of, policy_year_start
from staywell.money import ZERO
from staywell.roles import LEDGER_VIEW_ROLES, has_role
from vesting.models import (
    PLAN_FUNDS,
    Account,
    AccountBalance,
    AccountDayTotal,
    Direction,
    Fund,
    FundDayTotal,
    FundKind,
    FundKindMonthTotal,
    FundMonthTotal,
    MonthClose,
    Posting,
    Transaction,
    TransactionKind,
)

__all__ = [
    "FundWarning",
    "StatementRange",
    "account_balance",
    "account_statement",
    "accounts_with_balances",
    "balances_check",
    "employer_fund_balances",
    "fund_balance",
    "fund_balances_by_employer",
    "fund_overview",
    "funds_with_balances",
    "ledger_viewer",
    "month_closes",
    "negative_fund_warnings",
    "pool_fund_balances",
    "statement_range",
    "transaction_detail",
    "transactions",
]

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


def ledger_viewer(user: Any) -> bool:
    """Who may see funds, statements and transactions: staff, never an employee."""
    return has_role(user, *LEDGER_VIEW_ROLES)


def _empty_kinds() -> dict[str, Decimal]:
    return {kind: ZERO for kind in FundKind.values}


# --- Balances -----------------------------------------------------------------------------


def account_balance(account: Account | int, as_of: date | None = None) -> Decimal:
    """Balance of an account (normal side), now or at the end of ``as_of``."""
    account_id = account if isinstance(account, int) else account.pk
    if as_of is None:
        value = (
            AccountBalance.objects.filter(account_id=account_id)
            .values_list("balance", flat=True)
            .first()
        )
    else:
        value = AccountDayTotal.objects.filter(account_id=account_id, day__lte=as_of).aggregate(
            total=Sum("net_change")
        )["total"]
    return value if value is not None else ZERO


def fund_balance(fund: Fund | int, as_of: date | None = None) -> Decimal:
    """Balance of a fund (the sum of its accounts), now or at the end of ``as_of``."""
    fund_id = fund if isinstance(fund, int) else fund.pk
    if as_of is None:
        current = AccountBalance.objects.filter(account__fund_id=fund_id)
        return current.aggregate(total=Sum("balance"))["total"] or ZERO
    rows = FundDayTotal.objects.filter(fund_id=fund_id, day__lte=as_of)
    return rows.aggregate(total=Sum("net_change"))["total"] or ZERO


def _fund_rows(
    as_of: date | None, employer_id: int | None, group: list[str]
) -> list[tuple[Any, ...]]:
    """Balances grouped by fund columns, as ``(*group values, total)``: current ones from
    the accounts' balances; past ones from the funds' month totals for the months before
    ``as_of``'s and the day totals of its month up to it (a few rows per fund and month,
    not one per day of its life)."""
    if as_of is None:
        parts: list[tuple[QuerySet[Any], str, str]] = [
            (AccountBalance.objects.all(), "account__fund__", "balance")
        ]
    else:
        month = as_of.replace(day=1)
        parts = [
            (FundMonthTotal.objects.filter(month__lt=month), "fund__", "net_change"),
            (FundDayTotal.objects.filter(day__gte=month, day__lte=as_of), "fund__", "net_change"),
        ]
    totals: dict[tuple[Any, ...], Decimal] = defaultdict(lambda: ZERO)
    for rows, prefix, amount in parts:
        if employer_id is not None:
            rows = rows.filter(**{f"{prefix}employer_id": employer_id})
        for *key, total in (
            rows.values_list(*[prefix + name for name in group])
            .annotate(total=Sum(amount))
            .order_by()
        ):
            totals[tuple(key)] += total
    return [(*key, total) for key, total in totals.items()]


def fund_balances_by_employer(
    *, as_of: date | None = None, employer_id: int | None = None
) -> dict[int, dict[str, Decimal]]:
    """``{employer id: {fund kind: balance}}`` for every employer with funds: one query
    (two for a past date)."""
    result: dict[int, dict[str, Decimal]] = defaultdict(_empty_kinds)
    for owner, kind, total in _fund_rows(as_of, employer_id, ["employer_id", "kind"]):
        result[owner][kind] = total
    return dict(result)


def employer_fund_balances(employer_id: int, as_of: date | None = None) -> dict[str, Decimal]:
    """``{fund kind: balance}`` of one employer (every kind, zero when unused)."""
    return fund_balances_by_employer(as_of=as_of, employer_id=employer_id).get(
        employer_id, _empty_kinds()
    )


def pool_fund_balances(as_of: date | None = None) -> dict[str, Decimal]:
    """``{fund kind: balance}`` summed over every employer of the pool."""
    result = _empty_kinds()
    for kind, total in _fund_rows(as_of, None, ["kind"]):
        result[kind] = total
    return result


def accounts_with_balances(fund: Fund | None, as_of: date | None = None) -> QuerySet[Account]:
    """The accounts of a fund (of every fund: ``None``), each annotated with ``balance``
    (now or at the end of ``as_of``)."""
    accounts = Account.objects.select_related("employee", "fund")
    if fund is not None:
        accounts = accounts.filter(fund=fund)
    if as_of is None:
        balance = Subquery(
            AccountBalance.objects.filter(account_id=OuterRef("pk")).values("balance")[:1],
            output_field=MONEY_FIELD,
        )
    else:
        balance = Subquery(
            AccountDayTotal.objects.filter(account_id=OuterRef("pk"), day__lte=as_of)
            .values("account_id")
            .annotate(total=Sum("net_change"))
            .values("total")[:1],
            output_field=MONEY_FIELD,
        )
    return accounts.annotate(balance=Coalesce(balance, Value(ZERO), output_field=MONEY_FIELD))


def funds_with_balances(
    *, as_of: date | None = None, employer_id: int | None = None
) -> QuerySet[Fund]:
    """Funds annotated with ``balance`` (now or at the end of ``as_of``)."""
    funds = Fund.objects.select_related("employer").order_by("employer__name", "kind")
    if employer_id is not None:
        funds = funds.filter(employer_id=employer_id)
    if as_of is None:
        balance = Subquery(
            AccountBalance.objects.filter(account__fund_id=OuterRef("pk"))
            .values("account__fund_id")
            .annotate(total=Sum("balance"))
            .values("total")[:1],
            output_field=MONEY_FIELD,
        )
    else:
        balance = Subquery(
            FundDayTotal.objects.filter(fund_id=OuterRef("pk"), day__lte=as_of)
            .values("fund_id")
            .annotate(total=Sum("net_change"))
            .values("total")[:1],
            output_field=MONEY_FIELD,
        )
    return funds.annotate(balance=Coalesce(balance, Value(ZERO), output_field=MONEY_FIELD))


# --- Statements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementRange:
    date_from: date
    date_to: date


def statement_range(
    account: Account, date_from: date | None = None, date_to: date | None = None
) -> StatementRange:
    """The dates a statement covers. Decision: by default the policy year (R-PY1) of the
    account's latest entry, up to that entry, so a statement opens on recent activity and
    stays one year long however old the account."""
    if date_to is None:
        latest = Posting.objects.filter(account=account).aggregate(d=Max("effective_date"))["d"]
        date_to = latest or date.today()  # noqa: DTZ011 - a calendar date, local by design
    if date_from is None:
        date_from = policy_year_start(policy_year_of(date_to))
    return StatementRange(date_from, date_to)


def account_statement(
    account: Account,
    date_from: date | None = None,
    date_to: date | None = None,
    kind: str | None = None,
) -> tuple[Decimal, QuerySet[Posting]]:
    """An account's entries in a date range with a running balance after each entry.

    Returns ``(opening balance, postings)``. Each posting is annotated with
    ``signed_amount`` (+ raises the balance, - lowers it, normal side) and
    ``running_balance`` (the account's balance after the entry, a window function over
    every entry of the range). The ``kind`` filter keeps the running balance of the
    whole account: it hides rows, it does not recompute the balance.
    """
    opening = account_balance(account, as_of=date_from - timedelta(days=1)) if date_from else ZERO
    signed = Case(
        When(direction=account.normal_balance, then=F("amount")),
        default=-F("amount"),
        output_field=MONEY_FIELD,
    )
    postings = Posting.objects.filter(account=account)
    if date_from:
        postings = postings.filter(effective_date__gte=date_from)
    if date_to:
        postings = postings.filter(effective_date__lte=date_to)
    order = [F("effective_date").asc(), F("transaction_id").asc(), F("id").asc()]
    postings = postings.select_related("transaction", "transaction__employee").annotate(
        signed_amount=signed,
        running_balance=Window(Sum(signed), order_by=order)
        + Value(opening, output_field=MONEY_FIELD),
    )
    if kind:
        # Filtering on a window expression is applied outside the window (Django wraps
        # the query), so the kind filter does not change the running balances.
        postings = postings.annotate(
            entry_kind=Window(Max("transaction__kind"), partition_by=[F("id")])
        ).filter(entry_kind=kind)
    return opening, postings.order_by(*order)


# --- Transactions and month closes --------------------------------------------------------


def transaction_detail(transaction_id: int) -> Transaction:
    """A transaction with its postings, cause and reversal (raises DoesNotExist)."""
    return (
        Transaction.objects.select_related(
            "employer", "employee", "posted_by", "reverses", "reversed_by", "month_close"
        )
        .prefetch_related("postings__account__fund", "postings__account__employee")
        .get(pk=transaction_id)
    )


def transactions(
    *, employer_id: int | None = None, kind: str | None = None, employee_id: int | None = None
) -> QuerySet[Transaction]:
    """Ledger transactions, latest first, with what their list and detail show."""
    queryset = Transaction.objects.select_related("reversed_by").prefetch_related(
        "postings__account__fund", "postings__account__employee"
    )
    if employer_id is not None:
        queryset = queryset.filter(employer_id=employer_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    if employee_id is not None:
        queryset = queryset.filter(employee_id=employee_id)
    return queryset.order_by("-effective_date", "-id")


def month_closes(employer_id: int | None = None) -> QuerySet[MonthClose]:
    closes = MonthClose.objects.select_related("employer", "closed_by", "transaction")
    if employer_id is not None:
        closes = closes.filter(employer_id=employer_id)
    return closes.order_by("employer__name", "-year", "-month")


def employers() -> QuerySet[Employer]:
    return Employer.objects.order_by("name")


def plan_fund_total(balances: dict[str, Decimal]) -> Decimal:
    return sum((balances[kind] for kind in PLAN_FUNDS), ZERO)


# --- The check ----------------------------------------------------------------------------

_CHECKS = {
    "unbalanced transaction": """
        SELECT t.id, count(p.id),
               coalesce(sum(CASE WHEN p.direction = 'debit' THEN p.amount ELSE -p.amount END), 0)
          FROM vesting_transaction t LEFT JOIN vesting_posting p ON p.transaction_id = t.id
         GROUP BY t.id
        HAVING count(p.id) < 2
            OR coalesce(sum(CASE WHEN p.direction = 'debit' THEN p.amount ELSE -p.amount END), 0) <> 0
    """,
    "account balance": """
        WITH computed AS (
            SELECT a.id AS account_id,
                   coalesce(sum(CASE WHEN p.direction = a.normal_balance THEN p.amount
                                     ELSE -p.amount END), 0) AS balance
              FROM vesting_account a LEFT JOIN vesting_posting p ON p.account_id = a.id
             GROUP BY a.id
        )
        SELECT c.account_id, c.balance, b.balance
          FROM computed c LEFT JOIN vesting_accountbalance b ON b.account_id = c.account_id
         WHERE c.balance <> coalesce(b.balance, 0)
    """,
    "account day total": """
        WITH computed AS (
            SELECT p.account_id, p.effective_date AS day,
                   sum(CASE WHEN p.direction = a.normal_balance THEN p.amount ELSE -p.amount END)
                       AS net_change
              FROM vesting_posting p JOIN vesting_account a ON a.id = p.account_id
             GROUP BY p.account_id, p.effective_date
        )
        SELECT coalesce(c.account_id, d.account_id), coalesce(c.day, d.day),
               coalesce(c.net_change, 0), coalesce(d.net_change, 0)
          FROM computed c
          FULL JOIN vesting_accountdaytotal d ON d.account_id = c.account_id AND d.day = c.day
         WHERE coalesce(c.net_change, 0) <> coalesce(d.net_change, 0)
    """,
    "fund day total": """
        WITH computed AS (
            SELECT a.fund_id, p.effective_date AS day,
                   sum(CASE WHEN p.direction = a.normal_balance THEN p.amount ELSE -p.amount END)
                       AS net_change
              FROM vesting_posting p JOIN vesting_account a ON a.id = p.account_id
             GROUP BY a.fund_id, p.effective_date
        )
        SELECT coalesce(c.fund_id, d.fund_id), coalesce(c.day, d.day),
               coalesce(c.net_change, 0), coalesce(d.net_change, 0)
          FROM computed c
          FULL JOIN vesting_funddaytotal d ON d.fund_id = c.fund_id AND d.day = c.day
         WHERE coalesce(c.net_change, 0) <> coalesce(d.net_change, 0)
    """,
    "fund month total": """
        WITH computed AS (
            SELECT a.fund_id, date_trunc('month', p.effective_date)::date AS month,
                   sum(CASE WHEN p.direction = a.normal_balance THEN p.amount ELSE -p.amount END)
                       AS net_change
              FROM vesting_posting p JOIN vesting_account a ON a.id = p.account_id
             GROUP BY 1, 2
        )
        SELECT coalesce(c.fund_id, m.fund_id), coalesce(c.month, m.month),
               coalesce(c.net_change, 0), coalesce(m.net_change, 0)
          FROM computed c
          FULL JOIN vesting_fundmonthtotal m ON m.fund_id = c.fund_id AND m.month = c.month
         WHERE coalesce(c.net_change, 0) <> coalesce(m.net_change, 0)
    """,
    "fund kind month total": """
        WITH computed AS (
            SELECT a.fund_id, date_trunc('month', p.effective_date)::date AS month, t.kind,
                   sum(CASE WHEN p.direction = a.normal_balance THEN p.amount ELSE -p.amount END)
                       AS net_change
              FROM vesting_posting p
              JOIN vesting_account a ON a.id = p.account_id
              JOIN vesting_transaction t ON t.id = p.transaction_id
             GROUP BY 1, 2, 3
        )
        SELECT coalesce(c.fund_id, k.fund_id), coalesce(c.month, k.month),
               coalesce(c.kind, k.kind), coalesce(c.net_change, 0), coalesce(k.net_change, 0)
          FROM computed c
          FULL JOIN vesting_fundkindmonthtotal k
            ON k.fund_id = c.fund_id AND k.month = c.month AND k.kind = c.kind
         WHERE coalesce(c.net_change, 0) <> coalesce(k.net_change, 0)
    """,
    "trust claim total": """
        WITH computed AS (
            SELECT p.account_id, t.employee_id,
                   (extract(year FROM t.period_start)
                    - CASE WHEN extract(month FROM t.period_start) < 7 THEN 1 ELSE 0 END)
                       AS policy_year,
                   sum(CASE WHEN p.direction = 'credit' THEN p.amount ELSE -p.amount END)
                       AS paid
              FROM vesting_posting p
              JOIN vesting_transaction t ON t.id = p.transaction_id
              JOIN vesting_account a ON a.id = p.account_id
              JOIN vesting_fund f ON f.id = a.fund_id
             WHERE f.kind = 'general_trust' AND a.employee_id IS NULL
               AND t.employee_id IS NOT NULL AND t.period_start IS NOT NULL
               AND (t.kind = 'claim_payment'
                    OR (t.kind = 'reversal'
                        AND EXISTS (SELECT 1 FROM vesting_transaction o
                                     WHERE o.id = t.reverses_id AND o.kind = 'claim_payment')))
             GROUP BY 1, 2, 3
        )
        SELECT coalesce(c.account_id, m.account_id), coalesce(c.employee_id, m.employee_id),
               coalesce(c.policy_year, m.policy_year), coalesce(c.paid, 0), coalesce(m.paid, 0)
          FROM computed c
          FULL JOIN vesting_trustclaimtotal m
            ON m.account_id = c.account_id AND m.employee_id = c.employee_id
           AND m.policy_year = c.policy_year
         WHERE coalesce(c.paid, 0) <> coalesce(m.paid, 0)
    """,
    "negative side account": """
        SELECT b.account_id, b.balance FROM vesting_accountbalance b
          JOIN vesting_account a ON a.id = b.account_id
         WHERE a.never_negative AND b.balance < 0
    """,
    "postings do not sum to zero": """
        SELECT sum(CASE WHEN direction = 'debit' THEN amount ELSE -amount END)
          FROM vesting_posting
        HAVING coalesce(sum(CASE WHEN direction = 'debit' THEN amount ELSE -amount END), 0) <> 0
    """,
}


def balances_check() -> list[str]:
    """Recompute every balance from the postings and list each disagreement (R-FU3).

    Empty means: every transaction balances with at least two postings, all postings
    sum to zero, and every maintained balance, day and month total equals its postings.
    """
    problems: list[str] = []
    with connection.cursor() as cursor:
        for label, sql in _CHECKS.items():
            cursor.execute(sql)
            for row in cursor.fetchmany(100):
                problems.append(f"{label}: {', '.join(str(v) for v in row)}")
    return problems


# --- Page data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EmployerFunds:
    employer: Employer
    balances: dict[str, Decimal]  # fund kind -> balance
    fund_ids: dict[str, int]  # fund kind -> Fund id (for links)

    @property
    def held(self) -> Decimal:
        return plan_fund_total(self.balances)


def fund_overview(*, as_of: date | None = None, employer_id: int | None = None) -> dict[str, Any]:
    """Fund balances of each employer (of one, with ``employer_id``) and the pool's: three
    queries whatever the number of employers."""
    employer_list = list(employers() if employer_id is None else employers().filter(pk=employer_id))
    balances = fund_balances_by_employer(as_of=as_of, employer_id=employer_id)
    funds = (
        Fund.objects.all() if employer_id is None else Fund.objects.filter(employer_id=employer_id)
    )
    fund_ids: dict[int, dict[str, int]] = defaultdict(dict)
    for fund_id, owner, kind in funds.values_list("id", "employer_id", "kind"):
        fund_ids[owner][kind] = fund_id
    rows = [
        EmployerFunds(e, balances.get(e.pk, _empty_kinds()), fund_ids.get(e.pk, {}))
        for e in employer_list
    ]
    pool = _empty_kinds()
    for row in rows:
        for kind, value in row.balances.items():
            pool[kind] += value
    return {"rows": rows, "pool": pool, "pool_held": plan_fund_total(pool)}


# --- Funds below zero ---------------------------------------------------------------------

# What each kind of transaction did to a fund, as a warning names it.
MOVEMENT_NAMES = {
    TransactionKind.EMPLOYER_CONTRIBUTION: "contributions",
    TransactionKind.CLAIM_PAYMENT: "claims paid",
    TransactionKind.VESTING_TRANSFER: "amounts vested",
    TransactionKind.UNVESTED_TRANSFER: "unvested transfers",
    TransactionKind.RUNOUT_RECOVERY: "run-out recoveries",
    TransactionKind.LUMP_SUM_PAYOUT: "lump sums paid",
    TransactionKind.CONTINUATION_PREMIUM: "continuation premiums paid",
    TransactionKind.BENEFICIARY_PAYMENT: "beneficiary payments",
    TransactionKind.INTEREST: "interest earned",
    TransactionKind.ADMINISTRATIVE_EXPENSE: "administrative expenses",
    TransactionKind.REVERSAL: "reversals",
    TransactionKind.GO_LIVE: "amounts carried in at go-live",
    TransactionKind.OVERPAYMENT: "overpayments",
}


@dataclass(frozen=True)
class FundWarning:
    """A plan fund below zero and why, worked out from its entries."""

    employer: Employer
    kind: str  # FundKind of the fund below zero
    balance: Decimal  # dollars, below zero
    reason: str  # a sentence

    @property
    def fund_name(self) -> str:
        return str(FundKind(self.kind).label)


def _movements(fund_ids: list[int], as_of: date | None, month: date) -> dict[int, Any]:
    """``{fund id: {(transaction kind, in the month of as_of): signed amount}}``: what each
    kind of entry added (+) to or took (-) from the fund, from the totals per fund, month
    and kind (``FundKindMonthTotal``, a few rows per month). The month of ``as_of`` is
    read from its postings up to ``as_of`` (the account and date index) only when a
    posting of these funds is dated after ``as_of`` in that month."""
    result: dict[int, Any] = defaultdict(lambda: defaultdict(lambda: ZERO))
    totals = FundKindMonthTotal.objects.filter(fund_id__in=fund_ids)
    next_month = (month + timedelta(days=31)).replace(day=1)
    later_in_month = (
        as_of is not None
        and FundDayTotal.objects.filter(
            fund_id__in=fund_ids, day__gt=as_of, day__lt=next_month
        ).exists()
    )
    if as_of is not None:
        totals = totals.filter(month__lt=month if later_in_month else next_month)
    this_month = ExpressionWrapper(Q(month__gte=month), output_field=BooleanField())
    for fund_id, kind, now, total in (
        totals.annotate(now=this_month)
        .values_list("fund_id", "kind", "now")
        .annotate(total=Sum("net_change"))
        .order_by()
    ):
        result[fund_id][(kind, now)] += total
    if later_in_month:
        postings = Posting.objects.filter(
            account__fund_id__in=fund_ids, effective_date__gte=month, effective_date__lte=as_of
        )
        for fund_id, kind, direction, total in (
            postings.values_list("account__fund_id", "transaction__kind", "direction")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            sign = 1 if direction == Direction.DEBIT else -1  # the plan funds are debit-normal
            result[fund_id][(kind, True)] += sign * total
    return result


def _amounts(parts: list[tuple[str, Decimal]]) -> str:
    return ", ".join(f"{MOVEMENT_NAMES.get(kind, kind)} {value:,.2f}" for kind, value in parts)


def _reason(kind: str, moves: dict[Any, Decimal], month: date, month_closed: bool) -> str:
    """Why a fund is below zero: claims paid ahead of the month's contributions, or what
    went out against what came in."""
    in_month = {k: v for (k, now), v in moves.items() if now}
    before = sum((v for (_, now), v in moves.items() if not now), ZERO)
    claims = -in_month.get(TransactionKind.CLAIM_PAYMENT, ZERO)
    contributed = in_month.get(TransactionKind.EMPLOYER_CONTRIBUTION, ZERO)
    if kind == FundKind.GENERAL_TRUST and before >= ZERO and claims > ZERO:
        if not month_closed:
            return (
                f"Claims paid in {month:%B %Y} ({claims:,.2f}) are ahead of the month's "
                f"contributions: {month:%B} is not closed yet, and closing it posts them."
            )
        return (
            f"Claims paid in {month:%B %Y} ({claims:,.2f}) are more than the month's "
            f"contributions ({contributed:,.2f}) and the balance it began with ({before:,.2f})."
        )
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (tx_kind, _), value in moves.items():
        totals[tx_kind] += value
    out = sorted(((k, -v) for k, v in totals.items() if v < ZERO), key=lambda kv: -kv[1])
    came_in = sorted(((k, v) for k, v in totals.items() if v > ZERO), key=lambda kv: -kv[1])
    if not came_in:
        return f"More has gone out ({_amounts(out)}) than has come in (nothing yet)."
    return f"More has gone out ({_amounts(out)}) than has come in ({_amounts(came_in)})."


def negative_fund_warnings(
    *, as_of: date | None = None, employer_id: int | None = None, today: date | None = None
) -> list[FundWarning]:
    """Each plan fund below zero (of one employer, or of every employer), with the reason
    its entries give. One balance query; two more only when a fund is below zero."""
    balances = fund_balances_by_employer(as_of=as_of, employer_id=employer_id)
    below = {
        (owner, kind): value
        for owner, kinds in balances.items()
        for kind, value in kinds.items()
        if kind in PLAN_FUNDS and value < ZERO
    }
    if not below:
        return []
    month = (as_of or today or timezone.localdate()).replace(day=1)
    funds = {
        (f.employer_id, f.kind): f
        for f in Fund.objects.select_related("employer").filter(
            employer_id__in={owner for owner, _ in below}
        )
    }
    moves = _movements([funds[key].pk for key in below], as_of, month)
    closed = set(
        MonthClose.objects.filter(
            employer_id__in={owner for owner, _ in below}, year=month.year, month=month.month
        ).values_list("employer_id", flat=True)
    )
    return [
        FundWarning(
            employer=funds[key].employer,
            kind=key[1],
            balance=value,
            reason=_reason(key[1], moves[funds[key].pk], month, key[0] in closed),
        )
        for key, value in sorted(
            below.items(), key=lambda kv: (funds[kv[0]].employer.name, kv[0][1])
        )
    ]
