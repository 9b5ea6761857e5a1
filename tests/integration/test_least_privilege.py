"""Least privilege in PostgreSQL (staywell.dbroles) and the ledger's own defences against
its owner and a superuser: TRUNCATE triggers, seals that ledger_check recomputes, money the
database refuses to round (R-PY2, R-FU3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from psycopg import errors

from staywell import dbroles
from tests.factories import EmployerFactory
from vesting import ledger
from vesting.ledger import seals
from vesting.ledger.accounts import BANK_ACCOUNT
from vesting.ledger.selectors import balances_check
from vesting.models import FundKind, LedgerSeal, Posting

pytestmark = pytest.mark.skipif(
    not settings.DATABASE_OWNER,
    reason="DATABASE_URL is set without DATABASE_OWNER_URL: the app runs as one role",
)


def owner_connection() -> psycopg.Connection:
    """A connection to the test database as the owner role (autocommit)."""
    owner = settings.DATABASE_OWNER
    params = {
        "dbname": connection.settings_dict["NAME"],
        "user": owner["USER"],
        "password": owner.get("PASSWORD") or None,
        "host": owner.get("HOST") or (owner.get("OPTIONS") or {}).get("host"),
        "port": owner.get("PORT") or None,
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


def refused(statement: str) -> str:
    """Run ``statement`` as the tests' (the app's) connection; the error it raised."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement)
    return str(caught.value)


@pytest.mark.django_db
def test_the_app_runs_as_a_role_that_owns_nothing_and_is_no_superuser():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, r.rolsuper, pg_get_userbyid(d.datdba),"
            " (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid"
            "   AND c.relnamespace = 'public'::regnamespace)"
            " FROM pg_roles r, pg_database d"
            " WHERE r.rolname = current_user AND d.datname = current_database()"
        )
        user, superuser, database_owner, owned = cursor.fetchone()
    assert user == dbroles.APP_ROLE
    assert superuser is False
    assert database_owner == dbroles.OWNER_ROLE
    assert owned == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("TRUNCATE vesting_posting", "permission denied for table vesting_posting"),
        ("TRUNCATE accounts_employee CASCADE", "permission denied for table accounts_employee"),
        ("ALTER TABLE vesting_posting DISABLE TRIGGER ALL", "must be owner of table"),
        ("ALTER TABLE vesting_posting DISABLE TRIGGER USER", "must be owner of table"),
        ("ALTER TABLE claims_claim ADD COLUMN x int", "must be owner of table"),
        ("DROP TABLE vesting_ledgerseal", "must be owner of table"),
        (
            "SET session_replication_role = replica",
            'permission denied to set parameter "session_replication_role"',
        ),
        ("CREATE TABLE mine (id int)", "permission denied for schema public"),
    ],
)
def test_the_app_role_is_refused_what_would_get_round_the_ledgers_triggers(statement, message):
    assert message in refused(statement)


@pytest.mark.django_db
def test_the_app_role_reads_and_writes_rows_of_a_table_a_later_migration_made():
    # vesting_ledgerseal comes from the newest migration: granted by default privileges.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vesting_ledgerseal")
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT has_table_privilege('vesting_ledgerseal', 'INSERT'),"
            " has_table_privilege('vesting_ledgerseal', 'TRUNCATE'),"
            " has_sequence_privilege('vesting_ledgerseal_id_seq', 'USAGE')"
        )
        assert cursor.fetchone() == (True, False, True)


def _interest(employer, amount: str, key: str):
    return ledger.post_interest(
        employer=employer,
        amount=Decimal(amount),
        period_start=date(1985, 4, 1),
        period_end=date(1985, 6, 30),
        earned_by=FundKind.GENERAL_TRUST,
        effective_date=date(1985, 6, 30),
        idempotency_key=key,
    )


