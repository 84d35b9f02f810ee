"""Any CSV, with the columns named by the person importing it (`mapping`: our field -> their header).

Each entry needs a start (a date and time, or a date column plus a time column) with an end or a duration, or
just a date with a duration (placed like Harvest time). Dates are ISO, DD.MM.YYYY or slashed in `date_order`.
"""

from datetime import datetime

from timetracker.imports.parsers.base import (
    FileError,
    Problem,
    Row,
    RowError,
    Table,
    cell,
    infer_date_order,
    parse_bool,
    parse_clock,
    parse_date,
    parse_rate,
)
from timetracker.lib.durations import parse_duration

LABEL = "CSV with your own columns"
FIELDS = {
    "date": "Date",
    "start": "Start (time, or date and time)",
    "end": "End (time, or date and time)",
    "duration": "Duration (1:30, 1.5 or 1h 30m)",
    "person": "Person's name",
    "email": "Person's e-mail",
    "client": "Client",
    "project": "Project",
    "task": "Task",
    "description": "Description",
    "billable": "Billable (yes/no)",
    "rate": "Hourly rate",
    "id": "Id of the entry",
}


def detect(columns):
    return False  # never guessed: the person picks the columns


def header(open_file):
    with open_file() as binary:
        return Table(binary).header


def _moment(text, day, order, name):
    text = text.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    if day is None:
        # "03/04/2024 10:23 AM": the date is what comes before the first space.
        first, _, rest = text.partition(" ")
        if ":" in first or not rest:
            raise RowError(f'{name} "{text}" has no date; map a Date column too.')
        return datetime.combine(parse_date(first, order, name), parse_clock(rest, name))
    return datetime.combine(day, parse_clock(text, name))


def rows(open_file, options):
    mapping = {field: column for field, column in (options.get("mapping") or {}).items() if column}
    unknown = set(mapping) - set(FIELDS)
    if unknown:
        raise FileError(f"Unknown fields in the column mapping: {', '.join(sorted(unknown))}.")
    if "start" not in mapping and "date" not in mapping:
        raise FileError("Map a Start or a Date column: each entry needs its day.")
    if not {"end", "duration"} & set(mapping):
        raise FileError("Map an End or a Duration column: each entry needs its length.")
    order = options.get("date_order") or "auto"
    with open_file() as binary:
        table = Table(binary)
        positions = {}
        for field, column in mapping.items():
            position = table.columns.find(column)
            if position is None:
                raise FileError(f'The file has no column "{column}" (mapped to {FIELDS[field]}).')
            positions[field] = position
        if order == "auto":
            order = infer_date_order(
                cell(values, positions.get("date", positions.get("start"))).split(" ")[0]
                for _, values in table
            )
    with open_file() as binary:
        table = Table(binary)
        for number, values in table:
            get = lambda field, values=values: cell(values, positions.get(field))  # noqa: E731
            try:
                yield _row(number, get, values, positions, order)
            except RowError as error:
                yield Problem(number, str(error))


def _row(number, get, values, positions, order):
    day = parse_date(get("date"), order, "Date") if "date" in positions else None
    seconds = None
    if "duration" in positions and get("duration"):
        try:
            seconds = parse_duration(get("duration"))
        except ValueError as error:
            raise RowError(str(error)) from None
    start = _moment(get("start"), day, order, "Start") if get("start") else None
    end = _moment(get("end"), (start.date() if start else day), order, "End") if get("end") else None
    if start is None and day is None:
        raise RowError("This row has no start and no date.")
    if end is None and seconds is None:
        raise RowError("This row has no end and no duration.")
    billable = parse_bool(get("billable")) if "billable" in positions else None
    return Row(
        number,
        source_id=get("id"),
        person=get("person"),
        email=get("email"),
        client=get("client"),
        project=get("project"),
        task=get("task"),
        description=values[positions["description"]] if "description" in positions else "",
        billable=billable,
        start=start,
        end=end,
        day=day if start is None else None,
        seconds=seconds if end is None else None,
        rate=parse_rate(get("rate"), "Hourly rate")
        if billable is not False and "rate" in positions
        else None,
    )
