"""Benchmark of plan economics (section 8). Not a test: prints figures, gates nothing.

    .venv/bin/python bench/bench_economics.py [--employers 300] [--employees 100000]
                                              [--claims-per-year 4] [--claim-years 3]
                                              [--runs 10] [--reuse]

Runs against its own database, ``staywell_bench_economics``, on the same PostgreSQL server
as the app (the embedded one when ``DATABASE_URL`` is unset): drops and recreates it (with
``--reuse``, keeps one built before), migrates, then builds ten years of a statewide pool:

1. ``generate_pool`` (``--employees`` in ``--employers``, policy years 1977-78 to 1986-87);
2. every employer's monthly trust-fund contributions July 1977 to June 1986, counted from
   the FULL-tier coverage of each month's first day in one grouped query, posted through
   the ledger's batch path (``post_transactions_batch``);
3. ``generate_claims --per-employee-year --years`` for the last ``--claim-years`` years
   before 1986-87 (claims split in SQL, trust-fund shares paid through the ledger's batch
   path, with service categories);
4. quarterly interest and administrative costs of every employer for the ten years;
5. the vesting app's own rollovers of 1977-78 to 1985-86, oldest first (vesting lines and
   transfers), then lump sums to the employees who left with money in their side account.

Then, with the data warm (one request first), it prints the median and the spread of
``--runs`` requests through the test client, logged in as a superintendent:

- the results page (``GET /economics/``) of the pool and of the largest employer, and the
  projection page of the pool (``GET /economics/projection/``: results, the history read
  once, the four options and the sensitivity), each computed (the pages' cache emptied
  before each request, as after any posting) and as served (from the cache);
- the results selector, and one pool projection: the history read, the projection and
  the sensitivity (and the pure computation alone);

and, once each, the pool's utilization job (year by year), the pool's PDF, the load
average of the machine beside the figures. Target: under 500 ms each for the results page
and the pool projection, warm.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from benchdb import fresh_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DB = "staywell_bench_economics"
FIRST, LAST = 1977, 1985  # the policy years with ledger history (1977-78 .. 1985-86)
BATCH = 50_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employers", type=int, default=300)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--claims-per-year", type=int, default=4)
    parser.add_argument("--claim-years", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="keep a database built before")
    return parser.parse_args()


def load() -> str:
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "load: " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def setup(args: argparse.Namespace) -> bool:
    """Django on the bench database; True when the data is there already (``--reuse``)."""
    os.environ["DATABASE_URL"] = fresh_database_url(BENCH_DB, reuse=args.reuse)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="staywell-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "staywell.settings")
    import logging

    import django

    django.setup()
    for noisy in ("vesting", "weasyprint", "fontTools", "claims"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from django.core.management import call_command

    from accounts.models import Employer

    call_command("migrate", verbosity=0)
    return args.reuse and Employer.objects.exists()


# --- Building the pool's history ---------------------------------------------------------

_FULL_ON_FIRSTS = """
SELECT e.employer_id, m.month::date, count(*)
  FROM generate_series(%(first)s::date, %(last)s::date, interval '1 month') AS m(month)
  JOIN accounts_coveragesegment s
    ON s.tier = 'full' AND s.start_date <= m.month
   AND (s.end_date IS NULL OR s.end_date >= m.month)
  JOIN accounts_employee e ON e.id = s.employee_id
 GROUP BY 1, 2
"""


def contributions() -> int:
    """2. The monthly contributions: FULL-tier employees on each first x the schedule's
    trust-fund rate of the month's plan year."""
    from django.db import connection

    from accounts.models import PremiumSchedule
    from accounts.rules import policy_year_of
    from vesting import ledger
    from vesting.ledger import PROGRAM_CHARGES_ACCOUNT, TransactionSpec, credit, debit

    rates = {
        row.plan_year.start_year: row.trust_fund_employer + row.trust_fund_employee
        for row in PremiumSchedule.objects.filter(tier="full").select_related("plan_year")
    }
    with connection.cursor() as cursor:
        cursor.execute(_FULL_ON_FIRSTS, {"first": date(FIRST, 7, 1), "last": date(LAST + 1, 6, 1)})
        rows = cursor.fetchall()
    books = {}
    entries = []
    for employer_id, month, count in rows:
        amount = rates[policy_year_of(month)] * count
        if employer_id not in books:
            books[employer_id] = ledger.ledger_accounts_for_employer(employer_id)
        book = books[employer_id]
        entries.append(
            TransactionSpec(
                kind="employer_contribution",
                effective_date=month,
                lines=[debit(book.general_trust, amount), credit(book.account(PROGRAM_CHARGES_ACCOUNT), amount)],
                period_start=month,
                period_end=month.replace(day=28),
            )
        )  # fmt: skip
    for start in range(0, len(entries), BATCH):
        ledger.post_transactions_batch(entries=entries[start : start + BATCH])
    return len(entries)


