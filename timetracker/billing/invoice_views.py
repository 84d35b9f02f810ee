"""Billing pages: the invoice list and page with its actions, PDF and CSV (unbilled time: unbilled_views).

Managers and Admins only. The rules live in `invoicing`; these views read forms, call it, and explain
its refusals (InvoicingError) in messages."""

import csv
import re
from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from timetracker.accounts import once
from timetracker.accounts.decorators import require_manager
from timetracker.billing import invoicing
from timetracker.billing.choices import EXPLICIT_STATUSES, PaymentStatus
from timetracker.billing.invoice_forms import (
    InvoiceFilterForm,
    PaymentForm,
)
from timetracker.billing.models import Invoice, InvoiceLine, Settings
from timetracker.billing.pdf import invoice_document_context, render_invoice_pdf
from timetracker.lib.durations import format_duration
from timetracker.lib.money import format_money

PER_PAGE = 25
# The buttons of a sent invoice, in order: statuses a person sets by hand.
MANUAL_STATUSES = [PaymentStatus(s) for s in invoicing.MANUAL_STATUSES]
CLOSED = (PaymentStatus.DRAFT, PaymentStatus.CANCELED)


BILLING_IS_FOR = "Billing is for Managers and Admins."


def _invoice(request, pk):
    require_manager(request.user, BILLING_IS_FOR)
    return get_object_or_404(
        Invoice.objects.for_user(request.user).select_related("client", "created_by").with_paid(), pk=pk
    )


# The invoice list -----------------------------------------------------------------------------------------


def _derived_status_q(status, today):
    """Invoices whose derived status (as Invoice.derived_status computes it) is `status`, as a filter."""
    explicit = [str(s) for s in EXPLICIT_STATUSES]
    if status in explicit:
        return Q(status=status)
    live = ~Q(status__in=explicit)
    paid_in_full = Q(total__gt=0, paid__gte=F("total"))
    if status == PaymentStatus.PAID:
        return live & paid_in_full
    if status == PaymentStatus.PARTIALLY_PAID:
        return live & Q(paid__gt=0) & ~paid_in_full
    unpaid = live & Q(paid__lte=0)
    if status == PaymentStatus.OVERDUE:
        return unpaid & Q(due_date__lt=today)
    if status == PaymentStatus.PENDING:
        return unpaid & Q(due_date__gte=today, status=PaymentStatus.PENDING)
    return unpaid & Q(due_date__gte=today) & ~Q(status=PaymentStatus.PENDING)


def invoice_list(request):
    require_manager(request.user, BILLING_IS_FOR)
    form = InvoiceFilterForm(request.GET or None)
    invoices = Invoice.objects.for_user(request.user).select_related("client").with_paid()
    if form.is_bound and not form.is_valid():
        invoices = invoices.none()
    elif form.is_bound:
        data = form.cleaned_data
        if data.get("client"):
            invoices = invoices.filter(client=data["client"])
        if data.get("status"):
            invoices = invoices.filter(_derived_status_q(data["status"], timezone.localdate()))
    page = Paginator(invoices.order_by("-issue_date", "-number"), PER_PAGE).get_page(request.GET.get("page"))
    formats = Settings.load().for_clients({invoice.client_id for invoice in page})
    today = timezone.localdate()
    rows = []
    for invoice in page:
        money = formats[invoice.client_id].money_format()
        rows.append(
            {
                "invoice": invoice,
                "status": invoice.derived_status(today=today),
                "total_text": format_money(invoice.total, money),
                "paid_text": format_money(invoice.paid, money),
            }
        )
    ctx = {"form": form, "page": page, "rows": rows}
    template = "billing/invoice_list.html#invoice-table" if request.htmx else "billing/invoice_list.html"
    return render(request, template, ctx)


# The invoice page and its actions -------------------------------------------------------------------------


def invoice_detail(request, pk):
    invoice = _invoice(request, pk)
    return _render_detail(request, invoice, PaymentForm())


def _render_detail(request, invoice, payment_form, status=200):
    ctx = invoice_document_context(invoice)
    ctx["once_token"] = once.token_for(request)
    status_now = ctx["status"]
    paid = invoice.amount_paid()
    ctx.update(
        {
            "payment_form": payment_form,
            "paid": paid,
            "outstanding": invoice.outstanding(),
            "lines": list(invoice.lines.annotate(entry_count=Count("entries"))),
            "is_draft": invoice.status == PaymentStatus.DRAFT,
            "takes_payments": invoice.status not in CLOSED and invoice.outstanding() > 0,
            "can_cancel": invoice.status != PaymentStatus.CANCELED and not paid,
            "status_actions": (
                []
                if invoice.status in CLOSED
                else [s for s in MANUAL_STATUSES if s != status_now and (s != PaymentStatus.REFUNDED or paid)]
            ),
            "history": _history(invoice),
            "mails": list(invoice.mails.select_related("sent_by")),
        }
    )
    return render(request, "billing/invoice_detail.html", ctx, status=status)


HISTORY_FIELDS = {
    "status": "Status",
    "total": "Total",
    "subtotal": "Subtotal",
    "tax_amount": "Tax",
    "sent_at": "Sent",
    "canceled_at": "Canceled",
    "due_date": "Due date",
    "notes": "Notes",
}


