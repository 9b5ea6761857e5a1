"""Benchmark of claims entry. Not a test: prints figures, gates nothing.

    .venv/bin/python bench/bench_claims.py [--employees 100000] [--claims 1000000]
                                           [--entries 500] [--reuse]

Runs against its own database, ``staywell_bench_claims``, on the same PostgreSQL server as
the app (the embedded one when ``DATABASE_URL`` is unset; otherwise the server of
``DATABASE_URL``): drops and recreates it, migrates, then

1. ``generate_pool`` (default 100,000 employees, 300 employers, 10 years) and
   ``generate_claims`` (about ``--claims`` claims over the last and the current policy
   year, set-based, paid through the ledger's batch function), with their times;
2. claims created per second through the API (``POST /api/v1/claims/``, the Django test
   client in this process, one clerk, ``--entries`` claims one after the other, random
   families and dates of service of the current policy year); then 2 and 4 clerks at
   once, each a process with its own connection (as clerks on a server's workers), the
   same number of claims in all;
3. the p50/p95 of the clerk's entry request on the entry page: the live preview
   (``POST /claims/enter/preview/``) and the save (``POST /claims/enter/``), each and
   together (preview + save of one claim), over ``--entries`` more claims;
4. for reference, the claims list page with its totals over the whole pool and for one
   employer.

Decision: the claims entered are dated in the current policy year (plan years are set up
for it and the year before with the 1986-87 numbers) so that entering them is the
everyday case, not a run-out claim of a year long vested; half the generated claims are
in the current year, so that a family has about six claims so far and many are still
under the deductible: most claims entered are paid from the trust fund through the
ledger (the output says how many).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from benchdb import fresh_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DB = "staywell_bench_claims"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def generate(args: argparse.Namespace, today: date, year: int) -> None:
    """The pool and its claims (step 1)."""
    from django.core.management import call_command

    from accounts.models import Employee, PlanYear
    from accounts.rules import policy_year_start
    from claims.models import Claim

    started = time.perf_counter()
    call_command(
        "generate_pool",
        employers=args.employers,
        employees=args.employees,
        years=10,
        until=1986,
        seed=1,
        prefix="G",
    )
    print(f"generate_pool: {time.perf_counter() - started:.1f} s")

    model = PlanYear.objects.get(start_year=1986)
    for start_year in (year - 1, year):
        PlanYear.objects.get_or_create(
            start_year=start_year,
            defaults={"deductible": model.deductible, "carrier_maximum": model.carrier_maximum},
        )
    eligible = sum(
        Employee.objects.filter(hire_date__lte=today)
        .exclude(separation_date__lt=policy_year_start(start_year))
        .count()
        for start_year in (year - 1, year)
    )
    per = max(1, math.ceil(args.claims / eligible))
    started = time.perf_counter()
    call_command("generate_claims", per_employee_year=per, years=2, until=year)
    seconds = time.perf_counter() - started
    total = Claim.objects.count()
    print(
        f"generate_claims {per} per employee-year x {eligible:,} employee-years: {total:,} claims "
        f"in {seconds:.1f} s"
    )


WARM_UP = 10  # claims each clerk enters before the clock starts


def _clerk(token: str, bodies: list[dict[str, object]], barrier, results) -> None:
    """One clerk's process (forked): its claims one after the other through the API."""
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    for body in bodies[:WARM_UP]:  # its connection's first statements are prepared
        api.post("/api/v1/claims/", body, content_type="application/json")
    barrier.wait()
    created = 0
    for body in bodies[WARM_UP:]:
        response = api.post("/api/v1/claims/", body, content_type="application/json")
        created += response.status_code == 201
    results.put(created)


