"""Stop the embedded services of this checkout: Redis, and PostgreSQL (which otherwise
keeps running while any process that started it is alive, or after one was killed)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

LOCAL = Path(
    os.environ.get("STAYWELL_LOCAL_DIR", Path(__file__).resolve().parent.parent / ".local")
)


def stop_redis() -> None:
    for pidfile in LOCAL.glob("redis-*.pid"):
        try:
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
            print(f"stopped redis ({pidfile.name})")
        except (ProcessLookupError, ValueError):
            pass


def stop_postgres() -> None:
    """``pg_ctl stop -m fast`` on the data folder, as the user that owns it (pgserver runs
    the server as a user of its own when started by root): waits until it has exited."""
    data = LOCAL / "pg"
    if not (data / "postmaster.pid").exists():
        return
    from pgserver._commands import POSTGRES_BIN_PATH

    result = subprocess.run(  # noqa: S603 - fixed arguments, binary from the pgserver package
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"],
        capture_output=True,
        text=True,
        check=False,
        user=data.stat().st_uid if os.geteuid() == 0 else None,
    )
    if result.returncode == 0:
        print("stopped postgresql")
    else:
        print(f"postgresql: {(result.stderr or result.stdout).strip()}")


if __name__ == "__main__":
    stop_redis()
    stop_postgres()
