"""Service checks for /healthz: database, Redis and the Celery workers."""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection


def check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": _describe(exc)}
    return {"ok": True, "latency_ms": _ms(started)}


def check_redis(url: str | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    client = redis.Redis.from_url(
        url or settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
    )
    try:
        client.ping()
    except Exception as exc:
        return {"ok": False, "error": _describe(exc)}
    finally:
        client.close()
    return {"ok": True, "latency_ms": _ms(started)}


def check_workers(redis_ok: bool) -> dict[str, Any]:
    if not redis_ok:
        return {"ok": False, "error": "cannot reach the broker (Redis is down)"}
    from staywell.celery import app

    try:
        replies = app.control.ping(timeout=1.0)
    except Exception as exc:
        return {"ok": False, "error": _describe(exc)}
    names = sorted(name for reply in replies for name in reply)
    if not names:
        return {"ok": False, "workers": [], "error": "no Celery worker answered within 1 s"}
    return {"ok": True, "workers": names}


def health_report() -> dict[str, Any]:
    database = check_database()
    cache = check_redis()
    workers = check_workers(cache["ok"])
    services = {"database": database, "redis": cache, "worker": workers}
    return {"status": "ok" if all(s["ok"] for s in services.values()) else "degraded", **services}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip(": ")
