"""The settings the test run uses: the real ones, plus a throwaway SECRET_KEY.

Tests run with DEBUG off, as production does, and timetracker/settings.py refuses to start without a key then.
The key is set in the environment (not only here) so that `manage.py` subprocesses started by tests inherit it.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", "tests-only-" + secrets.token_urlsafe(40))

from timetracker.settings import *  # noqa: F403
