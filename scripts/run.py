"""`make run`: migrate, load the demo once, then serve web + Celery worker + Celery beat.

Runs on the embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set.
Ctrl-C stops all three processes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")

DEMO_LOGINS = [
    ("clerk", "benefits clerk: members and claims"),
    ("superintendent", "fund balances, dashboard, year-end reports"),
    ("payroll", "monthly premium exports"),
    ("employee", "self-service: coverage, deductible, vested balance"),
    ("administrator", "plan configuration and users"),
]


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)  # noqa: S603


def wait_for_port(
    host: str, port: int, process: subprocess.Popen[bytes], timeout: float = 120
) -> None:
    """Return once the web server accepts connections (or has died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.3)


def main() -> None:
    os.environ.setdefault("DEBUG", "true")
    manage("migrate", "--no-input", "-v", "0")
    manage("seed_demo", "--once")
    celery = [PYTHON, "-m", "celery", "-A", "staywell"]
    beat_schedule = ROOT / ".local" / "celerybeat-schedule"
    commands = {
        "web": [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
        "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [*celery, "beat", "--loglevel", "INFO", "--schedule", str(beat_schedule)],
    }
    processes = {name: subprocess.Popen(cmd, cwd=ROOT) for name, cmd in commands.items()}  # noqa: S603
    wait_for_port(HOST, int(PORT), processes["web"])
    print(f"\nStay-Well is running at http://{HOST}:{PORT}/", flush=True)
    print("Demo logins (password for all: staywell-demo):")
    for username, what in DEMO_LOGINS:
        print(f"  {username:<15} {what}")
    print(
        "Staff users sign in with a second factor: add the demo's authenticator key "
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP to an authenticator app, or print the current "
        "code with `.venv/bin/python manage.py demo_code clerk`."
    )
    print("Press Ctrl-C to stop the web server, the Celery worker and Celery beat.\n", flush=True)

    def stop(*_: object) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"{name} stopped with exit code {process.returncode}; stopping the others.")
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
