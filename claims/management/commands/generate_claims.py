"""Generate claims for a synthetic pool (benchmarks), set-based.

    manage.py generate_claims --per-employee-year 10 --years 1 [--until 1985] [--seed 1]

For every employee hired by the end of a policy year and not separated before it began,
``--per-employee-year`` claims with random dates of service in the year (up to today),
lognormal allowed amounts (median about $55) and a provider from a list, with the service
category of that provider (one office visit in four a preventive check-up); the employee is
the patient. Everything is set-based SQL, never a service call per claim:

1. the claims are generated into a temporary table (``generate_series``, PostgreSQL 16's
   ``random_normal``) with the family's tier on the date of service (one index probe of
   the coverage segments per claim, R-CL4) and the plan year's deductible;
2. the split of each claim is computed with a window function: what the family's
   deductible absorbed before it is the running sum of the allowed amounts of its
   earlier claims of the year (entry order = id), capped at the deductible (R-CL1,
   R-CL3); days without coverage are denied (R-CL4);
3. family years and claims are inserted with ``INSERT ... SELECT``, the audit events too;
4. the trust-fund payments go through the ledger's batch function
   (``vesting.ledger.post_transactions_batch``: COPY, with the ledger's triggers keeping
   every balance and checking every transaction), one claim payment per claim with a
   trust-fund share, carrying the policyholder and the date of service like a payment
   made by ``claim_enter``; the claims and their ledger entries are then linked with one
   ``UPDATE ... FROM`` and one ``INSERT ... SELECT``.

All in one database transaction: a failure leaves nothing behind. Refused when claims
exist already for those years (the splits assume empty family years).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import PlanYear
from claims.models import Claim
from staywell.db import analyze
from vesting import ledger
from vesting.models import TransactionKind

PROVIDERS = (
    "Ukiah Valley Medical Center",
    "Mendocino Coast District Hospital",
    "Howard Memorial Hospital",
    "Ukiah Medical Clinic",
    "North Coast Family Health Center",
    "Willits Family Practice",
    "Redwood Pediatrics",
    "Ukiah Radiology Associates",
    "Mendocino Pharmacy",
    "Rexall Drug",
    "Coast Clinical Laboratory",
    "Valley Dental Surgery",
)
# The service category of each provider's claims (claims.rules.ServiceCategory); one in four
# office visits is a preventive check-up (by claim id).
PROVIDER_CATEGORIES = (
    *("hospital",) * 3,
    *("office",) * 4,
    "other",
    *("pharmacy",) * 2,
    *("other",) * 2,
)
BATCH = 50_000

_GENERATE = """
CREATE TEMP TABLE gen_claims ON COMMIT DROP AS
WITH base AS (
    SELECT e.id AS employee_id, e.employer_id, e.hire_date, y.year AS policy_year,
           py.deductible, k.n,
           greatest(
               e.hire_date,
               make_date(y.year, 7, 1)
                 + floor(random() * (least(make_date(y.year + 1, 6, 30), %(today)s::date)
                                     - make_date(y.year, 7, 1) + 1))::int
           ) AS day,
           greatest(5.00, least(100000.00, round(exp(4.0 + 1.1 * random_normal())::numeric, 2)))
               AS allowed,
           1 + floor(random() * %(providers)s)::int AS provider_index,
           random()::numeric AS markup
      FROM accounts_employee e
      JOIN accounts_employer r ON r.id = e.employer_id
     CROSS JOIN generate_series(%(first)s::int, %(last)s::int) AS y(year)
      JOIN accounts_planyear py ON py.start_year = y.year
     CROSS JOIN generate_series(1, %(per)s::int) AS k(n)
     WHERE r.code LIKE %(prefix)s
       AND e.hire_date <= least(make_date(y.year + 1, 6, 30), %(today)s::date)
       AND (e.separation_date IS NULL OR e.separation_date >= make_date(y.year, 7, 1))
)
SELECT nextval(pg_get_serial_sequence('claims_claim', 'id')) AS id, b.*,
       coalesce(s.tier, 'none') AS tier
  FROM (SELECT * FROM base ORDER BY policy_year, day, employee_id, n) AS b
  LEFT JOIN LATERAL (
      SELECT c.tier FROM accounts_coveragesegment c
       WHERE c.employee_id = b.employee_id AND c.start_date <= b.day
         AND (c.end_date IS NULL OR c.end_date >= b.day)
       ORDER BY c.start_date DESC LIMIT 1
  ) AS s ON true
