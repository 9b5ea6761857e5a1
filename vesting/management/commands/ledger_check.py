"""``manage.py ledger_check``: recompute every balance from the postings (R-FU3).

Prints each disagreement between the maintained balances and the postings, and exits
with status 1 when there is any (for a nightly job or a deployment check).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vesting.ledger.selectors import balances_check


class Command(BaseCommand):
    help = "Recompute every ledger balance from the postings; fail on any disagreement."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = balances_check()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} ledger disagreement(s).")
        self.stdout.write(self.style.SUCCESS("The ledger agrees with its postings."))
