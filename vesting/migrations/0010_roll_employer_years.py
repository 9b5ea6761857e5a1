# The rollover per employer and year: a run is a request covering employer-years, each
# with its status and heartbeat; existing steps become completed employer-years of their
# run's year.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_employee_search_indexes'),
        ('vesting', '0009_revest_adjustments_overpayments'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='vestingrun',
            options={'ordering': ['-policy_year', '-id']},
        ),
        migrations.AlterModelOptions(
            name='vestingrunemployerstep',
            options={'ordering': ['policy_year', 'employer_id']},
        ),
        migrations.RemoveConstraint(
            model_name='vestingrunemployerstep',
            name='vesting_step_once',
        ),
        migrations.AddField(
            model_name='vestingrun',
            name='employer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.employer'),
        ),
        migrations.AddField(
            model_name='vestingrun',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='vestingrun',
            name='open_months',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='vestingrun',
            name='override_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='vestingrun',
            name='override_reason',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='vestingrunemployerstep',
            name='error',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='vestingrunemployerstep',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='vestingrunemployerstep',
            name='policy_year',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='vestingrunemployerstep',
            name='started_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='vestingrunemployerstep',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('completed', 'Completed'), ('failed', 'Failed')], default='completed', max_length=10),
        ),
        migrations.RunSQL(
            "UPDATE vesting_vestingrunemployerstep s SET policy_year = r.policy_year, "
            "heartbeat_at = s.done_at, started_at = s.done_at "
            "FROM vesting_vestingrun r WHERE r.id = s.run_id",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name='vestingrunemployerstep',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('completed', 'Completed'), ('failed', 'Failed')], default='queued', max_length=10),
        ),
        migrations.AlterField(
            model_name='vestingrunemployerstep',
            name='policy_year',
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AlterField(
            model_name='vestingrun',
            name='policy_year',
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AlterField(
            model_name='vestingrunemployerstep',
            name='done_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='vestingrun',
            index=models.Index(fields=['policy_year', 'status'], name='vesting_run_year_idx'),
        ),
        migrations.AddIndex(
            model_name='vestingrunemployerstep',
            index=models.Index(fields=['run', 'status'], name='vesting_step_run_idx'),
        ),
        migrations.AddConstraint(
            model_name='vestingrunemployerstep',
            constraint=models.UniqueConstraint(fields=('employer', 'policy_year'), name='vesting_employer_year_once'),
        ),
    ]
