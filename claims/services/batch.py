"""Many claims entered at once (the CSV and 835 imports): what :func:`claim_enter` does
for each claim, in the order given, with the reads and writes made set-based.

For each claim, exactly as :func:`claims.services.claim_enter` with ``confirm_duplicate``:
the input checked (``claim_validate_many``: the same checks, one query for all), the dates
(``entry_dates``), the payee (``payee_for_provider``), the family's year locked, a possible
duplicate recorded (``duplicate_of``: the earliest match, among the claims entered before
and the batch's earlier ones), the split (``adjudicate``) with what the family absorbed
before it (the earlier claims of the batch included), the trust fund's share paid to the
payee's ledger account, the carrier's forwarded, the audit events, the family's totals,
and a run-out payment handed to the R-CL6 hook. Set-based:

1. one query checks every claim's family, tier and plan year;
2. one statement creates the missing family years, one locks them all (in id order, the
   order every other writer locks a family in: no deadlock);
3. one query finds the duplicates among the claims entered before (each claim looked up
   on the indexes, never a scan of every claim);
4. the splits are computed in Python, claim after claim (``claims.rules``), each claim
   built as plain column values (``entry.claim_columns``), not a model instance;
5. the trust-fund payments go to the ledger in one call
   (``vesting.ledger.post_transfers_set``: every rule of a single posting, its triggers
   keeping the balances), each with the transaction id taken beforehand;
6. one statement each inserts the claims, their ledger entries and their events, and
   updates the families' totals.

The statements take their values as arrays, one per column, sent in PostgreSQL's binary
format (``%(name)b``) through ``staywell.db.prepared_rows``: a chunk's arrays are
encoded several times faster than as quoted text.

All in the caller's transaction: a refusal (a bad claim, a claim number taken meanwhile)
raises ``ValidationError`` naming the claim by its position and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.rules import policy_year_end
from claims.models import Claim, ClaimEvent
from claims.rules import ClaimSplit
from claims.services.checking import (
    ClaimFields,
    acting_user,
    adjudicate,
    claim_validate_many,
)
from claims.services.dates import entry_dates
from claims.services.entry import (
    claim_columns,
    claim_memo,
    entered_event,
    runout_hook,
    split_events,
)
from claims.services.payees import payee_for_provider
from claims.services.values import ClaimDraft
from staywell.batching import cyclic_gc_paused
from staywell.db import prepared_rows
from staywell.money import ZERO
from vesting import ledger
from vesting.models import TransactionKind


class BatchClaimError(ValidationError):
    """A claim of the batch refused; ``index`` is its position (from 0)."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class BatchClaim:
    """One claim of a batch, as the import checked it."""

    employee: int  # the employee named (the family, unless R-EL11 moves it)
    patient: int | None  # a dependent's id, or None: the employee
    date_of_service: date
    provider: str
    admin_claim_number: str
    billed: Decimal | str
    allowed: Decimal | str
    received_on: date | None = None
    service_category: str = ""  # checked by the import (``claims.rules.parse_service_category``)


@dataclass
class _Entry:
    """A claim of the batch on its way in."""

    draft: ClaimDraft
    received_on: date
    paid_on: date
    row: dict[str, Any] = field(default_factory=dict)  # the claim's columns, once split
    split: ClaimSplit | None = None
    events: list[tuple[str, str]] = field(default_factory=list)
    transaction_id: int | None = None
    account_id: int | None = None
    service_category: str = ""


def _checked(claims: Sequence[BatchClaim], today: date) -> list[_Entry]:
    """Every claim checked like ``claim_enter`` checks one; the first refusal raises."""
    fields = [
        ClaimFields(
            c.employee,
            c.patient,
            c.date_of_service,
            c.provider,
            c.admin_claim_number,
            c.billed,
            c.allowed,
        )
        for c in claims
    ]
    closed: dict[tuple[int, date], bool] = {}

    def is_closed(employer_id: int, day: date) -> bool:
        if (employer_id, day) not in closed:
            closed[employer_id, day] = ledger.month_is_closed(employer_id, day)
        return closed[employer_id, day]

    entries: list[_Entry] = []
    for index, (claim, answer) in enumerate(
        zip(claims, claim_validate_many(fields, today=today), strict=True)
    ):
        try:
            if isinstance(answer, ValidationError):
                raise answer
            received, paid = entry_dates(
                employer_id=answer.policyholder.employer_id,
                date_of_service=answer.date_of_service,
                received_on=claim.received_on,
                paid_on=None,
                today=today,
                is_closed=is_closed,
            )
        except ValidationError as exc:
            raise BatchClaimError(
                f"Claim {index + 1} ({claim.admin_claim_number}): {'; '.join(exc.messages)}",
                index,
            ) from exc
        entries.append(_Entry(answer, received, paid, service_category=claim.service_category))
    return entries


