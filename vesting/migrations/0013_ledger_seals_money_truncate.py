"""The ledger against raw SQL and its owner (R-PY2, R-FU3), and seals over the postings.

1. ``vesting_posting.amount`` becomes the ``ledger_money`` domain: numeric with CHECKs
   (at most two decimals, within numeric(14,2)), so 1.005 is refused instead of rounded.
2. TRUNCATE is refused on the ledger's tables (transactions, postings, the maintained
   balances and totals, seals), even to their owner; ``manage.py flush`` outside
   production says so first (``staywell.management.commands.flush``).
3. ``LedgerSeal``: append-only seals over the postings in id order
   (``vesting.ledger.seals``), which ``ledger_check`` recomputes. Each posting statement
   takes the seal lock in SHARE mode before drawing its ids.
"""

from pathlib import Path

import vesting.models.ledger
from django.db import migrations, models

# The SQL lives beside the ledger, named after this migration; like the migration it
# is a snapshot, never edited later.
SQL_DIR = Path(__file__).resolve().parent.parent / "ledger" / "sql"


def sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


class Migration(migrations.Migration):

    dependencies = [
        ('vesting', '0012_line_references'),
    ]

    operations = [
        migrations.RunSQL(
            sql("0013_ledger_money_domain.sql"), sql("0013_ledger_money_domain_backward.sql")
        ),
        migrations.AlterField(
            model_name='posting',
            name='amount',
            field=vesting.models.ledger.LedgerMoneyField(decimal_places=2, max_digits=14),
        ),
        migrations.CreateModel(
            name='LedgerSeal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('after_posting_id', models.BigIntegerField()),
                ('last_posting_id', models.BigIntegerField(unique=True)),
                ('posting_count', models.PositiveIntegerField()),
                ('previous_hash', models.CharField(blank=True, max_length=64)),
                ('hash', models.CharField(max_length=64)),
                ('sealed_at', models.DateTimeField(auto_now_add=True)),
                ('sealed_by', models.CharField(max_length=40)),
            ],
            options={
                'ordering': ['id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('last_posting_id__gt', models.F('after_posting_id'))), name='ledger_seal_range_not_empty')],
            },
        ),
        migrations.RunSQL(
            sql("0013_ledger_seals_truncate.sql"), sql("0013_ledger_seals_truncate_backward.sql")
        ),
    ]
