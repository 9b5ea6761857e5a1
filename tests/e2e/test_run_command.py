"""The README's run command serves the app with web, worker and beat on embedded services."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_run_command_serves_the_app_with_demo_data_and_a_worker(tmp_path):
    port, redis_port = _free_port(), _free_port()
    database = "staywell_runcheck"
    env = {
        **os.environ,
        "PORT": str(port),
        "STAYWELL_EMBEDDED_DB": database,
        "STAYWELL_EMBEDDED_REDIS_PORT": str(redis_port),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    # A fresh database, as on a newcomer's machine.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import pgserver, sys; s = pgserver.get_server(sys.argv[1]); s.psql(f'DROP DATABASE IF EXISTS {sys.argv[2]} WITH (FORCE);')",
            str(ROOT / ".local" / "pg"),
            database,
        ],
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "scripts/run.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300
        while "is running at" not in log.read_text():
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the app did not start within 5 minutes"
            time.sleep(1)
        printed = log.read_text()
        assert f"Stay-Well is running at http://127.0.0.1:{port}/" in printed
        for username in ("clerk", "superintendent", "payroll", "employee", "administrator"):
            assert f"  {username} " in printed
        status, body = _get(f"http://127.0.0.1:{port}/login/")
        assert status == 200 and "Log in to Stay-Well" in body
        # The worker answers the health check once it is up.
        while True:
            status, body = _get(f"http://127.0.0.1:{port}/healthz")
            if '"worker": {"ok": true' in body:
                break
            assert time.monotonic() < deadline, body
            time.sleep(1)
        assert status == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        pidfile = ROOT / ".local" / f"redis-{redis_port}.pid"
        if pidfile.exists():
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
