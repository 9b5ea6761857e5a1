"""Vesting lines: the lines of a policy year for a set of employers (or one employee),
computed and written by one set-based SQL statement, settled and posted to the ledger
(R-VE1, R-VE2, R-VE4, R-VE11). The rollover (:mod:`vesting.rollover`) runs this for every
employer of a batch at once; :func:`vest_at_separation` runs it for one employee at
separation.

The computation alone is :data:`DECIDED_LINES_SQL` (a SELECT, no write) with the
parameters of :func:`decided_lines_params`; :func:`lines_decided` runs it and returns
:class:`DecidedLine` rows (employee, employer, allotment, claims, unused, full year,
outcome, vested on, separating), before R-VE11 pooling: what a re-vest compares with the
lines held. The rollover wraps the same SELECT in one ``INSERT ... SELECT``.

Where the money is read from: the trust fund's spending for an employee and a policy
year is the net of the postings on the employer's General Deductible Trust Fund account
of the transactions with that employee whose ``period_start`` (the date of service) falls
in the year and whose kind is a claim payment or a reversal of one (vesting never reads
the claims app). The posting trigger keeps that net per account, employee and year in
``TrustClaimTotal`` as the postings are made, and the lines read it there: one row per
family and year rather than every claim's postings (``ledger_check`` recomputes it).

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: every employee covered (any tier, not a post-separation continuation) on the
  first day of at least one month of the year gets a line, zero amounts included: the line
  records the full-year flag that later years' decisions need (R-VE4).
- Decision: the rollover's postings are dated July 1 after the year (the day the money
  moves), also for a year of separation that vests at separation but is only settled by
  the rollover (a separation recorded with no signal, e.g. a generated pool); the line's
  ``vested_on`` keeps the separation date. At separation (:func:`vest_at_separation`) the
  posting is dated the separation date.
- Decision: one vesting transfer per employee and year vested (idempotency key
  ``vest:{run year}:{employee}:{year}``) and one unvested transfer per employer and run
  (``unvested:{run year}:{employer}``).
- Decision: R-VE11 pooling applies to spouses employed by the same employer (the plan's
  text: both are employees of the office; the ledger moves money within one employer).
  The couple's amounts for each year from the marriage year to the year the marriage
  ended are added and split half each (the odd cent to the retained policy's holder);
  the pooled amount follows the retained policy's decision (vested, pending or to the
  district). A spouse with no coverage of their own that year gets a line for the half.
  Years settled at a separation are not pooled.
- Decision: a year without a ``PlanYear`` row uses the model's defaults (the printed
  plan: $500 deductible, $500 maximum vest, separation year vests).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db import transaction as db_transaction
from django.db.models import F, Q

from accounts.models import Employee, Marriage, PlanYear
from accounts.rules import (
    policy_year_end,
    policy_year_label,
    policy_year_of,
    policy_year_start,
    year_allotments,
)
from staywell.money import ZERO
from vesting import ledger
from vesting.ledger import DISTRICT_ACCOUNT, GENERAL_TRUST_ACCOUNT
from vesting.models import (
    SIDE_ACCOUNT_NAME,
    Account,
    FundKind,
    GoLiveEmployer,
    TransactionKind,
    VestingLine,
)
from vesting.rules import spouse_split


def plan_year_settings(start_year: int) -> PlanYear:
    """The plan year's row, or an unsaved one with the plan's defaults (module Decision)."""
    return PlanYear.objects.filter(start_year=start_year).first() or PlanYear(start_year=start_year)


# --- The lines of a set of employers -------------------------------------------------------

# The decided lines of a policy year for a set of employers (or one employee): one SELECT
# computing every employee's allotment, full-year flag, trust-fund claims and decision. It
# writes nothing: the rollover wraps it in one INSERT (``_LINES_INSERT_SQL``); a re-vest
# can compare it with the lines held. The allotment of n FULL-tier months is
# looked up in the plan year's table of n x deductible / 12 (rounded half-up), capped at
# the deductible (R-PY2, R-VE1). Parameters: see :func:`decided_lines_params`.
DECIDED_LINES_SQL = """
WITH books AS (
    SELECT b.employer_id, b.general_trust
      FROM unnest(%(employers)s::bigint[], %(general_trusts)s::bigint[])
           AS b(employer_id, general_trust)
), emp AS (
    SELECT e.id, e.employer_id, e.separation_date, b.general_trust
      FROM accounts_employee e
      JOIN books b ON b.employer_id = e.employer_id
     WHERE e.hire_date <= %(ye)s
       AND (e.separation_date IS NULL OR e.separation_date >= %(ys)s)
       AND (%(only)s::bigint IS NULL OR e.id = %(only)s::bigint)
), seg AS (  -- each segment's first days of a month within the year, counted
    SELECT s.employee_id, emp.general_trust, s.tier, s.source,
           greatest(0, (date_part('year', x.b)::int * 12 + date_part('month', x.b)::int)
                       - (date_part('year', x.a)::int * 12 + date_part('month', x.a)::int)
                       + CASE WHEN date_part('day', x.a) = 1 THEN 1 ELSE 0 END) AS months
      FROM emp
      JOIN accounts_coveragesegment s
        ON s.employee_id = emp.id AND s.tier <> 'none'
       AND s.start_date <= %(ye)s AND (s.end_date IS NULL OR s.end_date >= %(ys)s)
     CROSS JOIN LATERAL (SELECT greatest(s.start_date, %(ys)s::date) AS a,
                                least(coalesce(s.end_date, %(ye)s::date), %(ye)s::date) AS b) x
), cov AS (  -- R-VE1 allotment, R-VE3 full year: the first day of each month
    SELECT g.employee_id, g.general_trust,
           (%(allotments)s::numeric[])[
               least(coalesce(sum(g.months) FILTER (WHERE g.tier = 'full'), 0), 12)::int + 1]
               AS allotment,
           coalesce(sum(g.months) FILTER (WHERE g.source <> 'separation_continuation'), 0)
               AS months_covered
      FROM seg g
     GROUP BY g.employee_id, g.general_trust
    HAVING sum(g.months) > 0
), claims AS (  -- R-VE2: what the trust fund paid for the family's claims of the year
    SELECT c.employee_id, c.account_id, c.paid
      FROM vesting_trustclaimtotal c  -- the General Deductible Trust Fund accounts of the batch
     WHERE c.account_id = ANY(%(general_trusts)s::bigint[]) AND c.policy_year = %(year)s
       AND (%(only)s::bigint IS NULL OR c.employee_id = %(only)s::bigint)
), prior AS (
    SELECT l.employee_id, bool_or(l.full_year) AS had_full
      FROM vesting_vestingline l
     WHERE l.employee_id IN (SELECT employee_id FROM cov) AND l.policy_year < %(year)s
     GROUP BY l.employee_id
), fig AS (
    SELECT c.employee_id, e.employer_id, c.allotment,
           greatest(coalesce(cl.paid, 0), 0) AS claims,
           c.months_covered = 12 AS full_year,
           coalesce(pr.had_full, false) AS had_full,
           (e.separation_date IS NOT NULL AND e.separation_date <= %(ye)s) AS separating,
           e.separation_date
      FROM cov c
      JOIN emp e ON e.id = c.employee_id
      LEFT JOIN claims cl ON cl.employee_id = c.employee_id AND cl.account_id = c.general_trust
      LEFT JOIN prior pr ON pr.employee_id = c.employee_id
), decided AS (  -- R-VE3, R-VE4 (vesting.rules.vesting_decisions)
    SELECT f.*,
           least(greatest(f.allotment - f.claims, 0), %(max_vest)s::numeric) AS unused,
           CASE
               WHEN f.full_year THEN 'vested'
               WHEN NOT f.had_full AND f.separating THEN 'to_district'
               WHEN NOT f.had_full THEN 'pending'
               WHEN f.separating AND NOT %(separation_year_vests)s THEN 'to_district'
               ELSE 'vested'
           END AS outcome
      FROM fig f
)
SELECT d.employee_id, d.employer_id, d.allotment, d.claims, d.unused, d.full_year,
       d.outcome,
       CASE
           WHEN d.outcome = 'pending' THEN NULL
           WHEN d.outcome = 'vested' AND d.separating AND NOT d.full_year THEN d.separation_date
           ELSE %(rollover_day)s::date
       END AS vested_on,
       d.separating
  FROM decided d
 WHERE NOT %(at_separation)s OR (d.outcome = 'vested' AND d.separating AND NOT d.full_year)
