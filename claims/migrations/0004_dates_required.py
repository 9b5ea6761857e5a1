"""The business dates are required from now on (backfilled by the previous migration, in a
transaction of its own so that the table is altered with no pending trigger events)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0003_dates_received_and_paid'),
    ]

    operations = [
        migrations.AlterField(
            model_name='claim',
            name='received_on',
            field=models.DateField(),
        ),
        migrations.AlterField(
            model_name='paymentrun',
            name='paid_on',
            field=models.DateField(),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(
                condition=models.Q(('received_on__gte', models.F('date_of_service'))),
                name='claim_received_after_service',
            ),
        ),
    ]
