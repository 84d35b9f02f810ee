import pytest
from rest_framework.test import APIClient

from timetracker.accounts.models import ApiKey


def client_for(user):
    """An API client that authenticates as `user` with a fresh bearer key, as a script would."""
    _, raw = ApiKey.issue(user=user, name="tests")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture
def api_alice(alice):
    return client_for(alice)


@pytest.fixture
def api_bob(bob):
    return client_for(bob)


@pytest.fixture
def api_dana(dana):
    return client_for(dana)
