"""The access log of health data: who read which employee record, family's claims, claim,
statement or side account, when and from where (``staywell.models.AccessRecord``).

A page or API view calls :func:`record_read` once it has the record and the reader may see
it; :class:`staywell.middleware.AccessLogMiddleware` writes the request's reads at the end
of the request, in one INSERT (of arrays: any number of rows in one statement), only when the answer is
a success (a refusal or an error showed nothing).

Decision: a write's answer (a claim entered, an employee hired) is not a read: its
history is kept by the records' own history (``staywell.history``, ``ClaimEvent``). Lists
and searches are not logged per row: what they show is a line per family, and opening
the family's record, claims or account is logged.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from staywell.models import AccessRecord
from staywell.signin import client_address

Kind = AccessRecord.Kind

READS_ATTRIBUTE = "staywell_reads"  # the request's list of reads, set by the middleware

_INSERT_SQL = f"""
INSERT INTO {AccessRecord._meta.db_table}
       (at, user_id, kind, object_id, employee_id, via, path, ip, user_agent)
SELECT now(), %s, r.kind, r.object_id, r.employee_id, %s, %s, %s, %s
  FROM unnest(%s::text[], %s::bigint[], %s::bigint[]) AS r(kind, object_id, employee_id)
"""  # noqa: S608 - the table name comes from the model


def record_read(request: Any, kind: Kind, *, object_id: int, employee_id: int) -> None:
    """Note that the request's user read ``kind`` ``object_id`` of the family of
    ``employee_id``. Kept on the request and written at its end (one INSERT)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    read = (user.pk, str(kind), int(object_id), int(employee_id))
    reads = getattr(request, READS_ATTRIBUTE, None)
    if reads is None:  # not through the middleware (a view called directly): write now
        write_reads(request, [read])
    else:
        reads.append(read)


def write_reads(request: Any, reads: list[tuple[int, str, int, int]]) -> None:
    """One INSERT of the reads (all by one user in one request), through Django's cursor
    (so that the tests' query capture sees it)."""
    if not reads:
        return
    meta = request.META
    path = request.get_full_path()[:300]
    via = AccessRecord.Via.API if request.path_info.startswith("/api/") else AccessRecord.Via.PAGE
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_SQL,
            [
                reads[0][0],
                str(via),
                path,
                client_address(request),
                meta.get("HTTP_USER_AGENT", "")[:300],
                [read[1] for read in reads],
                [read[2] for read in reads],
                [read[3] for read in reads],
            ],
        )
