from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StaywellConfig(AppConfig):
    name = "staywell"
    verbose_name = "Stay-Well"

    def ready(self) -> None:
        post_migrate.connect(grant_app_role, dispatch_uid="staywell.grant_app_role")
        post_migrate.connect(
            install_trigger_functions, dispatch_uid="staywell.install_trigger_functions"
        )
        from staywell import signals  # noqa: F401 - connects the receivers


def install_trigger_functions(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate``: the history triggers' two helper functions without an exception
    block per row (``staywell/sql/trigger_functions.sql`` says why), once per migrate."""
    from pathlib import Path

    from django.db import connections

    if sender.name != "staywell":
        return
    statements = (Path(__file__).resolve().parent / "sql" / "trigger_functions.sql").read_text(
        encoding="utf-8"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(statements)


def grant_app_role(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate`` (run as the owner role): grant the app role the rows of every
    table and sequence, now and later (``staywell.dbroles.app_grants``). Only once per
    migrate (for this app's signal) and only when the app runs as a role of its own."""
    from django.conf import settings
    from django.db import connections

    from staywell import dbroles

    if sender.name != "staywell" or not getattr(settings, "DATABASE_OWNER", None):
        return
    import dj_database_url

    # DATABASE_URL's user: the connection's settings hold the owner's while migrating.
    app_role = dj_database_url.parse(settings.DATABASE_URL).get("USER")
    connection = connections[using]
    if not app_role or app_role == connection.settings_dict.get("USER"):
        return
    with connection.cursor() as cursor:
        for statement in dbroles.app_grants(app_role):
            cursor.execute(statement)
