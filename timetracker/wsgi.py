import os

from django.core.wsgi import get_wsgi_application

from timetracker.accounts.checks import refuse_to_serve_without_a_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timetracker.settings")

application = get_wsgi_application()

refuse_to_serve_without_a_key()
