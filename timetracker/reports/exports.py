"""Exports of a report's rows as CSV, XLSX and PDF, and the writers entry exports share (entry_exports.py).

CSV streams to the browser; XLSX goes through XlsxWriter's constant-memory mode into a temporary file, so a
million rows never sit in memory at once.
"""

import csv
import dataclasses
import functools
import io
import tempfile
from decimal import Decimal

import xlsxwriter
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from timetracker.lib.durations import format_duration
from timetracker.lib.money import format_money
from timetracker.reports.engine import DIMENSIONS

FORMATS = ("csv", "xlsx", "pdf")
CHUNK = 2000
CSV_ROWS_PER_CHUNK = 500
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only when it starts with one
SECONDS_PER_DAY = 86400
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DURATIONS = ("Tracked", "Rounded", "Billable")


def stamp():
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def hours_text(seconds, decimal_mark="."):
    return format_duration(int(seconds), "decimal").replace(".", decimal_mark)


# Money goes through the one formatter (lib/money.py) with the agency's settings, as pages do. In a CSV the
# amount stays a plain number a spreadsheet can add up: the settings' decimal places (and their rounding),
# the CSV's own decimal mark, no symbol or thousands; the currency is named in the column's header.
def money_text(amount, money_format, decimal_mark="."):
    return "" if amount is None else _formatted(amount, _plain(money_format, decimal_mark))


# Exports format an amount per row, and rates and amounts repeat: a bounded cache keeps a million-row export
# from spending most of its time in the formatter, and its memory constant.
@functools.lru_cache(maxsize=4096)
def _formatted(amount, plain):
    return format_money(amount, plain)


@functools.cache
def _plain(money_format, decimal_mark):
    # Made once per format: exports call money_text for every row.
    return dataclasses.replace(money_format, symbol="", thousand_separator="", decimal_separator=decimal_mark)


def money_cell(amount, money_format):
    """An amount as a number cell rounded as the settings round it (XlsxWriter writes a Decimal as a number)."""
    return None if amount is None else Decimal(money_text(amount, money_format))


def xlsx_money_format(money_format):
    """The settings' money format as a spreadsheet number format: `"€"#,##0.00` or `#,##0 "kr"`."""
    number = "#,##0" + ("." + "0" * money_format.decimal_places if money_format.decimal_places else "")
    symbol = money_format.symbol.replace('"', "")
    if not symbol:
        return number
    return f'"{symbol}"{number}' if money_format.position == "before" else f'{number} "{symbol}"'


def money_header(name, currency_code):
    return f"{name} ({currency_code})" if currency_code else name


# Report rows ----------------------------------------------------------------------------------------------


def report_header(report):
    names = [DIMENSIONS[d] for d in report.dimensions]
    durations = [f"{name} ({unit})" for name in DURATIONS for unit in ("h", "h:mm")]
    money = [money_header("Amount", report.currency_code)] if report.show_amounts else []
    return [*names, "Entries", *durations, *money]


def report_lines(report):
    """(labels, figures, kind) per line: the rows, each group's subtotal when sub-grouped, then the total."""
    depth = len(report.dimensions)
    for row in report.rows:
        if depth == 1:
            yield [row.label], row.figures, "row"
            continue
        for child in row.children:
            yield [row.label, child.label], child.figures, "row"
        yield [row.label, "Subtotal"], row.figures, "subtotal"
    yield ["Total", *[""] * (depth - 1)], report.totals, "total"


def _figures_text(figures, report, decimal_mark):
    out = [figures.entries]
    for seconds in (figures.duration, figures.rounded, figures.billable):
        out += [hours_text(seconds, decimal_mark), format_duration(seconds, "clock")]
    if report.show_amounts:
        out.append(money_text(figures.amount, report.money_format, decimal_mark))
    return out


def csv_options(request_get):
    delimiter = {"semicolon": ";", "tab": "\t"}.get(request_get.get("sep", ""), ",")
    decimal_mark = "," if request_get.get("decimal") == "comma" and delimiter != "," else "."
    return delimiter, decimal_mark


# A spreadsheet runs a cell that starts like a formula, and descriptions, names and imported text are anyone's:
# such text goes out with a leading apostrophe (OWASP's advice on CSV injection), so it stays text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value):
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


