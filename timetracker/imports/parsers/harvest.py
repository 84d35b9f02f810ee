"""Harvest: the Detailed time report CSV (and Harvest's own import layout, which is a subset of it).

There are no clock times: a `Date` and decimal `Hours` in the account's number format (`1.5`, `"20,0"`). The
person is `First Name` + `Last Name` (no e-mail). Dates are ISO or M/D/YY, as the account is set.
"""

from timetracker.imports.parsers.base import (
    Columns,
    Problem,
    Row,
    RowError,
    Table,
    cell,
    hours_to_seconds,
    infer_date_order,
    parse_bool,
    parse_date,
    parse_rate,
    person_name,
)

LABEL = "Harvest CSV"
SIGNATURE = ("Date", "Hours", "First Name", "Last Name")


def detect(columns: Columns):
    # Kimai's legacy export also has Date and a duration, but never First/Last Name.
    return columns.has(*SIGNATURE)


def rows(open_file, options):
    order = options.get("date_order") or "auto"
    if order == "auto":
        with open_file() as binary:
            table = Table(binary)
            position = table.columns.find("Date")
            order = infer_date_order(cell(values, position) for _, values in table)
    with open_file() as binary:
        table = Table(binary)
        c = table.columns
        day, hours, first, last = c.require(LABEL, *SIGNATURE)
        client, project, task, notes = c.find("Client"), c.find("Project"), c.find("Task"), c.find("Notes")
        billable, invoiced, rate = (
            c.find("Billable?", "Billable"),
            c.find("Invoiced?"),
            c.find("Billable Rate"),
        )
        for number, values in table:
            try:
                is_billable = (
                    parse_bool(cell(values, billable), "Billable?") if billable is not None else None
                )
                was_invoiced = invoiced is not None and parse_bool(cell(values, invoiced), "Invoiced?")
                yield Row(
                    number,
                    person=person_name(cell(values, first), cell(values, last)),
                    client=cell(values, client),
                    project=cell(values, project),
                    task=cell(values, task),
                    description=values[notes] if notes is not None else "",
                    billable=is_billable,
                    day=parse_date(cell(values, day), order, "Date"),
                    seconds=hours_to_seconds(cell(values, hours), "Hours"),
                    rate=parse_rate(cell(values, rate), "Billable Rate") if is_billable else None,
                    invoiced="Invoiced in Harvest" if was_invoiced else "",
                )
            except RowError as error:
                yield Problem(number, str(error))
