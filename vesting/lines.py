"""Vesting lines: one employee's (or one employer's) lines of a policy year, computed
and written by one set-based SQL statement, settled and posted to the ledger
(R-VE1, R-VE2, R-VE4, R-VE11). The rollover (:mod:`vesting.rollover`) runs this per
employer; :func:`vest_at_separation` runs it for one employee at separation.

Where the money is read from: the trust fund's spending for an employee and a policy
year is the net of the postings on the employer's General Deductible Trust Fund account
of the transactions with that employee whose ``period_start`` (the date of service) falls
in the year and whose kind is a claim payment or a reversal of one (vesting never reads
the claims app).

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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db import transaction as db_transaction
from django.db.models import Q

from accounts.models import Employee, Marriage, PlanYear
from accounts.rules import (
    monthly_deductible_shares,
    policy_year_end,
    policy_year_label,
    policy_year_of,
    policy_year_start,
    year_allotments,
)
from staywell.money import ZERO
from vesting import ledger
from vesting.models import (
    SIDE_ACCOUNT_NAME,
    Fund,
    FundKind,
    GoLiveEmployer,
    TransactionKind,
    VestingLine,
)
from vesting.rules import spouse_split


def plan_year_settings(start_year: int) -> PlanYear:
    """The plan year's row, or an unsaved one with the plan's defaults (module Decision)."""
    return PlanYear.objects.filter(start_year=start_year).first() or PlanYear(start_year=start_year)


# --- One employer step ---------------------------------------------------------------------

# One INSERT ... SELECT computes and writes the lines of one employer (or one employee) for
# one policy year. The allotment of n FULL-tier months is looked up in the plan year's
# table of n x deductible / 12 (rounded half-up), capped at the deductible (R-PY2, R-VE1).
# The computation (``_DECIDED_SQL``, its WITH ... decided part) is also SELECTed on its own
# by the re-vest of a completed year (:func:`lines_compute`, :mod:`vesting.revest`).
_DECIDED_SQL = """
WITH months AS (
    SELECT (m.ord - 1)::int AS idx,
           (%(ys)s::date + make_interval(months => (m.ord - 1)::int))::date AS first_day,
           m.share
      FROM unnest(%(shares)s::numeric[]) WITH ORDINALITY AS m(share, ord)
), emp AS (
    SELECT e.id, e.separation_date
      FROM accounts_employee e
     WHERE e.employer_id = %(employer)s
       AND e.hire_date <= %(ye)s
       AND (e.separation_date IS NULL OR e.separation_date >= %(ys)s)
       AND (%(only)s::bigint IS NULL OR e.id = %(only)s::bigint)
), cov AS (  -- R-VE1 allotment, R-VE3 full year: the first day of each month
    SELECT s.employee_id,
           (%(allotments)s::numeric[])[least(count(*) FILTER (WHERE s.tier = 'full'), 12) + 1] AS allotment,
           count(*) FILTER (WHERE s.source <> 'separation_continuation') AS months_covered
      FROM emp
      JOIN accounts_coveragesegment s
        ON s.employee_id = emp.id AND s.tier <> 'none'
       AND s.start_date <= %(ye)s AND (s.end_date IS NULL OR s.end_date >= %(ys)s)
      JOIN months m
        ON m.first_day >= s.start_date AND (s.end_date IS NULL OR m.first_day <= s.end_date)
     GROUP BY s.employee_id
), claims AS (  -- R-VE2: what the trust fund paid for the family's claims of the year
    SELECT c.employee_id,
           sum(CASE WHEN p.direction = 'credit' THEN p.amount ELSE -p.amount END) AS paid
      FROM cov c
      JOIN vesting_transaction t  -- index vesting_tx_claims_by_employee (migration 0004)
        ON t.employee_id = c.employee_id
       AND t.kind IN ('claim_payment', 'reversal')
       AND t.period_start BETWEEN %(ys)s AND %(ye)s
      JOIN vesting_posting p ON p.transaction_id = t.id AND p.account_id = %(general_trust)s
      LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
     WHERE t.kind = 'claim_payment' OR o.kind = 'claim_payment'
     GROUP BY c.employee_id
), prior AS (
    SELECT l.employee_id, bool_or(l.full_year) AS had_full
      FROM vesting_vestingline l
     WHERE l.employee_id IN (SELECT employee_id FROM cov) AND l.policy_year < %(year)s
     GROUP BY l.employee_id
), fig AS (
    SELECT c.employee_id, c.allotment,
           greatest(coalesce(cl.paid, 0), 0) AS claims,
           c.months_covered = 12 AS full_year,
           coalesce(pr.had_full, false) AS had_full,
           (e.separation_date IS NOT NULL AND e.separation_date <= %(ye)s) AS separating,
           e.separation_date
      FROM cov c
      JOIN emp e ON e.id = c.employee_id
      LEFT JOIN claims cl ON cl.employee_id = c.employee_id
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
"""
_LINES_SQL = (
    _DECIDED_SQL
    + """
INSERT INTO vesting_vestingline (
    employee_id, policy_year, allotment, trust_fund_claims, unused, full_year, amount,
    outcome, vested_on, run_id, runout_recovered, created_at)
SELECT d.employee_id, %(year)s, d.allotment, d.claims, d.unused, d.full_year, d.unused,
       d.outcome,
       CASE
           WHEN d.outcome = 'pending' THEN NULL
           WHEN d.outcome = 'vested' AND d.separating AND NOT d.full_year THEN d.separation_date
           ELSE %(rollover_day)s::date
       END,
       %(run)s, 0, now()
  FROM decided d
 WHERE NOT %(at_separation)s OR (d.outcome = 'vested' AND d.separating AND NOT d.full_year)
ON CONFLICT (employee_id, policy_year) DO NOTHING
RETURNING id, employee_id, policy_year, amount, outcome, unused, full_year
"""
)

# Earlier pending years settled by this year (R-VE4): they vest once a full year exists;
# without one they go to the district when the employee has separated.
_SETTLE_PENDING_SQL = """
UPDATE vesting_vestingline l
   SET outcome = CASE WHEN EXISTS (
                     SELECT 1 FROM vesting_vestingline f
                      WHERE f.employee_id = l.employee_id AND f.full_year
                        AND f.policy_year <= %(year)s) THEN 'vested' ELSE 'to_district' END,
       vested_on = %(rollover_day)s
  FROM accounts_employee e
 WHERE e.id = l.employee_id AND e.employer_id = %(employer)s
   AND l.outcome = 'pending' AND l.policy_year < %(year)s
   AND (EXISTS (SELECT 1 FROM vesting_vestingline f
                 WHERE f.employee_id = l.employee_id AND f.full_year
                   AND f.policy_year <= %(year)s)
        OR (e.separation_date IS NOT NULL AND e.separation_date <= %(ye)s))
RETURNING l.id, l.employee_id, l.policy_year, l.amount, l.outcome
"""


class LineRow(NamedTuple):
    """A vesting line as the lines SQL writes it (its RETURNING columns)."""

    id: int
    employee_id: int
    policy_year: int
    amount: Decimal  # dollars to vest or send to the district
    outcome: str
    unused: Decimal  # dollars: allotment - claims, before spouse pooling
    full_year: bool


@dataclass
class Settled:
    line_id: int
    employee_id: int
    policy_year: int
    amount: Decimal
    outcome: str


def pending_settle(*, year: int, employer_id: int) -> list[Settled]:
    """Settle the employer's earlier pending years that ``year`` decides (R-VE4)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SETTLE_PENDING_SQL,
            {
                "year": year,
                "employer": employer_id,
                "ye": policy_year_end(year),
                "rollover_day": policy_year_start(year + 1),
            },
        )
        return [Settled(*row) for row in cursor.fetchall()]


