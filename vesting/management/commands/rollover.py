"""``manage.py rollover --year 1984-85``: the July 1 rollover of a policy year (R-VE3).

Runs in this process by default, printing a progress line per year; ``--employer CODE``
rolls over one employer (its earlier years not vested too); ``--override-reason`` starts it
although months of the year are not closed; ``--queue`` hands
it to the Celery worker instead. A year that already ran says so and changes nothing; a
failed or interrupted run is finished (completed employer steps are skipped).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Employer
from accounts.rules import parse_policy_year
from vesting import rollover
from vesting.models import VestingRun


class Command(BaseCommand):
    help = "Run the July 1 rollover of a policy year (vest unused amounts, R-VE3/R-VE4)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", required=True, help="the policy year, e.g. 1984-85")
        parser.add_argument(
            "--queue", action="store_true", help="hand the run to the Celery worker"
        )
        parser.add_argument("--employer", help="one employer's code (its earlier years too)")
        parser.add_argument(
            "--override-reason",
            default="",
            help="start although months of the year are not closed, for this reason",
        )
        parser.add_argument(
            "--today", help="the date to check the year's end against (YYYY-MM-DD; default today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            year = parse_policy_year(options["year"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        today = date.fromisoformat(options["today"]) if options["today"] else None
        employer = None
        if options["employer"]:
            employer = Employer.objects.filter(code=options["employer"]).first()
            if employer is None:
                raise CommandError(f"No employer with the code {options['employer']}.")
        try:
            run = rollover.rollover_start(
                policy_year=year,
                employer=employer,
                today=today,
                override_reason=options["override_reason"],
                queue=options["queue"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if options["queue"]:
            self.stdout.write(f"The rollover of {run.label} is {run.get_status_display().lower()}.")
            return
        if run.status == VestingRun.Status.COMPLETED:
            self.stdout.write(f"The rollover of {run.label} already ran; nothing changed.")
            self._summary(run)
            return

        def progress(current: VestingRun) -> None:
            self.stdout.write(
                f"\r{current.label}: {current.employers_done}/{current.employers_total} employers, "
                f"{current.employees_vested} employees vested, {current.amount_vested} vested",
                ending="",
            )
            self.stdout.flush()

        run = rollover.rollover_execute(run.pk, on_progress=progress)
        self.stdout.write("")
        self._summary(run)
        if run.status != VestingRun.Status.COMPLETED:
            raise CommandError(f"The rollover of {run.label} {run.get_status_display().lower()}.")

    def _summary(self, run: VestingRun) -> None:
        self.stdout.write(
            f"Rollover of {run.label}: {run.get_status_display()}; {run.employers_done} of "
            f"{run.employers_total} employers, {run.lines_written} lines, "
            f"{run.employees_vested} employees vested, {run.amount_vested} vested, "
            f"{run.amount_to_district} to the districts."
        )
        for error in run.errors:
            self.stdout.write(self.style.ERROR(f"  {error['employer']}: {error['message']}"))
