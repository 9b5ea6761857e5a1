"""``manage.py flush`` as the owner role: it empties every table with TRUNCATE, which the
app role may not do (``staywell.dbroles``).

The ledger's tables refuse TRUNCATE even to their owner (vesting migration 0012) unless
the session says ``staywell.allow_ledger_truncate = on``. Decision: flush says so
outside production only (tests and development databases are emptied between tests);
with ``DJANGO_ENV=production`` the ledger's triggers refuse it and nothing is emptied.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands import flush
from django.db import connections

from staywell.db import as_owner


class Command(flush.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        with as_owner(alias):
            if not settings.PRODUCTION:
                with connections[alias].cursor() as cursor:
                    cursor.execute("SET staywell.allow_ledger_truncate = 'on'")
            super().handle(*args, **options)
