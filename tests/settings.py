"""The settings the test run uses: the real ones, plus a throwaway SECRET_KEY.

Tests run with DEBUG off, as production does, where nothing may sign with an empty key (sessions, the API's
cursors). The key is set in the environment (not only here) so that `manage.py` subprocesses inherit it.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", "tests-only-" + secrets.token_urlsafe(40))

from timetracker.settings import *  # noqa: F403
