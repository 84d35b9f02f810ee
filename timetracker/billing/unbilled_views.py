"""Billing pages for unbilled time: the unbilled view, marking time billed elsewhere, and the invoice preview
and confirmation. Managers and Admins only; the rules live in `invoicing`."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from timetracker.accounts.decorators import require_manager
from timetracker.billing import drafts, invoicing
from timetracker.billing.invoice_forms import (
    InvoiceForm,
    MarkBilledForm,
    UnbilledFilterForm,
)
from timetracker.billing.invoice_views import BILLING_IS_FOR
from timetracker.billing.models import Settings
from timetracker.billing.pdf import quantity_style
from timetracker.lib.dates import local_midnight
from timetracker.lib.money import format_money
from timetracker.tasks.models import Task, TaskTotal, TimeEntry

FILTER_NAMES = ("client", "project", "start", "end")


def _period_query(data):
    """client/project/start/end as URL parameters (blank ones left out), for links that keep the filters."""
    params = {}
    for name in ("client", "project"):
        if data.get(name):
            params[name] = data[name].pk
    for name in ("start", "end"):
        if data.get(name):
            params[name] = data[name].isoformat()
    return params


# Unbilled time ---------------------------------------------------------------------------------------------


def unbilled(request):
    """Billable, stopped, not yet invoiced time per client, with a Create invoice button per client."""
    require_manager(request.user, BILLING_IS_FOR)
    form = UnbilledFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = [] if form.is_bound and form.errors else _unbilled_rows(data)
    filters = _period_query(data)
    formats = Settings.load().for_clients({row["client_id"] for row in rows})
    for row in rows:
        money = formats[row["client_id"]].money_format()
        row["amount_text"] = format_money(row["amount"], money)
        row["create_query"] = urlencode({**filters, "client": row["client_id"]})
    ctx = {
        "form": form,
        "rows": rows,
        "filters": filters,
        "filter_query": urlencode(filters),
        "total_seconds": sum(row["seconds"] for row in rows),
        "total_entries": sum(row["entry_count"] for row in rows),
        "total_amount_text": _total_text(rows, formats),
    }
    template = "billing/unbilled.html#unbilled-table" if request.htmx else "billing/unbilled.html"
    return render(request, template, ctx)


def _total_text(rows, formats):
    """One total only when every client on the page uses the same money format."""
    money_formats = {merged.money_format() for merged in formats.values()}
    if not money_formats:
        return ""
    if len(money_formats) > 1:
        return "mixed currencies"
    return format_money(sum((row["amount"] for row in rows), Decimal("0")), money_formats.pop())


def _unbilled_rows(data):
    """One row per client: unbilled entries, rounded seconds, amount, entries without a rate, first and last
    start. From the kept totals unless dates narrow it (the kept figures are all-time)."""
    if not (data.get("start") or data.get("end")):
        return _kept_unbilled_rows(data)
    entries = TimeEntry.objects.unbilled_billable()
    if data.get("client"):
        entries = entries.filter(task__client=data["client"])
    if data.get("project"):
        entries = entries.filter(task__project=data["project"])
    # Local dates, as drafts.billable_entries reads them: the end date includes that whole day.
    if data.get("start"):
        entries = entries.filter(started_at__gte=local_midnight(data["start"]))
    if data.get("end"):
        entries = entries.filter(started_at__lt=local_midnight(data["end"] + timedelta(days=1)))
    rows = (
        entries.order_by()
        .values(client_id=F("task__client"), client_name=F("task__client__name"))
        .annotate(
            entry_count=Count("pk"),
            seconds=Coalesce(Sum("rounded_seconds"), 0),
            amount=Coalesce(Sum("amount"), Decimal("0")),
            unrated=Count("pk", filter=Q(hourly_rate__isnull=True)),
            first=Min("started_at"),
            last=Max("started_at"),
        )
        .order_by("client_name")
    )
    return list(rows)


def _kept_unbilled_rows(data):
    kept = TaskTotal.objects.filter(unbilled_entries__gt=0)
    if data.get("client"):
        kept = kept.filter(task__client=data["client"])
    if data.get("project"):
        kept = kept.filter(task__project=data["project"])
    kept = list(
        kept.values(
            "task",
            "task__client",
            "task__client__name",
            "unbilled_entries",
            "unbilled_seconds",
            "unbilled_amount",
            "unbilled_unrated",
        )
    )
    # The first and last unbilled start of each task: one probe at each end of the partial index of unbilled
    # entries (entry_unbilled_task), whatever invoiced history lies before them.
    unbilled = TimeEntry.objects.unbilled_billable().filter(task=OuterRef("pk")).order_by()
    bounds = {
        task["pk"]: task
        for task in Task.objects.filter(pk__in={row["task"] for row in kept})
        .annotate(
            first=Subquery(unbilled.order_by("started_at").values("started_at")[:1]),
            last=Subquery(unbilled.order_by("-started_at").values("started_at")[:1]),
        )
        .values("pk", "first", "last")
    }
    clients = {}
    for row in kept:  # a few rows per task and person, not per entry
        first, last = bounds[row["task"]]["first"], bounds[row["task"]]["last"]
        client = clients.setdefault(
            row["task__client"],
            {
                "client_id": row["task__client"],
                "client_name": row["task__client__name"],
                "entry_count": 0,
                "seconds": 0,
                "amount": Decimal("0"),
                "unrated": 0,
                "first": first,
                "last": last,
            },
        )
        client["entry_count"] += row["unbilled_entries"]
        client["seconds"] += row["unbilled_seconds"]
        client["amount"] += row["unbilled_amount"]
        client["unrated"] += row["unbilled_unrated"]
        client["first"], client["last"] = min(client["first"], first), max(client["last"], last)
    return sorted(clients.values(), key=lambda client: (client["client_name"], client["client_id"]))


@require_POST
def mark_billed(request):
    """Time billed outside the app: first show how much would be locked, then lock it on confirmation."""
    require_manager(request.user, BILLING_IS_FOR)
    form = MarkBilledForm(request.POST)
    back = _back_to_unbilled(request.POST.get("filters", ""))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Nothing was marked: {error}")
        return redirect(back)
    data = form.cleaned_data
    entries = list(
        drafts.billable_entries(
            client=data["client"], start=data.get("start"), end=data.get("end"), project=data.get("project")
        ).select_related("task")
    )
    ids = sorted(entry.pk for entry in entries)
    if not entries:
        messages.error(request, f"{data['client']} has no unbilled billable time matching these filters.")
        return redirect(back)
    stale = data["entry_ids"] is not None and data["entry_ids"] != ids
    if request.POST.get("confirm") and not stale:
        try:
            invoicing.mark_invoiced(entries, reference=data["reference"], by=request.user)
        except invoicing.InvoicingError as error:
            messages.error(request, str(error))
        else:
            count = len(entries)
            messages.success(
                request,
                f"Marked {count} entr{'y' if count == 1 else 'ies'} of {data['client']} as billed "
                f'elsewhere on "{data["reference"]}".',
            )
        return redirect(back)
    money = Settings.load().for_client(data["client"]).money_format()
    ctx = {
        "form": form,
        "client": data["client"],
        "data": data,
        "entries": entries,
        "first": entries[0].started_at,
        "last": entries[-1].started_at,
        "entry_ids": ",".join(str(pk) for pk in ids),
        "seconds": sum(entry.rounded_seconds for entry in entries),
        "amount_text": format_money(sum((e.amount or Decimal("0") for e in entries), Decimal("0")), money),
        "stale": stale,
        "back": back,
    }
    return render(request, "billing/invoice_mark_billed.html", ctx)


def _back_to_unbilled(filters):
    """The unbilled view with the filters it had (only its own parameters, so never another site)."""
    kept = {name: value for name, value in QueryDict(filters).items() if name in FILTER_NAMES and value}
    url = reverse("billing:unbilled")
    return f"{url}?{urlencode(kept)}" if kept else url


# Create an invoice ----------------------------------------------------------------------------------------


def invoice_create(request):
    """GET: the form and a live preview (htmx re-renders only the preview). POST: confirm the preview."""
    require_manager(request.user, BILLING_IS_FOR)
    if request.method == "POST":
        return _confirm(request)
    data = request.GET.copy()
    data.setdefault("grouping", InvoiceForm.base_fields["grouping"].initial)
    data.setdefault("rounding", InvoiceForm.base_fields["rounding"].initial)
    # The form says which client its project list belongs to; when the client changed since, the old
    # client's project would only be an error: start the new client with all its projects.
    client_changed = "shown" in data and data.get("shown", "") != data.get("client", "")
    if client_changed:
        data.pop("project", None)
    data.pop("shown", None)
    form = InvoiceForm(data if "client" in request.GET else None, initial=data.dict())
    ctx = _create_context(form)
    ctx["swap_project"] = client_changed and request.htmx
    if not request.htmx:
        return render(request, "billing/invoice_create.html", ctx)
    response = render(request, "billing/invoice_create.html#invoice-preview", ctx)
    # The address bar gets what the preview shows (without the old client's project).
    response["HX-Push-Url"] = f"{request.path}?{data.urlencode()}"
    return response


def _create_context(form, error=None):
    draft = preview_error = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            draft = drafts.preview(
                client=data["client"],
                start=data.get("start"),
                end=data.get("end"),
                project=data.get("project"),
                grouping=data["grouping"],
                rounding_scope=data["rounding"],
            )
        except invoicing.InvoicingError as problem:
            preview_error = str(problem)
    client = form.cleaned_data.get("client") if form.is_bound and hasattr(form, "cleaned_data") else None
    settings = Settings.load()
    return {
        "form": form,
        "draft": draft,
        "client": client,
        "money": (settings.for_client(client) if client else settings).money_format(),
        "selection": draft.fingerprint if draft else "",
        "error": error or preview_error,
        "quantity_style": quantity_style(settings),
    }


def _confirm(request):
    form = InvoiceForm(request.POST, confirming=True)
    if not form.is_valid():
        return render(request, "billing/invoice_create.html", _create_context(form))
    data = form.cleaned_data
    try:
        invoice = invoicing.create_invoice(
            client=data["client"],
            by=request.user,
            start=data.get("start"),
            end=data.get("end"),
            project=data.get("project"),
            grouping=data["grouping"],
            rounding_scope=data["rounding"],
            expected_fingerprint=data["selection"],
        )
    except invoicing.InvoicingError as error:
        # Show the preview as it stands now, so the person can look again and confirm that.
        fresh = InvoiceForm(
            {k: v for k, v in request.POST.items() if k not in ("selection", "csrfmiddlewaretoken")}
        )
        return render(request, "billing/invoice_create.html", _create_context(fresh, error=str(error)))
    count = invoice.lines.count()
    messages.success(
        request,
        f"Created draft invoice {invoice.number} for {invoice.client} with {count} line{'s' if count != 1 else ''}. "
        "Send it when it looks right.",
    )
    return redirect("billing:invoice_detail", invoice.pk)
