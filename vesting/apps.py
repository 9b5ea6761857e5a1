from django.apps import AppConfig


class VestingConfig(AppConfig):
    name = "vesting"
    verbose_name = "Ledger and vesting"
