"""Prefix search on employee names and numbers over a pool of 100,000 employees.

The expressions match what Django's ``istartswith`` / ``startswith`` lookups produce on
PostgreSQL (``UPPER("last_name"::text) LIKE UPPER('smi%')``, ``"number"::text LIKE
'12%'``). Written as SQL: ``OpClass`` index expressions need django.contrib.postgres in
INSTALLED_APPS, which this project does not install.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_plan_year_1983"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                'CREATE INDEX employee_last_name_prefix_idx ON accounts_employee '
                "((UPPER(last_name::text)) text_pattern_ops)",
                'CREATE INDEX employee_first_name_prefix_idx ON accounts_employee '
                "((UPPER(first_name::text)) text_pattern_ops)",
                "CREATE INDEX employee_number_prefix_idx ON accounts_employee "
                "(number text_pattern_ops)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS employee_last_name_prefix_idx",
                "DROP INDEX IF EXISTS employee_first_name_prefix_idx",
                "DROP INDEX IF EXISTS employee_number_prefix_idx",
            ],
        ),
    ]
