"""The access log of health data (staywell.models.AccessRecord), append-only: a trigger
refuses UPDATE and DELETE (the SQL beside the app, staywell/sql/, a snapshot never
edited later)."""

from pathlib import Path

import django.db.models.deletion
import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models


SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
FORWARD = (SQL_DIR / "0004_access_log.sql").read_text(encoding="utf-8")
BACKWARD = (SQL_DIR / "0004_access_log_backward.sql").read_text(encoding="utf-8")


class Migration(migrations.Migration):

    dependencies = [
        ('staywell', '0003_analyze_as_owner'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccessRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
                ('kind', models.CharField(choices=[('employee', 'Employee record'), ('family_claims', "Family's claims"), ('claim', 'Claim'), ('statement', 'Statement'), ('side_account', 'Side account')], max_length=20)),
                ('object_id', models.BigIntegerField()),
                ('employee_id', models.BigIntegerField()),
                ('via', models.CharField(choices=[('page', 'Page'), ('api', 'API')], max_length=4)),
                ('path', models.CharField(max_length=300)),
                ('ip', models.GenericIPAddressField(null=True)),
                ('user_agent', models.CharField(blank=True, max_length=300)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['-at', '-id'], name='staywell_access_at'), models.Index(fields=['employee_id', '-at'], name='staywell_access_employee'), models.Index(fields=['user', '-at'], name='staywell_access_user')],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