_LOCK_MANY_SQL = """
WITH wanted AS (
    SELECT DISTINCT * FROM unnest(%(employees)s::bigint[], %(years)s::int[]) AS w(e, y)
), created AS (
    INSERT INTO claims_familyyear (employee_id, policy_year, absorbed, trust_fund_paid,
                                   employee_paid, carrier_paid, claim_count, updated_at)
    SELECT e, y, 0, 0, 0, 0, 0, now() FROM wanted
    ON CONFLICT (employee_id, policy_year) DO NOTHING
)
SELECT 1
"""
_LOCKED_SQL = """
SELECT f.id, f.employee_id, f.policy_year, f.absorbed
  FROM claims_familyyear f
  JOIN unnest(%(employees)b::bigint[], %(years)b::int[]) AS w(e, y)
    ON f.employee_id = w.e AND f.policy_year = w.y
 ORDER BY f.id
   FOR UPDATE OF f
"""


def _lock_families(entries: Sequence[_Entry]) -> dict[tuple[int, int], tuple[int, Decimal]]:
    """(policyholder, year) -> (family year id, absorbed), created if new, locked."""
    pairs = sorted({(e.draft.policyholder.pk, e.draft.policy_year) for e in entries})
    params = {"employees": [p[0] for p in pairs], "years": [p[1] for p in pairs]}
    # Through Django's cursor: under a request's history context (pghistory's, which its
    # cursor sets for the transaction) the claims' history rows written after it name it.
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_MANY_SQL, params)
    return {(e, y): (pk, absorbed) for pk, e, y, absorbed in prepared_rows(_LOCKED_SQL, params)}


# For each claim, the earliest match by each rule, each looked up on its index (the claim
# number; the family and day, ``claim_family_year_idx``): a join of the batch with every
# claim would scan them all, and the claims grow with every import.
_DUPLICATES_MANY_SQL = """
SELECT q.ord, LEAST(
    (SELECT min(c.id) FROM claims_claim c WHERE c.admin_claim_number = q.number),
    (SELECT min(c.id) FROM claims_claim c
      WHERE c.employee_id = q.employee_id AND c.date_of_service = q.day
        AND c.allowed = q.allowed AND UPPER(c.provider) = UPPER(q.provider)
        AND c.status <> 'voided')
)
  FROM unnest(%(ords)b::int[], %(numbers)b::text[], %(employees)b::bigint[],
              %(days)b::date[], %(allowed)b::numeric[], %(providers)b::text[])
       AS q(ord, number, employee_id, day, allowed, provider)
"""


def _duplicates(entries: Sequence[_Entry], ids: Sequence[int]) -> dict[int, int]:
    """Position -> the earliest claim it looks like (``find_duplicates``'s two rules):
    entered before, else an earlier claim of the batch."""
    drafts = [e.draft for e in entries]
    params = {
        "ords": list(range(len(drafts))),
        "numbers": [d.admin_claim_number for d in drafts],
        "employees": [d.policyholder.pk for d in drafts],
        "days": [d.date_of_service for d in drafts],
        "allowed": [d.allowed for d in drafts],
        "providers": [d.provider for d in drafts],
    }
    found = {
        ord_: match
        for ord_, match in prepared_rows(_DUPLICATES_MANY_SQL, params)
        if match is not None
    }
    first_of: dict[tuple[Any, ...], int] = {}
    for index, draft in enumerate(drafts):
        key = (draft.policyholder.pk, draft.date_of_service, draft.allowed, draft.provider.upper())
        if index not in found and key in first_of:
            found[index] = first_of[key]
        first_of.setdefault(key, ids[index])
    return found


