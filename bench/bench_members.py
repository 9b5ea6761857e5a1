"""Benchmark of members and coverage. Not a test: prints figures, gates nothing.

    .venv/bin/python bench/bench_members.py [--employees 100000] [--employers 300] [--keep]

Runs against its own database, ``staywell_bench``, on the same PostgreSQL server as the
app (the embedded one when ``DATABASE_URL`` is unset; otherwise the server of
``DATABASE_URL``): drops and recreates it, migrates, then prints

1. the time of ``generate_pool`` for the pool (default 300 employers, 100,000 employees,
   10 years of history, COPY);
2. the median and p95 of ``monthly_premium_charges`` over 20 runs for an employer of
   1,000 employees (generated with ``generate_pool --employers 1 --employees 1000``);
3. for reference, ``monthly_premium_charges_all`` for the whole pool and the
   "who is covered on the 1st" query.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from benchdb import fresh_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DB = "staywell_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employers", type=int, default=300)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = fresh_database_url(BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "staywell.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from accounts import selectors
    from accounts.models import CoverageSegment, Employee, Employer

    print(f"database: {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)

    started = time.perf_counter()
    call_command(
        "generate_pool",
        employers=args.employers,
        employees=args.employees,
        years=args.years,
        seed=1,
        prefix="G",
    )
    pool_seconds = time.perf_counter() - started
    print(
        f"generate_pool {args.employees:,} employees / {args.employers} employers / "
        f"{args.years} years: {pool_seconds:.1f} s "
        f"({CoverageSegment.objects.count():,} coverage segments)"
    )

    call_command(
        "generate_pool", employers=1, employees=1000, years=args.years, seed=2, prefix="BIG"
    )
    big = Employer.objects.get(code="BIG0001")
    size = Employee.objects.filter(employer=big).count()
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        charges = selectors.monthly_premium_charges(employer_id=big.pk, year=1986, month=3)
        timings.append(time.perf_counter() - started)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
    print(
        f"monthly_premium_charges, employer of {size:,} employees, March 1986, "
        f"{args.runs} runs: median {statistics.median(timings) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms ({charges.employee_count} covered, {len(charges.lines)} "
        f"lines, total {charges.total()})"
    )

    started = time.perf_counter()
    everything = selectors.monthly_premium_charges_all(year=1986, month=3)
    seconds = time.perf_counter() - started
    lines = sum(len(c.lines) for c in everything.values())
    covered = sum(c.employee_count for c in everything.values())
    print(
        f"monthly_premium_charges_all, whole pool, March 1986: {seconds:.2f} s "
        f"({covered:,} covered employees, {lines:,} lines)"
    )
    started = time.perf_counter()
    tiers = dict(
        selectors.covered_on(day=date(1986, 3, 1)).values_list("tier").annotate(n=Count("id"))
    )
    print(
        f"covered on 1986-03-01 by tier (one query): {tiers} in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