def district() -> int:
    """4. Quarterly interest and administrative costs of every employer, ten years."""
    import random

    from accounts.models import Employer
    from vesting import ledger
    from vesting.ledger import (
        ADMINISTRATIVE_EXPENSES_ACCOUNT,
        BANK_ACCOUNT,
        TransactionSpec,
        credit,
        debit,
    )

    rng = random.Random(11)
    entries = []
    for employer_id in Employer.objects.values_list("pk", flat=True):
        book = ledger.ledger_accounts_for_employer(employer_id)
        for year in range(FIRST, LAST + 1):
            for end in (
                date(year, 9, 30),
                date(year, 12, 31),
                date(year + 1, 3, 31),
                date(year + 1, 6, 30),
            ):
                interest = Decimal(rng.randint(10_000, 400_000)) / 100
                cost = Decimal(rng.randint(5_000, 100_000)) / 100
                period = {"period_start": end.replace(day=1), "period_end": end}
                entries.append(
                    TransactionSpec(
                        kind="interest",
                        effective_date=end,
                        lines=[
                            debit(book.district, interest),
                            credit(book.account(BANK_ACCOUNT), interest),
                        ],
                        earned_by="general_trust",
                        **period,
                    )
                )
                payee = book.account(ADMINISTRATIVE_EXPENSES_ACCOUNT)
                entries.append(
                    TransactionSpec(
                        kind="administrative_expense",
                        effective_date=end,
                        lines=[debit(payee, cost), credit(book.district, cost)],
                        **period,
                    )
                )
    for start in range(0, len(entries), BATCH):
        ledger.post_transactions_batch(entries=entries[start : start + BATCH])
    return len(entries)  # fmt: skip


def rollovers() -> None:
    """5. The vesting app's rollovers, oldest first (the reports' listener, which would
    queue 300 PDFs a year, is left out)."""
    from accounts.rules import policy_year_start
    from vesting import rollover
    from vesting.signals import rollover_completed

    rollover_completed.disconnect(dispatch_uid="reports.fund_reports_on_rollover")
    for year in range(FIRST, LAST + 1):
        started = time.perf_counter()
        run = rollover.rollover_start(
            policy_year=year,
            today=policy_year_start(year + 1),
            queue=False,
            override_reason="Benchmark: the generated pool has no month closes.",
        )
        run = rollover.rollover_execute(run.pk)
        print(
            f"    rollover {run.label}: {time.perf_counter() - started:.1f} s, "
            f"{run.lines_written:,} lines, {run.amount_vested:,} vested",
            flush=True,
        )


def lump_sums() -> int:
    """Lump sums to the employees who left with money in their side account (the day
    after they left, or July 1, 1986 for money vested later)."""
    from datetime import timedelta

    from accounts.models import Employee
    from vesting import ledger
    from vesting.ledger import TransactionSpec, credit, debit
    from vesting.models import AccountBalance

    left = dict(
        Employee.objects.filter(separation_date__lt=date(1986, 6, 1)).values_list(
            "pk", "separation_date"
        )
    )
    balances = AccountBalance.objects.filter(
        account__employee_id__in=list(left), account__never_negative=True, balance__gt=0
    ).values_list("account_id", "account__employee_id", "account__fund__employer_id", "balance")
    entries = []
    for account_id, employee_id, employer_id, balance in balances:
        payee = ledger.payee_account_for(employer_id, name="Lump sums")
        day = max(left[employee_id] + timedelta(days=1), date(1986, 6, 1))
        entries.append(
            TransactionSpec(
                kind="lump_sum_payout",
                effective_date=day,
                lines=[debit(payee, balance), credit(account_id, balance)],
                employee_id=employee_id,
            )
        )
    for start in range(0, len(entries), BATCH):
        ledger.post_transactions_batch(entries=entries[start : start + BATCH])
    return len(entries)  # fmt: skip


def build(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    print("set-up (not measured):", flush=True)
    timed(
        f"generate_pool {args.employees:,} employees / {args.employers} employers",
        lambda: call_command(
            "generate_pool", employers=args.employers, employees=args.employees, years=10,
            until=1986, seed=1, prefix="G", stdout=open(os.devnull, "w"),
        ),
    )  # fmt: skip
    count = timed("contributions 1977-78 .. 1985-86 (batch)", contributions)
    print(f"    {count:,} contributions")
    timed(
        f"generate_claims {args.claims_per_year} per employee-year, {args.claim_years} years",
        lambda: call_command(
            "generate_claims", per_employee_year=args.claims_per_year, years=args.claim_years,
            until=LAST, seed=1, stdout=open(os.devnull, "w"),
        ),
    )  # fmt: skip
    count = timed("interest and administrative costs (batch)", district)
    print(f"    {count:,} entries")
    timed("rollovers 1977-78 .. 1985-86 (vesting app)", rollovers)
    count = timed("lump sums (batch)", lump_sums)
    print(f"    {count:,} lump sums")
    vacuum()


def vacuum() -> None:
    import psycopg
    from django.db import connection

    connection.close()
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")
        sizes = raw.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname IN "
            "('vesting_posting', 'vesting_transaction', 'vesting_fundmonthtotal', "
            "'vesting_vestingline', 'claims_claim', 'claims_familyyear', 'accounts_employee') "
            "ORDER BY relname"
        ).fetchall()
    print("rows: " + ", ".join(f"{name} {count:,}" for name, count in sizes))


