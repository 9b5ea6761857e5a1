"""Benchmark of the trust-fund ledger. Not a test: prints figures, gates nothing.

    .venv/bin/python bench/bench_ledger.py [--employers 50] [--employees 20000]
                                           [--postings 3000000] [--runs 5]

Runs against its own database, ``staywell_bench_ledger``, on the same PostgreSQL server as
the app (the embedded one when ``DATABASE_URL`` is unset; otherwise the server of
``DATABASE_URL``): drops and recreates it, migrates, then prints

1. single operations: ``post_transaction`` (2 postings, its own database transaction, one
   client) in operations/s and postings/s, median of ``--runs`` runs of 1,000; the named
   operation ``post_claim_payment`` (which also looks its accounts up); and 4 concurrent
   clients;
2. the time of one batch of 100,000 postings (50,000 vesting transfers) through
   ``post_transactions_batch`` (COPY), median of 3;
3. after loading ``--postings`` postings (batches of 100,000 over ten policy years):
   balance reads as of a date (account, fund, employer, pool), a statement page, and
   ``balances_check`` recomputing everything from the postings.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchdb import fresh_database_url, owner_url

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DB = "staywell_bench_ledger"
FIRST_DAY = date(1980, 7, 1)
DAYS = 3652  # ten policy years


def _timed(fn, runs: int = 20) -> tuple[float, float]:
    """Median and max of ``runs`` calls, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employers", type=int, default=50)
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--postings", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args()