@pytest.mark.django_db(transaction=True)
def test_truncate_of_the_ledger_is_refused_to_its_owner_too():
    employer = EmployerFactory(code="TRN")
    _interest(employer, "10.00", "trn-1")
    with owner_connection() as owner:
        for table in ("vesting_posting", "vesting_transaction", "vesting_accountbalance"):
            with pytest.raises(errors.RestrictViolation, match="cannot be emptied"):
                owner.execute(f"TRUNCATE {table} CASCADE")
    assert Posting.objects.count() == 2


def superuser_connection() -> psycopg.Connection:
    """The embedded server's superuser (``postgres``, trusted on its socket); skips elsewhere."""
    owner = settings.DATABASE_OWNER
    host = owner.get("HOST") or (owner.get("OPTIONS") or {}).get("host") or ""
    if not host.startswith("/"):
        pytest.skip("no superuser at hand: DATABASE_URL names a server of its own")
    return psycopg.connect(
        dbname=connection.settings_dict["NAME"], user="postgres", host=host, autocommit=True
    )


def rewrite_as_owner(posting_id: int) -> None:
    """The owner switches the posting triggers off, rewrites, switches them on."""
    with owner_connection() as owner:
        owner.execute("ALTER TABLE vesting_posting DISABLE TRIGGER USER")
        owner.execute("UPDATE vesting_posting SET amount = 1.00 WHERE id = %s", [posting_id])
        owner.execute("ALTER TABLE vesting_posting ENABLE TRIGGER USER")


def rewrite_as_superuser(posting_id: int) -> None:
    """A superuser's session in replica mode fires no trigger at all."""
    with superuser_connection() as superuser:
        superuser.execute("SET session_replication_role = replica")
        superuser.execute("UPDATE vesting_posting SET amount = 1.00 WHERE id = %s", [posting_id])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rewrite", [rewrite_as_owner, rewrite_as_superuser])
def test_ledger_check_finds_a_posting_rewritten_with_the_triggers_off(rewrite):
    employer = EmployerFactory(code="SEAL")
    first = _interest(employer, "100.00", "seal-1")
    _interest(employer, "25.00", "seal-2")
    out = StringIO()
    call_command("ledger_check", stdout=out)
    assert "1 seal(s) over 4 posting(s) match; 0 posting(s) not sealed yet" in out.getvalue()
    assert LedgerSeal.objects.get().sealed_by == "ledger_check"

    # A later posting is not sealed until the next seal.
    _interest(employer, "5.00", "seal-3")
    report = seals.verify_seals()
    assert (report.seals, report.unsealed_postings, report.problems) == (1, 2, [])

    # The first interest's 100.00 becomes 1.00 behind the triggers' back: the balances
    # are not touched (no trigger ran), so only the seal can tell.
    posting = first.postings.order_by("id").first()
    rewrite(posting.pk)
    assert Posting.objects.get(pk=posting.pk).amount == Decimal("1.00")

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("ledger_check", stdout=out, stderr=err)
    seal = LedgerSeal.objects.order_by("id").first()
    assert f"Seal {seal.pk} (postings {seal.after_posting_id + 1} to {seal.last_posting_id}" in (
        err.getvalue()
    )
    assert "does not match" in err.getvalue()
    assert seal.after_posting_id < posting.pk <= seal.last_posting_id


