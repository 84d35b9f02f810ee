"""Entries as CSV or XLSX, one row each: a report's entries or the Logs table's.

Entries are read a chunk at a time in start order and written as they come. Up to BACKGROUND_ROWS the file is
made in the request (CSV streamed); above it an Export row is queued and a task writes the file (tasks.py),
reporting its progress, so a big export neither holds a web worker nor the whole table in memory.
"""

import io
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from timetracker.billing.models import Settings
from timetracker.lib.durations import format_duration
from timetracker.lib.money import MoneyFormat
from timetracker.reports.exports import (
    BOM,
    CHUNK,
    CsvWriter,
    Sheet,
    csv_options,
    duration_cells,
    hours_text,
    money_cell,
    money_header,
    money_text,
    report_facts,
    stamp,
    streamed_csv,
)

FORMATS = ("csv", "xlsx")
BACKGROUND_ROWS = 20_000
PROGRESS_EVERY = 5_000
FIELDS = (
    "started_at",
    "task__client__name",
    "task__project__name",
    "task__title",
    "user__first_name",
    "user__last_name",
    "user__username",
    "description",
    "billable",
    "invoice_line_id",
    "billed_elsewhere",
    "duration_seconds",
    "rounded_seconds",
    "hourly_rate",
    "amount",
)
XLSX_KINDS = ["moment", None, None, None, None, None, None, None, "hours", "clock", "hours", "clock"]


@dataclass(frozen=True)
class Money:
    """How the export writes money: the agency's format and currency (a report's, or the settings')."""

    format: MoneyFormat
    code: str

    @classmethod
    def of(cls, source=None):
        if source is None:
            source = Settings.load()
        if isinstance(source, Settings):
            return cls(source.money_format(), source.currency_code)
        return cls(source.money_format, source.currency_code)  # a report


def header(show_amounts, money=None):
    durations = [f"{name} ({unit})" for name in ("Tracked", "Rounded") for unit in ("h", "h:mm")]
    code = money.code if money else ""
    money = [money_header("Rate", code), money_header("Amount", code)] if show_amounts else []
    return [
        "Started",
        "Client",
        "Project",
        "Task",
        "Person",
        "Description",
        "Billable",
        "Invoiced",
        *durations,
        *money,
    ]


def _values(entries, progress=None):
    """The entries' fields a chunk at a time, in start order (the (started_at, id) index)."""
    rows = entries.order_by("started_at", "pk").values_list(*FIELDS).iterator(chunk_size=CHUNK)
    for count, values in enumerate(rows, start=1):
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
        yield values


def _cells(values, tz):
    started, client, project, task, first, last, username, text, billable, line, elsewhere = values[:11]
    person = f"{first} {last}".strip() or username
    invoiced = line is not None or bool(elsewhere)
    local = timezone.localtime(started, tz).replace(tzinfo=None)
    return local, [client, project or "", task, person, text, billable, invoiced], *values[11:]


def csv_rows(entries, *, tz, show_amounts, money, decimal_mark=".", progress=None):
    yield header(show_amounts, money)
    for values in _values(entries, progress):
        local, texts, tracked, rounded, rate, amount = _cells(values, tz)
        texts[5] = "yes" if texts[5] else "no"
        texts[6] = "yes" if texts[6] else "no"
        row = [f"{local:%Y-%m-%d %H:%M}", *texts]
        for seconds in (tracked, rounded):
            row += [hours_text(seconds, decimal_mark), format_duration(seconds, "clock")]
        if show_amounts:
            row += [
                money_text(rate, money.format, decimal_mark),
                money_text(amount, money.format, decimal_mark),
            ]
        yield row


def xlsx_rows(entries, *, tz, show_amounts, money, progress=None):
    for values in _values(entries, progress):
        local, texts, tracked, rounded, rate, amount = _cells(values, tz)
        row = [local, *texts, *duration_cells(tracked), *duration_cells(rounded)]
        if show_amounts:
            row += [money_cell(rate, money.format), money_cell(amount, money.format)]
        yield row


def write_xlsx(sheet, entries, *, tz, show_amounts, money, facts, progress=None):
    kinds = XLSX_KINDS + (["money", "money"] if show_amounts else [])
    rows = xlsx_rows(entries, tz=tz, show_amounts=show_amounts, money=money, progress=progress)
    sheet.table("Entries", header(show_amounts, money), kinds, rows)
    sheet.facts(facts)


def write_file(file, entries, fmt, *, tz, show_amounts, facts, money=None, progress=None):
    """Write the export into a binary `file` (the background task's), row by row."""
    money = money or Money.of()
    if fmt == "csv":
        text = io.TextIOWrapper(file, encoding="utf-8", newline="", write_through=True)
        text.write(BOM)
        rows = csv_rows(entries, tz=tz, show_amounts=show_amounts, money=money, progress=progress)
        CsvWriter(text).writerows(rows)
        text.detach()  # leave `file` open for the caller
        return
    sheet = Sheet(file, money_format=money.format)
    write_xlsx(sheet, entries, tz=tz, show_amounts=show_amounts, money=money, facts=facts, progress=progress)
    sheet.close()


def respond(entries, fmt, *, show_amounts, about=None, tz=None, facts=None, options=None):
    """Entries as a CSV or XLSX response; `about` is the report they come from (its zone and facts), if any."""
    tz = tz or (about.tz if about else timezone.get_current_timezone())
    money = Money.of(about)
    if fmt == "csv":
        delimiter, decimal_mark = csv_options(options or {})
        rows = csv_rows(entries, tz=tz, show_amounts=show_amounts, money=money, decimal_mark=decimal_mark)
        return streamed_csv(rows, f"entries-{stamp()}.csv", delimiter)
    if fmt == "xlsx":
        facts = facts if facts is not None else (report_facts(about) if about else [])
        sheet = Sheet(money_format=money.format)
        write_xlsx(sheet, entries, tz=tz, show_amounts=show_amounts, money=money, facts=facts)
        return sheet.response(f"entries-{stamp()}.xlsx")
    raise Http404("Entries export as CSV or XLSX.")