# --- Measuring ---------------------------------------------------------------------------


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    return (
        f"median {statistics.median(ordered) * 1000:7.1f} ms   "
        f"min {ordered[0] * 1000:7.1f}   max {ordered[-1] * 1000:7.1f}   ({len(ordered)} runs)"
    )


def measure(label: str, fn, runs: int, *, cold: bool = False) -> None:
    """``fn``'s times, warm (the data in PostgreSQL's buffers after a first call); with
    ``cold``, the pages' cache emptied before each call (as after any posting)."""
    from django.core.cache import cache

    fn()  # warm: connections, the planner's statistics, the pages' templates
    times = []
    for _ in range(runs):
        if cold:
            cache.clear()
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    print(f"  {label:<64} {summary(times)}", flush=True)


def get(client, url: str):
    def request():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return request


def measure_pages(args: argparse.Namespace) -> None:
    from django.contrib.auth.models import User
    from django.db.models import Count
    from django.test import Client

    from accounts.models import Employer
    from reports.economics import rules, selectors
    from staywell.roles import role_group

    user, _ = User.objects.get_or_create(username="bench-super")
    user.groups.add(role_group("superintendent"))
    client = Client()
    client.force_login(user)
    largest = (
        Employer.objects.annotate(n=Count("employees"))
        .order_by("-n")
        .values_list("pk", "n")
        .first()
    )
    print(f"\n{load()}")
    print(
        f"plan economics, warm ({args.runs} requests each, as of {selectors.scope_as_of(employer_id=None)}):"
    )
    largest_url = f"/economics/?employer={largest[0]}"
    for cold, mode in ((True, "computed (cache emptied)"), (False, "as served (cached)")):
        measure(f"results page, pool, {mode}", get(client, "/economics/"), args.runs, cold=cold)
        measure(
            f"results page, largest employer ({largest[1]:,}), {mode}",
            get(client, largest_url),
            args.runs,
            cold=cold,
        )
        measure(
            f"projection page, pool, {mode}",
            get(client, "/economics/projection/"),
            args.runs,
            cold=cold,
        )
    results = selectors.results_since_inception()
    measure(
        "results since inception, pool (selector)",
        selectors.results_since_inception,
        args.runs,
    )
    measure(
        "  the same without the families (the projection's)",
        lambda: selectors.results_since_inception(families=False),
        args.runs,
    )

    def pool_projection():
        history = selectors.projection_history(employer_id=None, results=results)
        assumptions = rules.default_assumptions(history)
        return rules.project(history, assumptions), rules.sensitivity(history, assumptions)

    measure(
        "one pool projection: history read + projection + sensitivity", pool_projection, args.runs
    )
    measure(
        "  of which: the history read (selector)",
        lambda: selectors.projection_history(employer_id=None, results=results),
        args.runs,
    )
    history = selectors.projection_history(employer_id=None, results=results)
    assumptions = rules.default_assumptions(history)
    measure(
        "  of which: projection + sensitivity (pure)",
        lambda: (rules.project(history, assumptions), rules.sensitivity(history, assumptions)),
        args.runs,
    )
    print(f"{load()}")
    years = results.years
    print(
        f"  pool: {len(years)} policy years, savings since inception {results.results.totals['savings']:,}, "
        f"vested liability {results.results.vested_liability:,}; projection history: "
        f"{history.claims.family_years:,} family-years in {len(history.claims.points)} buckets"
    )  # fmt: skip


def measure_once() -> None:
    from django.utils import timezone

    from reports.economics import selectors, services
    from staywell.jobs import job_create

    as_of = selectors.scope_as_of(employer_id=None)
    job = job_create(
        kind=services.UTILIZATION_JOB_KIND,
        title="bench",
        parameters={"employer_id": None, "as_of": as_of.isoformat()},
    )
    started = time.perf_counter()
    job = services.utilization_compute(job_id=job.pk)
    print(
        f"  pool utilization watch (the job, {job.total} policy years): {time.perf_counter() - started:.2f} s, {job.status}"
    )
    results = selectors.results_since_inception()
    started = time.perf_counter()
    page = selectors.projection_page(employer_id=None, results=results)
    utilization = selectors.utilization_cached(employer_id=None, as_of=as_of)
    document = services.EconomicsDocument(results, page, utilization, "suggested by the history")
    pdf = services.economics_pdf(document, printed_on=timezone.localdate())
    print(
        f"  pool PDF (compute + render): {time.perf_counter() - started:.2f} s ({len(pdf):,} bytes)"
    )
    print(f"{load()}")  # fmt: skip


def main() -> None:
    args = parse_args()
    reused = setup(args)
    from django.db import connection

    print(f"database: {connection.settings_dict['NAME']}  (cpus: {os.cpu_count()})")
    print(load())
    if reused:
        print("set-up: reusing the database built before (--reuse)")
    else:
        build(args)
    measure_pages(args)
    measure_once()


if __name__ == "__main__":
    main()
