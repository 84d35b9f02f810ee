"""Forms of the billing pages: unbilled filters, invoice preview/confirm, payments, "billed elsewhere"."""

import re
from decimal import Decimal

from django import forms
from django.utils import timezone

from timetracker.billing import invoicing
from timetracker.billing.choices import Grouping, PaymentStatus, RoundingScope
from timetracker.clients.models import Client, Project
from timetracker.tasks.forms import supported_date

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        required=False,
        widget=DATE_INPUT,
        validators=[supported_date],
        error_messages={"invalid": "Enter a date like 2026-01-31."},
        **kwargs,
    )


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} (archived)" if obj.is_archived else obj.name


class PeriodForm(forms.Form):
    """Client, optional project and an inclusive date range: the time an invoice (or a filter) covers."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.order_by("name"),
        required=False,
        empty_label="All clients",
        error_messages={"invalid_choice": "Choose a client from the list."},
    )
    project = ProjectChoiceField(
        queryset=Project.objects.none(),
        required=False,
        empty_label="All projects",
        error_messages={"invalid_choice": "Choose a project of the chosen client."},
    )
    start = _date_field("From")
    end = _date_field("To")

    client_required = False
    client_required_message = "Choose a client."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        client = self.fields["client"]
        if self.client_required:
            client.required = True
            client.empty_label = "Choose a client"
            client.error_messages = {**client.error_messages, "required": self.client_required_message}
        self.fields["project"].queryset = self._projects()

    def _projects(self):
        """Projects of the chosen client; without a client every project, labelled with its client."""
        projects = Project.objects.select_related("client").order_by("client__name", "name")
        client_id = str(self.data.get(self.add_prefix("client"), "") or "") if self.is_bound else ""
        if not client_id and not self.is_bound:
            client_id = str(self.initial.get("client", "") or "")
        if client_id.isascii() and client_id.isdecimal():
            return projects.filter(client_id=int(client_id))
        if self.client_required:
            return projects.none()
        self.fields["project"].label_from_instance = lambda p: f"{p.client.name} · {p.name}"
        return projects

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        client, project = data.get("client"), data.get("project")
        if client and project and project.client_id != client.pk:
            self.add_error("project", f'"{project}" is a project of {project.client}, not of {client}.')
        return data


class UnbilledFilterForm(PeriodForm):
    """Filters of the unbilled view; every field optional."""


class InvoiceForm(PeriodForm):
    """What to invoice and how: the preview (GET) and the confirmation (POST) read the same fields."""

    grouping = forms.ChoiceField(choices=Grouping.choices, initial=Grouping.TASK, label="Lines")
    rounding = forms.ChoiceField(choices=RoundingScope.choices, initial=RoundingScope.ENTRY, label="Rounding")
    # Only on confirmation: the fingerprint of the entries the person saw in the preview (drafts.fingerprint).
    selection = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)

    client_required = True
    client_required_message = "Choose the client to invoice."

    def __init__(self, *args, confirming=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.confirming = confirming

    def clean_selection(self):
        raw = self.cleaned_data.get("selection", "").strip()
        if not raw:
            if self.confirming:
                raise forms.ValidationError("The preview was incomplete; look at it again before confirming.")
            return None
        if not re.fullmatch(r"\d+(-\d+){4}", raw):
            raise forms.ValidationError("The preview was incomplete; look at it again before confirming.")
        return raw


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={
            "required": "Enter the amount received.",
            "invalid": "Enter the amount as a number, like 150.00.",
            "min_value": "A payment must be more than zero.",
            "max_decimal_places": "Use at most two decimals (cents).",
            "max_digits": "That amount is too large.",
            "max_whole_digits": "That amount is too large.",
        },
    )
    paid_on = forms.DateField(
        label="Date",
        initial=timezone.localdate,
        widget=DATE_INPUT,
        validators=[supported_date],
        error_messages={
            "required": "Enter the date of the payment.",
            "invalid": "Enter a date like 2026-01-31.",
        },
    )
    method = forms.CharField(max_length=50, required=False, help_text="Bank transfer, card, …")
    reference = forms.CharField(max_length=100, required=False)
    notes = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError(invoicing.FUTURE_PAYMENT)
        return paid_on


class MarkBilledForm(PeriodForm):
    """ "Mark as billed elsewhere": one client's filtered unbilled entries, under an outside reference."""

    reference = forms.CharField(
        max_length=100,
        error_messages={"required": "Give the reference of the invoice this time was billed on."},
    )
    entry_ids = forms.CharField(required=False, widget=forms.HiddenInput)

    client_required = True
    client_required_message = "Choose the client whose time was billed."

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        if not reference:
            raise forms.ValidationError("Give the reference of the invoice this time was billed on.")
        return reference

    def clean_entry_ids(self):
        raw = self.cleaned_data.get("entry_ids", "").strip()
        parts = [part.strip() for part in raw.split(",")] if raw else []
        if not all(part.isascii() and part.isdecimal() for part in parts):
            raise forms.ValidationError(
                "The confirmation was incomplete; start again from the unbilled view."
            )
        return sorted(int(part) for part in parts) if parts else None


INVOICE_STATUS_CHOICES = [c for c in PaymentStatus.choices if c[0] != PaymentStatus.UNBILLED]


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *INVOICE_STATUS_CHOICES], required=False)
    client = forms.ModelChoiceField(
        queryset=Client.objects.order_by("name"),
        required=False,
        empty_label="All clients",
        error_messages={"invalid_choice": "Choose a client from the list."},
    )
