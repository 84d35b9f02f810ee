"""One row of a file as time: its span in real time, and its stable external id."""

import hashlib
from datetime import UTC, datetime, time, timedelta

from timetracker.imports import mapping
from timetracker.imports.parsers.base import norm
from timetracker.lib import dates
from timetracker.tasks import entries

DAY_START = time(9, 0)  # where exports without clock times (Harvest) place a day's first entry


class Clock:
    """Wall-clock times of one zone as aware UTC moments. Days without a clock change (all but two a year)
    have one offset, found once per day; the others go through dates.local_moment, which refuses a time the
    clocks skip and reads a repeated one as a span. A 100k-row file then costs a few hundred lookups."""

    def __init__(self, tz):
        self.tz, self.offsets = tz, {}

    def _offset(self, day):
        if day not in self.offsets:
            first, last = (dates.local_midnight(d, self.tz) for d in (day, day + timedelta(days=1)))
            steady = first.utcoffset() == last.utcoffset() == (first + timedelta(hours=12)).utcoffset()
            self.offsets[day] = first.utcoffset() if steady else None
        return self.offsets[day]

    def moment(self, naive, after=None):
        dates.check_supported(naive, "time")
        offset = self._offset(naive.date())
        if offset is None:
            return dates.local_moment(naive.date(), naive.time(), self.tz, after=after).astimezone(UTC)
        return (naive - offset).replace(tzinfo=UTC)


def span(row, clock, stack):
    """The row's start and end as aware datetimes; a duration-only row is placed after the person's previous
    entry that day (from 09:00), so a day's entries follow each other instead of overlapping at midnight."""
    if row.start is None:
        key = (mapping.person_key(row), row.day)
        start = stack.get(key) or clock.moment(datetime.combine(row.day, DAY_START))
        end = dates.add_elapsed(start, row.seconds)
        stack[key] = entries.floor_minute(end)
        return start, end
    start = row.start if row.start.tzinfo else clock.moment(row.start)
    if row.end is None:
        return start, dates.add_elapsed(start, row.seconds)
    if row.end.tzinfo:
        return start, row.end
    return start, clock.moment(row.end, after=start)


def external_id(fmt, row, start, occurrences):
    family = fmt.split("_")[0]  # kimai and kimai_xlsx, toggl and toggl_json: one family of ids
    if row.source_id:
        ident = f"{family}:{row.source_id}"
        if len(ident) <= 100:
            return ident
        return f"{family}:h{hashlib.sha1(row.source_id.encode()).hexdigest()}"
    if row.start is None:
        when = f"{row.day.isoformat()}+{row.seconds}"
    elif row.start.tzinfo is None:
        # The wall-clock time as the file writes it: the same whichever time zone the file is read in, so a
        # re-import by someone in another zone finds the entries instead of duplicating them.
        when = row.start.isoformat()
    else:
        when = start.astimezone(UTC).isoformat()  # a moment the file pins down itself
    fields = (mapping.person_key(row), norm(row.client), norm(row.project), norm(row.task), when)
    occurrences[fields] = occurrences.get(fields, 0) + 1
    digest = hashlib.sha1("\x1f".join((*fields, str(occurrences[fields]))).encode()).hexdigest()
    return f"{family}:{digest}"
