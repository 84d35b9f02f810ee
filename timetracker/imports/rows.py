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
        dates.check_supported(day, "time")  # once per day: every moment of a day has its year
        first, last = (dates.local_midnight(d, self.tz) for d in (day, day + timedelta(days=1)))
        steady = first.utcoffset() == last.utcoffset() == (first + timedelta(hours=12)).utcoffset()
        self.offsets[day] = offset = first.utcoffset() if steady else None
        return offset

    def moment(self, naive, after=None):
        day = naive.date()
        offset = self.offsets.get(day, ...)
        if offset is ...:
            offset = self._offset(day)
        if offset is None:
            return dates.local_moment(day, naive.time(), self.tz, after=after).astimezone(UTC)
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


def external_id(fmt, row, start, seen, repeats):
    """The row's id: the source's own, else a hash of the fields that identify it and of how many rows before
    it had the same fields (the first is 1). Those rows' ids are in `seen`, so the count is found there;
    `repeats` keeps it only for fields that do repeat, not one entry per row."""
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
    occurrence = repeats.get(fields, 0) + 1
    ident = _hashed(family, fields, occurrence)
    while ident in seen:
        occurrence += 1
        ident = _hashed(family, fields, occurrence)
    if occurrence > 1:
        repeats[fields] = occurrence
    return ident


def _hashed(family, fields, occurrence):
    digest = hashlib.sha1("\x1f".join((*fields, str(occurrence))).encode()).hexdigest()
    return f"{family}:{digest}"
