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
            "POSTGRES_PASSWORD": "y",
            "DB_OWNER_PASSWORD": "o",
            "DB_APP_PASSWORD": "a",
            "FIELD_ENCRYPTION_KEY": "z",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
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
    # Least privilege: only the migrate service holds the owner's URL; the others run as
    # the app role, once the migrations have finished.
    assert "manage.py migrate" in commands["migrate"]
    assert services["migrate"]["environment"]["DATABASE_OWNER_URL"].startswith(
        "postgres://staywell_owner:o@"
    )
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://staywell_app:a@")
        assert "DATABASE_OWNER_URL" not in environment
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert "migrate" not in commands[name]
    assert any(
        volume.endswith(":/docker-entrypoint-initdb.d:ro")
        for volume in services["postgres"]["volumes"]
    )


def test_the_postgres_init_script_creates_an_owner_and_an_app_role_that_owns_nothing():
    script = (ROOT / "docker" / "postgres-init" / "10-staywell-roles.sh").read_text()
    assert "CREATE ROLE staywell_owner LOGIN NOSUPERUSER" in script
    assert "CREATE ROLE staywell_app LOGIN NOSUPERUSER NOCREATEDB" in script
    assert "OWNER TO staywell_owner" in script
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO staywell_app" in script
    assert "TRUNCATE" not in script.split("SQL", 1)[1].split("GRANT USAGE ON SCHEMA")[1]


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


def test_the_web_health_check_asks_with_a_host_the_app_accepts():
    """The check runs inside the container against 127.0.0.1, which ALLOWED_HOSTS does not
    list: it sends the first allowed host as Host (a 400 would mark the app unhealthy)."""
    import http.server
    import threading

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["web"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    seen: list[str] = []

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(f"{self.headers['Host']} {self.path}")
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    snippet = command[3].replace(":8000/", f":{server.server_port}/")
    try:
        for allowed, host in (
            ("staywell.example.org,localhost", "staywell.example.org"),
            (".example.org", "example.org"),
            ("*", "localhost"),
        ):
            result = subprocess.run(
                ["python3", "-c", snippet],
                env={"ALLOWED_HOSTS": allowed, "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            assert seen.pop() == f"{host} /healthz"
    finally:
        server.shutdown()