@pytest.mark.django_db(transaction=True)
def test_a_seal_cannot_be_rewritten_or_removed():
    employer = EmployerFactory(code="SEAL2")
    _interest(employer, "7.00", "seal2-1")
    seals.seal_postings(sealed_by="test")
    with pytest.raises(DatabaseError, match="Ledger seals are immutable"):
        LedgerSeal.objects.update(hash="0" * 64)
    with pytest.raises(DatabaseError, match="Ledger seals are immutable"):
        LedgerSeal.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_a_seal_waits_for_nothing_and_covers_only_committed_postings():
    """A posting transaction in flight holds the seal lock in SHARE mode: a sealer meanwhile
    seals nothing (it only tries the lock), and seals the posting once it commits."""
    employer = EmployerFactory(code="SEAL3")
    _interest(employer, "3.00", "seal3-1")
    assert sum(s.posting_count for s in seals.seal_postings(sealed_by="test")) == 2
    accounts = ledger.ledger_accounts_for_employer(employer)
    district, bank = accounts.district, accounts.account(BANK_ACCOUNT)
    with owner_connection() as writer:
        writer.execute("BEGIN")
        writer.execute(
            "INSERT INTO vesting_transaction (employer_id, kind, effective_date, memo, reference,"
            " earned_by, payload_hash, posted_at) VALUES (%s, 'interest', '1985-06-30', '', '',"
            " '', '', now()) RETURNING id",
            [employer.pk],
        )
        (tx_id,) = writer.execute("SELECT max(id) FROM vesting_transaction").fetchone()
        writer.execute(
            "INSERT INTO vesting_posting (transaction_id, account_id, direction, amount,"
            " effective_date) VALUES (%s, %s, 'debit', 1.00, '1985-06-30'),"
            " (%s, %s, 'credit', 1.00, '1985-06-30')",
            [tx_id, district.pk, tx_id, bank.pk],
        )
        assert seals.sealable_upto(attempts=2, pause=0.01) is None
        writer.execute("COMMIT")
    new = seals.seal_postings(sealed_by="test")
    assert [s.posting_count for s in new] == [2]
    assert seals.verify_seals().problems == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("debit", "credit", "message"),
    [
        # 1.004 against 1.000: numeric(14,2) rounded both to 1.00 and the pair "balanced".
        ("1.004", "1.000", "ledger_money_cents"),
        ("1.005", "1.005", "ledger_money_cents"),
        # Beyond numeric(14,2): 13 digits before the point.
        ("1000000000000.00", "1000000000000.00", "ledger_money_range"),
    ],
)
def test_raw_sql_postings_with_three_decimals_or_beyond_the_column_are_refused(
    debit, credit, message
):
    employer = EmployerFactory(code="RAW")
    accounts = ledger.ledger_accounts_for_employer(employer)
    district, bank = accounts.district, accounts.account(BANK_ACCOUNT)
    with pytest.raises(DatabaseError, match=message), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO vesting_transaction (employer_id, kind, effective_date, memo,"
                " reference, earned_by, payload_hash, posted_at) VALUES (%s, 'interest',"
                " '1985-06-30', '', '', '', '', now()) RETURNING id",
                [employer.pk],
            )
            (tx_id,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO vesting_posting (transaction_id, account_id, direction, amount,"
                " effective_date) VALUES (%s, %s, 'debit', %s::numeric, '1985-06-30'),"
                " (%s, %s, 'credit', %s::numeric, '1985-06-30')",
                [tx_id, district.pk, debit, tx_id, bank.pk, credit],
            )
    assert Posting.objects.count() == 0


@pytest.mark.django_db
def test_raw_sql_posting_of_exact_cents_is_stored_as_given():
    employer = EmployerFactory(code="RAW2")
    tx = _interest(employer, "1.01", "raw2")
    assert sorted(p.amount for p in tx.postings.all()) == [Decimal("1.01"), Decimal("1.01")]


@pytest.mark.django_db(transaction=True)
def test_a_rewritten_reference_that_leaves_every_balance_true_is_found_by_the_seals_alone():
    """A transaction's reference (the claim or check it pays) rewritten behind the
    triggers' back leaves every balance true: the balance check passes, the seal does not."""
    employer = EmployerFactory(code="SEAL4")
    tx = _interest(employer, "40.00", "seal4-1")
    seals.seal_postings(sealed_by="test")
    with owner_connection() as owner:
        owner.execute("ALTER TABLE vesting_transaction DISABLE TRIGGER USER")
        owner.execute(
            "UPDATE vesting_transaction SET reference = 'check 999' WHERE id = %s", [tx.pk]
        )
        owner.execute("ALTER TABLE vesting_transaction ENABLE TRIGGER USER")
    assert balances_check() == []
    [problem] = seals.verify_seals().problems
    assert "does not match" in problem
