import os
import shutil
from datetime import UTC, datetime

import pytest
import time_machine

from tests.factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# A Wednesday afternoon in the middle of a month: "three hours ago" is then always today, this week and this
# month, so no test depends on the hour the suite happens to run at.
STEADY_NOW = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_cache():
    """The sign-in and API key throttles count failures in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def steady_clock(request):
    """Run each test at STEADY_NOW, with the clock ticking on from there. Browser tests keep the real clock:
    Chromium's own clock decides when session cookies expire."""
    if request.node.get_closest_marker("browser"):
        yield
        return
    with time_machine.travel(STEADY_NOW, tick=True):
        yield


def pytest_configure(config):
    from django.conf import settings

    # Tests never run collectstatic, so the hashed-name manifest storage would have nothing to read.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Serve static files from the apps' folders as runserver does; there is no collected STATIC_ROOT.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    # Hashing passwords properly is slow by design; tests only need it to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.fail("Debian's chromium is not installed: run scripts/test, which installs it")
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_ARGS}


@pytest.fixture
def alice(db):
    """Admin: sees and manages everything."""
    return UserFactory(username="alice", first_name="Alice", role="Admin", is_staff=True, is_superuser=True)


@pytest.fixture
def dana(db):
    """Manager: sees the whole team's time."""
    return UserFactory(username="dana", first_name="Dana", role="Manager")


@pytest.fixture
def bob(db):
    """Staff: sees and changes only his own time."""
    return UserFactory(username="bob", first_name="Bob", role="Staff")


@pytest.fixture
def charlie(db):
    """An outsider: a login with no role in the agency."""
    return UserFactory(username="charlie", first_name="Charlie")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client
