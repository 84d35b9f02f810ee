"""The audit trail as CSV: the page's rows for the whole month (or invoice line), streamed.

A row per change of an entry and field, the entry's links (bucket, invoice, line, payments) repeated on each,
so the file filters and sorts in a spreadsheet. The entries are read in keyset chunks and each chunk goes
through the same `audit.trail` as the page: memory and queries per chunk stay fixed however long the month.
"""

from django.db.models import Q
from django.utils import timezone

from timetracker.automation import audit
from timetracker.lib.dates import agency_zone
from timetracker.lib.durations import format_duration
from timetracker.reports.exports import money_text, streamed_csv

CHUNK = 500
HEADER = [
    "Entry",
    "Started",
    "Ended",
    "Person",
    "Client",
    "Task",
    "Tracked (h)",
    "Rounded (h)",
    "Billable",
    "Amount",
    "Bucket",
    "Counts against bucket",
    "Invoice",
    "Invoice status",
    "Invoice line",
    "Payments",
    "Changed at",
    "Changed by",
    "Change",
    "Field",
    "Old",
    "New",
    "Reason",
]


def moment(value):
    return timezone.localtime(value, agency_zone()).strftime("%Y-%m-%d %H:%M") if value else ""


def payment_text(payment, money_format):
    who = f" by {payment.recorded_by}" if payment.recorded_by else ""
    method = f" ({payment.method})" if payment.method else ""
    return f"{payment.paid_on:%Y-%m-%d} {money_text(payment.amount, money_format)}{method}{who}"


def row_cells(row, money_format):
    """The entry's part of each CSV line: who, when, how long, and what it is linked to."""
    entry = row.entry
    return [
        entry.pk,
        moment(entry.started_at),
        moment(entry.ended_at),
        str(entry.user),
        entry.task.client.name,
        entry.task.title,
        format_duration(entry.duration_seconds, "decimal"),
        format_duration(entry.rounded_seconds, "decimal"),
        "yes" if entry.billable else "no",
        money_text(entry.amount, money_format),
        row.bucket.title if row.bucket else "",
        "yes" if row.counted else "no",
        row.invoice.number if row.invoice else entry.billed_elsewhere,
        row.invoice.get_status_display() if row.invoice else "",
        row.line_position or "",
        "; ".join(payment_text(p, money_format) for p in row.payments),
    ]


def lines(trail_rows, money_format):
    """CSV lines of TrailRows: one per changed field, one for a change without fields (recorded, deleted), one
    for an entry without history."""
    for row in trail_rows:
        cells = row_cells(row, money_format)
        if not row.changes:  # loaded in bulk (imports, the demo seed), which records no history
            yield [*cells, "", "", "", "", "", "", ""]
        for change in row.changes:
            head = [moment(change.when), str(change.who) if change.who else "the system", change.kind]
            for label, old, new in change.fields or [("", "", "")]:
                yield [*cells, *head, label, old, new, change.reason]


def chunks(entries, size=CHUNK):
    """The entries in (started_at, pk) order, a chunk at a time, by keyset: no OFFSET that rereads the month."""
    after = None
    while True:
        page = entries
        if after is not None:
            started, pk = after
            page = page.filter(Q(started_at__gt=started) | Q(started_at=started, pk__gt=pk))
        batch = list(page[:size])
        if not batch:
            return
        yield batch
        after = (batch[-1].started_at, batch[-1].pk)


def trail_csv(*entry_sets, money_format, filename):
    """Each of `entry_sets` (ordered as audit._page_order orders them) in turn; streamed as it is read."""

    def rows():
        yield HEADER
        for entries in entry_sets:
            for batch in chunks(entries):
                trail = audit.trail(batch, money_format=money_format)
                yield from lines(trail.rows, money_format)

    return streamed_csv(rows(), filename, ",")
