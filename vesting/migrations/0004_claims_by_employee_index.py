"""An index for reading the trust fund's spending per employee and policy year from the
ledger (R-VE2, R-CL6): claim payments and reversals by employee and date of service.

Written in SQL (a partial index on the ledger's transaction table, which belongs to the
ledger's model state): the rollover reads it once per employee of each employer step.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("vesting", "0003_vesting_runs_lines_payouts")]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS vesting_tx_claims_by_employee "
                "ON vesting_transaction (employee_id, period_start) "
                "WHERE kind IN ('claim_payment', 'reversal')"
            ),
            reverse_sql="DROP INDEX IF EXISTS vesting_tx_claims_by_employee",
        ),
    ]
