from datetime import date

import pytest

from tests.factories import UserFactory
from tests.integrations import fakes
from timetracker.integrations.models import Connection
from timetracker.integrations.providers.base import Window

WINDOW = Window(date(2026, 11, 1), date(2026, 11, 30), "Europe/Amsterdam")


@pytest.fixture
def admin_user(db):
    return UserFactory(role="Admin", username="ada", first_name="Ada", last_name="Admin")


@pytest.fixture
def connect(httpserver, admin_user):
    """A connection to a fake provider on 127.0.0.1, with the fake's token."""

    def make(provider, fake, **fields):
        fake.install(httpserver)
        connection = Connection(
            provider=provider,
            name=f"Our {provider}",
            base_url=httpserver.url_for("/"),
            time_zone="Europe/Amsterdam",
            created_by=admin_user,
            **fields,
        )
        connection.set_credentials(token=fake.token)
        connection.save()
        return connection

    return make


@pytest.fixture
def waits():
    """The waits a retry asked for, instead of sleeping them."""
    asked = []
    return asked


@pytest.fixture
def fake_sleep(waits):
    return waits.append


__all__ = ["WINDOW", "fakes"]
