"""Fund totals per calendar month and kind of transaction (``FundKindMonthTotal``),
maintained by the posting trigger like the month totals (the function gains a sixth
upsert; SQL beside the ledger, named after this migration, a snapshot never edited
later). The postings already made are summed once. Backward restores the function of
migration 0011."""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

SQL_DIR = Path(__file__).resolve().parent.parent / "ledger" / "sql"
FORWARD = (SQL_DIR / "0015_fund_kind_month_totals.sql").read_text(encoding="utf-8")
BACKWARD = (SQL_DIR / "0015_fund_kind_month_totals_backward.sql").read_text(encoding="utf-8")


class Migration(migrations.Migration):

    dependencies = [
        ('vesting', '0014_ach_files'),
    ]

    operations = [
        migrations.CreateModel(
            name='FundKindMonthTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('kind', models.CharField(choices=[('employer_contribution', 'Monthly employer contribution'), ('claim_payment', 'Claim payment from the trust fund'), ('vesting_transfer', 'Vesting transfer'), ('unvested_transfer', 'Unvested transfer to the district'), ('runout_recovery', 'Run-out claim recovered from a vested account'), ('lump_sum_payout', 'Lump-sum payout'), ('continuation_premium', 'Continuation-premium payment'), ('beneficiary_payment', 'Beneficiary payment'), ('interest', 'Interest earned'), ('administrative_expense', 'Administrative expense'), ('reversal', 'Reversal'), ('go_live', 'Carried in at go-live'), ('overpayment', 'Overpayment recorded against an employee')], max_length=30)),
                ('net_change', models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ('fund', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='vesting.fund')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('fund', 'month', 'kind'), include=('net_change',), name='fund_kind_month_total_unique')],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
