from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        """Produce the year-end fund reports once a vesting rollover completes (R-FU4).

        vesting may not import reports (imports point down), so it sends
        ``vesting.signals.rollover_completed`` inside the run's finishing transaction;
        the receiver queues the reports' task on commit of that transaction.
        """
        from vesting.signals import rollover_completed

        rollover_completed.connect(
            _rollover_completed, dispatch_uid="reports.fund_reports_on_rollover"
        )


def _rollover_completed(sender, policy_year: int, run_id, **kwargs) -> None:
    """Never let the reports break the rollover: a failure here is logged, and the
    superintendent can still generate the reports from the fund reports page."""
    import logging

    from django.db import transaction

    from reports.services import on_rollover_completed

    try:
        with transaction.atomic():  # a savepoint: a failure leaves the rollover intact
            on_rollover_completed(policy_year=policy_year, run_id=run_id)
    except Exception:
        logging.getLogger(__name__).exception(
            "Could not queue the fund reports of %s after rollover run %s", policy_year, run_id
        )
