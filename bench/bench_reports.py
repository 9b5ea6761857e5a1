"""Benchmark of the reports. Not a test: prints figures, gates nothing.

    .venv/bin/python bench/bench_reports.py [--employers 300] [--employees 100000]
                                            [--claims 150000] [--runs 20]

Runs against its own database, ``staywell_bench_reports``, on the same PostgreSQL server as
the app (the embedded one when ``DATABASE_URL`` is unset): drops and recreates it,
migrates, generates the pool (``generate_pool``), then posts a policy year of ledger
activity through the ledger's batch path (``post_transactions_batch``): the twelve
monthly contributions of 1985-86 for every employer (from the members' premium charges),
the July 1, 1985 vesting of every FULL-tier employee, ``--claims`` trust-fund claim
payments with dates of service, quarterly interest and expenses, and lump sums to some
separated employees. Then it prints

1. the dashboard (``GET /dashboard/`` through the test client, logged in as a
   superintendent): p50 / p95 of ``--runs`` requests for the pool and for the largest
   employer, cold (every cache emptied before each request), after a posting (a claim
   paid before each request, as while clerks work: the dashboard's cache key changes;
   the estimate of families under the deductible of a year not rolled over yet is kept
   ten minutes) and as served (nothing posted in between), first with 1985-86 not rolled
   over yet (June 30: that share read from the claim postings), then after the vesting
   app's own rollover of 1985-86 (read from its vesting lines: the state of the other
   364 days of the year);
2. the payroll export of the pool's largest employer (CSV, closing the month) and of all
   employers (one CSV, closing every employer's month), with their line counts;
3. the year-end fund report PDF of the largest employer (compute + render), and the
   pool's report computation.

Timings depend on the machine's load: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from benchdb import fresh_database_url, owner_url

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_DB = "staywell_bench_reports"


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def _timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    print(f"  {label}: {time.perf_counter() - started:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employers", type=int, default=300)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=150_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = fresh_database_url(BENCH_DB)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="staywell-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "staywell.settings")
    import django

    django.setup()
    import logging

    for noisy in ("vesting", "weasyprint", "fontTools"):  # per-employer progress, PDF steps
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Employer
    from vesting import ledger

    print(f"database: {connection.settings_dict['NAME']}  (cpus: {os.cpu_count()})")
    call_command("migrate", verbosity=0)
    print("set-up:")
    _timed(
        f"generate_pool {args.employees:,} employees / {args.employers} employers",
        lambda: call_command(
            "generate_pool",
            employers=args.employers,
            employees=args.employees,
            years=10,
            until=1986,
            seed=1,
            prefix="G",
        ),
    )
    employers = list(Employer.objects.order_by("pk"))
    ledgers = {e.pk: ledger.ledger_accounts_for_employer(e) for e in employers}
    rng = random.Random(7)
    _post_policy_year(args, employers, ledgers, rng)
    _vacuum_and_count_rows()
    largest = _dashboards(args, employers, rng)
    employer = _payroll_exports(employers, largest)
    _fund_reports(employer)


def _post_policy_year(args, employers, ledgers, rng) -> None:
    """A policy year of ledger activity through the ledger's batch path."""
    from django.db.models import Q

    from accounts.models import CoverageSegment

    sides = _timed("side accounts", lambda: _side_accounts(employers))
    count = _timed(
        "monthly contributions 1985-86 (premium charges + batch)", lambda: _contributions(ledgers)
    )
    print(f"    {count:,} contributions")

    july = date(1985, 7, 1)
    full = list(
        CoverageSegment.objects.filter(tier="full", start__lte=july)
        .filter(Q(end__isnull=True) | Q(end__gte=july))
        .values_list("employee_id", "employee__employer_id")
        .distinct()
    )
    count = _timed(
        "vesting transfers July 1, 1985 (batch)", lambda: _vesting(sides, ledgers, full, rng)
    )
    print(f"    {count:,} vesting transfers")
    count = _timed(
        "trust-fund claim payments 1985-86 (batch)", lambda: _claims(args, ledgers, full, rng)
    )
    print(f"    {count:,} claims")
    count = _timed("interest and administrative expenses (batch)", lambda: _district(ledgers, rng))
    print(f"    {count:,} entries")
    count = _timed("lump sums to separated employees (batch)", lambda: _lump_sums(sides, ledgers))
    print(f"    {count:,} lump sums")


