"""Celery tasks of the reports app: take ids, call one service (staywell.tasks)."""

from __future__ import annotations

from celery import shared_task

from staywell.tasks import ReliableTask


@shared_task(base=ReliableTask, name="reports.fund_reports_generate")
def fund_reports_generate_task(*, policy_year: int, job_id: str) -> str | None:
    """Render and store the year-end fund reports of every employer and of the pool."""
    from reports import services

    job = services.fund_reports_generate(policy_year=policy_year, job_id=job_id)
    return str(job.pk) if job else None


@shared_task(base=ReliableTask, name="reports.payroll_export_all")
def payroll_export_all_task(*, job_id: str, year: int, month: int) -> str | None:
    """Export (and close) every employer's month as one CSV."""
    from reports import services

    job = services.payroll_export_all(job_id=job_id, year=year, month=month)
    return str(job.pk) if job else None
