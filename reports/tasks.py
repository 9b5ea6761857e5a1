"""Celery tasks of the reports app: take ids, call one service (staywell.tasks)."""

from __future__ import annotations

from celery import shared_task

from reports import services
from reports.economics import services as economics_services
from reports.services import FUND_REPORTS_TASK, PAYROLL_EXPORT_ALL_TASK
from staywell.tasks import ReliableTask


@shared_task(base=ReliableTask, name=FUND_REPORTS_TASK)
def fund_reports_generate_task(*, policy_year: int, job_id: str) -> str | None:
    """Render and store the year-end fund reports of every employer and of the pool."""
    job = services.fund_reports_generate(policy_year=policy_year, job_id=job_id)
    return str(job.pk) if job else None


@shared_task(base=ReliableTask, name=PAYROLL_EXPORT_ALL_TASK)
def payroll_export_all_task(*, job_id: str, year: int, month: int) -> str | None:
    """Export (and close) every employer's month as one CSV."""
    job = services.payroll_export_all(job_id=job_id, year=year, month=month)
    return str(job.pk) if job else None


@shared_task(base=ReliableTask, name=economics_services.UTILIZATION_TASK)
def economics_utilization_task(*, job_id: str) -> str | None:
    """The utilization watch of the pool (or an employer), year by year with progress."""
    job = economics_services.utilization_compute(job_id=job_id)
    return str(job.pk) if job else None