def concurrent_entries(token: str, batches: list[list[dict[str, object]]]) -> tuple[int, float]:
    """Claims created by ``len(batches)`` clerks at once, each its own process and database
    connection (as clerks on a server's workers): (claims created, seconds)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each forked clerk opens its own
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(batches) + 1)
    results = context.Queue()
    clerks = [
        context.Process(target=_clerk, args=(token, bodies, barrier, results)) for bodies in batches
    ]
    for clerk in clerks:
        clerk.start()
    barrier.wait()
    started = time.perf_counter()
    created = sum(results.get() for _ in clerks)
    elapsed = time.perf_counter() - started
    for clerk in clerks:
        clerk.join()
    return created, elapsed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employers", type=int, default=300)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the pool and claims of the last run"
    )
    return parser.parse_args()


def setup_django(args: argparse.Namespace) -> None:
    """Django on the benchmark's own database (fresh unless ``--reuse``), migrated."""
    os.environ["DATABASE_URL"] = fresh_database_url(BENCH_DB, reuse=args.reuse)
    os.environ["DEBUG"] = "false"  # no query log in memory
    # The API's rate limits on (their cost is measured), above what the clerks here send.
    os.environ.setdefault("STAYWELL_API_RATE_USER", "10000000")
    os.environ.setdefault("STAYWELL_API_RATE_ADDRESS", "10000000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "staywell.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(f"database: {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)


class ClaimBodies:
    """Random claims of the current policy year for the pool's families, as the API
    takes them (random families, dates of service and amounts)."""

    def __init__(self, today: date, year_start: date) -> None:
        from accounts.models import Employee

        self.rng = random.Random(time.time_ns())
        self.run = f"{time.time_ns() % 10**9:09d}"  # unique claim numbers when --reuse
        self.families = list(
            Employee.objects.filter(
                separation_date__isnull=True, hire_date__lt=year_start
            ).values_list("pk", flat=True)[:50_000]
        )
        self.year_start = year_start
        self.days = (today - year_start).days

    def __call__(self, suffix: str) -> dict[str, object]:
        rng = self.rng
        allowed = f"{rng.randint(1500, 40000) / 100:.2f}"
        return {
            "employee": rng.choice(self.families),
            "date_of_service": (
                self.year_start + timedelta(days=rng.randint(0, self.days))
            ).isoformat(),
            "provider": rng.choice(
                ["Ukiah Valley Medical Center", "Mendocino Pharmacy", "Dr. Ames"]
            ),
            "admin_claim_number": f"{self.run}-{suffix}",
            "billed": allowed,
            "allowed": allowed,
        }


def bench_api(api, claim_body: ClaimBodies, entries: int) -> None:
    """Step 2: one clerk's claims, one after the other, through the API."""
    for n in range(20):  # warm up (connections, prepared statements, templates)
        api.post("/api/v1/claims/", claim_body(f"WARM-{n}"), content_type="application/json")
    timings = []
    trust_fund_paid = 0
    started = time.perf_counter()
    for n in range(entries):
        one = time.perf_counter()
        response = api.post(
            "/api/v1/claims/", claim_body(f"API-{n}"), content_type="application/json"
        )
        timings.append(time.perf_counter() - one)
        assert response.status_code == 201, response.content
        trust_fund_paid += response.json()["payment_transaction"] is not None
    elapsed = time.perf_counter() - started
    print(
        f"API POST /api/v1/claims/: {entries} claims in {elapsed:.2f} s = "
        f"{entries / elapsed:.0f} claims/s (p50 {ms(statistics.median(timings))}, "
        f"p95 {ms(percentile(timings, 0.95))}); {trust_fund_paid} of them paid from the "
        "trust fund through the ledger"
    )


def bench_clerks(token: str, claim_body: ClaimBodies, entries: int) -> None:
    """Step 2: 2 and 4 clerks at once, the same number of claims in all."""
    for clerks in (2, 4):
        per_clerk = entries // clerks
        batches = [
            [claim_body(f"C{clerks}-{c}-{n}") for n in range(WARM_UP + per_clerk)]
            for c in range(clerks)
        ]
        created, elapsed = concurrent_entries(token, batches)
        print(
            f"API POST /api/v1/claims/, {clerks} clerks at once (a process and a connection "
            f"each): {created} claims in {elapsed:.2f} s = {created / elapsed:.0f} claims/s"
        )


def bench_entry_page(page, claim_body: ClaimBodies, entries: int) -> None:
    """Step 3: the entry page's live preview and save, each and together."""
    htmx = {"HTTP_HX_REQUEST": "true"}
    previews, saves, both = [], [], []
    for n in range(entries):
        body = claim_body(f"PAGE-{n}")
        body["date_of_service"] = date.fromisoformat(str(body["date_of_service"])).strftime(
            "%m/%d/%Y"
        )
        one = time.perf_counter()
        response = page.post("/claims/enter/preview/", body, **htmx)
        two = time.perf_counter()
        assert (response.status_code == 200 and b"split-trust-fund" in response.content) or (
            b"Will be denied" in response.content
        ), response.content[:500]
        response = page.post("/claims/enter/", body, **htmx)
        three = time.perf_counter()
        assert response.status_code == 200 and b"Saved" in response.content, response.content[:800]
        previews.append(two - one)
        saves.append(three - two)
        both.append(three - one)
    for label, values in (("preview", previews), ("save", saves), ("preview + save", both)):
        print(
            f"entry page {label}: p50 {ms(statistics.median(values))}, "
            f"p95 {ms(percentile(values, 0.95))} ({len(values)} claims)"
        )


def bench_lists(page) -> None:
    """Step 4: the claims list page, for reference."""
    from accounts.models import Employee

    for label, url in (
        ("claims list + totals, whole pool", "/claims/"),
        (
            "claims list + totals, one employer",
            f"/claims/?employer={Employee.objects.first().employer_id}",
        ),
        ("claims list, employee search", "/claims/?employee=smi"),
    ):
        runs = []
        for _ in range(5):
            one = time.perf_counter()
            response = page.get(url)
            runs.append(time.perf_counter() - one)
            assert response.status_code == 200
        print(f"{label}: median {ms(statistics.median(runs))} of 5")


def signed_in_with_second_factor(client, user) -> None:
    """The page client's session as after the whole sign-in: password and the second
    factor (a staff role's pages ask for it), as django-otp's ``login`` leaves it."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from staywell.signin import demo_second_factor

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = demo_second_factor(user=user).persistent_id
    session.save()


def main() -> None:
    args = parse_args()
    setup_django(args)
    from django.test import Client
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import Employee
    from accounts.rules import policy_year_of, policy_year_start
    from claims.models import Claim
    from tests.factories import UserFactory

    today = timezone.localdate()
    year = policy_year_of(today)
    year_start = policy_year_start(year)
    if args.reuse and Claim.objects.exists():
        print(f"reusing {Employee.objects.count():,} employees, {Claim.objects.count():,} claims")
    else:
        generate(args, today, year)

    clerk = UserFactory(username="bench-clerk", role="clerk")
    token, _ = Token.objects.get_or_create(user=clerk)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    page = Client()
    page.force_login(clerk)
    signed_in_with_second_factor(page, clerk)
    claim_body = ClaimBodies(today, year_start)
    bench_api(api, claim_body, args.entries)
    bench_clerks(token.key, claim_body, args.entries)
    bench_entry_page(page, claim_body, args.entries)
    bench_lists(page)


if __name__ == "__main__":
    main()
