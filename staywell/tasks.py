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


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` once the surrounding transaction commits (never for rolled-back work)."""
    transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs))
