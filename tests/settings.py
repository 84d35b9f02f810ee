"""The settings the test run uses: the real ones, plus a throwaway SECRET_KEY and a media folder of its own.

Tests run with DEBUG off, as production does, where nothing may sign with an empty key (sessions, the API's
cursors). The key is set in the environment (not only here) so that `manage.py` subprocesses inherit it.
"""

import atexit
import os
import secrets
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-" + secrets.token_urlsafe(40))

from timetracker.settings import *  # noqa: F403

# Uploaded files (imports, the agency's logo, exports) go to a folder of this run, not the project's media/.
MEDIA_ROOT = tempfile.mkdtemp(prefix="timetracker-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A test database in a file, as in production, not SQLite's shared in-memory one: with an in-memory database
    # the live server hands every request thread the test's own connection (Django's connections_override), so
    # the browser's concurrent htmx requests (the header clock, the dashboard's banner and recent time reloading
    # at once) shared one transaction state, and a read could land inside another request's atomic block. With a
    # file each thread has its own connection and SQLite's writer lock orders them, as it does for `runserver`.
    _database_folder = tempfile.mkdtemp(
        prefix="timetracker-test-db-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
    )
    atexit.register(shutil.rmtree, _database_folder, ignore_errors=True)
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_database_folder, "test.sqlite3")}  # noqa: F405
