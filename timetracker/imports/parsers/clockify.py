"""Clockify: the Detailed report CSV, in its 2024 and later layouts.

Dates and times follow each user's profile (MM/DD/YYYY or DD/MM/YYYY, 12- or 24-hour, seconds optional), so the
date order is the option `date_order`, or inferred from the file when some day is above 12. `Task` may be called
`Activity`; `Client` and `Billable` may be missing; rows may be a field short; `Type` "Break" is not work.
"""

from datetime import datetime

from timetracker.imports.parsers.base import (
    Columns,
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

LABEL = "Clockify CSV"
SIGNATURE = ("Project", "User", "Email", "Start Date", "Start Time", "End Date", "End Time")


def detect(columns: Columns):
    # Toggl's header has the same names but for case; only Clockify writes Group, Duration (h), "Start Date".
    marked = columns.has("Group") or columns.has("Duration (h)") or "Start Date" in columns.header
    return columns.has(*SIGNATURE) and marked


def _order(open_file, options):
    order = options.get("date_order") or "auto"
    if order != "auto":
        return order
    with open_file() as binary:
        table = Table(binary)
        position = table.columns.find("Start Date")
        return infer_date_order(cell(values, position) for _, values in table)


def rows(open_file, options):
    order = _order(open_file, options)
    with open_file() as binary:
        table = Table(binary)
        c = table.columns
        project, user, email, start_d, start_t, end_d, end_t = c.require(LABEL, *SIGNATURE)
        client, task = c.find("Client"), c.find("Task", "Activity")
        description, billable = c.find("Description"), c.find("Billable")
        kind, invoiced, invoice_id = c.find("Type"), c.find("Invoiced"), c.find("Invoice ID")
        rate = c.find("Billable Rate (", prefix=True)
        for number, values in table:
            try:
                if cell(values, kind).casefold() == "break":
                    yield Row(number, skip="A break, not work.")
                    continue
                start = datetime.combine(
                    parse_date(cell(values, start_d), order, "Start Date"),
                    parse_clock(cell(values, start_t), "Start Time"),
                )
                end = datetime.combine(
                    parse_date(cell(values, end_d), order, "End Date"),
                    parse_clock(cell(values, end_t), "End Time"),
                )
                is_billable = parse_bool(cell(values, billable)) if billable is not None else None
                was_invoiced = invoiced is not None and parse_bool(cell(values, invoiced), "Invoiced")
                yield Row(
                    number,
                    person=cell(values, user),
                    email=cell(values, email),
                    client=cell(values, client),
                    project=cell(values, project),
                    task=cell(values, task),
                    description=values[description] if description is not None else "",
                    billable=is_billable,
                    start=start,
                    end=end,
                    rate=parse_rate(cell(values, rate), "Billable Rate") if is_billable else None,
                    invoiced=(f"Clockify {cell(values, invoice_id)}".strip() if was_invoiced else ""),
                )
            except RowError as error:
                yield Problem(number, str(error))
