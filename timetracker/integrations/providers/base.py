"""What every provider shares: the window a sync reads, and turning the provider's values into the import
pipeline's rows (`imports.parsers.base.Row`), so names, people, rates and external ids are matched exactly as a
file import matches them.

A provider module is only its API's auth, pagination and field names: `headers(connection, credentials)` and
`rows(api, connection, window)` yielding Rows (a running entry as a Row with `skip`, an entry deleted upstream
not at all: its absence from the re-read window is what removes it here).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from timetracker.imports.parsers.base import Row
from timetracker.integrations.http import SyncError
from timetracker.lib import dates

RUNNING = "Running upstream: it is read once it stops."


@dataclass(frozen=True)
class Window:
    """The days a sync re-reads, first and last included, in the connection's zone."""

    first: date
    last: date
    tz: str

    @classmethod
    def ending_today(cls, days, tz, today=None):
        today = today or dates.localdate(tz=tz)
        return cls(today - timedelta(days=days - 1), today, tz)

    def widened(self, days=1):
        """The window with a day more on each side: for APIs that take dates in their own zone (an account's,
        UTC), so every entry inside our window is listed whatever zone the provider reads the dates in."""
        return Window(self.first - timedelta(days=days), self.last + timedelta(days=days), self.tz)

    @property
    def start(self):
        """The first day's midnight, aware."""
        return dates.local_midnight(self.first, self.tz)

    @property
    def end(self):
        """The midnight after the last day, aware (exclusive)."""
        return dates.local_midnight(self.last + timedelta(days=1), self.tz)


def linked_pages(api, response, items, links):
    """The items of every page, from the first response on, following the next-page link each page names
    (`links`: the envelope's key holding it, e.g. Harvest's "links", Tempo's "metadata")."""
    while True:
        page = response.json()
        yield from page.get(items) or []
        following = (page.get(links) or {}).get("next")
        if not following:
            return
        response = api.follow(following)


def moment(value, what="time"):
    """An ISO 8601 / RFC 3339 time with its offset ("Z" too) as an aware datetime in UTC."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise SyncError(f"The provider sent a {what} we can't read: {value!r}") from None
    if parsed.tzinfo is None:
        raise SyncError(f"The provider sent a {what} without a time zone: {value!r}")
    return parsed.astimezone(UTC)


def millis(value, what="time"):
    """Unix milliseconds, as a number or a string (ClickUp sends both), as an aware datetime."""
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        raise SyncError(f"The provider sent a {what} we can't read: {value!r}") from None


def money(value, cents=False):
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount / 100 if cents else amount


def text(value):
    return str(value).strip() if value is not None else ""


def row(number, **fields):
    return Row(number, **{key: value for key, value in fields.items() if value is not None})
