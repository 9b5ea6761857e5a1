"""docker-compose.yml is a valid compose file with one beat (validated without an engine)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    shutil.which("docker-compose") is None,
    reason="Debian's docker-compose is not installed (.ci/run installs it as root)",
)
def test_docker_compose_file_is_valid_and_has_exactly_one_beat():
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        env={
            "SECRET_KEY": "x",
            "FIELD_ENCRYPTION_KEY": "z",
            "POSTGRES_PASSWORD": "y",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    commands = {
        name: " ".join(s.get("command") or [])
        if isinstance(s.get("command"), list)
        else s.get("command") or ""
        for name, s in services.items()
    }
    assert "gunicorn" in commands["web"]
    assert [
        name for name, command in commands.items() if "celery" in command and " beat" in command
    ] == ["beat"]
    assert "worker" in commands["worker"]


def test_production_refuses_to_start_without_its_secrets():
    result = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='staywell.settings'; django.setup()",
        ],
        env={"DJANGO_ENV": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode != 0
    assert (
        "DJANGO_ENV=production needs these environment variables: SECRET_KEY, "
        "FIELD_ENCRYPTION_KEY, DATABASE_URL, REDIS_URL" in result.stderr
    )
