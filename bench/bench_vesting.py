"""Benchmark of the July 1 rollover. Not a test: prints figures, gates nothing.

    .venv/bin/python bench/bench_vesting.py [--employers 300] [--employees 100000]
                                            [--claims 1000000] [--year 1985]
                                            [--history 2] [--seed 1] [--no-revest]

Runs against its own database, ``staywell_bench_vesting``, on the same PostgreSQL server as
the app (the embedded one when ``DATABASE_URL`` is unset; otherwise the server of
``DATABASE_URL``): drops and recreates it, migrates, then

1. ``generate_pool --employers --employees`` (COPY; ten policy years ending 1986-87);
2. the rollovers of the ``--history`` years before ``--year`` (so that earlier full and
   partial years exist, as they would), timed but not the point;
3. ``--claims`` trust-fund claim payments with dates of service in ``--year``, posted
   through the ledger's batch path (``post_transactions_batch``, COPY) with the claim's
   employee and date of service, exactly as ``post_claim_payment`` records them;

and prints the time of the rollover of ``--year``, of a second (no-op) run of the same year
(target: under 5 s), and of a third run with the employer-years removed, which re-checks
every employer against the unique vesting lines.

4. THE FLOOR: the two statements of ``../shared/peers/rollover_limit.py`` (one set-based
   INSERT ... SELECT computing every vest, one INSERT of the postings) on tables of the
   same size (``--employees`` employees, ``--claims`` claims, in their own schema), in the
   same PostgreSQL and the same run; then the ratio rollover / floor (target: under 5).

It then times the re-vest of one employer's ``--year`` with no change
(:func:`revest_no_change`: the preview and the apply of the median-sized employer, which
must post nothing; target: under 1 s); ``--no-revest`` skips it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from benchdb import fresh_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DB = "staywell_bench_vesting"
BATCH = 50_000  # claim payments per post_transactions_batch call (100,000 postings)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employers", type=int, default=300)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=1985, help="the policy year rolled over")
    parser.add_argument("--history", type=int, default=2, help="earlier years rolled first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-revest",
        dest="revest",
        action="store_false",
        help="skip the no-change re-vest of one employer",
    )
    return parser.parse_args()


def setup_django() -> None:
    """Point Django at a fresh bench database, set it up and import the app (module globals:
    the app's modules need the settings, so they are imported here, once)."""
    global call_command, connection, policy_year_end, policy_year_start, ledger, vesting_rollover
    global VestingLine, VestingRun, VestingRunEmployerStep
    global PAYEES_ACCOUNT, TransactionSpec, credit, debit, rollover_completed, Count
    os.environ["DATABASE_URL"] = fresh_database_url(BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "staywell.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("vesting").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from accounts.rules import policy_year_end, policy_year_start
    from vesting import ledger
    from vesting import rollover as vesting_rollover
    from vesting.ledger import PAYEES_ACCOUNT, TransactionSpec, credit, debit
    from vesting.models import VestingLine, VestingRun, VestingRunEmployerStep
    from vesting.signals import rollover_completed


def generate_the_pool(args: argparse.Namespace) -> None:
    """1. The pool."""
    started = time.perf_counter()
    call_command(
        "generate_pool",
        employers=args.employers,
        employees=args.employees,
        seed=args.seed,
        until=1986,
        stdout=open(os.devnull, "w"),
    )
    print(
        f"generate_pool: {args.employers} employers, {args.employees:,} employees "
        f"in {time.perf_counter() - started:.1f} s"
    )


def rollover(year: int) -> tuple[float, VestingRun]:
    begun = time.perf_counter()
    run = vesting_rollover.rollover_start(
        policy_year=year,
        today=policy_year_start(year + 1),
        queue=False,
        override_reason="Benchmark: the generated pool has no month closes.",
    )
    run = vesting_rollover.rollover_execute(run.pk)
    return time.perf_counter() - begun, run


def roll_the_earlier_years(args: argparse.Namespace) -> None:
    """2. Earlier years."""
    for year in range(args.year - args.history, args.year):
        seconds, run = rollover(year)
        print(
            f"history: rollover of {run.label} in {seconds:.1f} s "
            f"({run.lines_written:,} lines, {run.amount_vested:,} vested)"
        )


def full_tier_employees(year: int) -> list[tuple[int, int]]:
    """(employee id, employer id) of everyone covered in the FULL tier during ``year``."""
    ys, ye = policy_year_start(year), policy_year_end(year)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT s.employee_id, e.employer_id
              FROM accounts_coveragesegment s JOIN accounts_employee e ON e.id = s.employee_id
             WHERE s.tier = 'full' AND s.start_date <= %s
               AND (s.end_date IS NULL OR s.end_date >= %s)
             ORDER BY 1
            """,
            [ye, ys],
        )
        return cursor.fetchall()


def post_a_year_of_claims(args: argparse.Namespace) -> None:
    """3. A year of claims, through the ledger's batch path."""
    ys, ye = policy_year_start(args.year), policy_year_end(args.year)
    covered = full_tier_employees(args.year)
    ledgers = {}
    for _, employer_id in covered:
        if employer_id not in ledgers:
            books = ledger.ledger_accounts_for_employer(employer_id)
            ledgers[employer_id] = (books.general_trust.pk, books.account(PAYEES_ACCOUNT).pk)
    rng = random.Random(args.seed)
    days = (ye - ys).days + 1
    started = time.perf_counter()
    posted = 0
    while posted < args.claims:
        entries = []
        for _ in range(min(BATCH, args.claims - posted)):
            employee_id, employer_id = covered[rng.randrange(len(covered))]
            general_trust, payees = ledgers[employer_id]
            service = ys + timedelta(days=rng.randrange(days))
            paid = min(service + timedelta(days=rng.randrange(10, 60)), date(args.year + 1, 9, 30))
            amount = Decimal(rng.randrange(500, 9000)) / 100  # 5.00 .. 89.99
            entries.append(
                TransactionSpec(
                    kind="claim_payment",
                    effective_date=paid,
                    lines=[debit(payees, amount), credit(general_trust, amount)],
                    employee_id=employee_id,
                    period_start=service,
                    period_end=service,
                    reference=f"bench claim {posted + len(entries)}",
                )
            )
        ledger.post_transactions_batch(entries=entries)
        posted += len(entries)
    print(
        f"claims: {posted:,} trust-fund claim payments for {len(covered):,} employees "
        f"posted in {time.perf_counter() - started:.1f} s (set-up, not measured)"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT staywell_analyze(NULL)")  # as the tables' owner


# The rollover's phases, timed by wrapping the functions ``rollover_batch`` calls (the
# rest of the batch is the commit: the deferred checks of balances and foreign keys).
PHASES = {
    "rollover": [
        "rollover_batch",
        "lock_general_trusts",
        "lines_write",
        "spouses_pool",
        "pending_settle",
        "lines_post",
        "_refresh_separated",
        "_record_steps",
    ],
    "lines": ["_side_accounts", "_district_accounts", "_link"],
    "posting": ["post_transfers_set"],
}
phase_seconds: dict[str, float] = {}


def time_the_phases() -> None:
    import functools
    import importlib

    modules = {
        "rollover": vesting_rollover,
        "lines": importlib.import_module("vesting.lines"),
        "posting": importlib.import_module("vesting.ledger"),
    }
    for key, names in PHASES.items():
        for name in names:
            function = getattr(modules[key], name)

            def timed(*a, _function=function, _name=name, **k):  # type: ignore[no-untyped-def]
                begun = time.perf_counter()
                try:
                    return _function(*a, **k)
                finally:
                    seconds = time.perf_counter() - begun
                    phase_seconds[_name] = phase_seconds.get(_name, 0.0) + seconds

            setattr(modules[key], name, functools.wraps(function)(timed))


def roll_the_year_three_times(args: argparse.Namespace) -> float:
    """4. The rollover, then again. Returns the rollover's seconds."""
    phase_seconds.clear()
    rollover_seconds, run = rollover(args.year)
    phases = dict(phase_seconds)
    print(
        f"ROLLOVER of {run.label}: {rollover_seconds:.2f} s - {run.status}, "
        f"{run.employers_done} employer-years, {run.lines_written:,} lines, "
        f"{run.employees_vested:,} employees vested, {run.amount_vested:,} vested, "
        f"{run.amount_to_district:,} to the districts"
    )
    batch = phases.pop("rollover_batch", 0.0)
    inside = sum(phases.get(name, 0.0) for name in PHASES["rollover"])
    print(
        "  phases: "
        + ", ".join(f"{name.strip('_')} {seconds:.2f} s" for name, seconds in phases.items())
        + f"; the batch's commit (deferred balance and foreign-key checks) {batch - inside:.2f} s; "
        f"outside the batch {rollover_seconds - batch:.2f} s"
    )
    lines_before = VestingLine.objects.count()
    seconds, run = rollover(args.year)
    print(f"SECOND RUN (no-op) of {run.label}: {seconds:.2f} s  (target < 5 s)")
    VestingRunEmployerStep.objects.filter(run=run).delete()
    VestingRun.objects.filter(pk=run.pk).update(status="running", heartbeat_at=None)
    begun = time.perf_counter()
    run = vesting_rollover.rollover_execute(run.pk)
    seconds = time.perf_counter() - begun
    assert VestingLine.objects.count() == lines_before, "a repeat wrote lines"
    print(
        f"THIRD RUN with the employer-years removed (every employer re-checked against the "
        f"unique lines): {seconds:.2f} s, nothing written"
    )
    return rollover_seconds


# The floor (../shared/peers/rollover_limit.py), its tables in their own schema.
FLOOR_SETUP = """
DROP SCHEMA IF EXISTS bench_floor CASCADE;
CREATE SCHEMA bench_floor;
CREATE TABLE bench_floor.employee(id serial primary key, employer int, full_months int);
CREATE TABLE bench_floor.claim(id bigserial primary key, employee_id int, policy_year int,
                               trust_paid numeric(14,2));
CREATE TABLE bench_floor.vest(employee_id int, policy_year int, allotment numeric(14,2),
                              used numeric(14,2), vested numeric(14,2),
                              primary key(employee_id, policy_year));
CREATE TABLE bench_floor.posting(id bigserial primary key, txn bigint, account bigint,
                                 amount numeric(14,2));
INSERT INTO bench_floor.employee(employer, full_months)
SELECT g %% %(employers)s, CASE WHEN g %% 10 = 0 THEN 7 ELSE 12 END
  FROM generate_series(1, %(employees)s) g;
INSERT INTO bench_floor.claim(employee_id, policy_year, trust_paid)
SELECT 1 + (g %% %(employees)s), 1984, round((random() * 80)::numeric, 2)
  FROM generate_series(1, %(claims)s) g;
"""
FLOOR_VEST = """
INSERT INTO bench_floor.vest(employee_id, policy_year, allotment, used, vested)
SELECT e.id, 1984, round(500.00 * e.full_months / 12, 2), coalesce(c.used, 0),
       least(500.00, greatest(0, round(500.00 * e.full_months / 12, 2) - coalesce(c.used, 0)))
  FROM bench_floor.employee e
  LEFT JOIN (SELECT employee_id, sum(trust_paid) used FROM bench_floor.claim
              WHERE policy_year = 1984 GROUP BY employee_id) c ON c.employee_id = e.id
 WHERE e.full_months = 12
"""
FLOOR_POSTINGS = """
INSERT INTO bench_floor.posting(txn, account, amount)
SELECT v.employee_id, 1, -v.vested FROM bench_floor.vest v WHERE v.vested > 0
UNION ALL
SELECT v.employee_id, 1000 + v.employee_id, v.vested FROM bench_floor.vest v WHERE v.vested > 0
"""


def the_floor(args: argparse.Namespace) -> float:
    """5. The floor's two statements, timed (each committed, as psql does), as the owner
    role: the floor's tables are its own, in a schema of their own."""
    from staywell.db import as_owner

    with as_owner(), connection.cursor() as cursor:
        cursor.execute(
            FLOOR_SETUP,
            {"employers": args.employers, "employees": args.employees, "claims": args.claims},
        )
        cursor.execute("ANALYZE bench_floor.employee; ANALYZE bench_floor.claim")
        begun = time.perf_counter()
        cursor.execute(FLOOR_VEST)
        vest = time.perf_counter() - begun
        begun = time.perf_counter()
        cursor.execute(FLOOR_POSTINGS)
        postings = time.perf_counter() - begun
        cursor.execute("DROP SCHEMA bench_floor CASCADE")
    print(
        f"FLOOR (rollover_limit.py's two statements, {args.employees:,} employees, "
        f"{args.claims:,} claims): {vest + postings:.2f} s (vests {vest:.2f} s, "
        f"postings {postings:.2f} s)"
    )
    return vest + postings


def revest_no_change(year: int) -> tuple[float, float, int]:
    """6. A re-vest of one employer's ``year`` with nothing new: (preview s, apply s, size).

    The median-sized employer of the pool; the apply must find no difference and post
    nothing (asserted)."""
    from accounts.models import Employee
    from vesting import revest
    from vesting.models import Transaction

    sizes = sorted(
        Employee.objects.values("employer_id")
        .annotate(n=Count("id"))
        .values_list("n", "employer_id")
    )
    size, employer_id = sizes[len(sizes) // 2]
    begun = time.perf_counter()
    preview = revest.revest_preview(employer_id=employer_id, policy_year=year)
    previewed = time.perf_counter() - begun
    assert preview.changes == [], f"{len(preview.changes)} differences found"
    transactions = Transaction.objects.count()
    begun = time.perf_counter()
    revest.revest_apply(employer_id=employer_id, policy_year=year)
    applied = time.perf_counter() - begun
    assert Transaction.objects.count() == transactions, "a no-change re-vest posted"
    return previewed, applied, size


def main() -> None:
    args = parse_args()
    setup_django()
    rollover_completed.receivers = []  # the reports' year-end jobs are not measured here
    print(f"database: {connection.settings_dict['NAME']}  (cpus: {os.cpu_count()})")
    call_command("migrate", verbosity=0)
    time_the_phases()
    generate_the_pool(args)
    roll_the_earlier_years(args)
    post_a_year_of_claims(args)
    rollover_seconds = roll_the_year_three_times(args)
    floor_seconds = the_floor(args)
    print(
        f"RATIO rollover / floor: {rollover_seconds:.2f} s / {floor_seconds:.2f} s = "
        f"{rollover_seconds / floor_seconds:.1f}  (target < 5)"
    )
    if args.revest:
        previewed, applied, size = revest_no_change(args.year)
        print(
            f"REVEST of one employer ({size:,} employees) with no change: preview "
            f"{previewed:.2f} s, apply {applied:.2f} s  (target < 1 s), nothing posted"
        )


if __name__ == "__main__":
    main()
