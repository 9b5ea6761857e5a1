"""The claims list's totals per employer, policy year and status (``ClaimTotal``), kept by
statement triggers on the claims (SQL beside the app, named after this migration; like
the migration it is a snapshot, never edited later). Backward drops the triggers."""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
FORWARD = (SQL_DIR / "0012_claim_totals.sql").read_text(encoding="utf-8")
BACKWARD = (SQL_DIR / "0012_claim_totals_backward.sql").read_text(encoding="utf-8")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_members_history"),
        ("claims", "0011_claim_bulk_insert_history_family_day_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClaimTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("policy_year", models.PositiveSmallIntegerField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("entered", "Entered"),
                            ("paid", "Paid"),
                            ("denied", "Denied"),
                            ("voided", "Voided"),
                        ],
                        max_length=10,
                    ),
                ),
                ("count", models.IntegerField(default=0)),
                ("billed", models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ("allowed", models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                (
                    "trust_fund_amount",
                    models.DecimalField(decimal_places=2, default=0, max_digits=14),
                ),
                (
                    "employee_amount",
                    models.DecimalField(decimal_places=2, default=0, max_digits=14),
                ),
                (
                    "carrier_amount",
                    models.DecimalField(decimal_places=2, default=0, max_digits=14),
                ),
                (
                    "employer",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.employer",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("employer", "policy_year", "status"), name="claim_total_unique"
                    )
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
