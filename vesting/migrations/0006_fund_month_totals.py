"""Fund month totals (``FundMonthTotal``), maintained like the day totals.

The posting trigger's function (migration 0002) gains a fourth upsert: each statement's
net change per fund and month, in the same database transaction (R-FU3: even raw SQL
keeps them true), with no second trigger on the postings. The existing day totals are
summed into month totals once. Backward restores the function of migration 0002.
"""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

# The SQL lives beside the ledger, named after this migration; like the migration it
# is a snapshot, never edited later.
SQL_DIR = Path(__file__).resolve().parent.parent / "ledger" / "sql"
FORWARD = (SQL_DIR / "0006_fund_month_totals.sql").read_text(encoding="utf-8")
BACKWARD = (SQL_DIR / "0006_fund_month_totals_backward.sql").read_text(encoding="utf-8")


class Migration(migrations.Migration):
    dependencies = [
        ("vesting", "0005_payout_without_share"),
    ]

    operations = [
        migrations.CreateModel(
            name="FundMonthTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField()),
                ("net_change", models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                (
                    "fund",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="month_totals",
                        to="vesting.fund",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("fund", "month"),
                        include=("net_change",),
                        name="fund_month_total_unique",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("month__day", 1)),
                        name="fund_month_total_first_of_month",
                    ),
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