def lock_general_trust(employer_id: int) -> int:
    """The employer's General Deductible Trust Fund account, row-locked for the step.

    Claim payments of the employer wait until the step commits, so a claim is either in
    the step's figures or paid after the year vested (then ``runout_claim_paid``)."""
    general_trust = ledger.ledger_accounts_for_employer(employer_id).general_trust.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT balance FROM vesting_accountbalance WHERE account_id = %s FOR UPDATE",
            [general_trust],
        )
    return general_trust


def lines_write(
    *,
    year: int,
    employer_id: int,
    general_trust: int,
    run_id: int | None,
    only_employee: int | None = None,
    at_separation: bool = False,
) -> list[LineRow]:
    plan = plan_year_settings(year)
    params: dict[str, Any] = {
        "year": year,
        "ys": policy_year_start(year),
        "ye": policy_year_end(year),
        "rollover_day": policy_year_start(year + 1),
        "shares": list(monthly_deductible_shares(plan.deductible)),
        # R-PY2, R-VE1: the allotment of 0..12 FULL-tier months (n x 41.67, capped)
        "allotments": year_allotments(plan.deductible),
        "max_vest": plan.maximum_vest,
        "separation_year_vests": plan.separation_year_vests,
        "employer": employer_id,
        "general_trust": general_trust,
        "run": run_id,
        "only": only_employee,
        "at_separation": at_separation,
    }
    with connection.cursor() as cursor:
        cursor.execute(_LINES_SQL, params)
        return [LineRow(*row) for row in cursor.fetchall()]


