"""Fund month totals (``FundMonthTotal``), maintained like the day totals.

A second statement-level trigger on the postings adds each statement"s net change per
fund and month, in the same database transaction (R-FU3: even raw SQL keeps them true).
The existing day totals are summed into month totals once.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = r"""
CREATE FUNCTION vesting_posting_month_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vesting_fundmonthtotal AS m (fund_id, month, net_change)
    SELECT a.fund_id, date_trunc('month', n.effective_date)::date,
           sum(CASE WHEN n.direction = a.normal_balance THEN n.amount ELSE -n.amount END)
      FROM new_postings n JOIN vesting_account a ON a.id = n.account_id
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (fund_id, month) DO UPDATE SET net_change = m.net_change + EXCLUDED.net_change;
    RETURN NULL;
END;
$$;

CREATE TRIGGER vesting_posting_month_totals
    AFTER INSERT ON vesting_posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_posting_month_totals();

INSERT INTO vesting_fundmonthtotal (fund_id, month, net_change)
SELECT fund_id, date_trunc('month', day)::date, sum(net_change)
  FROM vesting_funddaytotal
 GROUP BY 1, 2;
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS vesting_posting_month_totals ON vesting_posting;
DROP FUNCTION IF EXISTS vesting_posting_month_totals();
"""


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
