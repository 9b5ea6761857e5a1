"""Seals over the ledger's postings: a rewrite behind the triggers' back is found (R-FU3).

The triggers keep postings immutable against the app, but a superuser can switch them
off (``ALTER TABLE ... DISABLE TRIGGER ALL``, ``session_replication_role = replica``) and
rewrite a posting. A seal (``LedgerSeal``) covers the postings after the previous seal's,
in id order, with hash = SHA-256(previous seal's hash + SHA-256 of the canonical text of
those postings and their transactions). ``manage.py ledger_check`` recomputes every seal
and names the first one (and so the postings) that no longer matches; postings not yet
sealed are counted and sealed by the next seal.

Who seals: a beat job every ten minutes, each month close (after it commits) and
``ledger_check`` before it verifies.

Decision (concurrency): claim entry must not wait on one chain row, so postings carry no
hash of their own; writers only take the seal lock (an advisory lock) in SHARE mode for
their transaction, from a BEFORE INSERT statement trigger, i.e. before their posting ids
are drawn (migration 0012). Shared holders never wait for each other. A sealer takes the
lock EXCLUSIVE only for the moment of reading the highest posting id: every transaction
that held ids then has ended, and every id drawn later is higher, so a seal never covers
an id that could still commit. Sealers serialize among themselves on a second lock.

Decision (trust): the chain is plain SHA-256, without a secret: a superuser who rewrites
a posting *and* every seal after it is not found by the chain alone. ``ledger_check``
prints the latest seal's hash; kept outside the database (the nightly job's log, a
month-end report), it pins everything sealed before it.

The canonical text below must never change: the seals made with it would no longer match.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from django.db import connection
from django.db import transaction as db_transaction

from vesting.models import LedgerSeal

# Advisory lock keys (one database, so no clash with another application's).
SEAL_LOCK = 83140001  # posting statements SHARE (trigger), a sealer EXCLUSIVE for a moment
SEALER_LOCK = 83140002  # one sealer at a time
SEAL_SIZE = 20_000  # postings per seal at most: one seal's text stays a few megabytes

# One line per posting: its columns and its transaction's, NULLs and text quoted (%L), dates
# and times in a form that no session setting changes.
_DIGEST = """
SELECT count(*), coalesce(max(id), 0),
       encode(sha256(convert_to(coalesce(string_agg(line, E'\\n' ORDER BY id), ''), 'UTF8')), 'hex')
  FROM (
    SELECT p.id,
           format('%%s|%%s|%%s|%%L|%%s|%%s|%%s|%%L|%%s|%%L|%%L|%%L|%%L|%%L|%%L|%%L|%%L|%%L|%%L|%%s',
                  p.id, p.transaction_id, p.account_id, p.direction, p.amount::numeric::text,
                  to_char(p.effective_date, 'YYYY-MM-DD'), t.employer_id, t.kind,
                  to_char(t.effective_date, 'YYYY-MM-DD'), t.memo, t.reference, t.employee_id,
                  to_char(t.period_start, 'YYYY-MM-DD'), to_char(t.period_end, 'YYYY-MM-DD'),
                  t.earned_by, t.reverses_id, t.idempotency_key, t.payload_hash, t.posted_by_id,
                  extract(epoch FROM t.posted_at)) AS line
      FROM vesting_posting p
      JOIN vesting_transaction t ON t.id = p.transaction_id
     WHERE p.id > %s AND p.id <= %s
     ORDER BY p.id
     LIMIT %s
  ) sealed
"""


def chain_hash(previous_hash: str, digest: str) -> str:
    """A seal's hash: SHA-256 (hex) of the previous seal's hash and its postings' digest."""
    return hashlib.sha256(f"{previous_hash}{digest}".encode("ascii")).hexdigest()


def _digest(after: int, upto: int, limit: int) -> tuple[int, int, str]:
    """(count, last id, digest) of up to ``limit`` postings with after < id <= upto."""
    with connection.cursor() as cursor:
        cursor.execute(_DIGEST, [after, upto, limit])
        count, last, digest = cursor.fetchone()
    return int(count), int(last), digest


def sealable_upto(*, attempts: int = 50, pause: float = 0.1) -> int | None:
    """The highest posting id that every writer is done with, read under the seal lock
    held EXCLUSIVE for the moment of one query (module docstring); None when posting
    transactions held the lock at each of ``attempts`` tries. The lock is only *tried*:
    a sealer never queues ahead of claim entry behind a long transaction (a rollover)."""
    with connection.cursor() as cursor:
        for attempt in range(attempts):
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [SEAL_LOCK])
            if cursor.fetchone()[0]:
                break
            if attempt + 1 < attempts:
                time.sleep(pause)
        else:
            return None
        try:
            cursor.execute("SELECT coalesce(max(id), 0) FROM vesting_posting")
            return int(cursor.fetchone()[0])
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SEAL_LOCK])


def seal_postings(*, sealed_by: str, size: int = SEAL_SIZE) -> list[LedgerSeal]:
    """Seal the postings not sealed yet (up to :func:`sealable_upto`), ``size`` at most
    per seal; return the new seals (none when every posting is sealed)."""
    upto = sealable_upto()
    seals: list[LedgerSeal] = []
    if upto is None:
        return seals
    with db_transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEALER_LOCK])
        last = LedgerSeal.objects.order_by("-id").first()
        after, previous = (last.last_posting_id, last.hash) if last else (0, "")
        while after < upto:
            count, last_id, digest = _digest(after, upto, size)
            if count == 0:
                break
            seal = LedgerSeal.objects.create(
                after_posting_id=after,
                last_posting_id=last_id,
                posting_count=count,
                previous_hash=previous,
                hash=chain_hash(previous, digest),
                sealed_by=sealed_by,
            )
            seals.append(seal)
            after, previous = last_id, seal.hash
    return seals


@dataclass
class SealReport:
    """What :func:`verify_seals` found."""

    seals: int = 0
    sealed_postings: int = 0
    unsealed_postings: int = 0
    latest_hash: str = ""
    problems: list[str] = field(default_factory=list)


def verify_seals() -> SealReport:
    """Recompute every seal in order; a problem names the first seal that does not match
    (and its postings); the seals after a broken one are not checked (the chain is)."""
    report = SealReport()
    previous, after = "", 0
    for seal in LedgerSeal.objects.order_by("id").iterator():
        count, _, digest = _digest(seal.after_posting_id, seal.last_posting_id, 2**31 - 1)
        expected = chain_hash(previous, digest)
        if seal.after_posting_id != after or seal.previous_hash != previous:
            report.problems.append(
                f"Seal {seal.pk} does not follow seal {seal.pk - 1}: the chain of seals was "
                "altered (a seal removed or rewritten)."
            )
            break
        if expected != seal.hash or count != seal.posting_count:
            report.problems.append(
                f"Seal {seal.pk} (postings {seal.after_posting_id + 1} to "
                f"{seal.last_posting_id}, sealed {seal.sealed_at:%Y-%m-%d %H:%M}) does not "
                f"match: a posting or its transaction in that range was changed, added or "
                f"removed since ({count} postings now, {seal.posting_count} when sealed)."
            )
            break
        report.seals += 1
        report.sealed_postings += count
        previous, after = seal.hash, seal.last_posting_id
    report.latest_hash = previous
    last = LedgerSeal.objects.order_by("-id").values_list("last_posting_id", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vesting_posting WHERE id > %s", [last or 0])
        report.unsealed_postings = int(cursor.fetchone()[0])
    return report
