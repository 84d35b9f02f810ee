"""A sync, from provider to time: fetch the connection's window, then write it as an import writes a file.

- fetch: every row of the window is read before anything is written (a 30-day window is a bounded list), so a
  quota spent or a fault half-way leaves nothing half-written: the run is deferred or failed and says why;
- write: the import pipeline's check and commit, one transaction (next step, see docs/integrations.md).
"""

import time

from timetracker.integrations import providers
from timetracker.integrations.http import Api
from timetracker.integrations.providers.base import Window


def window_of(connection, today=None):
    return Window.ending_today(connection.window_days, connection.time_zone, today=today)


def fetch(connection, window, *, sleep=time.sleep):
    """(rows, requests made): the provider's entries of the window as import rows."""
    module = providers.module(connection.provider)
    credentials = connection.credentials()
    with Api(
        connection.base_url or module.DEFAULT_BASE, module.headers(connection, credentials), sleep=sleep
    ) as api:
        rows = list(module.rows(api, connection, window))
        return rows, api.requests
