"""Celery is wired for reliability: late acks, one task at a time, bounded retries, on-commit queueing."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from staywell.celery import app
from staywell.tasks import ReliableTask, enqueue_on_commit


def test_worker_acknowledges_late_and_prefetches_one_task():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_tasks_retry_transient_errors_a_bounded_number_of_times():
    app.loader.import_default_modules()  # the apps' tasks modules, as a worker loads them
    rollover = app.tasks["vesting.rollover_run"]
    assert isinstance(rollover, ReliableTask)
    assert rollover.max_retries == 5
    assert rollover.acks_late is True
    assert OperationalError in rollover.autoretry_for


@pytest.mark.django_db
def test_enqueue_on_commit_queues_only_after_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    task = mock.Mock()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit(task, 7, year=1984)
    task.apply_async.assert_not_called()
    callbacks[0]()
    task.apply_async.assert_called_once_with(args=(7,), kwargs={"year": 1984})


def test_a_task_queued_by_name_is_found_in_a_process_that_imported_no_tasks_module():
    """A web process imports no ``tasks`` module; a service that queues by name (the July 1
    rollover started from its page, a claims file, the fund reports) still finds its task."""
    import subprocess
    import sys

    from django.conf import settings

    script = (
        "import django, sys\n"
        "django.setup()\n"
        "from staywell.tasks import task_named\n"
        "assert 'vesting.tasks' not in sys.modules\n"
        "names = ['vesting.rollover_run', 'claims.import_claims', 'reports.fund_reports_generate',"
        " 'reports.payroll_export_all']\n"
        "print(' '.join(task_named(name).name for name in names))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "vesting.rollover_run",
        "claims.import_claims",
        "reports.fund_reports_generate",
        "reports.payroll_export_all",
    ]
