from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "timetracker.integrations"
    verbose_name = "Integrations"
