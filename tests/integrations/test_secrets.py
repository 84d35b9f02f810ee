"""Credentials are encrypted at rest, readable only with this server's keys, and rotate."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db

from timetracker.integrations import secrets
from timetracker.integrations.models import Connection

pytestmark = pytest.mark.django_db


def test_the_token_is_not_in_the_database_in_clear(admin_user):
    conn = Connection(provider="harvest", name="H", created_by=admin_user)
    conn.set_credentials(token="pat-1234567890-abcdef")
    conn.save()
    with db.cursor() as cursor:
        cursor.execute("SELECT sealed_credentials, token_hint FROM integrations_connection")
        sealed, shown = cursor.fetchone()
    assert "pat-1234567890" not in sealed and shown == "…cdef"
    assert Connection.objects.get().credentials() == {"token": "pat-1234567890-abcdef"}


def test_another_servers_key_cannot_read_them_and_says_what_to_do(settings):
    settings.CREDENTIALS_KEY = Fernet.generate_key().decode()
    sealed = secrets.seal({"token": "x" * 20})
    settings.CREDENTIALS_KEY = Fernet.generate_key().decode()
    with pytest.raises(secrets.Unreadable, match="enter the token again"):
        secrets.unseal(sealed)


def test_keys_rotate_old_first_still_reads_then_reseals_under_the_new(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_KEY = old
    sealed = secrets.seal({"token": "t" * 20})
    settings.CREDENTIALS_KEY = f"{new},{old}"
    assert secrets.unseal(sealed) == {"token": "t" * 20}
    resealed = secrets.reseal(sealed)
    settings.CREDENTIALS_KEY = new
    assert secrets.unseal(resealed) == {"token": "t" * 20}


def test_without_a_key_one_is_derived_from_secret_key(settings):
    settings.CREDENTIALS_KEY = ""
    sealed = secrets.seal({"token": "abc"})
    assert secrets.unseal(sealed) == {"token": "abc"}
    settings.SECRET_KEY = "another-secret-key-" * 3
    with pytest.raises(secrets.Unreadable):
        secrets.unseal(sealed)


def test_short_tokens_show_no_hint():
    assert secrets.hint("short") == "…" and secrets.hint(None) == "…"


def test_rotate_credentials_reseals_tokens_and_webhook_secrets_and_names_what_it_cannot_read(
    settings, admin_user
):
    from io import StringIO

    from django.core.management import call_command

    from timetracker.automation.models import WebhookEndpoint

    old, new, lost = (Fernet.generate_key().decode() for _ in range(3))
    settings.CREDENTIALS_KEY = old
    conn = Connection(provider="harvest", name="H", created_by=admin_user)
    conn.set_credentials(token="pat-1234567890-abcdef")
    conn.save()
    endpoint = WebhookEndpoint(name="Books", url="https://books.example/hook", created_by=admin_user)
    endpoint.set_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    endpoint.save()
    settings.CREDENTIALS_KEY = lost
    stranger = Connection(provider="toggl", name="T", created_by=admin_user)
    stranger.set_credentials(token="t" * 20)
    stranger.save()

    settings.CREDENTIALS_KEY = f"{new},{old}"
    out, err = StringIO(), StringIO()
    call_command("rotate_credentials", stdout=out, stderr=err)
    assert "Re-encrypted 2 secret(s)" in out.getvalue()
    assert f"connection {stranger.pk} (T (Toggl Track))" in err.getvalue()
    settings.CREDENTIALS_KEY = new  # the old key dropped: what was resealed still reads
    assert Connection.objects.get(pk=conn.pk).credentials() == {"token": "pat-1234567890-abcdef"}
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret() == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
