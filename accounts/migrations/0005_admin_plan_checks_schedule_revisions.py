"""Plan-year settings checked by the database; premium schedule revisions by month."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_employee_search_indexes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="premiumschedule",
            options={"ordering": ["plan_year", "effective_from", "tier"]},
        ),
        migrations.RemoveConstraint(
            model_name="premiumschedule",
            name="premium_schedule_unique_per_tier",
        ),
        # Every existing schedule row applies from its plan year's first month (July 1).
        migrations.AddField(
            model_name="premiumschedule",
            name="effective_from",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunSQL(
            "UPDATE accounts_premiumschedule s SET effective_from = make_date(y.start_year, 7, 1)"
            " FROM accounts_planyear y WHERE y.id = s.plan_year_id",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="premiumschedule",
            name="effective_from",
            field=models.DateField(blank=True),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="premiumschedule",
            trigger=pgtrigger.compiler.Trigger(
                name="premium_schedule_effective_in_plan_year",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    declare="DECLARE first_year integer;",
                    func="\n                SELECT start_year INTO first_year FROM accounts_planyear\n                WHERE id = NEW.plan_year_id;\n                IF NEW.effective_from IS NULL THEN\n                    NEW.effective_from := make_date(first_year, 7, 1);\n                END IF;\n                IF NEW.effective_from < make_date(first_year, 7, 1)\n                   OR NEW.effective_from > make_date(first_year + 1, 6, 1) THEN\n                    RAISE EXCEPTION 'a premium schedule applies from a month of its plan year'\n                        USING ERRCODE = 'check_violation';\n                END IF;\n                RETURN NEW;\n                ",
                    hash="dcee73b6d7ac8b5ac172ae5c793ca6a2dac9bc30",
                    operation="INSERT OR UPDATE",
                    pgid="pgtrigger_premium_schedule_effective_in_plan_year_aa068",
                    table="accounts_premiumschedule",
                    when="BEFORE",
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="planyear",
            constraint=models.CheckConstraint(
                condition=models.Q(("start_year__gte", 1900), ("start_year__lte", 2999)),
                name="plan_year_start_year_1900_to_2999",
                violation_error_message="The first year is from 1900 to 2999.",
            ),
        ),
        migrations.AddConstraint(
            model_name="planyear",
            constraint=models.CheckConstraint(
                condition=models.Q(("deductible__gte", 0)), name="plan_year_deductible_not_negative",
                violation_error_message="The deductible cannot be negative."
            ),
        ),
        migrations.AddConstraint(
            model_name="planyear",
            constraint=models.CheckConstraint(
                condition=models.Q(("maximum_vest__gte", 0)),
                name="plan_year_maximum_vest_not_negative",
                violation_error_message="The maximum vest cannot be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="planyear",
            constraint=models.CheckConstraint(
                condition=models.Q(("carrier_maximum__gte", 0)),
                name="plan_year_carrier_maximum_not_negative",
                violation_error_message="The carrier maximum cannot be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="planyear",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("grandfathered_employer_share__gte", 0),
                    ("grandfathered_employer_share__lte", 1),
                ),
                name="plan_year_grandfathered_share_0_to_1",
                violation_error_message="The grandfathered employer share is a fraction from 0 to 1.",
            ),
        ),
        migrations.AddConstraint(
            model_name="premiumschedule",
            constraint=models.UniqueConstraint(
                fields=("plan_year", "tier", "effective_from"),
                name="premium_schedule_one_revision_per_tier_and_month",
            ),
        ),
        migrations.AddConstraint(
            model_name="premiumschedule",
            constraint=models.CheckConstraint(
                condition=models.Q(("effective_from__day", 1)),
                name="premium_schedule_effective_first_of_month",
            ),
        ),
    ]
