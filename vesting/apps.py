from django.apps import AppConfig


class VestingConfig(AppConfig):
    name = "vesting"
    verbose_name = "Ledger and vesting"

    def ready(self) -> None:
        from accounts.signals import employee_separated
        from vesting.payouts import on_employee_separated

        # R-VE4, R-VE7, R-VE10: a recorded separation vests its year and builds the payouts.
        employee_separated.connect(on_employee_separated, dispatch_uid="vesting.separation_record")