def setup_django() -> None:
    """Point Django at a fresh bench database, set it up and import the app (module globals:
    the app's modules need the settings, so they are imported here, once)."""
    global call_command, connection, Employee, Employer, Program, ledger, selectors
    global SIDE_ACCOUNT_NAME, Account, Fund, FundKind
    global PAYEES_ACCOUNT, PROGRAM_CHARGES_ACCOUNT, TransactionSpec, credit, debit
    os.environ["DATABASE_URL"] = fresh_database_url(BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "staywell.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Employee, Employer, Program
    from vesting import ledger
    from vesting.ledger import (
        PAYEES_ACCOUNT,
        PROGRAM_CHARGES_ACCOUNT,
        TransactionSpec,
        credit,
        debit,
        selectors,
    )
    from vesting.models import (
        SIDE_ACCOUNT_NAME,
        Account,
        Fund,
        FundKind,
    )


@dataclass
class Books:
    """The bench pool: its employers, their ledgers and vested funds, the side accounts."""

    employers: list[Any]
    ledgers: dict[int, Any]
    vested: dict[int, Any]
    sides_by_employer: dict[int, list[Any]]


def set_up_the_pool(args: argparse.Namespace) -> Books:
    """Set-up (not ledger writes): employers, employees, their side accounts."""
    started = time.perf_counter()
    employers = Employer.objects.bulk_create(
        [Employer(code=f"B{i:03d}", name=f"Bench district {i}") for i in range(args.employers)]
    )
    programs = Program.objects.bulk_create(
        [Program(employer=e, code="0100", name="General") for e in employers]
    )
    per_employer = max(1, args.employees // args.employers)
    employees = Employee.objects.bulk_create(
        [
            Employee(
                employer=e,
                program=p,
                number=str(n),
                first_name="Pat",
                last_name=f"Worker{n}",
                hire_date=date(1979, 7, 1),
                status="regular",
                weekly_hours=Decimal("40"),
                separation_date=date(1990, 6, 30),
                separation_reason="retirement",
            )
            for e, p in zip(employers, programs, strict=True)
            for n in range(per_employer)
        ],
        batch_size=5000,
    )
    ledgers = {e.pk: ledger.ledger_accounts_for_employer(e) for e in employers}
    vested = {
        e.pk: Fund.objects.get_or_create(employer=e, kind=FundKind.VESTED_TRUST)[0]
        for e in employers
    }
    sides = Account.objects.bulk_create(
        [
            Account(
                fund=vested[emp.employer_id],
                employee=emp,
                name=SIDE_ACCOUNT_NAME,
                normal_balance="debit",
                never_negative=True,
            )
            for emp in employees
        ],
        batch_size=5000,
    )
    sides_by_employer: dict[int, list[Account]] = {}
    for account, emp in zip(sides, employees, strict=True):
        sides_by_employer.setdefault(emp.employer_id, []).append(account)
    print(
        f"set-up: {len(employers)} employers, {len(employees)} employees and side accounts "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return Books(employers, ledgers, vested, sides_by_employer)


def time_single_operations(args: argparse.Namespace, books: Books) -> None:
    """1. Single operations, one client."""
    employers, ledgers = books.employers, books.ledgers
    first = ledgers[employers[0].pk]
    gtf, payees = first.general_trust, first.account(PAYEES_ACCOUNT)
    rates = []
    for run in range(args.runs):
        started = time.perf_counter()
        for i in range(1000):
            ledger.post_transaction(
                kind="claim_payment",
                effective_date=FIRST_DAY + timedelta(days=i % 365),
                lines=[debit(payees, "12.34"), credit(gtf, "12.34")],
                employer=first.employer_id,
                reference=f"claim {run}-{i}",
            )
        rates.append(1000 / (time.perf_counter() - started))
    ops = statistics.median(rates)
    print(
        f"single post_transaction, 1 client: {ops:,.0f} operations/s = {2 * ops:,.0f} postings/s "
        f"(median of {args.runs} x 1,000; runs {', '.join(f'{r:,.0f}' for r in rates)})"
    )
    started = time.perf_counter()
    for i in range(500):
        ledger.post_claim_payment(
            employer=employers[0],
            amount=Decimal("5.00"),
            effective_date=FIRST_DAY,
            payee_name="Ukiah Valley Medical Center",
            reference=f"claim n{i}",
        )
    named = 500 / (time.perf_counter() - started)
    print(f"named post_claim_payment, 1 client: {named:,.0f} operations/s (500)")


def client(books: Books, number: int, count: int, out: list[float]) -> None:
    """One concurrent client posting ``count`` claim payments for its employer."""
    ledger = books.ledgers[books.employers[number % len(books.employers)].pk]
    for i in range(count):
        ledger.post_transaction(
            kind="claim_payment",
            effective_date=FIRST_DAY + timedelta(days=i % 365),
            lines=[
                debit(ledger.account(PAYEES_ACCOUNT), "1.00"),
                credit(ledger.general_trust, "1.00"),
            ],
            employer=ledger.employer_id,
        )
    out.append(count)
    connection.close()


def time_concurrent_clients(books: Books) -> None:
    """1. Single operations, 4 concurrent clients."""
    for clients in (4,):
        done: list[float] = []
        threads = [
            threading.Thread(target=client, args=(books, n, 500, done)) for n in range(clients)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rate = sum(done) / (time.perf_counter() - started)
        print(
            f"single post_transaction, {clients} clients (different employers): "
            f"{rate:,.0f} operations/s = {2 * rate:,.0f} postings/s"
        )


def vesting_batch(books: Books, rng: random.Random, size: int, year: int) -> list[Any]:
    entries = []
    sides_by_employer = books.sides_by_employer
    employer_ids = list(sides_by_employer)
    for i in range(size):
        employer_id = employer_ids[i % len(employer_ids)]
        side = sides_by_employer[employer_id][
            (i // len(employer_ids)) % len(sides_by_employer[employer_id])
        ]
        amount = Decimal(rng.randint(1, 50_000)) / 100
        entries.append(
            TransactionSpec(
                kind="vesting_transfer",
                effective_date=date(year + 1, 7, 1),
                lines=[
                    debit(side, amount),
                    credit(books.ledgers[employer_id].general_trust, amount),
                ],
                employee_id=side.employee_id,
                idempotency_key=f"vest:{year}:{side.employee_id}:{i}",
                period_start=date(year, 7, 1),
                period_end=date(year + 1, 6, 30),
            )
        )
    return entries


def time_a_batch(books: Books, rng: random.Random) -> None:
    """2. A batch of 100,000 postings."""
    times = []
    for year in (1980, 1981, 1982):
        entries = vesting_batch(books, rng, 50_000, year)
        started = time.perf_counter()
        ledger.post_transactions_batch(entries=entries)
        times.append(time.perf_counter() - started)
    batch = statistics.median(times)
    print(
        f"batch of 100,000 postings (50,000 transactions): {batch:.2f} s = "
        f"{100_000 / batch:,.0f} postings/s (median of 3: {', '.join(f'{t:.2f}' for t in times)})"
    )


def mixed_batch(books: Books, rng: random.Random, size: int) -> list[Any]:
    entries = []
    ledgers = books.ledgers
    for _ in range(size):
        employer_id = rng.choice(list(ledgers))
        ledger = ledgers[employer_id]
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        amount = Decimal(rng.randint(100, 200_000)) / 100
        roll = rng.random()
        if roll < 0.7:
            lines = [
                debit(ledger.account(PAYEES_ACCOUNT), amount),
                credit(ledger.general_trust, amount),
            ]
            kind = "claim_payment"
        elif roll < 0.9:
            side = rng.choice(books.sides_by_employer[employer_id])
            lines = [debit(side, amount), credit(ledger.general_trust, amount)]
            kind = "vesting_transfer"
        else:
            lines = [
                debit(ledger.general_trust, amount),
                credit(ledger.account(PROGRAM_CHARGES_ACCOUNT), amount),
            ]
            kind = "employer_contribution"
        entries.append(TransactionSpec(kind=kind, effective_date=day, lines=lines))
    return entries


def load_postings(args: argparse.Namespace, books: Books, rng: random.Random) -> int:
    """3. Load to --postings; returns the number of postings loaded."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vesting_posting")
        loaded = cursor.fetchone()[0]
    started = time.perf_counter()
    while loaded < args.postings:
        ledger.post_transactions_batch(entries=mixed_batch(books, rng, 50_000))
        loaded += 100_000
    print(f"loaded to {loaded:,} postings in {time.perf_counter() - started:.0f} s")
    connection.close()
    import psycopg

    with psycopg.connect(owner_url(), autocommit=True) as raw:  # VACUUM: the tables' owner
        raw.execute("VACUUM ANALYZE")
        sizes = raw.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname LIKE 'vesting_%' "
            "ORDER BY n_live_tup DESC"
        ).fetchall()
    print(
        "rows: " + ", ".join(f"{name.removeprefix('vesting_')} {count:,}" for name, count in sizes)
    )
    return loaded


def time_reads(books: Books, loaded: int) -> None:
    """3. Balance reads as of a date, a statement page, ``balances_check``."""
    employers, vested = books.employers, books.vested
    as_of = date(1985, 12, 31)
    big = books.ledgers[employers[0].pk]
    general_fund = big.general_trust.fund
    side = books.sides_by_employer[employers[0].pk][0]
    reads = [
        (
            "account_balance(general trust) now",
            lambda: selectors.account_balance(big.general_trust),
        ),
        (
            "account_balance(general trust, as_of)",
            lambda: selectors.account_balance(big.general_trust, as_of=as_of),
        ),
        (
            "account_balance(side account, as_of)",
            lambda: selectors.account_balance(side, as_of=as_of),
        ),
        (
            "fund_balance(general trust, as_of)",
            lambda: selectors.fund_balance(general_fund, as_of=as_of),
        ),
        ("fund_balance(vested trust) now", lambda: selectors.fund_balance(vested[employers[0].pk])),
        (
            "employer_fund_balances(as_of)",
            lambda: selectors.employer_fund_balances(employers[0].pk, as_of=as_of),
        ),
        ("pool_fund_balances() now", lambda: selectors.pool_fund_balances()),
        ("pool_fund_balances(as_of)", lambda: selectors.pool_fund_balances(as_of=as_of)),
        ("fund_overview(as_of), all employers", lambda: selectors.fund_overview(as_of=as_of)),
        (
            "statement page (50 rows, policy year)",
            lambda: list(
                selectors.account_statement(big.general_trust, date(1985, 7, 1), date(1986, 6, 30))[
                    1
                ][:50]
            ),
        ),
    ]
    for label, read in reads:
        median, worst = _timed(read)
        print(f"  {label:<42} median {median:8.2f} ms   max {worst:8.2f} ms")
    started = time.perf_counter()
    problems = selectors.balances_check()
    print(
        f"balances_check over {loaded:,} postings: {time.perf_counter() - started:.1f} s, "
        f"{len(problems)} mismatches"
    )


def main() -> None:
    args = parse_args()
    setup_django()
    print(f"database: {connection.settings_dict['NAME']}  (cpus: {os.cpu_count()})")
    call_command("migrate", verbosity=0)
    books = set_up_the_pool(args)
    time_single_operations(args, books)
    time_concurrent_clients(books)
    rng = random.Random(1)
    time_a_batch(books, rng)
    loaded = load_postings(args, books, rng)
    time_reads(books, loaded)


if __name__ == "__main__":
    main()