def _next_ids(table: str, count: int) -> list[int]:
    """``count`` ids taken from the table's sequence (so rows can name each other)."""
    if count == 0:
        return []
    rows = prepared_rows(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [table, count],
    )
    return [row[0] for row in rows]


def _split_all(
    entries: Sequence[_Entry],
    families: dict[tuple[int, int], tuple[int, Decimal]],
    context: dict[str, Any],
) -> None:
    """Each claim split in order with what its family absorbed before it (the batch's
    earlier claims included), and built as ``claim_enter`` builds it (its columns and
    audit events)."""
    ids, duplicates, payees = context["ids"], context["duplicates"], context["payees"]
    source, user = context["source"], context["user"]
    absorbed = {key: value[1] for key, value in families.items()}
    for index, entry in enumerate(entries):
        draft = entry.draft
        key = (draft.policyholder.pk, draft.policy_year)
        split = adjudicate(draft, absorbed[key])
        absorbed[key] += split.absorbed
        row = claim_columns(
            draft,
            split,
            claim_id=ids[index],
            family_year_id=families[key][0],
            duplicate_of_id=duplicates.get(index),
            source=source,
            user_id=user.pk if user is not None else None,
            now=context["now"],
            received_on=entry.received_on,
        )
        row["payee_id"], row["service_category"] = payees[draft.provider].pk, entry.service_category
        row["paid_on"] = row["payment_transaction_id"] = None
        events = [entered_event(draft, source=source, duplicate_of_id=row["duplicate_of_id"])]
        if split.denied:
            events.append((ClaimEvent.Action.DENIED, split.denied_reason or ""))
        else:
            if split.trust_fund > ZERO:
                row["paid_on"] = entry.paid_on
            events.extend(split_events(draft, split))
        entry.row, entry.split, entry.events = row, split, events


def _pay(entries: Sequence[_Entry], payees: dict[str, Any], user: Any) -> None:
    """The trust fund's shares, one set of ledger transfers per date paid."""
    paying = [e for e in entries if e.split is not None and e.split.trust_fund > ZERO]
    tx_ids = _next_ids("vesting_transaction", len(paying))
    pairs = [
        (e.row["employer_id"], " ".join(payees[e.draft.provider].name.split())) for e in paying
    ]
    accounts = ledger.claim_payment_accounts(pairs)
    by_day: dict[date, list[ledger.Transfer]] = defaultdict(list)
    for entry, tx_id, pair in zip(paying, tx_ids, pairs, strict=True):
        row, split = entry.row, entry.split
        assert split is not None and row["paid_on"] is not None
        trust, entry.account_id = accounts[pair]
        entry.transaction_id = tx_id
        row["payment_transaction_id"] = tx_id
        by_day[row["paid_on"]].append(
            ledger.Transfer(
                debit_account=entry.account_id,
                credit_account=trust,
                amount=split.trust_fund,
                idempotency_key=f"claim:{row['id']}:pay",
                employee_id=row["employee_id"],
                period_start=row["date_of_service"],
                period_end=row["date_of_service"],
                memo=claim_memo(
                    "Payment of", row["id"], row["admin_claim_number"], row["patient_name"]
                ),
                reference=f"claim {row['id']}",
                transaction_id=tx_id,
            )
        )
    for day, transfers in by_day.items():
        ledger.post_transfers_set(
            kind=TransactionKind.CLAIM_PAYMENT,
            effective_date=day,
            transfers=transfers,
            posted_by=user,
        )


