"""Refusing to serve without a secret key of our own (see SECRET_KEY in settings.py)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


def refuse_to_serve_without_a_key():
    """Called by wsgi.py and asgi.py as they start: a server without its own key must not come up."""
    if settings.SECRET_KEY_MISSING:
        raise ImproperlyConfigured(settings.SECRET_KEY_MISSING)


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if settings.SECRET_KEY_MISSING:
        return [Error(settings.SECRET_KEY_MISSING, id="timetracker.E001")]
    return []
