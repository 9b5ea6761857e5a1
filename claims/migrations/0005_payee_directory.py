"""The payee directory; existing claims get their payee: one per provider key, named by
its most used spelling."""

from collections import Counter

import django.db.models.deletion
from django.db import migrations, models

from staywell.names import provider_key


def forwards(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    Payee = apps.get_model("claims", "Payee")
    spellings: dict[str, Counter] = {}
    providers = (
        Claim.objects.filter(payee__isnull=True)
        .order_by()
        .values_list("provider")
        .annotate(n=models.Count("id"))
    )
    for provider, count in providers:
        key = provider_key(provider)[:200]
        if key:
            spellings.setdefault(key, Counter())[provider] += count
    for key, names in spellings.items():
        name = sorted(names.items(), key=lambda item: (-item[1], item[0]))[0][0]
        payee, _ = Payee.objects.get_or_create(key=key, defaults={"name": name})
        Claim.objects.filter(provider__in=list(names), payee__isnull=True).update(payee=payee)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0004_dates_required"),
    ]

    operations = [
        migrations.CreateModel(
            name="Payee",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("key", models.CharField(max_length=200, unique=True)),
                ("address", models.TextField(blank=True, default="")),
                ("active", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["name", "id"],
            },
        ),
        migrations.AddField(
            model_name="claim",
            name="payee",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="claims",
                to="claims.payee",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