_CLAIM_COLUMNS = (
    ("id", "bigint"),
    ("employer_id", "bigint"),
    ("employee_id", "bigint"),
    ("family_year_id", "bigint"),
    ("patient_id", "bigint"),
    ("patient_name", "text"),
    ("date_of_service", "date"),
    ("policy_year", "int"),
    ("provider", "text"),
    ("payee_id", "bigint"),
    ("admin_claim_number", "text"),
    ("billed", "numeric"),
    ("allowed", "numeric"),
    ("status", "text"),
    ("denied_reason", "text"),
    ("tier", "text"),
    ("trust_fund_amount", "numeric"),
    ("employee_amount", "numeric"),
    ("carrier_amount", "numeric"),
    ("forwarded_at", "timestamptz"),
    ("payment_transaction_id", "bigint"),
    ("duplicate_of_id", "bigint"),
    ("source", "text"),
    ("entered_by_id", "bigint"),
    ("entered_at", "timestamptz"),
    ("paid_on", "date"),
    ("received_on", "date"),
    ("service_category", "text"),
)
# Built from the constants above (no input reaches the text).
_INSERT_CLAIMS_SQL = (  # noqa: S608
    "INSERT INTO claims_claim ({columns}, void_reason, voided_by_id, voided_at) "
    "SELECT {names}, '', NULL, NULL FROM unnest({arrays}) AS v({names}) "
    "ON CONFLICT (admin_claim_number) WHERE duplicate_of_id IS NULL DO NOTHING "
    "RETURNING id"
).format(
    columns=", ".join(name for name, _ in _CLAIM_COLUMNS),
    names=", ".join(name for name, _ in _CLAIM_COLUMNS),
    arrays=", ".join(f"%({name})b::{kind}[]" for name, kind in _CLAIM_COLUMNS),
)
_INSERT_ENTRIES_SQL = """
INSERT INTO claims_claimledgerentry (claim_id, transaction_id, kind, amount, payee_id,
                                     adjustment_id, payment_run_id, created_at)
SELECT c, t, 'payment', a, p, NULL, NULL, %(now)s
  FROM unnest(%(claims)b::bigint[], %(transactions)b::bigint[], %(amounts)b::numeric[],
              %(payees)b::bigint[]) AS v(c, t, a, p)
"""
_INSERT_EVENTS_SQL = """
INSERT INTO claims_claimevent (claim_id, action, message, user_id, at)
SELECT c, a, m, %(user)s, %(now)s
  FROM unnest(%(claims)b::bigint[], %(actions)b::text[], %(messages)b::text[]) AS v(c, a, m)
"""
_FAMILY_TOTALS_SQL = """
UPDATE claims_familyyear f
   SET absorbed = f.absorbed + v.absorbed,
       trust_fund_paid = f.trust_fund_paid + v.trust_fund,
       employee_paid = f.employee_paid + v.employee,
       carrier_paid = f.carrier_paid + v.carrier,
       claim_count = f.claim_count + v.n,
       updated_at = %(now)s
  FROM unnest(%(ids)b::bigint[], %(absorbed)b::numeric[], %(trust_fund)b::numeric[],
              %(employee)b::numeric[], %(carrier)b::numeric[], %(n)b::int[])
       AS v(id, absorbed, trust_fund, employee, carrier, n)
 WHERE f.id = v.id
"""


def _insert(entries: Sequence[_Entry], user: Any, now: Any) -> None:
    """The claims, their ledger entries and events, the families' totals; a claim number
    taken meanwhile (the unique index) refuses the whole batch."""
    rows = [e.row for e in entries]
    columns = {name: [row[name] for row in rows] for name, _ in _CLAIM_COLUMNS}
    inserted = {found[0] for found in prepared_rows(_INSERT_CLAIMS_SQL, columns)}
    if len(inserted) != len(rows):
        index, taken = next((n, r) for n, r in enumerate(rows) if r["id"] not in inserted)
        raise BatchClaimError(
            f"Claim number {taken['admin_claim_number']} was entered meanwhile; nothing "
            "of this batch was saved.",
            index,
        )
    paid = [e for e in entries if e.transaction_id is not None]
    prepared_rows(
        _INSERT_ENTRIES_SQL,
        {
            "now": now,
            "claims": [e.row["id"] for e in paid],
            "transactions": [e.transaction_id for e in paid],
            "amounts": [e.split.trust_fund for e in paid if e.split],
            "payees": [e.account_id for e in paid],
        },
    )
    events = [(e.row["id"], str(a), m) for e in entries for a, m in e.events]
    prepared_rows(
        _INSERT_EVENTS_SQL,
        {
            "user": user.pk if user is not None else None,
            "now": now,
            "claims": [c for c, _, _ in events],
            "actions": [a for _, a, _ in events],
            "messages": [m for _, _, m in events],
        },
    )
    prepared_rows(_FAMILY_TOTALS_SQL, {"now": now, **_family_totals(entries)})


