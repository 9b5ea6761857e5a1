"""A working day under load: every role at once. Not a test: prints figures and the checks
(exit status 1 when a check fails; never a wall-clock gate).

    .venv/bin/python bench/load_day.py [--minutes 10] [--workers 4] [--clerks 40]
                                       [--employees 200] [--superintendents 5] [--payroll 2]
                                       [--rollover-at 0.5] [--fresh]

``make load`` runs it with the defaults. What it does:

1. The pool: ``bench/bench_claims.py``'s 300 employers, 100,000 employees and about
   1,000,000 claims of last and this policy year, plus the day's users (``--clerks``
   clerks, ``--employees`` employees linked to members, ``--superintendents``,
   ``--payroll``, one administrator), built once into ``staywell_bench_load_base`` (or
   again with ``--fresh``) and copied whole into ``staywell_bench_load`` for every run, so
   that every run starts from the same day.
2. The app as in production: gunicorn (``--workers`` sync workers, DEBUG off, every
   middleware: the access log, history of writes, throttling) and a real Celery worker on
   Redis. Every user is given a session before the clock starts (staff with the second
   factor passed).
3. ``locust --headless`` with ``bench/load/locustfile.py``: the clerks, employees,
   superintendents and payroll users for ``--minutes``. At ``--rollover-at`` of the run the
   administrator starts, through the API, the July 1 rollover of last policy year for the
   whole pool (months not closed: the administrator's override), which the worker runs
   while everyone works; once it has completed, the same request is sent again (the re-run
   of a year that has vested: its run, 200, nothing posted twice).
4. The figures: requests/s, p50/p95/p99 per kind of request and per request, errors by
   status; and the checks: no server error, every claim the app said it saved is in the
   database exactly once (and every one it said it voided is voided), ``ledger_check``
   clean, no family's trust-fund total above the deductible (nor different from its
   claims'), the rollover completed; p95 of pages under 200 ms and of claim POSTs under
   50 ms (the targets, reported; a miss is printed, not failed).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

from benchdb import BASE_DIR, clone_database, database_exists, fresh_database_url

sys.path.insert(0, str(BASE_DIR))
BASE_DB, RUN_DB = "staywell_bench_load_base", "staywell_bench_load"
PORT = 8767
BIN = Path(sys.executable).parent
TARGETS = {"page": 200.0, "claim POST": 50.0}  # p95, milliseconds
WORKER_NICENESS = 10  # the Celery worker's, as in docker-compose.yml
# Users arrive over a minute (as a morning starts), not all in the same second; the figures
# are of the run once everyone has arrived (the arrival is printed apart).
SPAWN_RATE = 4


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (1: sync workers)"
    )
    parser.add_argument("--clerks", type=int, default=40)
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--superintendents", type=int, default=5)
    parser.add_argument("--payroll", type=int, default=2)
    parser.add_argument("--rollover-at", type=float, default=0.5, help="share of the run")
    parser.add_argument("--fresh", action="store_true", help="build the pool again")
    return parser.parse_args()


# --- 1. The pool and its users -------------------------------------------------------------


def build_pool(args: argparse.Namespace) -> None:
    """Into the run's database (new): the pool, its claims and the day's users."""
    import django
    from django.core.management import call_command
    from django.utils import timezone

    django.setup()
    from bench_claims import generate

    from accounts.rules import policy_year_of

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    generate(
        argparse.Namespace(employers=300, employees=100_000, claims=1_000_000),
        today,
        policy_year_of(today),
    )
    make_users(args)
    import psycopg
    from benchdb import owner_url

    with psycopg.connect(owner_url(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def make_users(args: argparse.Namespace) -> None:
    """The day's users, in bulk (no password: they arrive signed in)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Employee
    from accounts.rules import policy_year_of, policy_year_start
    from staywell.roles import Role, role_group

    counts = {
        Role.CLERK: args.clerks,
        Role.SUPERINTENDENT: args.superintendents,
        Role.PAYROLL: args.payroll,
        Role.ADMINISTRATOR: 1,
        Role.EMPLOYEE: args.employees,
    }
    start = policy_year_start(policy_year_of(timezone.localdate()) - 1)
    members = list(
        Employee.objects.filter(
            separation_date__isnull=True, hire_date__lt=start, user__isnull=True
        )
        .order_by("?")
        .values_list("pk", flat=True)[: args.employees]
    )
    with transaction.atomic():
        for role, count in counts.items():
            users = User.objects.bulk_create(
                User(username=f"load-{role}-{n}", password=make_password(None))
                for n in range(count)
            )
            role_group(role).user_set.add(*users)
            if role != Role.EMPLOYEE:
                TOTPDevice.objects.bulk_create(
                    TOTPDevice(user=user, name="Authenticator app", confirmed=True)
                    for user in users
                )
                continue
            for user, member in zip(users, members, strict=True):
                Employee.objects.filter(pk=member).update(user=user)


