"""The ledger's guarantees in PostgreSQL itself (R-FU3), so that raw SQL cannot break them.

Decision: plain SQL (RunSQL) rather than django-pgtrigger: pgtrigger wraps every trigger
function in a bypass switch (``pgtrigger.ignore``, a sub-transaction per row), which is
both a hole in "cannot be updated or deleted" and a cost per posting; and the balance
upkeep is a statement-level trigger with a transition table.

1. ``vesting_transaction`` and ``vesting_posting`` rows cannot be updated or deleted
   (BEFORE UPDATE OR DELETE, SQLSTATE 23001 restrict_violation). TRUNCATE (test flush)
   fires no row trigger and is still allowed to the table owner.
2. Each ledger transaction has at least two postings and balances (debits = credits):
   a DEFERRABLE INITIALLY DEFERRED constraint trigger, checked at commit
   (SQLSTATE 23514 check_violation).
3. Postings can be added only in the database transaction that created their ledger
   transaction (its ``created_xact``, stamped by a BEFORE INSERT trigger), with its
   effective date, on accounts of its employer's funds. So a committed transaction can
   never gain a posting, and (2) covers every transaction.
4. The maintained balances (current balance, per-account and per-fund day totals) are
   updated by one statement-level trigger per INSERT into postings, in the same
   database transaction, rows locked in a fixed order (account, then day) so that
   concurrent posters serialize without deadlock. The CHECK constraint
   ``side_account_never_negative`` on the balance refuses a negative side account.
5. Every account gets its balance row when it is opened (AFTER INSERT trigger); balance
   rows cannot be deleted, and an account's fund, normal side and floor cannot change
   (they decide how its postings are read).
"""

from pathlib import Path

from django.db import migrations

# The SQL lives beside the ledger, named after this migration; like the migration it
# is a snapshot, never edited later.
SQL_DIR = Path(__file__).resolve().parent.parent / "ledger" / "sql"
FORWARD = (SQL_DIR / "0002_ledger_guarantees.sql").read_text(encoding="utf-8")
BACKWARD = (SQL_DIR / "0002_ledger_guarantees_backward.sql").read_text(encoding="utf-8")


class Migration(migrations.Migration):
    dependencies = [("vesting", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