"""

# The decided lines written, once per employee and year (the unique constraint is the
# repeat guard): ONE statement for every employer of the batch.
_LINES_INSERT_SQL = """
WITH ins AS (
    INSERT INTO vesting_vestingline (
        employee_id, policy_year, allotment, trust_fund_claims, unused, full_year, amount,
        outcome, vested_on, run_id, runout_recovered, created_at, transaction_id,
        settled_run_id)
    SELECT d.employee_id, %(year)s, d.allotment, d.claims, d.unused, d.full_year, d.unused,
           d.outcome, d.vested_on, %(run)s, 0, now(),
           CASE WHEN d.outcome = 'vested' AND d.unused > 0
                THEN nextval(TRANSACTION_ID_SEQUENCE) END,
           CASE WHEN d.outcome <> 'pending' THEN %(run)s::bigint END
      FROM (DECIDED_LINES) d
    ON CONFLICT (employee_id, policy_year) DO NOTHING
    RETURNING id, employee_id, policy_year, amount, outcome, unused, full_year, vested_on,
              transaction_id
)
SELECT ins.id, ins.employee_id, e.employer_id, ins.policy_year, ins.amount, ins.outcome,
       ins.unused, ins.full_year, ins.vested_on, ins.transaction_id
  FROM ins JOIN accounts_employee e ON e.id = ins.employee_id
