"""Toggl Track: the Detailed report / "Export time entries" CSV, and the JSON of its reports API.

CSV: `User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags`
(+ `Amount (CUR)`). Dates ISO, times 24- or 12-hour, naive local times of the exporting user. The span is read
from start and end; `Duration` follows a profile setting (`02:00:00 AM` on 12-hour accounts) and is ignored.
"""

import json
from datetime import datetime
from operator import itemgetter

from timetracker.imports.parsers.base import (
    Columns,
    FileError,
    Problem,
    Row,
    RowError,
    Table,
    parse_bool,
    parse_clock,
    parse_date,
)

LABEL = "Toggl Track CSV"
SIGNATURE = ("User", "Email", "Start date", "Start time", "End date", "End time")


def detect(columns: Columns):
    from timetracker.imports.parsers import clockify

    return columns.has(*SIGNATURE) and columns.has("Project") and not clockify.detect(columns)


def rows(open_file, options):
    with open_file() as binary:
        table = Table(binary)
        c = table.columns
        required = c.require(LABEL, *SIGNATURE)
        optional = [c.find(name) for name in ("Client", "Project", "Task", "Description", "Billable")]
        # One C call picks a row's cells; a column the file lacks reads the "" added after the last cell.
        pick = itemgetter(*required, *(len(table.header) if p is None else p for p in optional))
        has_billable = optional[-1] is not None
        for number, values in table:
            values.append("")
            user, email, start_d, start_t, end_d, end_t, client, project, task, description, billable = pick(
                values
            )
            try:
                start = datetime.combine(
                    parse_date(start_d.strip(), "ymd", "Start date"),
                    parse_clock(start_t.strip(), "Start time"),
                )
                end_d, end_t = end_d.strip(), end_t.strip()
                if not end_d and not end_t:
                    yield Row(number, skip="The timer was still running when the file was exported.")
                    continue
                end = datetime.combine(
                    parse_date(end_d, "ymd", "End date"),
                    parse_clock(end_t, "End time"),
                )
                yield Row(
                    number,
                    person=user.strip(),
                    email=email.strip(),
                    client=client.strip(),
                    project=project.strip(),
                    task=task.strip(),
                    description=description,
                    billable=parse_bool(billable) if has_billable else None,
                    start=start,
                    end=end,
                )
            except RowError as error:
                yield Problem(number, str(error))


# --- JSON (reports API "details" v2: {"data": [...]} or a list; v3 search: groups with "time_entries") -------

JSON_LABEL = "Toggl Track JSON"


def _moment(text, number, name):
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise RowError(f'{name} "{text}" is not a date and time with its offset.') from None
    if moment.tzinfo is None:
        raise RowError(f'{name} "{text}" has no UTC offset.')
    return moment


def json_rows(open_file, options):
    with open_file() as binary:
        try:
            data = json.load(binary)
        except (UnicodeDecodeError, ValueError) as error:
            raise FileError(f"This is not a JSON file: {error}") from None
    items = data.get("data", data.get("time_entries")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise FileError('This JSON has no list of time entries (expected a list, or {"data": [...]}).')
    number = 0
    for item in items:
        # Reports v3 groups a user's entries of one project and description under "time_entries".
        nested = item.get("time_entries") if isinstance(item, dict) else None
        for entry in nested if isinstance(nested, list) else [item]:
            number += 1
            if not isinstance(entry, dict):
                yield Problem(number, "This entry is not an object.")
                continue
            merged = {**item, **entry} if nested else entry
            try:
                yield _json_row(number, merged)
            except RowError as error:
                yield Problem(number, str(error))


def _json_row(number, e):
    if "id" not in e:
        raise RowError("This entry has no id.")
    start = _moment(e.get("start"), number, "start")
    stop = e.get("end") or e.get("stop")
    if not stop:
        return Row(
            number, source_id=str(e["id"]), skip="The timer was still running when the file was exported."
        )
    billable = e.get("is_billable", e.get("billable"))
    return Row(
        number,
        source_id=str(e["id"]),
        person=str(e.get("user") or e.get("username") or ""),
        email=str(e.get("email") or e.get("user_email") or ""),
        client=str(e.get("client") or e.get("client_name") or ""),
        project=str(e.get("project") or e.get("project_name") or ""),
        task=str(e.get("task") or e.get("task_name") or ""),
        description=str(e.get("description") or ""),
        billable=bool(billable) if isinstance(billable, bool) else None,
        start=start,
        end=_moment(stop, number, "end"),
    )
