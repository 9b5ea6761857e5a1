"""Claim entry over HTTP beside the bare peer. Not a test: prints figures, gates nothing.

    .venv/bin/python bench/bench_claims_http.py [--connections 1,4,8] [--seconds 15]
                                                [--rounds 3] [--workers 2] [--fresh]

The project's ``POST /api/v1/claims/`` under gunicorn (``--workers`` sync workers, DEBUG
off, token authentication, every middleware of the settings) and the bare claim endpoint
of ``../shared/peers/claim/`` (the same writes with nothing else: lock the family row,
split against $500, insert the claim, two postings) under gunicorn with as many workers,
both driven by wrk (Debian package ``wrk``) with the peer's script shape: one claim per
request, a random family of 100,000 and a random amount, each thread seeded.

Each round measures, for every connection count, the peer then the project, ``--seconds``
each (interleaved, so that both see the same machine); the table gives the median over the
rounds of requests/s (answers 2xx: a claim saved) and p95, the project's share of the
peer's requests/s, and that share in each round (a round's two measures are a minute apart
at most: on a shared machine whose speed moves, the rounds' shares say how far to trust
the medians). The project's database is ``staywell_bench_claims``
(``bench/bench_claims.py``'s pool of 100,000 employees and about 1,000,000 claims, built
here when missing or with ``--fresh``); the peer's is ``staywell_bench_bare``, on the same
PostgreSQL server.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchdb import fresh_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
PEER_DIR = BASE_DIR.parent / "shared" / "peers" / "claim"
sys.path.insert(0, str(BASE_DIR))
PEER_PORT, PROJECT_PORT = 8765, 8766
# wrk is one user at one address sending hundreds of requests a second: far above the API's
# per-user and per-address limits (staywell.throttling), which would answer 429. The limits
# stay on (their Redis round trip is part of every request), set above what wrk sends.
UNTHROTTLED = {"STAYWELL_API_RATE_USER": "10000000", "STAYWELL_API_RATE_ADDRESS": "10000000"}

# The project's request, shaped as the peer's post.lua: a random family and amount per
# request, each thread seeded from the run's seed; claim numbers unique to the run (the
# duplicate guard answers 409 to a number seen before).
PROJECT_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token TOKEN"
local counter = 0
function setup(thread) thread:set("tid", counter); counter = counter + 1 end
local families = {}
function init(args)
  math.randomseed(tonumber(args[2] or "42") + 7919 * tid)
  tag = args[1] .. "-" .. tid .. "-"
  for line in io.lines("FAMILIES") do families[#families + 1] = tonumber(line) end
  n = 0
end
request = function()
  n = n + 1
  local fam = families[math.random(1, #families)]
  local amt = string.format("%d.%02d", math.random(10, 400), math.random(0, 99))
  local day = string.format("YEAR-%02d-%02d", math.random(7, 11), math.random(1, 28))
  return wrk.format(nil, "/api/v1/claims/", nil,
    '{"employee": ' .. fam .. ', "date_of_service": "' .. day .. '", "provider": ' ..
    '"Ukiah Valley Medical Center", "admin_claim_number": "' .. tag .. n .. '", ' ..
    '"billed": "' .. amt .. '", "allowed": "' .. amt .. '"}')
end
"""

# Appended to both scripts: the p95 that wrk's --latency table leaves out.
DONE_LUA = """
function done(summary, latency, requests)
  io.write(string.format("P95_US %d\\n", latency:percentile(95)))
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", default="1,4,8")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="build the pool again")
    return parser.parse_args()


def project_database(fresh: bool) -> tuple[str, str, list[int]]:
    """The project's bench database (built when missing): (URL, a clerk's token, family ids)."""
    os.environ["DATABASE_URL"] = url = fresh_database_url("staywell_bench_claims", reuse=not fresh)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "staywell.settings")
    import django

    django.setup()
    from bench_claims import generate
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import Employee
    from accounts.rules import policy_year_of, policy_year_start
    from claims.models import Claim
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    year = policy_year_of(today)
    if not Claim.objects.exists():
        generate(
            argparse.Namespace(employers=300, employees=100_000, claims=1_000_000), today, year
        )
    from django.contrib.auth.models import User

    clerk = User.objects.filter(username="bench-http-clerk").first() or UserFactory(
        username="bench-http-clerk", role="clerk"
    )
    # A new token for every run: tokens expire (staywell.signin), and one made by an earlier
    # run would be refused with 401.
    Token.objects.filter(user=clerk).delete()
    token = Token.objects.create(user=clerk)
    families = list(
        Employee.objects.filter(
            separation_date__isnull=True, hire_date__lt=policy_year_start(year)
        ).values_list("pk", flat=True)[:100_000]
    )
    return url, token.key, families


def peer_database() -> str:
    """The peer's database with its 100,000 families (``bare.py init`` once)."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    url = fresh_database_url("staywell_bench_bare", reuse=True, owner_only=True)
    with psycopg.connect(make_conninfo(url)) as conn:
        ready = conn.execute("SELECT to_regclass('bareapp_family') IS NOT NULL").fetchone()[0]
    if not ready:
        subprocess.run(
            [sys.executable, "bare.py", "init"],
            cwd=PEER_DIR,
            env={**os.environ, "DATABASE_URL": url},
            check=True,
        )
    return url


