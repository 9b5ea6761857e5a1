"""Trust-fund claim totals (``TrustClaimTotal``), maintained like the month totals.

The posting trigger's function (migration 0006) gains a fifth upsert: each statement's
trust-fund claims per General Deductible Trust Fund account, employee and policy year, in
the same database transaction (R-FU3: even raw SQL keeps them true), with no second
trigger on the postings. The postings already made are summed once. Backward restores the
function of migration 0006.
"""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models


# The SQL lives beside the ledger, named after this migration; like the migration it
# is a snapshot, never edited later.
SQL_DIR = Path(__file__).resolve().parent.parent / "ledger" / "sql"
FORWARD = (SQL_DIR / "0011_trust_claim_totals.sql").read_text(encoding="utf-8")
BACKWARD = (SQL_DIR / "0011_trust_claim_totals_backward.sql").read_text(encoding="utf-8")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_employee_search_indexes"),
        ("vesting", "0010_roll_employer_years"),
    ]

    operations = [
        migrations.CreateModel(
            name="TrustClaimTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("policy_year", models.PositiveSmallIntegerField()),
                ("paid", models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                (
                    "account",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="vesting.account",
                    ),
                ),
                (
                    "employee",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.employee",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account", "employee", "policy_year"),
                        include=("paid",),
                        name="trust_claim_total_unique",
                    )
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