class CsvWriter:
    """csv.writer whose text cells can never become formulas."""

    def __init__(self, file, **options):
        self.writer = csv.writer(file, **options)

    def writerow(self, row):
        return self.writer.writerow([_as_text(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def streamed_csv(rows, filename, delimiter):
    buffer = io.StringIO()
    writer = CsvWriter(buffer, delimiter=delimiter)

    def lines():
        # A few hundred rows per chunk: one chunk per row spends more time in the response than in the rows.
        yield BOM
        for count, row in enumerate(rows, start=1):
            writer.writerow(row)
            if count % CSV_ROWS_PER_CHUNK == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def report_csv(report, *, delimiter=",", decimal_mark="."):
    def rows():
        yield report_header(report)
        for labels, figures, _ in report_lines(report):
            yield [*labels, *_figures_text(figures, report, decimal_mark)]

    return streamed_csv(rows(), f"report-{stamp()}.csv", delimiter)


class Sheet:
    """An XlsxWriter workbook in constant-memory mode, written row by row into a temporary file."""

    def __init__(self, file=None, *, money_format):
        # Closed by FileResponse once sent; a context manager would close it before that.
        self.file = file or tempfile.TemporaryFile()  # noqa: SIM115
        self.book = xlsxwriter.Workbook(
            self.file,
            # Text stays text: no formulas or links made out of descriptions and names.
            {
                "constant_memory": True,
                "default_date_format": "yyyy-mm-dd",
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.bold = self.book.add_format({"bold": True})
        self.formats = {
            "hours": self.book.add_format({"num_format": "0.00"}),
            "clock": self.book.add_format({"num_format": "[h]:mm"}),
            "money": self.book.add_format({"num_format": xlsx_money_format(money_format)}),
            "moment": self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "int": self.book.add_format({"num_format": "0"}),
        }

    def table(self, name, header, kinds, rows):
        """A sheet with a bold frozen header, autofilter and typed columns (`kinds`: a format name or None).
        Rows go out in order and are not kept: constant-memory mode flushes each finished row to disk."""
        sheet = self.book.add_worksheet(name)
        for column, kind in enumerate(kinds):
            sheet.set_column(column, column, 14 if kind else 22, self.formats.get(kind))
        sheet.write_row(0, 0, header, self.bold)
        sheet.freeze_panes(1, 0)
        count = 0
        for count, row in enumerate(rows, start=1):
            sheet.write_row(count, 0, row)
        sheet.autofilter(0, 0, max(count, 1), len(header) - 1)
        return count

    def facts(self, pairs):
        sheet = self.book.add_worksheet("Filters")
        sheet.set_column(0, 0, 22)
        sheet.set_column(1, 1, 60)
        for index, (name, value) in enumerate(pairs):
            sheet.write_row(index, 0, [name, value])

    def close(self):
        self.book.close()

    def response(self, filename):
        self.book.close()
        self.file.seek(0)
        return FileResponse(self.file, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def duration_cells(seconds):
    # Decimal hours as a number, and the same time as a fraction of a day that [h]:mm shows as hours.
    return [round(seconds / 3600, 2), seconds / SECONDS_PER_DAY]


def report_facts(report):
    spec = report.spec
    return [
        ("Group by", " then ".join(DIMENSIONS[d] for d in report.dimensions)),
        ("Range", spec.range),
        ("Dates covered", str(report.period)),
        ("Time zone", report.tz.key),
        *[(f"Filter: {name}", ", ".join(values)) for name, values in spec.filters.items()],
        ("Amounts", "shown" if report.show_amounts else "hidden"),
        ("Generated at", timezone.localtime(timezone=report.tz).strftime("%Y-%m-%d %H:%M %Z")),
    ]


def _write_report_xlsx(report, file=None):
    sheet = Sheet(file, money_format=report.money_format)
    depth = len(report.dimensions)
    kinds = [None] * depth + ["int"] + ["hours", "clock"] * 3 + (["money"] if report.show_amounts else [])

    def rows():
        for labels, figures, _ in report_lines(report):
            cells = [*labels, figures.entries]
            for seconds in (figures.duration, figures.rounded, figures.billable):
                cells += duration_cells(seconds)
            if report.show_amounts:
                cells.append(money_cell(figures.amount, report.money_format))
            yield cells

    sheet.table("Report", report_header(report), kinds, rows())
    sheet.facts(report_facts(report))
    return sheet


def report_xlsx(report):
    return _write_report_xlsx(report).response(f"report-{stamp()}.xlsx")


def report_xlsx_bytes(report):
    buffer = io.BytesIO()
    _write_report_xlsx(report, buffer).close()
    return buffer.getvalue()


def report_csv_bytes(report):
    """The report's CSV for an e-mail attachment (small: rows, not entries)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = CsvWriter(buffer)
    writer.writerow(report_header(report))
    for labels, figures, _ in report_lines(report):
        writer.writerow([*labels, *_figures_text(figures, report, ".")])
    return buffer.getvalue().encode("utf-8")


def report_pdf_bytes(report, *, table, chart):
    from weasyprint import HTML  # imported here: loading it costs time every other request need not pay

    html = render_to_string(
        "reports/report_pdf.html",
        {
            "report": report,
            "table": table,
            "chart": chart,
            "facts": report_facts(report),
            "dimension_names": [DIMENSIONS[d] for d in report.dimensions],
        },
    )
    return HTML(string=html).write_pdf()


def report_pdf(report, *, table, chart):
    response = HttpResponse(
        report_pdf_bytes(report, table=table, chart=chart), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="report-{stamp()}.pdf"'
    return response


def report_response(report, fmt, *, table, chart, options=None):
    if fmt == "csv":
        delimiter, decimal_mark = csv_options(options or {})
        return report_csv(report, delimiter=delimiter, decimal_mark=decimal_mark)
    if fmt == "xlsx":
        return report_xlsx(report)
    return report_pdf(report, table=table, chart=chart)
