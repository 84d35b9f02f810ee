"""The "re-rate unbilled entries" page: preview what today's rates would change, then confirm."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from timetracker.accounts.decorators import require_manager
from timetracker.billing import rerating
from timetracker.billing.models import Settings
from timetracker.clients.models import Client
from timetracker.lib.dates import local_midnight
from timetracker.lib.money import format_money
from timetracker.tasks.forms import supported_date
from timetracker.tasks.models import TimeEntry

FILTERS = ("client", "date_from", "date_to")


class RerateFilterForm(forms.Form):
    client = forms.ModelChoiceField(
        queryset=Client.objects.order_by("name"), required=False, empty_label="All clients"
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput({"type": "date"}), validators=[supported_date]
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput({"type": "date"}), validators=[supported_date]
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def entries(self, user):
        """The entries the filters choose (started within the dates, in the user's time zone)."""
        entries = TimeEntry.objects.for_user(user)
        data = self.cleaned_data
        if data.get("client"):
            entries = entries.filter(task__client=data["client"])
        if data.get("date_from"):
            entries = entries.filter(started_at__gte=local_midnight(data["date_from"]))
        if data.get("date_to"):
            # "To" includes that whole day.
            entries = entries.filter(started_at__lt=local_midnight(data["date_to"] + timedelta(days=1)))
        return entries

    def querystring(self):
        values = {name: self.data.get(name, "") for name in FILTERS}
        return urlencode({name: value for name, value in values.items() if value})


class ConfirmForm(RerateFilterForm):
    expected_count = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


def rerate(request):
    """Preview re-rating unbilled entries at today's rates (GET) and apply it (POST). Admins and Managers."""
    require_manager(request.user, "Only Admins and Managers can re-rate entries.")
    error = None
    if request.method == "POST":
        form = ConfirmForm(request.POST)
        if form.is_valid():
            try:
                done = rerating.apply_summary(
                    entries=form.entries(request.user), expected_count=form.cleaned_data["expected_count"]
                )
            except ValueError as refused:
                error = str(refused)
            else:
                messages.success(request, _done_message(done))
                url = reverse("billing:rerate")
                query = form.querystring()
                return redirect(f"{url}?{query}" if query else url)
        else:
            error = "Nothing was changed: please correct the filters marked below."
    else:
        form = RerateFilterForm(request.GET or None)

    summary = None
    if not form.is_bound or form.is_valid():
        entries = form.entries(request.user) if form.is_bound else TimeEntry.objects.for_user(request.user)
        summary = rerating.preview(entries=entries)
    ctx = {
        "form": form,
        "summary": summary,
        "error": error,
        "filters": {name: form.data.get(name, "") for name in FILTERS} if form.is_bound else {},
        **(_formatted(summary) if summary else {}),
    }
    return render(request, "billing/rerate.html", ctx)


def _formatted(summary):
    """Per-client rows in each client's own money format, and the totals in one format."""
    formats = _formats(summary)
    rows = [
        {
            "client_id": row.client_id,
            "client": row.client_name,
            "count": row.count,
            "before": format_money(row.before, formats[row.client_id]),
            "after": format_money(row.after, formats[row.client_id]),
            "difference": _signed(row.difference, formats[row.client_id]),
        }
        for row in summary.clients
    ]
    fmt = _total_format(formats)
    totals = {
        "before": format_money(summary.amount_before, fmt),
        "after": format_money(summary.amount_after, fmt),
        "difference": _signed(summary.difference, fmt),
        # Clients billed in different currencies: their amounts are not added up.
        "mixed": _mixed(formats),
    }
    return {"rows": rows, "totals": totals}


def _formats(summary):
    ids = [row.client_id for row in summary.clients]
    return {
        client_id: merged.money_format() for client_id, merged in Settings.load().for_clients(ids).items()
    }


def _mixed(formats):
    return len({fmt.symbol for fmt in formats.values()}) > 1


def _total_format(formats):
    """The one client's format when all rows share it, else the global format."""
    distinct = set(formats.values())
    return distinct.pop() if len(distinct) == 1 else Settings.load().money_format()


def _signed(amount, fmt):
    text = format_money(amount, fmt)
    return f"+{text}" if amount > 0 else text


def _done_message(done):
    if not done.entries_changed:
        return "Nothing needed re-rating: every unbilled entry already has today's rate."
    formats = _formats(done)
    count = "1 entry" if done.entries_changed == 1 else f"{done.entries_changed} entries"
    if _mixed(formats):
        # Different currencies are never added up: one "before → after" per client.
        parts = [
            f"{row.client_name} {format_money(row.before, formats[row.client_id])}"
            f" → {format_money(row.after, formats[row.client_id])}"
            for row in done.clients
        ]
        return f"Re-rated {count}: " + "; ".join(parts)
    fmt = _total_format(formats)
    return (
        f"Re-rated {count}: {format_money(done.amount_before, fmt)} → {format_money(done.amount_after, fmt)}"
    )
