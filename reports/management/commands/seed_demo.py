"""Build the demo installation: a Mendocino-like county schools office and two districts.

Creates the five demo users (password ``staywell-demo``), the members, several plan years
of history, and the money that moved. ``--once`` does nothing when the demo is loaded.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Employer
from staywell.roles import role_group

DEMO_PASSWORD = "staywell-demo"  # noqa: S105 - the demo's published password
DEMO_USERS = ["clerk", "superintendent", "payroll", "employee", "administrator"]


class Command(BaseCommand):
    help = "Load the demo installation (members, claims, ledger, vesting history)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="skip when demo data already exists"
        )

    def handle(self, *args, **options):
        if options["once"] and Employer.objects.exists():
            self.stdout.write("Demo data already loaded.")
            return
        with transaction.atomic():
            users = seed_users()
            build_demo(users)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))


def seed_users() -> dict[str, User]:
    users = {}
    for name in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=name, defaults={"first_name": name.title()})
        user.set_password(DEMO_PASSWORD)
        user.is_staff = name == "administrator"  # the administrator uses the Django admin
        user.save()
        user.groups.add(role_group(name))
        users[name] = user
    return users


def build_demo(users: dict[str, User]) -> None:
    """Each app contributes its part, in dependency order."""
    from accounts.demo import seed_members
    from vesting.demo import seed_ledger

    seed_members(employee_user=users["employee"])
    employers = list(Employer.objects.order_by("pk"))
    # Monthly contributions of every closed month, quarterly interest and expenses.
    seed_ledger(employers, first_year=1979, last_year=1985, posted_by=users["superintendent"])
    # Claim histories 1982-83 .. 1985-86, before the rollovers read the trust fund's payments.
    from claims.demo import seed_claims

    seed_claims(employers, first_year=1982, last_year=1985, entered_by=users["clerk"])
    from vesting.demo import seed_vesting

    # The July 1 rollovers 1979-80 .. 1985-86, with the payouts of the separated employees.
    seed_vesting(posted_by=users["superintendent"])
