"""The history of every write to members and claims (django-pghistory).

Each tracked model gets an event model, ``<Model>History``, filled by PostgreSQL
triggers on INSERT, UPDATE and DELETE whoever writes (the ORM, the set-based SQL of the
hot paths, the Django admin, raw SQL): a snapshot of the row after the write (before it,
for a delete), with the request's context (user, URL) when the write came through a page
or the API (``pghistory.middleware.HistoryMiddleware``).

Decision: tracked are the records a clerk or the API writes about a family: employees,
hours, marriages, dependents, beneficiaries, coverage overrides and segments,
continuation elections, separations; claims, their adjustments and attachments, and the
payees. The family-year totals (``claims.FamilyYear``) are sums kept by claim entry and
are not tracked: their history is the claims'. Event rows are append-only (a trigger of
pghistory refuses their UPDATE and DELETE).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pghistory

TRACKERS = (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


def history(model_name: str) -> Callable[[Any], Any]:
    """Class decorator: track the model's writes in the event model ``model_name``."""
    return pghistory.track(
        *(type(tracker)() for tracker in TRACKERS),
        model_name=model_name,
        append_only=True,
        obj_field=pghistory.ObjForeignKey(related_name="history"),
    )