def _family_totals(entries: Sequence[_Entry]) -> dict[str, list[Any]]:
    totals: dict[int, list[Any]] = {}
    for entry in entries:
        assert entry.split is not None
        split, row = (
            entry.split,
            totals.setdefault(entry.row["family_year_id"], [ZERO, ZERO, ZERO, ZERO, 0]),
        )
        row[0] += split.absorbed
        row[1] += split.trust_fund
        row[2] += split.employee
        row[3] += split.carrier
        row[4] += 1
    names = ("absorbed", "trust_fund", "employee", "carrier", "n")
    columns: dict[str, list[Any]] = {"ids": list(totals)}
    for index, name in enumerate(names):
        columns[name] = [row[index] for row in totals.values()]
    return columns


@transaction.atomic
def claims_enter_many(
    *,
    claims: Sequence[BatchClaim],
    entered_by: Any = None,
    source: str = Claim.Source.IMPORT,
    today: date | None = None,
) -> list[int]:
    """Enter the claims in order (module doc): each as ``claim_enter`` with
    ``confirm_duplicate``; paid today. Returns their ids, in order."""
    if not claims:
        return []
    with cyclic_gc_paused():
        return _enter_all(claims, acting_user(entered_by), source, today or timezone.localdate())


def _enter_all(claims: Sequence[BatchClaim], user: Any, source: str, today: date) -> list[int]:
    """The steps of :func:`claims_enter_many` (module doc, 1 to 6), then the R-CL6 hook."""
    entries = _checked(claims, today)
    payees = {entry.draft.provider: None for entry in entries}
    context: dict[str, Any] = {
        "payees": {name: payee_for_provider(name) for name in payees},
        "source": source,
        "user": user,
        "now": timezone.now(),
    }
    families = _lock_families(entries)
    context["ids"] = _next_ids("claims_claim", len(entries))
    context["duplicates"] = _duplicates(entries, context["ids"])
    _split_all(entries, families, context)
    _pay(entries, context["payees"], user)
    _insert(entries, user, context["now"])
    for entry in entries:
        paid_on = entry.row["paid_on"]
        if entry.transaction_id is not None and paid_on > policy_year_end(entry.draft.policy_year):
            assert entry.split is not None
            runout_hook(
                claim=_saved_claim(entry),
                amount=entry.split.trust_fund,
                paid_on=paid_on,
                posted_by=user,
            )
    return list(context["ids"])


def _saved_claim(entry: _Entry) -> Claim:
    """The claim as inserted, for the R-CL6 hook (a run-out payment)."""
    claim = Claim(**entry.row)
    claim.employee = entry.draft.policyholder
    claim._state.adding = False
    return claim


# Each employee's employer and, for an employee whose spouse's retained policy covers them
# (R-EL11, a dependent record naming them), the policyholder's employer.
_EMPLOYERS_SQL = """
SELECT e.id, e.employer_id, p.employer_id
  FROM accounts_employee e
  LEFT JOIN accounts_dependent d ON d.spouse_employee_id = e.id
  LEFT JOIN accounts_employee p ON p.id = d.employee_id
 WHERE e.id = ANY(%(employees)b::bigint[])
"""


def independent_groups(employee_ids: Iterable[int]) -> dict[int, int]:
    """Employee -> a group such that claims of employees of different groups can be
    entered and voided at the same time, each in a transaction of its own, with the same
    result as one after the other: they lock and write disjoint rows (the families'
    years; the employers' ledger accounts, their balances and totals; the claims' totals
    by employer). The group is the employer, joined with the employer of a spouse's
    retained policy (R-EL11: a claim of the employee may go to that family), named by its
    smallest employer id."""
    parent: dict[int, int] = {}

    def root(employer: int) -> int:
        while parent.setdefault(employer, employer) != employer:
            parent[employer] = parent[parent[employer]]
            employer = parent[employer]
        return employer

    rows = prepared_rows(_EMPLOYERS_SQL, {"employees": sorted(set(employee_ids))})
    for _employee, employer, spouse_employer in rows:
        if spouse_employer is not None:
            low, high = sorted((root(employer), root(spouse_employer)))
            parent[high] = low
    return {employee: root(employer) for employee, employer, _spouse in rows}
