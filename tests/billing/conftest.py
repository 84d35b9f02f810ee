import pytest

from tests.factories import ClientFactory
from timetracker.billing.models import Settings


@pytest.fixture
def no_rounding():
    settings = Settings.load()
    settings.rounding_enabled = False
    settings.save()
    return settings


@pytest.fixture
def dana_client(client, dana):
    client.force_login(dana)
    return client


@pytest.fixture
def acme():
    return ClientFactory(name="Acme", address="1 Main Street\nSpringfield", email="billing@acme.example")
