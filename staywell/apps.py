from django.apps import AppConfig


class StaywellConfig(AppConfig):
    name = "staywell"
    verbose_name = "Stay-Well"