def _history(invoice):
    """The invoice's recorded changes, newest first, with status values in words."""
    records = list(invoice.history.select_related("history_user").order_by("history_date", "history_id"))
    items = []
    previous = None
    for record in records:
        changes = []
        if previous is not None:
            for change in record.diff_against(previous, included_fields=list(HISTORY_FIELDS)).changes:
                old, new = change.old, change.new
                if change.field == "status":
                    old, new = PaymentStatus(old).label, PaymentStatus(new).label
                elif isinstance(new, datetime) or isinstance(old, datetime):
                    old = timezone.localtime(old).strftime("%d %b %Y %H:%M") if old else "—"
                    new = timezone.localtime(new).strftime("%d %b %Y %H:%M") if new else "—"
                changes.append((HISTORY_FIELDS[change.field], old, new))
        items.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "what": "Created" if record.history_type == "+" else "Changed" if changes else "Saved",
                "changes": changes,
            }
        )
        previous = record
    return items[::-1]


def _act(request, invoice, action, done):
    try:
        action()
    except invoicing.InvoicingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("billing:invoice_detail", invoice.pk)


@require_POST
def invoice_send(request, pk):
    invoice = _invoice(request, pk)
    return _act(
        request,
        invoice,
        lambda: invoicing.send(invoice, by=request.user),
        f"Marked {invoice.number} as sent; it is due on {invoice.due_date:%d %b %Y}.",
    )


@require_POST
def invoice_cancel(request, pk):
    invoice = _invoice(request, pk)
    return _act(
        request,
        invoice,
        lambda: invoicing.cancel(invoice, by=request.user),
        f"Canceled {invoice.number}; its time is unbilled again. The number stays used.",
    )


@require_POST
def invoice_status(request, pk):
    invoice = _invoice(request, pk)
    status = request.POST.get("status", "")
    label = PaymentStatus(status).label if status in PaymentStatus.values else status
    return _act(
        request,
        invoice,
        lambda: invoicing.set_status(invoice, status, by=request.user),
        f"{invoice.number} is now {label}.",
    )


@require_POST
def invoice_void_line(request, pk, line_pk):
    invoice = _invoice(request, pk)
    line = get_object_or_404(InvoiceLine, pk=line_pk, invoice=invoice)
    count = line.entries.count()
    return _act(
        request,
        invoice,
        lambda: invoicing.void_line(line, by=request.user),
        f"Removed the line “{line.description}” from {invoice.number}; its {count} "
        f"entr{'y is' if count == 1 else 'ies are'} unbilled again.",
    )


@require_POST
def invoice_payment(request, pk):
    invoice = _invoice(request, pk)
    form = PaymentForm(request.POST)
    money = Settings.load().for_client(invoice.client).money_format()
    if form.is_valid() and form.cleaned_data["amount"] > invoice.outstanding():
        outstanding = invoice.outstanding()
        form.add_error(
            "amount",
            f"That is more than the {format_money(outstanding, money)} still open on {invoice.number}."
            if outstanding
            else f"Nothing is left to pay on {invoice.number}.",
        )
    token = once.posted(request)
    if form.is_valid() and once.well_formed(request, form):
        data = form.cleaned_data
        try:
            with once.first_time(request.user, token) as first:
                if first:
                    invoice = invoicing.record_payment(
                        invoice,
                        amount=data["amount"],
                        paid_on=data["paid_on"],
                        method=data["method"],
                        reference=data["reference"],
                        notes=data["notes"],
                        by=request.user,
                    )
        except invoicing.InvoicingError as error:
            form.add_error("amount", str(error))
        else:
            if not first:
                return _already_recorded(request, invoice)
            messages.success(
                request,
                f"Recorded a payment of {format_money(data['amount'], money)}; {invoice.number} is "
                f"{invoice.get_status_display()}.",
            )
            return redirect("billing:invoice_detail", invoice.pk)
    elif once.used(request.user, token):
        # The repeat of a payment that settled the invoice fails the amount check: it was recorded all the same.
        return _already_recorded(request, invoice)
    # Read the invoice afresh: a refused payment changed nothing.
    return _render_detail(request, _invoice(request, pk), form, status=200)


def _already_recorded(request, invoice):
    messages.info(
        request, f"Already recorded: this payment on {invoice.number} was submitted twice and saved once."
    )
    return redirect("billing:invoice_detail", invoice.pk)


# Downloads ------------------------------------------------------------------------------------------------


def _filename(invoice, extension):
    return re.sub(r"[^A-Za-z0-9._-]+", "-", invoice.number).strip("-") + f".{extension}"


def _csv_text(value):
    # A description starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def invoice_csv(request, pk):
    """One row per line, money as plain decimal strings (never floats)."""
    invoice = _invoice(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(invoice, "csv")}"'
    writer = csv.writer(response)
    writer.writerow(["position", "description", "hours", "quantity", "unit_price", "amount"])
    for number, line in enumerate(invoice.lines.all(), start=1):
        writer.writerow(
            [
                number,
                _csv_text(line.description),
                f"{line.hours:.2f}",
                format_duration(line.quantity_seconds, "clock"),
                f"{line.unit_price:.2f}",
                f"{line.amount:.2f}",
            ]
        )
    return response


def invoice_pdf(request, pk):
    invoice = _invoice(request, pk)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(invoice, "pdf")}"'
    return response
