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