""".replace("DECIDED_LINES", DECIDED_LINES_SQL).replace(
    "TRANSACTION_ID_SEQUENCE", ledger.TRANSACTION_ID_SEQUENCE
)

# Earlier pending years settled by this year (R-VE4): they vest once a full year exists;
# without one they go to the district when the employee has separated. A line that vests
# an amount takes its vesting transfer's transaction id from the sequence as it is
# settled, and every settled line records the run, so that no second write links them.
_SETTLE_PENDING_SQL = """
WITH pending AS (
    SELECT l.id, l.employee_id, e.employer_id, e.separation_date
      FROM vesting_vestingline l JOIN accounts_employee e ON e.id = l.employee_id
     WHERE e.employer_id = ANY(%(employers)s::bigint[])
       AND l.outcome = 'pending' AND l.policy_year < %(year)s
), had_full AS (
    SELECT DISTINCT f.employee_id FROM vesting_vestingline f
     WHERE f.full_year AND f.policy_year <= %(year)s
       AND f.employee_id IN (SELECT employee_id FROM pending)
), decided AS (
    SELECT p.id, p.employer_id,
           CASE WHEN h.employee_id IS NOT NULL THEN 'vested' ELSE 'to_district' END AS outcome
      FROM pending p LEFT JOIN had_full h ON h.employee_id = p.employee_id
     WHERE h.employee_id IS NOT NULL
        OR (p.separation_date IS NOT NULL AND p.separation_date <= %(ye)s)
)
UPDATE vesting_vestingline l
   SET outcome = d.outcome, vested_on = %(rollover_day)s, settled_run_id = %(run)s,
       transaction_id = CASE WHEN d.outcome = 'vested' AND l.amount > 0
                             THEN nextval(TRANSACTION_ID_SEQUENCE) END
  FROM decided d
 WHERE l.id = d.id
RETURNING l.id, l.employee_id, d.employer_id, l.policy_year, l.amount, l.outcome,
          l.transaction_id
""".replace("TRANSACTION_ID_SEQUENCE", ledger.TRANSACTION_ID_SEQUENCE)


class LineRow(NamedTuple):
    """A vesting line as the lines SQL writes it (its RETURNING columns)."""

    id: int
    employee_id: int
    employer_id: int
    policy_year: int
    amount: Decimal  # dollars to vest or send to the district
    outcome: str
    unused: Decimal  # dollars: allotment - claims, before spouse pooling
    full_year: bool
    vested_on: date | None
    # the id its vesting transfer will have (taken from the sequence as it was written, so
    # that no second write links it): vested with an amount; otherwise None
    transaction_id: int | None


class DecidedLine(NamedTuple):
    """A line as :data:`DECIDED_LINES_SQL` decides it from what the database holds now."""

    employee_id: int
    employer_id: int
    allotment: Decimal  # dollars (R-VE1)
    trust_fund_claims: Decimal  # dollars (R-VE2)
    unused: Decimal  # dollars, before spouse pooling (R-VE11)
    full_year: bool
    outcome: str
    vested_on: date | None
    separating: bool


@dataclass
class Settled:
    line_id: int
    employee_id: int
    employer_id: int
    policy_year: int
    amount: Decimal
    outcome: str
    # Set when the line already holds its settling run and this transaction id (taken
    # from the sequence as it was settled, :data:`_SETTLE_PENDING_SQL`): its vesting
    # transfer takes that id, and linking it writes nothing.
    transaction_id: int | None = None
    held: bool = False


def pending_settle(*, year: int, employer_ids: Sequence[int], run_id: int) -> list[Settled]:
    """Settle the employers' earlier pending years that ``year`` decides (R-VE4): one
    UPDATE for every employer of the batch, recording ``run_id`` as their settling run."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SETTLE_PENDING_SQL,
            {
                "year": year,
                "employers": list(employer_ids),
                "ye": policy_year_end(year),
                "rollover_day": policy_year_start(year + 1),
                "run": run_id,
            },
        )
        return [Settled(*row, held=True) for row in cursor.fetchall()]


