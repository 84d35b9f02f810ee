import os

from django.core.asgi import get_asgi_application

from timetracker.accounts.checks import refuse_to_serve_without_a_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timetracker.settings")

application = get_asgi_application()

refuse_to_serve_without_a_key()
