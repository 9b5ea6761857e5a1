"""Another transaction left open while the test acts: for tests that show one writer does
not wait for another's commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction


@contextmanager
def held_open(work: Callable[[], Any], *, seconds: float = 10) -> Iterator[None]:
    """Run ``work`` in another thread's transaction and keep that transaction open (not
    committed) while the block runs; then let it commit. An error in ``work`` is raised
    here, after the block."""
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            with transaction.atomic():
                work()
                holding.set()
                release.wait(seconds)
        except BaseException as exc:  # raised by the test's thread below
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert holding.wait(seconds), "the other transaction did not start"
        yield
    finally:
        release.set()
        thread.join(seconds)
    if errors:
        raise errors[0]


@contextmanager
def no_lock_wait(milliseconds: int = 300) -> Iterator[None]:
    """A transaction that fails (lock timeout) rather than wait for a row lock."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{int(milliseconds)}ms'")
        yield