def _side_accounts(employers):
    """Side accounts of every employee (the ledger would create them on first use)."""
    from accounts.models import Employee
    from vesting.models import SIDE_ACCOUNT_NAME, Account, AccountBalance, Fund, FundKind

    vested = {
        e.pk: Fund.objects.get_or_create(employer=e, kind=FundKind.VESTED_TRUST)[0]
        for e in employers
    }
    rows = list(Employee.objects.values_list("pk", "employer_id"))
    accounts = Account.objects.bulk_create(
        [
            Account(
                fund=vested[employer_id],
                employee_id=pk,
                name=SIDE_ACCOUNT_NAME,
                normal_balance="debit",
                never_negative=True,
            )
            for pk, employer_id in rows
        ],
        batch_size=5000,
    )
    AccountBalance.objects.bulk_create(  # (a trigger may have made them already)
        [AccountBalance(account=a, never_negative=True) for a in accounts],
        batch_size=5000,
        ignore_conflicts=True,
    )
    return {a.employee_id: a for a in accounts}


def _contributions(ledgers) -> int:
    from accounts.selectors import monthly_premium_charges_all
    from vesting import ledger
    from vesting.ledger import PROGRAM_CHARGES_ACCOUNT, TransactionSpec, credit, debit

    entries = []
    for index in range(12):
        year, month = (1985, 7 + index) if index < 6 else (1986, index - 5)
        charges = monthly_premium_charges_all(year=year, month=month)
        for employer_id, monthly in charges.items():
            amount = monthly.total(line="trust_fund", payer="employer")
            if amount:
                book = ledgers[employer_id]
                entries.append(
                    TransactionSpec(
                        kind="employer_contribution",
                        effective_date=date(year, month, 1),
                        lines=[
                            debit(book.general_trust, amount),
                            credit(book.account(PROGRAM_CHARGES_ACCOUNT), amount),
                        ],
                        period_start=date(year, month, 1),
                        period_end=date(year, month, 28),
                    )
                )
    ledger.post_transactions_batch(entries=entries)
    return len(entries)


def _vesting(sides, ledgers, full, rng) -> int:
    from vesting import ledger
    from vesting.ledger import TransactionSpec, credit, debit

    entries = [
        TransactionSpec(
            kind="vesting_transfer",
            effective_date=date(1985, 7, 1),
            lines=[
                debit(sides[pk], amount := Decimal(rng.randint(0, 50_000)) / 100 + Decimal("0.01")),
                credit(ledgers[employer_id].general_trust, amount),
            ],
            employee_id=pk,
            period_start=date(1984, 7, 1),
            period_end=date(1985, 6, 30),
        )
        for pk, employer_id in full
    ]
    for start in range(0, len(entries), 50_000):
        ledger.post_transactions_batch(entries=entries[start : start + 50_000])
    return len(entries)


def _claims(args, ledgers, full, rng) -> int:
    from vesting import ledger
    from vesting.ledger import PAYEES_ACCOUNT, TransactionSpec, credit, debit

    entries = []
    for _ in range(args.claims):
        pk, employer_id = full[rng.randrange(len(full))]
        service = date(1985, 7, 1) + timedelta(days=rng.randrange(365))
        paid = min(service + timedelta(days=rng.randint(5, 60)), date(1986, 6, 30))
        if rng.random() < 0.05:  # run-out of 1984-85
            service = date(1985, 6, 1) + timedelta(days=rng.randrange(30))
        amount = Decimal(rng.randint(1_000, 40_000)) / 100
        book = ledgers[employer_id]
        entries.append(
            TransactionSpec(
                kind="claim_payment",
                effective_date=paid,
                lines=[
                    debit(book.account(PAYEES_ACCOUNT), amount),
                    credit(book.general_trust, amount),
                ],
                employee_id=pk,
                period_start=service,
                period_end=service,
            )
        )
    for start in range(0, len(entries), 50_000):
        ledger.post_transactions_batch(entries=entries[start : start + 50_000])
    return len(entries)