def general_trust_accounts(employer_ids: Sequence[int]) -> dict[int, int]:
    """Each employer's General Deductible Trust Fund account id (created on first use)."""
    found = dict(
        Account.objects.filter(
            fund__employer_id__in=list(employer_ids),
            fund__kind=FundKind.GENERAL_TRUST,
            employee__isnull=True,
            name=GENERAL_TRUST_ACCOUNT[1],
        ).values_list("fund__employer_id", "id")
    )
    for employer_id in employer_ids:
        if employer_id not in found:
            found[employer_id] = ledger.ledger_accounts_for_employer(employer_id).general_trust.pk
    return found


def lock_general_trusts(employer_ids: Sequence[int]) -> dict[int, int]:
    """The employers' General Deductible Trust Fund accounts, row-locked (in account
    order) for the batch: claim payments of these employers wait until it commits, so a
    claim is either in the figures or paid after the year vested (``runout_claim_paid``)."""
    accounts = general_trust_accounts(employer_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT balance FROM vesting_accountbalance WHERE account_id = ANY(%s) "
            "ORDER BY account_id FOR UPDATE",
            [sorted(accounts.values())],
        )
    return accounts


def lock_general_trust(employer_id: int) -> int:
    """One employer's General Deductible Trust Fund account, row-locked (see above)."""
    return lock_general_trusts([employer_id])[employer_id]


def decided_lines_params(
    *,
    year: int,
    general_trusts: dict[int, int],
    only_employee: int | None = None,
    at_separation: bool = False,
) -> dict[str, Any]:
    """The parameters of :data:`DECIDED_LINES_SQL`: the year and its plan settings, the
    employers (``general_trusts``: employer id -> its General Deductible Trust Fund
    account id, e.g. from :func:`general_trust_accounts`), optionally one employee."""
    plan = plan_year_settings(year)
    employers = sorted(general_trusts)
    return {
        "year": year,
        "ys": policy_year_start(year),
        "ye": policy_year_end(year),
        "rollover_day": policy_year_start(year + 1),
        # R-PY2, R-VE1: the allotment of 0..12 FULL-tier months (n x 41.67, capped)
        "allotments": year_allotments(plan.deductible),
        "max_vest": plan.maximum_vest,
        "separation_year_vests": plan.separation_year_vests,
        "employers": employers,
        "general_trusts": [general_trusts[e] for e in employers],
        "only": only_employee,
        "at_separation": at_separation,
    }


def lines_decided(*, year: int, employer_ids: Sequence[int]) -> list[DecidedLine]:
    """The lines of ``year`` for these employers as decided from what the database holds
    now (before R-VE11 pooling), written nowhere: one SELECT."""
    params = decided_lines_params(year=year, general_trusts=general_trust_accounts(employer_ids))
    with connection.cursor() as cursor:
        cursor.execute(DECIDED_LINES_SQL, params)
        return [DecidedLine(*row) for row in cursor.fetchall()]


def lines_write(
    *,
    year: int,
    general_trusts: dict[int, int],
    run_id: int | None,
    only_employee: int | None = None,
    at_separation: bool = False,
) -> list[LineRow]:
    """Write the decided lines of ``year`` for the employers of ``general_trusts`` (one
    INSERT ... SELECT for all of them); returns the lines written."""
    params = decided_lines_params(
        year=year,
        general_trusts=general_trusts,
        only_employee=only_employee,
        at_separation=at_separation,
    )
    params["run"] = run_id
    with connection.cursor() as cursor:
        if only_employee is None and len(general_trusts) >= POOL_PLAN_EMPLOYERS:
            with _one_pass_plan(cursor):
                cursor.execute(_LINES_INSERT_SQL, params)
                rows = cursor.fetchall()
        else:
            cursor.execute(_LINES_INSERT_SQL, params)
            rows = cursor.fetchall()
        return [LineRow(*row) for row in rows]


