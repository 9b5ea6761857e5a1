"""R-PR1: the 1983 premium schedule ships as data (PlanYear 1983-84).

FULL and THREE_QUARTER as printed in the Administrative Procedures Rev. 7/1/83.
SELF_PAY: the employee pays the entire cost (major medical 133.93 and dental 30.00) and
carries their own deductible, so no trust-fund line.
Decision: no GRANDFATHERED row; that tier is derived from the FULL row and the plan
year's ``grandfathered_employer_share`` (0.50) by ``accounts.rules.rates_for_tier``.
An administrator may add an explicit row, which then wins.
The amounts are written out here (not imported from accounts.rules) so that this
migration never changes after it has run.
"""

from decimal import Decimal

from django.db import migrations

SCHEDULE_1983 = {
    # tier: (major medical employer, employee, trust fund employer, employee, dental employer, employee)
    "full": ("133.93", "0.00", "41.67", "0.00", "30.00", "0.00"),
    "three_quarter": ("133.93", "0.00", "0.00", "0.00", "22.50", "7.50"),
    "self_pay": ("0.00", "133.93", "0.00", "0.00", "0.00", "30.00"),
}
FIELDS = (
    "major_medical_employer",
    "major_medical_employee",
    "trust_fund_employer",
    "trust_fund_employee",
    "dental_employer",
    "dental_employee",
)


def create_1983(apps, schema_editor):
    PlanYear = apps.get_model("accounts", "PlanYear")
    PremiumSchedule = apps.get_model("accounts", "PremiumSchedule")
    plan_year, _ = PlanYear.objects.get_or_create(start_year=1983)
    for tier, amounts in SCHEDULE_1983.items():
        PremiumSchedule.objects.update_or_create(
            plan_year=plan_year,
            tier=tier,
            defaults={name: Decimal(amount) for name, amount in zip(FIELDS, amounts, strict=True)},
        )


def remove_1983(apps, schema_editor):
    PlanYear = apps.get_model("accounts", "PlanYear")
    PlanYear.objects.filter(start_year=1983).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_members_history_coverage"),
    ]

    operations = [
        migrations.RunPython(create_1983, remove_1983),
    ]
