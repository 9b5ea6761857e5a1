"""``manage.py migrate`` as the owner role (``DATABASE_OWNER_URL``), then the app role's
grants (``staywell.dbroles``): the app itself never owns a table.

Every way the migrations run goes through here: ``make run`` (``scripts/run.py``),
docker-compose's migrate service, pytest-django's test database, the benchmarks.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import migrate

from staywell.db import as_owner


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        with as_owner(options["database"]):
            super().handle(*args, **options)