# From this many employers in one statement, the lines are computed with hash joins over
# whole tables (see :func:`_one_pass_plan`).
POOL_PLAN_EMPLOYERS = 20
_ONE_PASS_SETTINGS = ("enable_nestloop", "enable_indexscan")


@contextmanager
def _one_pass_plan(cursor: Any) -> Iterator[None]:
    """For the lines of a pool of employers: the year's claim payments read in one pass
    (sequential scans, hash joins) rather than one transaction index probe per posting,
    which PostgreSQL's planner chooses and which took 2.5 times as long at 100,000
    employees and 1,000,000 claims. The settings are the transaction's (``set_config``
    local: the callers run in one) and put back after the statement."""
    cursor.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in _ONE_PASS_SETTINGS))
    before = cursor.fetchone()
    cursor.execute(
        "SELECT " + ", ".join(f"set_config('{n}', 'off', true)" for n in _ONE_PASS_SETTINGS)
    )
    yield  # on an error the transaction rolls back, and its settings with it
    cursor.execute(
        "SELECT " + ", ".join(f"set_config('{n}', %s, true)" for n in _ONE_PASS_SETTINGS),
        list(before),
    )


class ComputedLine(NamedTuple):
    """A line as the lines SQL computes it from what the database holds now (not written)."""

    employee_id: int
    allotment: Decimal  # dollars (R-VE1)
    claims: Decimal  # dollars the trust fund paid for the year (R-VE2)
    full_year: bool  # R-VE3
    separating: bool  # separated on or before the year's June 30
    vested_on: date | None  # the day it vests as decided now (None: pending, R-VE4)
    unused: Decimal  # dollars, 0..max vest (R-VE2), before spouse pooling
    outcome: str  # vested / pending / to_district, as the rollover decides it (R-VE4)


def lines_compute(*, year: int, employer_id: int, general_trust: int) -> list[ComputedLine]:
    """The employer's lines of ``year`` as the rollover would compute them now (a SELECT of
    :data:`DECIDED_LINES_SQL`; nothing written), by employee."""
    params = decided_lines_params(year=year, general_trusts={employer_id: general_trust})
    with connection.cursor() as cursor:
        cursor.execute(DECIDED_LINES_SQL, params)
        rows = sorted(DecidedLine(*row) for row in cursor.fetchall())
    return [
        ComputedLine(
            r.employee_id,
            r.allotment,
            r.trust_fund_claims,
            r.full_year,
            r.separating,
            r.vested_on,
            r.unused,
            r.outcome,
        )
        for r in rows
    ]


def _couples(year: int, employer_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """The couples of these employers married during ``year`` (R-VE11), one query: (a, b,
    retained, employer, a's separation date, b's separation date)."""
    ys, ye = policy_year_start(year), policy_year_end(year)
    return list(
        Marriage.objects.filter(
            employee_a__employer_id__in=list(employer_ids),
            employee_b__employer_id=F("employee_a__employer_id"),
            married_on__lte=ye,
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=ys))
        .values_list(
            "employee_a_id",
            "employee_b_id",
            "retained_id",
            "employee_a__employer_id",
            "employee_a__separation_date",
            "employee_b__separation_date",
        )
        .order_by("pk")
    )


