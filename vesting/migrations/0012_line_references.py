"""Vesting lines' employee, run and settling run checked once per statement.

Their foreign-key constraints (one check per line, deferred to the commit) give way to
statement triggers that check every line a statement writes at once and lock the rows
they point at, with triggers refusing the deletion of an employee or a run that lines
point at (``vesting/ledger/sql/0012_line_references.sql``). Backward drops the triggers
and puts the foreign keys back. The indexes of the employee (the unique employee and
policy year index serves), the spouse and the settling run go: nothing looks lines up by
them, and the rollover writes every index of every line.
"""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models


# The SQL lives beside the ledger, named after this migration; like the migration it
# is a snapshot, never edited later.
SQL_DIR = Path(__file__).resolve().parent.parent / "ledger" / "sql"
FORWARD = (SQL_DIR / "0012_line_references.sql").read_text(encoding="utf-8")
BACKWARD = (SQL_DIR / "0012_line_references_backward.sql").read_text(encoding="utf-8")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_admin_plan_checks_schedule_revisions'),
        ('vesting', '0011_trust_claim_totals'),
    ]

    operations = [
        migrations.AlterField(
            model_name='vestingline',
            name='employee',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='vesting_lines', to='accounts.employee'),
        ),
        migrations.AlterField(
            model_name='vestingline',
            name='run',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='vesting.vestingrun'),
        ),
        migrations.AlterField(
            model_name='vestingline',
            name='settled_run',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='vesting.vestingrun'),
        ),
        migrations.AlterField(
            model_name='vestingline',
            name='spouse',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.employee'),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
