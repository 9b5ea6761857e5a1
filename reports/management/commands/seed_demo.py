"""Build the demo installation: a Mendocino-like county schools office and two districts.

Creates the five demo users (password ``staywell-demo``), the members, several plan years
of history, and the money that moved. ``--once`` does nothing when the demo is loaded.

By default the demo lives today: the current policy year (R-PY1) holds today's date
(``timezone.localdate()``), with ten years of history before it, the months closed up to
last month, last July 1's rollover done and a separation of this year whose payouts are
due and held (R-VE7). ``--mendocino`` builds the plan's own 1979-86 history instead, for
reproducing the plan's documents.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Employer
from accounts.rules import policy_year_of
from staywell import db
from staywell.roles import role_group
from staywell.signin import demo_second_factor

DEMO_PASSWORD = "staywell-demo"  # noqa: S105 - the demo's published password
DEMO_USERS = ["clerk", "superintendent", "payroll", "employee", "administrator"]


class Command(BaseCommand):
    help = "Load the demo installation (members, claims, ledger, vesting history)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="skip when demo data already exists"
        )
        parser.add_argument(
            "--mendocino",
            action="store_true",
            help="the plan's own 1979-86 history instead of a plan that lives today",
        )

    def handle(self, *args, **options):
        if options["once"] and Employer.objects.exists():
            self.stdout.write("Demo data already loaded.")
            return
        started = time.monotonic()
        with transaction.atomic():
            users = seed_users()
            if options["mendocino"]:
                build_mendocino(users)
            else:
                build_demo(users)
            analyze()  # fresh statistics for the planner: the first pages are served at once
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {seconds:.0f} s."))


def analyze() -> None:
    """Planner statistics for the rows just written (also seen inside the transaction),
    as the tables' owner (``staywell.db.analyze``)."""
    db.analyze()


def seed_users() -> dict[str, User]:
    users = {}
    for name in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=name, defaults={"first_name": name.title()})
        user.set_password(DEMO_PASSWORD)
        user.is_staff = name == "administrator"  # the administrator uses the Django admin
        user.save()
        user.groups.add(role_group(name))
        if name != "employee":  # the staff roles sign in with the demo's authenticator
            demo_second_factor(user=user)
        users[name] = user
    return users


def build_demo(users: dict[str, User], *, today: date | None = None) -> None:
    """The plan living today: the plan's own history moved on so that its 1985-86 is the
    year before today's, hiring from ten years back; each app contributes its part, in
    dependency order (``build_mendocino``)."""
    from accounts.demo import seed_members
    from claims.demo import seed_claims
    from vesting.demo import seed_ledger, seed_recent_separation, seed_vesting

    today = today or timezone.localdate()
    current = policy_year_of(today)
    years = current - 1986
    seed_members(employee_user=users["employee"], years=years, first_hire_year=1976)
    analyze()
    employers = list(Employer.objects.order_by("pk"))
    superintendent = users["superintendent"]
    # Claims first, while their months are open (a closed month refuses them).
    seed_claims(
        employers,
        first_year=current - 3,
        last_year=current,
        entered_by=users["clerk"],
        today=today,
        years=years,
    )
    # The months closed up to last month (R-PR2), with quarterly interest and expenses.
    seed_ledger(
        employers,
        first_year=current - 10,
        last_year=current,
        posted_by=superintendent,
        before=today.replace(day=1),
        monthly_fee=Decimal("25.00"),  # a pool member's share: no district account below zero
    )
    analyze()
    # Every July 1 rollover up to this year's, then the monthly jobs up to this month.
    seed_vesting(
        first_year=current - 10,
        last_year=current - 1,
        posted_by=superintendent,
        process_through=today,
    )
    seed_recent_separation(today=today, posted_by=superintendent)


def build_mendocino(users: dict[str, User]) -> None:
    """The plan's own history, 1979-80 .. 1985-86: each app contributes its part, in
    dependency order."""
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
