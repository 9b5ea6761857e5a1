"""Benchmark of the 835 import. Not a test: prints figures, gates nothing.

    .venv/bin/python bench/bench_x12.py [--claims 100000] [--employees 20000] [--reuse]

Runs against its own database, ``staywell_bench_x12``, on the same PostgreSQL server as the
app (the embedded one when ``DATABASE_URL`` is unset): drops and recreates it, migrates,
generates a pool (``generate_pool``), sets the trading partners, runs ``VACUUM ANALYZE``
(a live database has its statistics), then writes an 835 of
``--claims`` claim payments of the current policy year (random families of the pool, one
transaction set per provider, each claim a CLP with its CO adjustment, NM1*QC and
DTM*232: made-up data) and imports it as the background job does, in this process
(``claims.remittance.remittance_upload`` then ``process_remittance``), printing pyx12's
validation alone (for its share), then the import's two steps as the job timed them:

1. the check: pyx12's validation against 005010X221A1 with the mapping riding on it, then
   every claim checked like a row of the CSV import;
2. the entry: every claim split and paid through the claim services, each family's in
   file order, in streams of independent employers at the same time
   (``STAYWELL_REMITTANCE_STREAMS``, 3 by default; 1 for one after the other);

and the whole import (target on a 2-core machine: under 60 s for 100,000 claims). The
machine's load average is printed beside the figures: other work on it slows them.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from benchdb import fresh_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DB = "staywell_bench_x12"
PROVIDERS = (
    "UKIAH VALLEY MEDICAL CENTER",
    "MENDOCINO COAST DISTRICT HOSPITAL",
    "HOWARD MEMORIAL HOSPITAL",
    "UKIAH MEDICAL CLINIC",
    "NORTH COAST FAMILY HEALTH CENTER",
    "WILLITS FAMILY PRACTICE",
    "REDWOOD PEDIATRICS",
    "UKIAH RADIOLOGY ASSOCIATES",
    "MENDOCINO PHARMACY",
    "COAST CLINICAL LABORATORY",
)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--employers", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="keep the pool of the last run")
    return parser.parse_args()


def setup_django(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = fresh_database_url(BENCH_DB, reuse=args.reuse)
    os.environ["DEBUG"] = "false"  # no query log in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "staywell.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(f"database: {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)


def prepare(args: argparse.Namespace, year: int) -> None:
    """The pool (unless reused), the current plan year and the trading partners."""
    from django.core.management import call_command

    from accounts import exchange
    from accounts.models import Employee, PlanYear

    if not (args.reuse and Employee.objects.exists()):
        started = time.perf_counter()
        call_command(
            "generate_pool",
            employers=args.employers,
            employees=args.employees,
            years=3,
            until=1986,
            seed=1,
            prefix="X",
        )
        print(f"generate_pool: {time.perf_counter() - started:.1f} s")
    model = PlanYear.objects.order_by("-start_year").first()
    PlanYear.objects.get_or_create(
        start_year=year,
        defaults={"deductible": model.deductible, "carrier_maximum": model.carrier_maximum},
    )
    exchange.trading_partners_update(
        values={"plan_id": "STAYWELLPLAN", "administrator_id": "BENCHTPA"}
    )
    # Statistics, as a live database has them (autovacuum): a pool just generated has
    # none, and the planner would take its tables for empty.
    import psycopg
    from benchdb import owner_url

    with psycopg.connect(owner_url(), autocommit=True) as raw:  # VACUUM: the tables' owner
        raw.execute("VACUUM ANALYZE")


def write_835(args: argparse.Namespace, today: date, year_start: date, control: int) -> str:
    """The 835 of ``--claims`` claim payments for random covered families of the pool."""
    from accounts.models import Employee

    rng = random.Random(control)
    members = [
        f"{code}-{number}"
        for code, number in Employee.objects.filter(
            separation_date__isnull=True, hire_date__lt=year_start
        ).values_list("employer__code", "number")
    ]
    days = max(1, (today - year_start).days)
    by_payee: dict[str, list[str]] = {name: [] for name in PROVIDERS}
    for n in range(args.claims):
        billed = rng.randint(2000, 60000)
        allowed = billed - rng.randint(0, billed // 4)
        day = year_start + timedelta(days=rng.randint(0, days))
        by_payee[rng.choice(PROVIDERS)] += [
            f"CLP*P{n}*1*{billed / 100:.2f}*{allowed / 100:.2f}**12*B{control}-{n:07d}",
            f"CAS*CO*45*{(billed - allowed) / 100:.2f}",
            f"NM1*QC*1*MEMBER*PAT****MI*{rng.choice(members)}",
            f"DTM*232*{day:%Y%m%d}",
        ]
    segments = [
        f"ISA*00*          *00*          *ZZ*{'BENCHTPA':<15}*ZZ*{'STAYWELLPLAN':<15}"
        f"*{today:%y%m%d}*1200*^*00501*{control:09d}*0*P*:",
        f"GS*HP*BENCHTPA*STAYWELLPLAN*{today:%Y%m%d}*1200*{control}*X*005010X221A1",
    ]
    for index, (payee, claims) in enumerate(by_payee.items(), start=1):
        body = [
            f"ST*835*{index:04d}",
            f"BPR*H*0*C*NON************{today:%Y%m%d}",
            f"TRN*1*{control}-{index}*1946000123",
            "N1*PR*BENCH CLAIMS ADMINISTRATORS",
            "N3*1 MAIN ST",
            "N4*UKIAH*CA*95482",
            "PER*BL*CLAIMS DESK*TE*7075550100",
            f"N1*PE*{payee}*FI*94{index:07d}",
            "LX*1",
            *claims,
        ]
        body.append(f"SE*{len(body) + 1}*{index:04d}")
        segments += body
    segments += [f"GE*{len(PROVIDERS)}*{control}", f"IEA*1*{control:09d}"]
    return "".join(f"{segment}~\n" for segment in segments)


def main() -> None:
    args = parse_args()
    setup_django(args)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.utils import timezone

    from accounts.rules import policy_year_of, policy_year_start
    from claims import remittance
    from claims.models import Claim
    from staywell import x12
    from staywell.models import Job

    today = timezone.localdate()
    year = policy_year_of(today)
    prepare(args, year)
    text = write_835(args, today, policy_year_start(year), control=time.time_ns() % 10**8)
    print(
        f"835: {args.claims:,} claim payments, {text.count('~'):,} segments, {len(text) / 1e6:.1f} MB"
    )
    print(f"load average before: {load()}")

    started = time.perf_counter()
    result = x12.validate(text)
    print(
        f"pyx12's validation alone: {time.perf_counter() - started:.1f} s (valid: {result.valid})"
    )

    clerk, _ = User.objects.get_or_create(username="bench-clerk")
    file = io.BytesIO(text.encode("ascii"))
    file.name = "bench.835"
    before = Claim.objects.count()
    started = time.perf_counter()
    upload = remittance.remittance_upload(file=file, user=clerk)
    assert upload.job is not None, upload.problems
    remittance.process_remittance(upload.job.pk)
    total = time.perf_counter() - started
    job = Job.objects.get(pk=upload.job.pk)
    entered = Claim.objects.count() - before
    print(f"job: {job.get_status_display()}: {job.message}")
    if job.errors:
        print("problems:", job.errors[:5])
    seconds = job.parameters.get("seconds", {})
    print(
        f"1. the check (validation, mapping, every claim checked): {seconds.get('check', 0):.1f} s"
    )
    streams = settings.CLAIMS_REMITTANCE_STREAMS
    print(
        f"2. the entry (every claim split and paid, {streams} "
        f"stream{'s' if streams != 1 else ''}): {seconds.get('entry', 0):.1f} s"
    )
    print(
        f"import of {args.claims:,} claims (check + entry): {total:.1f} s, "
        f"{entered / total:,.0f} claims/s (target < 60 s); load average after: {load()}"
    )


if __name__ == "__main__":
    main()