def _write_halves(
    updates: Sequence[tuple[int, Decimal, int, str, date | None]], new_lines: list[VestingLine]
) -> dict[int, int]:
    """The couples' halves: the lines held updated in one UPDATE, the new spouses' lines in
    one INSERT. Returns the new lines' ids by employee."""
    if updates:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE vesting_vestingline l
                   SET amount = v.amount, spouse_id = v.spouse, outcome = v.outcome,
                       vested_on = v.vested_on
                  FROM unnest(%s::bigint[], %s::numeric[], %s::bigint[], %s::text[],
                              %s::date[]) AS v(id, amount, spouse, outcome, vested_on)
                 WHERE l.id = v.id
                """,
                [list(column) for column in zip(*updates, strict=True)],
            )
    return {line.employee_id: line.pk for line in VestingLine.objects.bulk_create(new_lines)}


def spouses_pool(
    *,
    year: int,
    employer_ids: Sequence[int],
    run_id: int,
    written: dict[int, LineRow],
    settled: list[Settled],
) -> tuple[list[Settled], Counter[int]]:
    """R-VE11: the couples' amounts of ``year`` are added and vest half to each spouse.

    Set-based for the batch (:func:`_couples`, one query for the spouses' lines, then
    :func:`_write_halves`); the split is :func:`vesting.rules.spouse_split`. Returns the
    settled lines (the couples' replaced by their halves) and, per employer, the number of
    lines written for spouses with no coverage of their own."""
    ys = policy_year_start(year)
    couples = [c for c in _couples(year, employer_ids) if c[2] in written]  # retained: new line
    added: Counter[int] = Counter()  # lines written for spouses, per employer
    if not couples:
        return settled, added
    others = [b if retained == a else a for a, b, retained, *_ in couples]
    already = set(
        VestingLine.objects.filter(employee_id__in=others, policy_year=year)
        .exclude(pk__in=[written[o].id for o in others if o in written])
        .values_list("employee_id", flat=True)
    )
    by_employee = {s.employee_id: s for s in settled}
    updates: list[tuple[int, Decimal, int, str, date | None]] = []  # line, amount, spouse, ...
    new_lines: list[VestingLine] = []
    halves: list[tuple[int, int, int | None, Decimal, str]] = []  # employer, employee, line
    for a, b, retained_id, employer_id, separation_a, separation_b in couples:
        other_id = b if retained_id == a else a
        other_separation = separation_b if retained_id == a else separation_a
        retained_row = written[retained_id]
        other_row = written.get(other_id)
        if other_row is None:
            if other_id in already:
                continue  # settled at a separation: not pooled (module Decision)
            if other_separation is not None and other_separation < ys:
                continue
        other_unused = other_row.unused if other_row is not None else ZERO
        retained_share, other_share = spouse_split(
            amount_a=retained_row.unused, amount_b=other_unused, retained_is_a=True
        )
        outcome, vested_on = retained_row.outcome, retained_row.vested_on
        updates.append((retained_row.id, retained_share, other_id, outcome, vested_on))
        halves.append((employer_id, retained_id, retained_row.id, retained_share, outcome))
        if other_row is not None:
            updates.append((other_row.id, other_share, retained_id, outcome, vested_on))
            halves.append((employer_id, other_id, other_row.id, other_share, outcome))
        else:
            new_lines.append(
                VestingLine(
                    employee_id=other_id,
                    policy_year=year,
                    allotment=ZERO,
                    trust_fund_claims=ZERO,
                    unused=ZERO,
                    full_year=False,
                    amount=other_share,
                    outcome=outcome,
                    vested_on=vested_on,
                    spouse_id=retained_id,
                    run_id=run_id,
                )
            )
            halves.append((employer_id, other_id, None, other_share, outcome))
            added[employer_id] += 1
    created = _write_halves(updates, new_lines)
    for employer_id, employee_id, line_id, share, outcome in halves:
        by_employee.pop(employee_id, None)
        if outcome != VestingLine.Outcome.PENDING:
            by_employee[employee_id] = Settled(
                line_id if line_id is not None else created[employee_id],
                employee_id,
                employer_id,
                year,
                share,
                outcome,
            )
    return list(by_employee.values()), added


def _side_accounts(employee_employers: dict[int, int]) -> dict[int, int]:
    """The side accounts (R-FU1) of these employees (employee id -> employer id), opened
    set-based where missing: one statement for the funds, one for the accounts."""
    if not employee_employers:
        return {}
    ids = sorted(employee_employers)
    employers = [employee_employers[i] for i in ids]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO vesting_fund (employer_id, kind)
            SELECT DISTINCT x, %(kind)s FROM unnest(%(employers)s::bigint[]) AS x
            ON CONFLICT DO NOTHING
            """,
            {"kind": FundKind.VESTED_TRUST, "employers": sorted(set(employers))},
        )
        cursor.execute(
            """
            WITH wanted AS (
                SELECT w.employee_id, f.id AS fund_id
                  FROM unnest(%(ids)s::bigint[], %(employers)s::bigint[])
                       AS w(employee_id, employer_id)
                  JOIN vesting_fund f ON f.employer_id = w.employer_id AND f.kind = %(kind)s
            ), opened AS (
                INSERT INTO vesting_account
                       (fund_id, name, employee_id, normal_balance, never_negative, created_at)
                SELECT w.fund_id, %(name)s, w.employee_id, 'debit', true, now()
                  FROM wanted w
                 WHERE NOT EXISTS (SELECT 1 FROM vesting_account a
                                    WHERE a.fund_id = w.fund_id
                                      AND a.employee_id = w.employee_id)
                ON CONFLICT (fund_id, employee_id) WHERE employee_id IS NOT NULL DO NOTHING
                RETURNING employee_id, id
            )
            SELECT employee_id, id FROM opened
            UNION ALL
            SELECT a.employee_id, a.id FROM wanted w
              JOIN vesting_account a ON a.fund_id = w.fund_id AND a.employee_id = w.employee_id
            """,
            {
                "ids": ids,
                "employers": employers,
                "kind": FundKind.VESTED_TRUST,
                "name": SIDE_ACCOUNT_NAME,
            },
        )
        return dict(cursor.fetchall())