def start(args: list[str], env: dict[str, str], cwd: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except urllib.error.HTTPError:
            return server  # it answers (404/401 are fine)
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"the server on port {port} did not start")


def gunicorn(app: str, port: int, workers: int) -> list[str]:
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
    ]


def wrk(script: Path, port: int, path: str, connections: int, seconds: int, tag: str) -> dict:
    threads = min(connections, 2)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
            "--",
            tag,
            str(time.time_ns() % 100_000),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p95 = int(re.search(r"P95_US (\d+)", out).group(1)) / 1000
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = int(found.group(1)) if found else 0
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps * (total - bad) / total if total else 0.0,  # claims saved a second
        "p95": p95,
        "bad": bad,
        "errors": errors.group(1) if errors else "",
    }


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    counts = [int(c) for c in args.connections.split(",")]
    project_url, token, families = project_database(args.fresh)
    peer_url = peer_database()
    from django.utils import timezone

    from accounts.rules import policy_year_of

    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    (work / "families.txt").write_text("\n".join(map(str, families)) + "\n")
    project_lua = work / "project.lua"
    project_lua.write_text(
        PROJECT_LUA.replace("TOKEN", token)
        .replace("FAMILIES", str(work / "families.txt"))
        .replace("YEAR", str(policy_year_of(timezone.localdate())))
        + DONE_LUA
    )
    peer_lua = work / "post.lua"
    peer_lua.write_text((PEER_DIR / "post.lua").read_text() + DONE_LUA)

    base_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    peer = start(
        gunicorn("bare:application", PEER_PORT, args.workers),
        {**base_env, "DATABASE_URL": peer_url},
        PEER_DIR,
        PEER_PORT,
    )
    project = start(
        gunicorn("staywell.wsgi:application", PROJECT_PORT, args.workers),
        {**base_env, "DATABASE_URL": project_url, "DEBUG": "false", **UNTHROTTLED},
        BASE_DIR,
        PROJECT_PORT,
    )
    print(f"gunicorn, {args.workers} sync workers each; wrk {args.seconds} s per measure; load:")
    print("  " + Path("/proc/loadavg").read_text().strip())
    results: dict[tuple[str, int], list[dict]] = {}
    # Claim numbers unique to this run: the pool keeps every earlier run's claims, and a
    # number seen before is answered 409 by the duplicate guard.
    run = f"{time.time_ns() // 1_000_000:x}"
    try:
        for round_ in range(args.rounds):
            for c in counts:
                for name, script, port, path in (
                    ("peer", peer_lua, PEER_PORT, "/claims/"),
                    ("project", project_lua, PROJECT_PORT, "/api/v1/claims/"),
                ):
                    wrk(script, port, path, c, 2, f"{run}W{round_}{c}{name[0]}")  # warm-up
                    r = wrk(script, port, path, c, args.seconds, f"{run}R{round_}{c}{name[0]}")
                    results.setdefault((name, c), []).append(r)
                    print(
                        f"round {round_ + 1}, {c} connection(s), {name}: {r['rps']:.0f} req/s, "
                        f"p95 {r['p95']:.1f} ms, non-2xx {r['bad']}{', ' + r['errors'] if r['errors'] else ''}"
                    )
    finally:
        for server in (peer, project):
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    print("  " + Path("/proc/loadavg").read_text().strip())
    print_table(results, counts, args.rounds)


def print_table(results: dict[tuple[str, int], list[dict]], counts: list[int], rounds: int) -> None:
    """The medians over the rounds, and each round's share of the peer."""
    print(f"\nmedians of {rounds} rounds")
    print(
        "connections | peer req/s | project req/s | project / peer | peer p95 | project p95 "
        "| each round's project / peer"
    )
    for c in counts:
        peers, projects = results[("peer", c)], results[("project", c)]
        peer_rps = statistics.median(r["rps"] for r in peers)
        project_rps = statistics.median(r["rps"] for r in projects)
        peer_p95 = statistics.median(r["p95"] for r in peers)
        project_p95 = statistics.median(r["p95"] for r in projects)
        shares = " ".join(
            f"{project['rps'] / peer['rps']:.0%}"
            for peer, project in zip(peers, projects, strict=True)
        )
        print(
            f"{c:>11} | {peer_rps:>10.0f} | {project_rps:>13.0f} | "
            f"{project_rps / peer_rps:>13.0%} | {peer_p95:>5.1f} ms | {project_p95:>8.1f} ms "
            f"| {shares}"
        )


if __name__ == "__main__":
    main()
