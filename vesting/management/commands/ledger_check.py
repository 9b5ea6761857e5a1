"""``manage.py ledger_check``: recompute every balance from the postings (R-FU3), seal the
postings not sealed yet and recompute every seal (``vesting.ledger.seals``); and what the
receivers of ``vesting.signals.integrity_check`` recompute (the claims list's totals).

Prints each disagreement between the maintained balances and the postings, and the first
seal that no longer matches its postings (a posting rewritten behind the triggers' back),
and exits with status 1 when there is any (for a nightly job or a deployment check). The
latest seal's hash is printed: keep it outside the database (module docstring of seals).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vesting.ledger.seals import seal_postings, verify_seals
from vesting.ledger.selectors import balances_check
from vesting.signals import integrity_check


class Command(BaseCommand):
    help = (
        "Recompute every ledger balance from the postings and every seal over the postings; "
        "fail on any disagreement."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="Verify only: leave the postings not sealed yet unsealed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_seal"]:
            seal_postings(sealed_by="ledger_check")
        problems = balances_check()
        for _receiver, found in integrity_check.send(sender=self.__class__):
            problems += found
        report = verify_seals()
        problems += report.problems
        for problem in problems:
            self.stderr.write(problem)
        self.stdout.write(
            f"{report.seals} seal(s) over {report.sealed_postings} posting(s) match; "
            f"{report.unsealed_postings} posting(s) not sealed yet. "
            f"Latest seal: {report.latest_hash or '(none)'}"
        )
        if problems:
            raise CommandError(f"{len(problems)} ledger disagreement(s).")
        self.stdout.write(self.style.SUCCESS("The ledger agrees with its postings."))