def _district_accounts(employer_ids: Sequence[int]) -> dict[int, int]:
    """Each employer's District account id (created on first use)."""
    if not employer_ids:
        return {}
    found = dict(
        Account.objects.filter(
            fund__employer_id__in=list(employer_ids),
            fund__kind=DISTRICT_ACCOUNT[0],
            employee__isnull=True,
            name=DISTRICT_ACCOUNT[1],
        ).values_list("fund__employer_id", "id")
    )
    for employer_id in employer_ids:
        if employer_id not in found:
            found[employer_id] = ledger.ledger_accounts_for_employer(employer_id).district.pk
    return found


def _vesting_transfers(
    vesting: Sequence[Settled],
    sides: dict[int, int],
    general_trusts: dict[int, int],
    prefix: str,
    reserved: dict[int, int | None],
) -> list[ledger.Transfer]:
    """One vesting transfer per line vested (R-VE3: the General Deductible Trust Fund to
    the side account), in the order of ``vesting``, with the transaction id the line was
    written with (``reserved``: line id -> id), if any."""
    years = {s.policy_year for s in vesting}
    memos = {y: f"Vested for {policy_year_label(y)}" for y in years}
    periods = {y: (policy_year_start(y), policy_year_end(y)) for y in years}
    return [
        ledger.Transfer(
            debit_account=sides[item.employee_id],
            credit_account=general_trusts[item.employer_id],
            amount=item.amount,
            idempotency_key=f"vest:{prefix}:{item.employee_id}:{item.policy_year}",
            employee_id=item.employee_id,
            period_start=periods[item.policy_year][0],
            period_end=periods[item.policy_year][1],
            memo=memos[item.policy_year],
            transaction_id=reserved.get(item.line_id),
        )
        for item in vesting
    ]


def lines_post(
    *,
    year: int,
    general_trusts: dict[int, int],
    run_id: int | None,
    settled: Sequence[Settled],
    effective_date: date,
    key_prefix: str | None = None,
    written: Sequence[LineRow] = (),
) -> dict[int, tuple[Decimal, Decimal]]:
    """Post the settled lines of every employer of the batch through the ledger's set path
    (:func:`vesting.ledger.post_transfers_set`: one statement for the vesting transfers,
    one for the unvested transfers) and link them to it. ``written``: the lines as
    :func:`lines_write` wrote them, already pointing at the transaction ids their
    transfers take; only the lines whose link differs from that are updated.

    One vesting transfer per employee and year vested (R-VE3: General Deductible Trust
    Fund -> side account) and one unvested transfer to the district per employer for all
    of its lines that go there (R-VE4, R-FU1). Returns, per employer, (vested, to
    district) dollars.
    """
    prefix = key_prefix or f"{year}"
    vesting = [s for s in settled if s.outcome == VestingLine.Outcome.VESTED and s.amount > 0]
    district: dict[int, Decimal] = {}
    vested: dict[int, Decimal] = {}
    for s in settled:
        if s.outcome == VestingLine.Outcome.TO_DISTRICT:
            district[s.employer_id] = district.get(s.employer_id, ZERO) + s.amount
    for s in vesting:
        vested[s.employer_id] = vested.get(s.employer_id, ZERO) + s.amount
    district = {e: amount for e, amount in district.items() if amount > ZERO}
    totals = {e: (vested.get(e, ZERO), district.get(e, ZERO)) for e in general_trusts}
    if not vesting and not district:
        _link(settled, {}, {}, run_id, written)
        return totals
    sides = _side_accounts({s.employee_id: s.employer_id for s in vesting})
    districts = _district_accounts(list(district))
    district_order = sorted(district)
    reserved = {r.id: r.transaction_id for r in written}
    reserved.update({s.line_id: s.transaction_id for s in settled if s.held})
    vest_ids = ledger.post_transfers_set(
        kind=TransactionKind.VESTING_TRANSFER,
        effective_date=effective_date,
        transfers=_vesting_transfers(vesting, sides, general_trusts, prefix, reserved),
    )
    district_ids = ledger.post_transfers_set(
        kind=TransactionKind.UNVESTED_TRANSFER,
        effective_date=effective_date,
        transfers=[
            ledger.Transfer(
                debit_account=districts[employer_id],
                credit_account=general_trusts[employer_id],
                amount=district[employer_id],
                idempotency_key=f"unvested:{prefix}:{employer_id}",
                period_start=policy_year_start(year),
                period_end=policy_year_end(year),
                memo=f"Unvested amounts to the district, rollover of {policy_year_label(year)}",
            )
            for employer_id in district_order
        ],
    )
    ids = vest_ids + district_ids
    by_line = {item.line_id: tx for item, tx in zip(vesting, ids, strict=False)}
    district_txs = dict(zip(district_order, ids[len(vesting) :], strict=True))
    _link(settled, by_line, district_txs, run_id, written)
    return totals


