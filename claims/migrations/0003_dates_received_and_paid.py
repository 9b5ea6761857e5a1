"""Claims carry the date received; payment runs their date. Existing rows are backfilled
from what is known: a claim's date paid from its first payment's ledger date, its date
received from the day it was entered (never after its date paid nor before its date of
service), a run's date from the day it was made (in the plan's time zone)."""

from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    zone = settings.TIME_ZONE
    schema_editor.execute(
        "UPDATE claims_claim c SET paid_on = t.effective_date FROM vesting_transaction t "
        "WHERE c.paid_on IS NULL AND t.id = c.payment_transaction_id"
    )
    schema_editor.execute(
        "UPDATE claims_claim SET received_on = GREATEST(date_of_service, LEAST("
        "(entered_at AT TIME ZONE %s)::date, COALESCE(paid_on, (entered_at AT TIME ZONE %s)::date)))",
        [zone, zone],
    )
    schema_editor.execute(
        "UPDATE claims_paymentrun SET paid_on = (created_at AT TIME ZONE %s)::date",
        [zone],
    )


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0002_no_duplicate_indexes'),
        ('vesting', '0007_no_duplicate_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='claim',
            name='received_on',
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name='paymentrun',
            name='paid_on',
            field=models.DateField(null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
