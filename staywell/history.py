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

import json
from collections.abc import Callable
from typing import Any

import pghistory

TRACKERS = (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


def history(
    model_name: str, *, bulk_inserts: bool = False, looked_up_by: tuple[str, ...] | None = None
) -> Callable[[Any], Any]:
    """Class decorator: track the model's writes in the event model ``model_name``.

    ``bulk_inserts``: the model's rows are inserted by the thousand in one statement (the
    claims of an import), so its insert events are written by a statement-level trigger,
    one ``INSERT ... SELECT`` from the statement's new rows, instead of one trigger call
    and one INSERT per row (nearly half the time of such a statement). The events are
    the same.

    ``looked_up_by``: the foreign keys of the snapshot that :func:`history_rows` finds
    events by (``references``: the history pages of an employee and of a claim); the
    snapshot's other foreign keys get no index in the event table (by default each has
    one, written on every write of the tracked model). The event's object
    (``pgh_obj``) and context keep theirs. ``None``: every foreign key indexed. A name
    that is no foreign key of the model is refused when the model is defined.
    """
    trackers = [type(tracker)() for tracker in TRACKERS]
    if bulk_inserts:
        trackers[0] = pghistory.InsertEvent(level=pghistory.Statement)

    def track(model: Any) -> Any:
        events = pghistory.create_event_model(
            model,
            *trackers,
            model_name=model_name,
            append_only=True,
            obj_field=pghistory.ObjForeignKey(related_name="history"),
            abstract=False,
        )
        if looked_up_by is not None:
            keys = {
                field.name: field
                for field in events._meta.local_fields
                if field.many_to_one and not field.name.startswith("pgh_")
            }
            if unknown := set(looked_up_by) - set(keys):
                raise ValueError(f"{model_name}: no foreign key named {sorted(unknown)}")
            for name, field in keys.items():
                if name not in looked_up_by:
                    field.db_index = False
        return model

    return track


# Field names of no interest to a reader of the history (kept in the snapshots).
HIDDEN_FIELDS = {"id", "updated_at", "search_vector"}
LABELS = {"insert": "Created", "update": "Changed", "delete": "Deleted"}


def history_rows(*, references: Any = None, tracks: Any = None, limit: int = 500) -> list[dict]:
    """The history of an object, latest first: each event's time, who (the user of the
    request that wrote, when known), the record (model and id) and what changed (field:
    before -> after; the whole row when it was created or deleted). ``references``: every
    tracked row pointing to the object too (an employee's dependents, marriages, ...);
    ``tracks``: the object's own rows only. Two queries."""
    from django.contrib.auth.models import User
    from pghistory.models import Events

    events = Events.objects.all()
    events = events.references(references) if references is not None else events.tracks(tracks)
    events = list(events.order_by("-pgh_created_at")[:limit])
    user_ids = {
        (event.pgh_context or {}).get("user")
        for event in events
        if (event.pgh_context or {}).get("user")
    }
    names = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "username"))
    return [_row(event, names) for event in events]


def _row(event: Any, names: dict[int, str]) -> dict[str, Any]:
    context = event.pgh_context or {}
    changes: list[tuple[str, Any, Any]] = []
    if event.pgh_diff:
        changes = [
            (name.replace("_", " "), before, after)
            for name, (before, after) in sorted(event.pgh_diff.items())
            if name not in HIDDEN_FIELDS
        ]
    elif event.pgh_data:
        changes = [
            (name.replace("_", " "), None, value)
            for name, value in sorted(event.pgh_data.items())
            if name not in HIDDEN_FIELDS and not name.startswith("pgh_")
        ]
    label = event.pgh_label.split(".")[-1]
    return {
        "at": event.pgh_created_at,
        "what": f"{LABELS.get(label, label)}: {event.pgh_obj_model.split('.')[-1]} "
        f"{event.pgh_obj_id}",
        "who": names.get(context.get("user"), ""),
        "url": context.get("url", ""),
        "changes": changes,
    }


def history_context_values() -> tuple[str, str]:
    """The request's history context (id, metadata as JSON) for writes that bypass
    Django's cursor (``staywell.db.prepared_rows``: pghistory adds its context to the
    statements of Django's cursor only). Such a statement sets them itself, before its
    rows' history triggers fire (``set_config('pghistory.context_id', ..., true)``)."""
    from pghistory import config

    with pghistory.context() as current:
        return str(current.id), json.dumps(current.metadata, cls=config.json_encoder())
