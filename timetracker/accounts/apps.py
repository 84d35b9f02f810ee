from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "timetracker.accounts"

    def ready(self):
        from timetracker.accounts import checks  # noqa: F401  (registers the deploy check)
