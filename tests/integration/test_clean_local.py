"""``make clean-local`` stops the embedded PostgreSQL before it deletes its data: no
server is left running with its data folder gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return (
        Path(f"/proc/{pid}").exists()
        and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    )


@pytest.mark.skipif(
    not (BASE_DIR / ".venv" / "bin" / "python").exists(), reason="needs make's .venv"
)
def test_make_clean_local_leaves_no_postgresql_process_behind(tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    # A server left running, as after a killed `make run`: started with no clean-up.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pgserver; pgserver.get_server(sys.argv[1], cleanup_mode=None)",
            str(local / "pg"),
        ],
        check=True,
        timeout=120,
    )
    postmaster = int((local / "pg" / "postmaster.pid").read_text().split()[0])
    assert _alive(postmaster)

    result = subprocess.run(
        ["make", "-C", str(BASE_DIR), "clean-local"],
        env={**os.environ, "STAYWELL_LOCAL_DIR": str(local)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "stopped postgresql" in result.stdout
    assert not _alive(postmaster)
    assert not local.exists()
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    assert str(local) not in ps.stdout
