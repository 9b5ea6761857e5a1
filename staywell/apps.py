from django.apps import AppConfig


class StaywellConfig(AppConfig):
    name = "staywell"
    verbose_name = "Stay-Well"

    def ready(self) -> None:
        from staywell import signals  # noqa: F401 - connects the receivers
