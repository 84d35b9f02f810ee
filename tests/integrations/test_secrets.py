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