_COMPUTE_SQL = (
    _DECIDED_SQL
    + """
SELECT employee_id, allotment, claims, full_year, separating, separation_date, unused, outcome
  FROM decided
 ORDER BY employee_id
"""
)


class ComputedLine(NamedTuple):
    """A line as the lines SQL computes it from what the database holds now (not written)."""

    employee_id: int
    allotment: Decimal  # dollars (R-VE1)
    claims: Decimal  # dollars the trust fund paid for the year (R-VE2)
    full_year: bool  # R-VE3
    separating: bool  # separated on or before the year's June 30
    separation_date: date | None
    unused: Decimal  # dollars, 0..max vest (R-VE2), before spouse pooling
    outcome: str  # vested / pending / to_district, as the rollover decides it (R-VE4)


def lines_compute(*, year: int, employer_id: int, general_trust: int) -> list[ComputedLine]:
    """The employer's lines of ``year`` as the rollover would compute them now (a SELECT of
    the lines SQL's computation; nothing written)."""
    plan = plan_year_settings(year)
    params: dict[str, Any] = {
        "year": year,
        "ys": policy_year_start(year),
        "ye": policy_year_end(year),
        "shares": list(monthly_deductible_shares(plan.deductible)),
        "allotments": year_allotments(plan.deductible),  # R-PY2, R-VE1
        "max_vest": plan.maximum_vest,
        "separation_year_vests": plan.separation_year_vests,
        "employer": employer_id,
        "general_trust": general_trust,
        "only": None,
    }
    with connection.cursor() as cursor:
        cursor.execute(_COMPUTE_SQL, params)
        return [ComputedLine(*row) for row in cursor.fetchall()]