def sessions() -> dict[str, list[dict]]:
    """A signed-in session per user of the day (staff: the second factor passed)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.plugins.otp_totp.models import TOTPDevice

    devices = {d.user_id: d.persistent_id for d in TOTPDevice.objects.filter(confirmed=True)}
    out: dict[str, list[dict]] = defaultdict(list)
    users = User.objects.filter(username__startswith="load-").prefetch_related("groups")
    for user in users.select_related("employee"):
        role = user.username.split("-")[1]
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "staywell.authentication.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if user.pk in devices:
            session["otp_device_id"] = devices[user.pk]
        session.create()
        employee = getattr(user, "employee", None)
        out[role].append(
            {"session": session.session_key, "employee": employee.pk if employee else None}
        )
    return out


def premium_schedules() -> None:
    """The pool's premium rates (of its last generated year) for last and this plan year,
    where missing: payroll exports them (``generate`` adds the plan years only)."""
    from accounts.models import PlanYear, PremiumSchedule

    model = PlanYear.objects.get(start_year=1986)
    rates = list(PremiumSchedule.objects.filter(plan_year=model, effective_from="1986-07-01"))
    for year in PlanYear.objects.filter(start_year__gt=1986, premium_schedules__isnull=True):
        PremiumSchedule.objects.bulk_create(
            PremiumSchedule(
                plan_year=year,
                effective_from=None,
                **{
                    f.name: getattr(rate, f.name)
                    for f in PremiumSchedule._meta.concrete_fields
                    if f.name not in ("id", "plan_year", "effective_from")
                },
            )
            for rate in rates
        )


def setup_file(args: argparse.Namespace, work: Path, tag: str) -> dict:
    """What the locust users need: sessions, families, employers, dates."""
    from django.utils import timezone

    from accounts.models import Employee, Employer
    from accounts.rules import policy_year_label, policy_year_of, policy_year_start
    from reports import selectors as report_selectors
    from vesting.ledger.seals import seal_postings

    premium_schedules()
    sealed = seal_postings(sealed_by="beat")  # as the nightly job would have (the pool is COPYed)
    if sealed:
        print(
            f"sealed {sum(seal.posting_count for seal in sealed):,} postings of the pool (set-up)"
        )
    today = timezone.localdate()
    year = policy_year_of(today)
    families = list(
        Employee.objects.filter(separation_date__isnull=True, hire_date__lt=policy_year_start(year))
        .order_by("?")
        .values_list("pk", flat=True)[:20_000]
    )
    setup = {
        "tag": tag,
        "today": today.isoformat(),
        "year": year,
        # Last month: this month's export closes it, and the clerks' claims paid today
        # would then be refused (the ledger's months close in order).
        "month": f"{today.replace(day=1) - timedelta(days=1):%Y-%m}",
        "families": families,
        "employers": list(Employer.objects.values_list("pk", flat=True)),
        "report_years": [policy_year_label(y) for y in report_selectors.fund_report_years()[:3]],
        "users": sessions(),
        "counts": {
            "clerk": args.clerks,
            "employee": args.employees,
            "superintendent": args.superintendents,
            "payroll": args.payroll,
        },
    }
    path = work / "setup.json"
    path.write_text(json.dumps(setup))
    return setup


# --- 2. The app ----------------------------------------------------------------------------


def start_app(args: argparse.Namespace, url: str, work: Path) -> list[subprocess.Popen]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DATABASE_URL": url,
        "DEBUG": "false",
    }
    web = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "staywell.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--threads",
            str(args.threads),
            "--timeout",
            "120",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=(work / "gunicorn.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [
            # As docker-compose.yml runs it: background jobs (the rollover, the year-end
            # fund reports' PDFs) yield the CPU to the people's requests.
            "nice",
            "-n",
            str(WORKER_NICENESS),
            str(BIN / "celery"),
            "-A",
            "staywell",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--hostname",
            f"load-{os.getpid()}@%h",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=(work / "celery.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    answer = ""
    deadline = time.monotonic() + 120
    while (
        time.monotonic() < deadline
    ):  # /healthz: 200 once the database, Redis and the worker answer
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=5):
                return [web, worker]
        except urllib.error.HTTPError as exc:
            answer = exc.read().decode(errors="replace")
        except OSError:
            pass
        time.sleep(0.5)
    stop([web, worker])
    raise SystemExit(f"the app is not healthy: {answer or 'no answer'} (logs: {work})")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


# --- 3. The rollover midway, through the API -----------------------------------------------


class Rollover(threading.Thread):
    """The administrator starts last year's rollover at ``delay`` seconds, follows it to
    its end, then sends the same request again."""

    def __init__(self, token: str, year_label: str, delay: float) -> None:
        super().__init__(daemon=True)
        self.token, self.year_label, self.delay = token, year_label, delay
        self.report: dict = {}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/api/v1/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def run(self) -> None:
        time.sleep(self.delay)
        body = {
            "policy_year": self.year_label,
            "override_reason": "The June closes are late this year; the rollover cannot wait.",
        }
        started = time.perf_counter()
        status, run = self.call("POST", "vesting-runs/", body)
        self.report = {"start_status": status, "run": run}
        if status not in (200, 201):
            return
        while run.get("status") in ("queued", "running"):
            time.sleep(1)
            _, run = self.call("GET", f"vesting-runs/{run['id']}/")
        self.report.update(run=run, seconds=time.perf_counter() - started)
        again, rerun = self.call("POST", "vesting-runs/", body)
        self.report.update(rerun_status=again, rerun_id=rerun.get("id"))


def admin_token() -> str:
    from django.contrib.auth.models import User

    from staywell import signin

    return signin.token_create(user=User.objects.get(username="load-administrator-0")).key


# --- 4. Figures and checks -----------------------------------------------------------------


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def figures(records: list[list], seconds: float) -> dict[str, float]:
    """Print the table per kind and per request; return p95 per kind."""
    by_name: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[tuple[str, str]] = Counter()
    for name, ms, status, *_ in records:
        by_name[name].append(ms)
        statuses[(name, status)] += 1
    kinds: dict[str, list[float]] = defaultdict(list)
    for name, times in by_name.items():
        kinds[name.split(":")[0]].extend(times)
    print(f"\n{'request':<44} {'count':>7} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7}")
    p95s = {}
    for title, groups in (("by kind", kinds), ("by request", by_name)):
        print(f"-- {title} (milliseconds)")
        for name in sorted(groups):
            times = groups[name]
            p95s[name] = percentile(times, 95)
            print(
                f"{name:<44} {len(times):>7} {len(times) / seconds:>7.1f} "
                f"{percentile(times, 50):>7.0f} {p95s[name]:>7.0f} {percentile(times, 99):>7.0f}"
            )
    print(f"{'all':<44} {len(records):>7} {len(records) / seconds:>7.1f}")
    errors = {key: n for key, n in statuses.items() if not key[1].startswith(("2", "3"))}
    print("\nanswers other than 2xx/3xx: " + ("none" if not errors else ""))
    for (name, status), n in sorted(errors.items()):
        print(f"  {status}: {n} x {name}")
    return p95s


def check_claims(tag: str, saved: list[dict], voided: list[int]) -> list[str]:
    """Every claim the app said it saved is in the database once; none it did not say."""
    from claims.models import Claim

    problems = []
    rows = list(
        Claim.objects.filter(admin_claim_number__startswith=f"{tag}-").values_list(
            "pk", "admin_claim_number", "status"
        )
    )
    numbers = Counter(number for _, number, _ in rows)
    by_id = {pk: (number, status) for pk, number, status in rows}
    said = {entry["number"] for entry in saved}
    lost = [e for e in saved if by_id.get(e["id"], (None,))[0] != e["number"]]
    twice = [number for number, n in numbers.items() if n > 1]
    unsaid = [number for number in numbers if number not in said]
    not_voided = [pk for pk in voided if by_id.get(pk, (None, None))[1] != Claim.Status.VOIDED]
    if len({e["id"] for e in saved}) != len(saved):
        problems.append("the app answered the same claim id for two saves")
    for label, found in (
        ("saved but not in the database", lost),
        ("in the database more than once", twice),
        ("in the database without the app saying so (an answer lost)", unsaid),
        ("said voided but not voided", not_voided),
    ):
        if found:
            problems.append(f"{len(found)} claim(s) {label}: {found[:5]}")
    print(
        f"claims: {len(saved)} saved by the clerks (each found once in the database: "
        f"{len(saved) - len(lost)}), {len(voided)} voided, {len(rows)} rows with the run's tag"
    )
    return problems


FAMILY_CHECK = """
WITH claimed AS (
    SELECT family_year_id,
           sum(trust_fund_amount) AS trust_fund,
           sum(employee_amount) AS employee
    FROM claims_claim WHERE status <> 'voided' GROUP BY family_year_id
)
SELECT count(*) FILTER (WHERE f.trust_fund_paid + f.employee_paid > p.deductible),
       count(*) FILTER (WHERE f.trust_fund_paid <> coalesce(c.trust_fund, 0)
                           OR f.employee_paid <> coalesce(c.employee, 0)),
       count(*)