def _link(
    settled: Sequence[Settled],
    by_line: dict[int, int],
    district_txs: dict[int, int],
    run_id: int | None,
    written: Sequence[LineRow],
) -> None:
    """Set each settled line's transaction and settling run, and clear them on a written
    line left unsettled (pooled into a pending year, R-VE11), in one UPDATE of the lines
    not already written so (lines written or settled by this run hold theirs): the
    district's lines, the pooled ones, a replayed transfer's."""
    wanted: dict[int, tuple[int | None, int | None]] = {r.id: (None, None) for r in written}
    for item in settled:
        if item.outcome == VestingLine.Outcome.TO_DISTRICT:
            wanted[item.line_id] = (district_txs.get(item.employer_id), run_id)
        else:
            wanted[item.line_id] = (by_line.get(item.line_id), run_id)
    as_written = {
        r.id: (r.transaction_id, run_id if r.outcome != VestingLine.Outcome.PENDING else None)
        for r in written
    }
    as_written.update({s.line_id: (s.transaction_id, run_id) for s in settled if s.held})
    changed = [(i, w) for i, w in wanted.items() if as_written.get(i, (0, 0)) != w]
    if not changed:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE vesting_vestingline l
               SET transaction_id = v.tx, settled_run_id = v.run
              FROM unnest(%(ids)s::bigint[], %(txs)s::bigint[], %(runs)s::bigint[])
                   AS v(id, tx, run)
             WHERE l.id = v.id
            """,
            {
                "ids": [i for i, _ in changed],
                "txs": [w[0] for _, w in changed],
                "runs": [w[1] for _, w in changed],
            },
        )


# --- At separation -------------------------------------------------------------------------


def vest_at_separation(*, employee: Employee) -> VestingLine | None:
    """R-VE4: the partial year of separation vests at separation (after a full year).

    The same computation as the rollover, for one employee and the separation year, at
    the time of the separation; the posting is dated the separation date. Nothing is
    written when the year does not vest at separation (no full year before it: it goes to
    the district at the year's rollover; a full year of separation: it vests on July 1;
    the strict setting: the district); the line is then written by the rollover.
    Idempotent: the year's line is written once.
    """
    if employee.separation_date is None:
        return None
    cutover = GoLiveEmployer.cutover_of(employee.employer_id)
    if cutover is not None and employee.separation_date <= cutover:
        return None  # the earlier administrator's year, carried in at go-live (vesting.golive)
    year = policy_year_of(employee.separation_date)
    with db_transaction.atomic():
        general_trust = lock_general_trust(employee.employer_id)
        general_trusts = {employee.employer_id: general_trust}
        rows = lines_write(
            year=year,
            general_trusts=general_trusts,
            run_id=None,
            only_employee=employee.pk,
            at_separation=True,
        )
        if not rows:
            return None
        settled = [
            Settled(r.id, r.employee_id, r.employer_id, r.policy_year, r.amount, r.outcome)
            for r in rows
        ]
        lines_post(
            year=year,
            general_trusts=general_trusts,
            run_id=None,
            settled=settled,
            effective_date=employee.separation_date,
            key_prefix="separation",
            written=rows,
        )
        return VestingLine.objects.get(pk=rows[0].id)
