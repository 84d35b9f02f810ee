"""Kimai: the timesheet export, as CSV (`,` or `;`, English or German headers, 2.27+ or the legacy layout)
or as XLSX (read with openpyxl, streaming).

`Date` + `From`/`To` (`H:i`, no end date: a `To` before `From` crosses midnight), in the entry's time zone.
`Billable` is 1/0 (legacy: Yes/No); rates appear only when the exporter may see them.
"""

from datetime import date, datetime, time, timedelta

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
    parse_rate,
)

LABEL = "Kimai timesheet export"
DAY, START, END = ("Date", "Datum"), ("From", "Von", "Begin"), ("To", "Bis", "End")
CUSTOMER, ACTIVITY = ("Customer", "Kunde"), ("Activity", "Tätigkeit")
PROJECT, DESCRIPTION = ("Project", "Projekt"), ("Description", "Beschreibung")
USER, NAME, EMAIL = ("User", "Benutzer", "Username"), ("Name",), ("E-mail", "E-Mail", "Email")
BILLABLE, EXPORTED = ("Billable", "Abrechenbar"), ("Exported", "Exportiert")
RATE = ("Hourly price", "Preis pro Stunde", "Hourly rate", "HourlyRate")


def detect(columns: Columns):
    return all(columns.find(*names) is not None for names in (DAY, START, END, CUSTOMER, ACTIVITY))


def rows(open_file, options):
    with open_file() as binary:
        table = Table(binary)
        yield from _rows(table.columns, table)


def xlsx_rows(open_file, options):
    import openpyxl

    with open_file() as binary:
        try:
            book = openpyxl.load_workbook(binary, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken file
            raise FileError(f"This is not a readable XLSX file: {error}") from None
        try:
            sheet = book.worksheets[0]
            lines = sheet.iter_rows(values_only=True)
            header = [str(value or "").strip() for value in next(lines, ())]
            columns = Columns(header)
            if not detect(columns):
                raise FileError(
                    f"This is not a {LABEL}: its first sheet has no Date, From, To, Customer and Activity."
                )
            numbered = ((number, list(values)) for number, values in enumerate(lines, start=2))
            yield from _rows(
                columns, (item for item in numbered if any(v not in (None, "") for v in item[1]))
            )
        finally:
            book.close()


def _text(values, position):
    value = values[position] if position is not None and position < len(values) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value if isinstance(value, str | date | time) else str(value)


def _day(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(value.strip(), "ymd", "Date")


def _clock(value, column):
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    return parse_clock(value.strip(), column)


def _rows(c, lines):
    day, start, end = c.find(*DAY), c.find(*START), c.find(*END)
    customer, project, activity = c.find(*CUSTOMER), c.find(*PROJECT), c.find(*ACTIVITY)
    description, billable, exported = c.find(*DESCRIPTION), c.find(*BILLABLE), c.find(*EXPORTED)
    user, name, email, rate, ident = c.find(*USER), c.find(*NAME), c.find(*EMAIL), c.find(*RATE), c.find("ID")
    for number, values in lines:
        text = lambda position, values=values: _text(values, position)  # noqa: E731
        try:
            on = _day(text(day))
            began = datetime.combine(on, _clock(text(start), "From"))
            if not text(end):
                yield Row(number, skip="The timer was still running when the file was exported.")
                continue
            ended = datetime.combine(on, _clock(text(end), "To"))
            if ended < began:
                # Kimai writes no end date: an earlier end is the next day (an equal one is no time at all,
                # skipped as less than a minute, not a whole day)
                ended += timedelta(days=1)
            is_billable = parse_bool(str(text(billable)), "Billable") if billable is not None else None
            yield Row(
                number,
                person=str(text(name) or text(user)).strip(),
                email=str(text(email)).strip(),
                client=str(text(customer)).strip(),
                project=str(text(project)).strip(),
                task=str(text(activity)).strip(),
                description=str(text(description)),
                billable=is_billable,
                start=began,
                end=ended,
                rate=parse_rate(str(text(rate)), "Hourly price")
                if is_billable and rate is not None
                else None,
                invoiced="Exported from Kimai" if exported is not None and _yes(text(exported)) else "",
                source_id=str(text(ident)).strip(),
            )
        except RowError as error:
            yield Problem(number, str(error))


def _yes(value):
    try:
        return parse_bool(str(value), "Exported")
    except RowError:
        return False
