from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "timetracker.imports"
    verbose_name = "Imports"