def _district(ledgers, rng) -> int:
    from vesting import ledger
    from vesting.ledger import (
        ADMINISTRATIVE_EXPENSES_ACCOUNT,
        BANK_ACCOUNT,
        TransactionSpec,
        credit,
        debit,
    )

    entries = []
    for book in ledgers.values():
        for end in (
            date(1985, 9, 30),
            date(1985, 12, 31),
            date(1986, 3, 31),
            date(1986, 6, 30),
        ):
            interest = Decimal(rng.randint(10_000, 900_000)) / 100
            entries.append(
                TransactionSpec(
                    kind="interest",
                    effective_date=end,
                    lines=[
                        debit(book.district, interest),
                        credit(book.account(BANK_ACCOUNT), interest),
                    ],
                    period_start=end.replace(day=1),
                    period_end=end,
                    earned_by="general_trust",
                )
            )
            cost = Decimal(rng.randint(10_000, 300_000)) / 100
            payee = book.account(ADMINISTRATIVE_EXPENSES_ACCOUNT)
            entries.append(
                TransactionSpec(
                    kind="administrative_expense",
                    effective_date=end,
                    lines=[debit(payee, cost), credit(book.district, cost)],
                    period_start=end.replace(day=1),
                    period_end=end,
                )
            )
    ledger.post_transactions_batch(entries=entries)
    return len(entries)


def _lump_sums(sides, ledgers) -> int:
    from accounts.models import Employee
    from vesting import ledger
    from vesting.ledger import TransactionSpec, credit, debit
    from vesting.models import AccountBalance

    separated = list(
        Employee.objects.filter(
            separation_date__gte=date(1985, 7, 1), separation_date__lt=date(1986, 6, 1)
        ).values_list("pk", "employer_id", "separation_date")
    )
    balances = dict(
        AccountBalance.objects.filter(
            account__employee_id__in=[pk for pk, _, _ in separated],
            account__never_negative=True,
        ).values_list("account__employee_id", "balance")
    )
    entries = []
    for pk, employer_id, separated_on in separated:
        balance = balances.get(pk) or Decimal("0")
        if balance <= 0:
            continue
        payee = ledger.payee_account_for(ledgers[employer_id])
        entries.append(
            TransactionSpec(
                kind="lump_sum_payout",
                effective_date=separated_on + timedelta(days=1),
                lines=[debit(payee, balance), credit(sides[pk], balance)],
                employee_id=pk,
            )
        )
    ledger.post_transactions_batch(entries=entries)
    return len(entries)


def _vacuum_and_count_rows() -> None:
    import psycopg
    from django.db import connection

    connection.close()
    with psycopg.connect(owner_url(), autocommit=True) as raw:  # VACUUM: the tables' owner
        raw.execute("VACUUM ANALYZE")
        sizes = raw.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables "
            "WHERE relname IN ('vesting_posting', 'vesting_transaction', 'vesting_funddaytotal', "
            "'accounts_coveragesegment', 'accounts_employee') ORDER BY relname"
        ).fetchall()
    print("rows: " + ", ".join(f"{name} {count:,}" for name, count in sizes))


def _dashboards(args, employers, rng):
    """1. The dashboard before and after the rollover; returns the largest employer's
    ``(id, number of employees)``."""
    from django.contrib.auth.models import User
    from django.db.models import Count
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import Employer
    from staywell.roles import role_group
    from staywell.signin import demo_second_factor

    user = User.objects.create_user("bench-super", password="x")
    user.groups.add(role_group("superintendent"))
    client = Client()
    client.force_login(user)
    # The session as after the whole sign-in, second factor included (staff pages ask).
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = demo_second_factor(user=user).persistent_id
    session.save()
    largest = (
        Employer.objects.annotate(n=Count("employees"))
        .order_by("-n")
        .values_list("pk", "n")
        .first()
    )

    def measure(state: str) -> None:
        _measure_dashboard(args, client, largest, employers, rng, state)

    measure("1985-86 not rolled over yet: families from the claim postings")

    # The July 1, 1986 rollover of 1985-86 (the vesting app's own run), as every year: the
    # dashboard then reads the year's vesting lines. The reports' own listener (which
    # would queue 300 PDFs to a worker) is disconnected for the benchmark.
    from vesting import rollover
    from vesting.signals import rollover_completed

    rollover_completed.disconnect(dispatch_uid="reports.fund_reports_on_rollover")
    try:
        started = time.perf_counter()
        run = rollover.rollover_start(
            policy_year=1985,
            today=date(1986, 7, 1),
            queue=False,
            override_reason="No month closes in this data set.",
        )
        run = rollover.rollover_execute(run.pk)
        print(
            f"vesting rollover 1985-86 (vesting app): {time.perf_counter() - started:.1f} s, "
            f"status {run.status}, {run.lines_written:,} lines"
        )
        measure("after the rollover: families from the vesting lines")
    except Exception as exc:
        print(f"vesting rollover not available here ({exc!r}); dashboard figures above only")
    return largest