FROM claims_familyyear f
JOIN accounts_planyear p ON p.start_year = f.policy_year
LEFT JOIN claimed c ON c.family_year_id = f.id
"""


def check_families() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FAMILY_CHECK)
        over, differ, families = cursor.fetchone()
    print(
        f"families: {families:,} family-years; above the deductible: {over}; "
        f"totals different from their claims': {differ}"
    )
    problems = []
    if over:
        problems.append(f"{over} family-year(s) above the deductible")
    if differ:
        problems.append(f"{differ} family-year(s) whose totals differ from their claims")
    return problems


def check_ledger() -> list[str]:
    from django.core.management import CommandError, call_command

    try:
        call_command("ledger_check", "--no-seal")
    except CommandError as exc:
        return [f"ledger_check: {exc}"]
    return []


def run_locust(work: Path, total: int, seconds: float) -> float:
    """The day's users for ``seconds`` (locust, headless); returns the seconds it took."""
    started = time.perf_counter()
    env = {
        **os.environ,
        "STAYWELL_LOAD_SETUP": str(work / "setup.json"),
        "STAYWELL_LOAD_OUT": str(work / "out"),
    }
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(BASE_DIR / "bench" / "load" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "--users",
            str(total),
            "--spawn-rate",
            str(SPAWN_RATE),
            "--run-time",
            f"{int(seconds)}s",
            "--stop-timeout",
            "30",
            "--host",
            f"http://127.0.0.1:{PORT}",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def read_results(work: Path, total: int, elapsed: float) -> tuple:
    """What the locust processes left: (saved, voided, every record, the records once
    everyone had arrived, the seconds of those)."""
    saved, voided, everything, arrived = [], [], [], []
    for out in work.glob("out.*.json"):
        data = json.loads(out.read_text())
        saved += data["saved"]
        voided += data["voided"]
        everything += data["records"]
        arrived += data["arrived"]
    ramp_end = min(arrived) if arrived else 0.0
    ramp = [r for r in everything if r[3] < ramp_end]
    records = [r for r in everything if r[3] >= ramp_end]
    measured = max((r[3] for r in records), default=ramp_end) - ramp_end or elapsed
    if ramp:
        print(
            f"arrival of the {total} users ({SPAWN_RATE} a second, not in the figures): "
            f"{len(ramp)} requests, p95 {percentile([r[1] for r in ramp], 95):.0f} ms"
        )
    return saved, voided, everything, records, measured


def check_rollover(report: dict, last_year: str) -> list[str]:
    run = report.get("run", {})
    print(
        f"rollover of {last_year} in the worker: started {report.get('start_status')}, "
        f"{run.get('status')} in {report.get('seconds', 0):.1f} s "
        f"({run.get('lines_written', '?')} lines); the same request again: "
        f"{report.get('rerun_status')} with run {report.get('rerun_id')} "
        f"(the first was {run.get('id')})"
    )
    if run.get("status") != "completed":
        return [
            f"the rollover did not complete: answered {report.get('start_status')}, "
            f"status {run.get('status')}, errors {str(run.get('errors'))[:300]}"
        ]
    if report.get("rerun_status") != 200 or report.get("rerun_id") != run.get("id"):
        return ["the same rollover request again did not answer its completed run"]
    return []


def forget_pdfs() -> int:
    """Forget the PDFs an earlier run rendered (``staywell.pdf`` keeps each for an hour
    under its HTML's hash, and every run starts from the same day: a run within the hour
    would be served the last one's statements without rendering them)."""
    import redis
    from django.conf import settings
    from django.core.cache import cache

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=cache.make_key("pdf:*"), count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)