def spouses_pool(
    *,
    year: int,
    employer_id: int,
    run_id: int,
    written: dict[int, LineRow],
    settled: list[Settled],
) -> tuple[list[Settled], int]:
    """R-VE11: the couples' amounts of ``year`` are added and vest half to each spouse.

    Returns the settled lines (the couples' replaced by their halves) and the number of
    lines written for spouses with no coverage of their own."""
    ys, ye = policy_year_start(year), policy_year_end(year)
    couples = list(
        Marriage.objects.filter(
            employee_a__employer_id=employer_id,
            employee_b__employer_id=employer_id,
            married_on__lte=ye,
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=ys))
        .select_related("employee_a", "employee_b")
    )
    if not couples:
        return settled, 0
    added = 0
    by_employee = {s.employee_id: s for s in settled}
    for marriage in couples:
        retained_id, other_id = marriage.retained_id, marriage.other_id
        retained_row = written.get(retained_id)
        if retained_row is None:
            continue  # the retained policy has no new line this year: nothing to pool
        other = marriage.employee_a if marriage.employee_a_id == other_id else marriage.employee_b
        other_row = written.get(other_id)
        if other_row is None:
            if VestingLine.objects.filter(employee_id=other_id, policy_year=year).exists():
                continue  # settled at a separation: not pooled (module Decision)
            if other.separation_date is not None and other.separation_date < ys:
                continue
        retained_line = VestingLine.objects.get(pk=retained_row.id)
        other_unused = other_row.unused if other_row is not None else ZERO
        retained_share, other_share = spouse_split(
            amount_a=retained_line.unused, amount_b=other_unused, retained_is_a=True
        )
        retained_line.amount = retained_share
        retained_line.spouse_id = other_id
        retained_line.save(update_fields=["amount", "spouse"])
        if other_row is not None:
            VestingLine.objects.filter(pk=other_row.id).update(
                amount=other_share,
                spouse_id=retained_id,
                outcome=retained_line.outcome,
                vested_on=retained_line.vested_on,
            )
            other_line_id = other_row.id
        else:
            other_line = VestingLine.objects.create(
                employee_id=other_id,
                policy_year=year,
                allotment=ZERO,
                trust_fund_claims=ZERO,
                unused=ZERO,
                full_year=False,
                amount=other_share,
                outcome=retained_line.outcome,
                vested_on=retained_line.vested_on,
                spouse_id=retained_id,
                run_id=run_id,
            )
            other_line_id = other_line.pk
            added += 1
        for employee_id, line_id, share in (
            (retained_id, retained_line.pk, retained_share),
            (other_id, other_line_id, other_share),
        ):
            by_employee.pop(employee_id, None)
            if retained_line.outcome != VestingLine.Outcome.PENDING:
                by_employee[employee_id] = Settled(
                    line_id, employee_id, year, share, retained_line.outcome
                )
    return list(by_employee.values()), added


