from django.apps import AppConfig


class VestingConfig(AppConfig):
    name = "vesting"
    verbose_name = "Ledger and vesting"

    def ready(self) -> None:
        from accounts.signals import employee_separated, plan_year_use_asked
        from vesting.payouts import on_employee_separated
        from vesting.selectors import plan_year_use

        # R-VE4, R-VE7, R-VE10: a recorded separation vests its year and builds the payouts.
        employee_separated.connect(on_employee_separated, dispatch_uid="vesting.separation_record")
        # Which months of a plan year are closed, whether its rollover has vested: the
        # administrator's pages lock what those used.
        plan_year_use_asked.connect(plan_year_use, dispatch_uid="vesting.plan_year_use")