"""

# R-CL1/R-CL3/R-CL4 in SQL: absorbed before = min(deductible, running allowed of the
# family's earlier covered claims of the year, in entry order).
_SPLIT = """
CREATE TEMP TABLE gen_split ON COMMIT DROP AS
SELECT g.*,
       CASE WHEN g.tier = 'none' THEN 0
            ELSE least(g.allowed, greatest(0, g.deductible - least(g.deductible,
                 coalesce(sum(g.allowed) FILTER (WHERE g.tier <> 'none') OVER (
                     PARTITION BY g.employee_id, g.policy_year ORDER BY g.id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))))
       END AS under
  FROM gen_claims g
"""

_FAMILY_YEARS = """
INSERT INTO claims_familyyear (employee_id, policy_year, absorbed, trust_fund_paid,
                               employee_paid, carrier_paid, claim_count, updated_at)
SELECT employee_id, policy_year, sum(under),
       sum(CASE WHEN tier = 'full' THEN under ELSE 0 END),
       sum(CASE WHEN tier NOT IN ('full', 'none') THEN under ELSE 0 END),
       sum(CASE WHEN tier = 'none' THEN 0 ELSE allowed - under END),
       count(*), %(now)s
  FROM gen_split GROUP BY employee_id, policy_year
"""

_CLAIMS = """
INSERT INTO claims_claim (
    id, employer_id, employee_id, family_year_id, patient_id, patient_name, date_of_service,
    policy_year, provider, service_category, admin_claim_number, billed, allowed, status,
    denied_reason, tier,
    trust_fund_amount, employee_amount, carrier_amount, forwarded_at, payment_transaction_id,
    duplicate_of_id, source, entered_by_id, entered_at, paid_on, void_reason, voided_by_id,
    voided_at, received_on
)
SELECT g.id, g.employer_id, g.employee_id, f.id, NULL, e.first_name || ' ' || e.last_name,
       g.day, g.policy_year, (%(providers_array)s::text[])[g.provider_index],
       CASE WHEN (%(categories_array)s::text[])[g.provider_index] = 'office' AND g.id %% 4 = 0
            THEN 'preventive' ELSE (%(categories_array)s::text[])[g.provider_index] END,
       'GEN-' || g.id, round(g.allowed * (1 + 0.4 * g.markup), 2), g.allowed,
       CASE WHEN g.tier = 'none' THEN 'denied' ELSE 'paid' END,
       CASE WHEN g.tier = 'none' THEN 'No coverage on the date of service' ELSE '' END,
       g.tier,
       CASE WHEN g.tier = 'full' THEN g.under ELSE 0 END,
       CASE WHEN g.tier NOT IN ('full', 'none') THEN g.under ELSE 0 END,
       CASE WHEN g.tier = 'none' THEN 0 ELSE g.allowed - g.under END,
       CASE WHEN g.tier <> 'none' AND g.allowed > g.under THEN %(now)s END,
       NULL, NULL, 'generated', NULL, %(now)s, NULL, '', NULL, NULL,
       GREATEST(g.day, LEAST(g.day + 14, %(now)s::date))
  FROM gen_split g
  JOIN accounts_employee e ON e.id = g.employee_id
  JOIN claims_familyyear f ON f.employee_id = g.employee_id AND f.policy_year = g.policy_year
"""

_EVENTS = """
INSERT INTO claims_claimevent (claim_id, action, message, user_id, at)
SELECT id, 'entered', 'Generated for the benchmark (generate_claims).', NULL, %(now)s
  FROM gen_split
"""


class GeneratedPayment(NamedTuple):
    """A generated claim's trust-fund share, to be paid through the ledger."""

    claim_id: int
    employer_id: int
    employee_id: int
    day: date  # the date of service
    amount: Decimal  # the trust fund's share
    provider: str


def generate_random_claims(*, per: int, first: int, last: int, prefix: str, today: date) -> None:
    """Step 1: the random claims into the temporary table ``gen_claims`` (one row per
    claim: id in entry order, employee, employer, policy year, deductible, day, allowed,
    provider index, markup, tier on the day)."""
    params: dict[str, Any] = {
        "today": today,
        "first": first,
        "last": last,
        "per": per,
        "prefix": prefix.replace("%", r"\%").replace("_", r"\_") + "%",
        "providers": len(PROVIDERS),
    }
    with connection.cursor() as cursor:
        cursor.execute(_GENERATE, params)


def insert_generated_claims(*, now: Any) -> tuple[int, list[GeneratedPayment]]:
    """Steps 2 and 3: split the claims of ``gen_claims`` (R-CL1, R-CL3, R-CL4) and insert
    their family years, claims and events. Returns the number of claims and the
    trust-fund payments to make (entry order)."""
    params = {
        "now": now,
        "providers_array": list(PROVIDERS),
        "categories_array": list(PROVIDER_CATEGORIES),
    }
    with connection.cursor() as cursor:
        cursor.execute(_SPLIT)
        cursor.execute("CREATE INDEX ON gen_split (employee_id, policy_year)")
        cursor.execute(_FAMILY_YEARS, params)
        cursor.execute(_CLAIMS, params)
        claims = cursor.rowcount
        cursor.execute(_EVENTS, params)
        cursor.execute(
            "SELECT g.id, g.employer_id, g.employee_id, g.day, g.under, "
            "(%s::text[])[g.provider_index] FROM gen_split g "
            "WHERE g.tier = 'full' AND g.under > 0 ORDER BY g.id",
            [list(PROVIDERS)],
        )
        payments = [GeneratedPayment(*row) for row in cursor.fetchall()]
    return claims, payments


def _transaction_spec(
    payment: GeneratedPayment, *, payee_id: int, general_id: int, today: date
) -> ledger.TransactionSpec:
    """One claim payment, as ``claim_enter`` would post it (policyholder, date of service)."""
    return ledger.TransactionSpec(
        kind=TransactionKind.CLAIM_PAYMENT,
        effective_date=_paid_on(payment, today),
        lines=[ledger.debit(payee_id, payment.amount), ledger.credit(general_id, payment.amount)],
        memo=f"Payment of claim {payment.claim_id} (GEN-{payment.claim_id})",
        idempotency_key=f"claim:{payment.claim_id}:pay",
        employee_id=payment.employee_id,
        reference=f"claim {payment.claim_id}",
        period_start=payment.day,
        period_end=payment.day,
    )


def _paid_on(payment: GeneratedPayment, today: date) -> date:
    return min(payment.day + timedelta(days=30), today)


def _link_payments(
    chunk: list[GeneratedPayment],
    ids: list[int],
    payees: dict[tuple[int, str], int],
    *,
    today: date,
    now: Any,
) -> None:
    """The claims and their ledger entries linked to the posted transactions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS gen_paid (claim_id bigint, tx_id bigint, "
            "payee_id bigint, amount numeric(14, 2), paid_on date) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE gen_paid")
        with cursor.cursor.copy("COPY gen_paid FROM STDIN") as copy:
            for payment, tx_id in zip(chunk, ids, strict=True):
                copy.write_row(
                    (
                        payment.claim_id,
                        tx_id,
                        payees[(payment.employer_id, payment.provider)],
                        payment.amount,
                        _paid_on(payment, today),
                    )
                )
        cursor.execute(
            "UPDATE claims_claim c SET payment_transaction_id = p.tx_id, "
            "paid_on = p.paid_on FROM gen_paid p WHERE c.id = p.claim_id"
        )
        cursor.execute(
            "INSERT INTO claims_claimledgerentry (claim_id, transaction_id, kind, amount, "
            "payee_id, adjustment_id, payment_run_id, created_at) "
            "SELECT claim_id, tx_id, 'payment', amount, payee_id, NULL, NULL, %s "
            "FROM gen_paid",
            [now],
        )


def pay_generated_claims(
    payments: list[GeneratedPayment],
    *,
    today: date,
    now: Any,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Step 4: post the trust-fund payments in batches through the ledger, then link
    them. Returns the number of payments posted."""
    employer_ids = sorted({p.employer_id for p in payments})
    general = {e: ledger.ledger_accounts_for_employer(e).general_trust.pk for e in employer_ids}
    payees: dict[tuple[int, str], int] = {}
    for employer_id, provider in sorted({(p.employer_id, p.provider) for p in payments}):
        payees[(employer_id, provider)] = ledger.payee_account_for(employer_id, name=provider).pk
    total = 0
    for start in range(0, len(payments), BATCH):
        chunk = payments[start : start + BATCH]
        entries = [
            _transaction_spec(
                p,
                payee_id=payees[(p.employer_id, p.provider)],
                general_id=general[p.employer_id],
                today=today,
            )
            for p in chunk
        ]
        ids = ledger.post_transactions_batch(entries=entries)
        _link_payments(chunk, ids, payees, today=today, now=now)
        total += len(ids)
        progress(total, len(payments))
    return total


class Command(BaseCommand):
    help = "Generate claims for a synthetic pool, set-based (benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--per-employee-year", type=int, default=10)
        parser.add_argument("--years", type=int, default=1, help="policy years of claims")
        parser.add_argument("--until", type=int, default=1985, help="last policy year (start)")
        parser.add_argument("--prefix", default="", help="only employers whose code starts so")
        parser.add_argument("--seed", type=float, default=0.42, help="random seed, -1..1")

    def handle(self, *args: Any, **options: Any) -> None:
        per, years, until = options["per_employee_year"], options["years"], options["until"]
        if per < 1 or years < 1:
            raise CommandError("--per-employee-year and --years must be at least 1")
        first = until - years + 1
        missing = set(range(first, until + 1)) - set(
            PlanYear.objects.filter(start_year__range=(first, until)).values_list(
                "start_year", flat=True
            )
        )
        if missing:
            raise CommandError(f"plan years not set up: {sorted(missing)}")
        if Claim.objects.filter(policy_year__range=(first, until)).exists():
            raise CommandError("claims exist already for those policy years")
        started = time.perf_counter()
        with transaction.atomic():
            counts = self.generate(
                per=per, first=first, last=until, prefix=options["prefix"], seed=options["seed"]
            )
        analyze(  # as the tables' owner (staywell.db.analyze)
            "claims_claim",
            "claims_familyyear",
            "claims_claimledgerentry",
            "claims_claimevent",
            "vesting_transaction",
            "vesting_posting",
        )
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(f"generate_claims: {summary} in {elapsed:.1f} s")

    def generate(
        self, *, per: int, first: int, last: int, prefix: str, seed: float
    ) -> dict[str, int]:
        today = timezone.localdate()
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [max(-1.0, min(1.0, seed))])
        generate_random_claims(per=per, first=first, last=last, prefix=prefix, today=today)
        claims, payments = insert_generated_claims(now=now)
        posted = pay_generated_claims(payments, today=today, now=now, progress=self.progress)
        return {"claims": claims, "trust-fund payments": posted}

    def progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  posted {done:,} of {total:,} trust-fund payments")