def _measure_dashboard(args, client, largest, employers, rng, state: str) -> None:
    from django.core.cache import cache

    from reports import selectors
    from vesting import ledger

    print(f"dashboard, {state} ({args.runs} requests each, as of {selectors.reporting_date()}):")
    for label, url in (
        ("pool", "/dashboard/"),
        (f"largest employer ({largest[1]:,} employees)", f"/dashboard/?employer={largest[0]}"),
    ):
        for mode in ("cold", "after a posting", "as served"):
            times = []
            for _ in range(args.runs):
                if mode == "cold":
                    cache.clear()
                elif mode == "after a posting":  # a clerk paid a claim: a new cache key
                    ledger.post_claim_payment(
                        employer=rng.choice(employers),
                        amount=Decimal("12.34"),
                        effective_date=selectors.reporting_date(),
                    )
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
            p50, p95 = _percentiles(times)
            print(f"  {label:<36} {mode:<15} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")


def _payroll_exports(employers, largest):
    """2. The payroll export of the largest employer and of all; returns that employer."""
    from django.contrib.auth.models import User

    from accounts.models import Employer
    from reports import services
    from staywell.jobs import job_create
    from staywell.roles import role_group

    payroll = User.objects.create_user("bench-payroll", password="x")
    payroll.groups.add(role_group("payroll"))
    employer = Employer.objects.get(pk=largest[0])
    started = time.perf_counter()
    export = services.payroll_export(
        employer=employer, year=1986, month=7, exported_by=payroll, fmt="csv"
    )
    seconds = time.perf_counter() - started
    lines = export.content.count(b"\n") - 1
    print(
        f"payroll export, largest employer ({employer.code}), July 1986, CSV + month close: "
        f"{seconds:.2f} s ({lines:,} lines)"
    )
    started = time.perf_counter()
    export = services.payroll_export(
        employer=employer, year=1986, month=7, exported_by=payroll, fmt="xlsx"
    )
    print(f"  the same as XLSX (already closed): {time.perf_counter() - started:.2f} s")
    job = job_create(kind="payroll_export_all", title="bench", user=payroll)
    started = time.perf_counter()
    job = services.payroll_export_all(job_id=job.pk, year=1986, month=7)
    seconds = time.perf_counter() - started
    content = job.result.read()
    lines = content.count(b"\n") - 1
    employee_lines = content.count(b"\nemployee,")
    print(
        f"payroll export, all {len(employers)} employers, July 1986, one CSV + month closes: "
        f"{seconds:.2f} s ({lines:,} lines, {employee_lines:,} employee lines; job {job.status})"
    )
    return employer


def _fund_reports(employer) -> None:
    """3. The fund report of the largest employer (compute + PDF) and of the pool."""
    from reports import selectors, services

    started = time.perf_counter()
    report = selectors.fund_report(policy_year=1985, employer_id=employer.pk)
    computed = time.perf_counter() - started
    pdf = services.fund_report_pdf(report, printed_on=date(1986, 7, 15))
    total = time.perf_counter() - started
    print(
        f"fund report 1985-86, largest employer: compute {computed * 1000:.0f} ms, "
        f"compute + PDF {total:.2f} s ({len(pdf):,} bytes; ties to the ledger: {report.ties})"
    )
    started = time.perf_counter()
    pool = selectors.fund_report(policy_year=1985, employer_id=None)
    print(
        f"fund report 1985-86, pool: compute {time.perf_counter() - started:.2f} s "
        f"(total fund balance {pool.total_fund_balance:,}; ties: {pool.ties})"
    )


if __name__ == "__main__":
    main()