def main() -> None:
    args = parse_args()
    os.environ["DATABASE_URL"] = url = fresh_database_url(RUN_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "staywell.settings")
    if args.fresh or not database_exists(BASE_DB):
        print("building the pool (once; --fresh builds it again)")
        build_pool(args)
        from django.db import connections

        connections.close_all()
        clone_database(RUN_DB, BASE_DB, replace=True)
    else:
        clone_database(BASE_DB, RUN_DB, replace=True)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)  # a pool built before the latest migrations
    from django.db import connections
    from django.utils import timezone

    from accounts.rules import policy_year_label, policy_year_of

    print(f"PDFs kept by an earlier run, forgotten: {forget_pdfs()}")
    tag = f"LOAD{secrets.token_hex(3).upper()}"
    work = Path(tempfile.mkdtemp(prefix="load-day-"))
    setup = setup_file(args, work, tag)
    token = admin_token()
    connections.close_all()
    total = sum(setup["counts"].values())
    seconds = args.minutes * 60
    last_year = policy_year_label(policy_year_of(timezone.localdate()) - 1)
    print(
        f"{total} users ({args.clerks} clerks, {args.employees} employees, "
        f"{args.superintendents} superintendents, {args.payroll} payroll) for "
        f"{args.minutes:g} min; gunicorn {args.workers} workers of {args.threads} thread(s), "
        "1 Celery worker; "
        f"the rollover of {last_year} at {args.rollover_at:.0%}; cpus {os.cpu_count()}; "
        f"load {Path('/proc/loadavg').read_text().split()[0]}"
    )
    app = start_app(args, url, work)
    rollover = Rollover(token, last_year, seconds * args.rollover_at)
    try:
        rollover.start()
        elapsed = run_locust(work, total, seconds)
        rollover.join(timeout=600)
    finally:
        stop(app)
    print(f"load after: {Path('/proc/loadavg').read_text().split()[0]}")
    saved, voided, everything, records, measured = read_results(work, total, elapsed)
    print(f"figures of the {measured:.0f} s once everyone had arrived:")
    p95s = figures(records, measured)

    print("\nchecks")
    problems = []
    server_errors = sum(
        1 for _, _, status, *_ in everything if status.startswith("5") or status == "none"
    )
    print(f"server errors (5xx or no answer): {server_errors}")
    if server_errors:
        problems.append(f"{server_errors} server error(s)")
    problems += check_claims(tag, saved, voided)
    problems += check_ledger()
    problems += check_families()
    problems += check_rollover(rollover.report, last_year)
    for kind, target in TARGETS.items():
        value = p95s.get(kind, 0.0)
        verdict = "met" if value < target else "MISSED"
        print(f"target p95 of {kind}s under {target:.0f} ms: {value:.0f} ms, {verdict}")
    print(
        "\n" + ("every check passed" if not problems else "PROBLEMS:\n  " + "\n  ".join(problems))
    )
    print(f"(logs: {work})")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
