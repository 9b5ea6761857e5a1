"""Celery plumbing every app's tasks use: bounded retries and queueing on commit.

A task takes ids, calls one service and retries on transient errors (a dropped database
connection, the broker briefly away), at most ``max_retries`` times with backoff.
Idempotency is the service's job: a retried task must find its work done.
"""

from __future__ import annotations

from typing import Any

from celery import Task
from django.db import OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerError


class ReliableTask(Task):  # type: ignore[misc]
    autoretry_for = (OperationalError, BrokerError, ConnectionError)
    retry_backoff = 5
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5
    acks_late = True


def task_named(name: str) -> Task:
    """The registered task ``name``. A web process has imported no ``tasks`` module (only
    the worker autodiscovers them), so every app's ``tasks`` module is imported first."""
    from staywell.celery import app

    app.loader.import_default_modules()
    return app.tasks[name]


def enqueue_on_commit(task: Task | str, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` once the surrounding transaction commits (never for rolled-back work).

    A service names the task it queues (``"claims.import_claims"``), so that the service
    never imports its app's ``tasks`` module, which imports the service."""

    def send() -> None:
        found = task_named(task) if isinstance(task, str) else task
        found.apply_async(args=args, kwargs=kwargs)

    transaction.on_commit(send)
