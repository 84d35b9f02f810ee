"""The audit trail pages of a client, a bucket and an invoice, and their CSV exports. Managers and Admins only,
as billing is: the trail shows invoices, payments and everyone's time.

A client's or bucket's trail is read a month at a time (?month=YYYY-MM) and a page of entries at a time;
an invoice's, a line at a time (?line=). htmx asks for the rows only (the `trail` partial)."""

from functools import cache

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from timetracker.accounts.decorators import manager_required
from timetracker.automation import audit, audit_exports
from timetracker.billing.models import Invoice, Settings
from timetracker.buckets.models import Bucket
from timetracker.clients.models import Client

PER_PAGE = 50
AUDIT_IS_FOR = "The audit trail is for Managers and Admins, as billing is."


def _page(request, entries, money_format, task_changes_in=None):
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # read once: the trail and the template share it
    trail = audit.trail(page.object_list, money_format=money_format, task_changes_in=task_changes_in)
    return page, _with_links(trail)


def _with_links(trail):
    """The rows' links, each reversed once a page: the same tasks, buckets and invoices come back row after
    row, and reversing a URL per row and column was most of the page's rendering time."""
    url = cache(lambda name, pk: reverse(name, args=[pk]))
    for row in trail.rows:
        row.task_url = url("tasks:task_detail", row.entry.task_id)
        row.bucket_url = url("buckets:detail", row.bucket.pk) if row.bucket else None
        row.invoice_url = url("billing:invoice_detail", row.invoice.pk) if row.invoice else None
    return trail


def _month_trail(request, *, subject, kind, entries_of, money_format, csv_url):
    month, month_error = audit.month_of(request.GET.get("month", "").strip())
    page, trail = _page(request, entries_of(month), money_format, task_changes_in=month.bounds())
    ctx = {
        "subject": subject,
        "kind": kind,
        "month": month,
        "month_error": month_error,
        "page": page,
        "trail": trail,
        "money": money_format,
        "csv_url": f"{csv_url}?month={month.key}",
    }
    template = "automation/audit_trail.html#trail" if request.htmx else "automation/audit_trail.html"
    return render(request, template, ctx)


@manager_required(AUDIT_IS_FOR)
def client_audit(request, pk):
    client = get_object_or_404(Client.objects.for_user(request.user), pk=pk)
    return _month_trail(
        request,
        subject=client,
        kind="client",
        entries_of=lambda month: audit.client_entries(client, month),
        money_format=Settings.load().for_client(client).money_format(),
        csv_url=reverse("automation:client_audit_csv", args=[client.pk]),
    )


@manager_required(AUDIT_IS_FOR)
def bucket_audit(request, pk):
    bucket = get_object_or_404(Bucket.objects.for_user(request.user), pk=pk)
    return _month_trail(
        request,
        subject=bucket,
        kind="bucket",
        entries_of=lambda month: audit.bucket_entries(bucket, month),
        money_format=Settings.load().money_format(),
        csv_url=reverse("automation:bucket_audit_csv", args=[bucket.pk]),
    )


@manager_required(AUDIT_IS_FOR)
def client_audit_csv(request, pk):
    client = get_object_or_404(Client.objects.for_user(request.user), pk=pk)
    month, _ = audit.month_of(request.GET.get("month", "").strip())
    return audit_exports.trail_csv(
        audit.client_entries(client, month),
        money_format=Settings.load().for_client(client).money_format(),
        filename=f"audit-client-{client.pk}-{month.key}.csv",
    )


@manager_required(AUDIT_IS_FOR)
def bucket_audit_csv(request, pk):
    bucket = get_object_or_404(Bucket.objects.for_user(request.user), pk=pk)
    month, _ = audit.month_of(request.GET.get("month", "").strip())
    return audit_exports.trail_csv(
        audit.bucket_entries(bucket, month),
        money_format=Settings.load().money_format(),
        filename=f"audit-bucket-{bucket.pk}-{month.key}.csv",
    )


def _invoice_and_line(request, pk):
    invoice = get_object_or_404(Invoice.objects.for_user(request.user).select_related("client"), pk=pk)
    lines = audit.line_counts(invoice)
    asked = request.GET.get("line", "")
    selected = next((line for line, _, _ in lines if str(line.pk) == asked), None)
    missing = bool(asked) and selected is None
    if selected is None and lines:
        selected = lines[0][0]
    return invoice, lines, selected, missing


@manager_required(AUDIT_IS_FOR)
def invoice_audit(request, pk):
    """The entries behind each line of an invoice (a line at a time) with their links and history."""
    invoice, lines, selected, missing = _invoice_and_line(request, pk)
    money_format = Settings.load().for_client(invoice.client).money_format()
    page, trail = (None, None)
    if selected is not None:
        page, trail = _page(request, audit.line_entries(selected), money_format)
    ctx = {
        "invoice": invoice,
        "client": invoice.client,
        "lines": [
            {"line": line, "number": number, "now": now, "ever": ever}
            for number, (line, now, ever) in enumerate(lines, start=1)
        ],
        "selected": selected,
        "missing_line": missing,
        "page": page,
        "trail": trail,
        "money": money_format,
    }
    template = "automation/audit_invoice.html#trail" if request.htmx else "automation/audit_invoice.html"
    return render(request, template, ctx)


@manager_required(AUDIT_IS_FOR)
def invoice_audit_csv(request, pk):
    """Every line's entries, line after line, in one streamed file."""
    invoice, lines, _, _ = _invoice_and_line(request, pk)
    money_format = Settings.load().for_client(invoice.client).money_format()
    return audit_exports.trail_csv(
        *[audit.line_entries(line) for line, _, _ in lines],
        money_format=money_format,
        filename=f"audit-invoice-{invoice.pk}.csv",
    )