def _side_accounts(employer_id: int, employee_ids: Sequence[int]) -> dict[int, int]:
    """The side accounts (R-FU1) of these employees, opened set-based where missing."""
    if not employee_ids:
        return {}
    fund, _ = Fund.objects.get_or_create(employer_id=employer_id, kind=FundKind.VESTED_TRUST)
    ids = sorted(set(employee_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO vesting_account
                   (fund_id, name, employee_id, normal_balance, never_negative, created_at)
            SELECT %(fund)s, %(name)s, x, 'debit', true, now()
              FROM unnest(%(ids)s::bigint[]) AS x
             WHERE NOT EXISTS (SELECT 1 FROM vesting_account a
                                WHERE a.fund_id = %(fund)s AND a.employee_id = x)
            ON CONFLICT (fund_id, employee_id) WHERE employee_id IS NOT NULL DO NOTHING
            """,
            {"fund": fund.pk, "name": SIDE_ACCOUNT_NAME, "ids": ids},
        )
        cursor.execute(
            "SELECT employee_id, id FROM vesting_account "
            "WHERE fund_id = %s AND employee_id = ANY(%s::bigint[])",
            [fund.pk, ids],
        )
        return dict(cursor.fetchall())


def lines_post(
    *,
    year: int,
    employer_id: int,
    run_id: int | None,
    settled: Sequence[Settled],
    effective_date: date,
    key_prefix: str | None = None,
) -> tuple[Decimal, Decimal]:
    """Post the settled lines through the ledger's batch path and link them to it.

    One vesting transfer per employee and year vested (R-VE3: General Deductible Trust
    Fund -> side account) and one unvested transfer to the district for all of the
    employer's lines that go there (R-VE4, R-FU1). Returns (vested, to district) dollars.
    """
    prefix = key_prefix or f"{year}"
    vesting = [s for s in settled if s.outcome == VestingLine.Outcome.VESTED and s.amount > 0]
    district = [s for s in settled if s.outcome == VestingLine.Outcome.TO_DISTRICT]
    district_total = sum((s.amount for s in district), ZERO)
    if not vesting and district_total <= ZERO:
        _link(settled, {}, None, run_id)
        return ZERO, ZERO
    general_trust = ledger.ledger_accounts_for_employer(employer_id)
    sides = _side_accounts(employer_id, [s.employee_id for s in vesting])
    entries: list[ledger.TransactionSpec] = []
    for item in vesting:
        entries.append(
            ledger.TransactionSpec(
                kind=TransactionKind.VESTING_TRANSFER,
                effective_date=effective_date,
                lines=[
                    ledger.debit(sides[item.employee_id], item.amount),
                    ledger.credit(general_trust.general_trust.pk, item.amount),
                ],
                memo=f"Vested for {policy_year_label(item.policy_year)}",
                idempotency_key=f"vest:{prefix}:{item.employee_id}:{item.policy_year}",
                employee_id=item.employee_id,
                period_start=policy_year_start(item.policy_year),
                period_end=policy_year_end(item.policy_year),
            )
        )
    if district_total > ZERO:
        entries.append(
            ledger.TransactionSpec(
                kind=TransactionKind.UNVESTED_TRANSFER,
                effective_date=effective_date,
                lines=[
                    ledger.debit(general_trust.district.pk, district_total),
                    ledger.credit(general_trust.general_trust.pk, district_total),
                ],
                memo=f"Unvested amounts to the district, rollover of {policy_year_label(year)}",
                idempotency_key=f"unvested:{prefix}:{employer_id}",
                period_start=policy_year_start(year),
                period_end=policy_year_end(year),
            )
        )
    ids = ledger.post_transactions_batch(entries=entries)
    by_line = {item.line_id: tx for item, tx in zip(vesting, ids, strict=False)}
    district_tx = ids[-1] if district_total > ZERO else None
    _link(settled, by_line, district_tx, run_id)
    vested_total = sum((s.amount for s in vesting), ZERO)
    return vested_total, district_total


def _link(
    settled: Sequence[Settled],
    by_line: dict[int, int],
    district_tx: int | None,
    run_id: int | None,
) -> None:
    """Set each settled line's transaction and settling run, in one UPDATE."""
    if not settled:
        return
    line_ids, tx_ids = [], []
    for item in settled:
        line_ids.append(item.line_id)
        if item.outcome == VestingLine.Outcome.TO_DISTRICT:
            tx_ids.append(district_tx)
        else:
            tx_ids.append(by_line.get(item.line_id))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE vesting_vestingline l
               SET transaction_id = v.tx, settled_run_id = %(run)s
              FROM unnest(%(ids)s::bigint[], %(txs)s::bigint[]) AS v(id, tx)
             WHERE l.id = v.id
            """,
            {"ids": line_ids, "txs": tx_ids, "run": run_id},
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
        rows = lines_write(
            year=year,
            employer_id=employee.employer_id,
            general_trust=general_trust,
            run_id=None,
            only_employee=employee.pk,
            at_separation=True,
        )
        if not rows:
            return None
        settled = [Settled(r.id, r.employee_id, r.policy_year, r.amount, r.outcome) for r in rows]
        lines_post(
            year=year,
            employer_id=employee.employer_id,
            run_id=None,
            settled=settled,
            effective_date=employee.separation_date,
            key_prefix="separation",
        )
        return VestingLine.objects.get(pk=rows[0].id)
