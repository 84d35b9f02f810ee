from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from timetracker.billing import invoicing
from timetracker.billing.choices import PaymentStatus
from timetracker.billing.models import (
    ClientSettings,
    Invoice,
    InvoiceLine,
    InvoiceMail,
    InvoiceSequence,
    Payment,
    Settings,
)
from timetracker.tasks.admin import LockedHistoryMixin, guarded_delete_selected

# Once an invoice is sent these are all that can still change on it (payments are recorded separately).
EDITABLE_WHEN_LOCKED = ("status", "notes")


def _locked_invoice(line):
    return line.invoice_id is not None and line.invoice.is_locked


class InvoiceLineFormSet(forms.BaseInlineFormSet):
    def delete_existing(self, obj, commit=True):
        # A draft's line goes through invoicing: its time is released and the totals and tasks follow.
        if commit:
            invoicing.void_line(obj, by=self.request_user)


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    formset = InvoiceLineFormSet
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request_user = request.user
        return formset

    fields = [
        "position",
        "description",
        "quantity_seconds",
        "unit_price",
        "amount",
        "task",
        "project",
        "user",
    ]
    raw_id_fields = ["task", "project", "user"]

    # A sent invoice's lines are fixed: shown, never added, changed or removed (obj is the invoice).
    def has_add_permission(self, request, obj=None):
        return not (obj is not None and obj.is_locked) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.is_locked) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.is_locked) and super().has_delete_permission(request, obj)


class InvoiceAdminForm(forms.ModelForm):
    """A sent invoice cannot go back to Draft: that would unlock lines and amounts already sent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_locked and "status" in self.fields:
            field = self.fields["status"]
            field.choices = [(value, label) for value, label in field.choices if value != PaymentStatus.DRAFT]

    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.instance.pk and self.instance.is_locked and status == PaymentStatus.DRAFT:
            raise forms.ValidationError("A sent invoice cannot go back to Draft; cancel it instead.")
        return status


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["amount", "paid_on", "method", "reference", "recorded_by"]
    raw_id_fields = ["recorded_by"]


@admin.register(Invoice)
class InvoiceAdmin(LockedHistoryMixin, SimpleHistoryAdmin):
    form = InvoiceAdminForm
    list_display = ["number", "client", "status", "issue_date", "due_date", "subtotal", "total"]
    list_filter = ["status", "client"]
    search_fields = ["number", "client__name", "notes"]
    list_select_related = ["client"]
    raw_id_fields = ["client", "created_by"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, PaymentInline]

    def is_locked(self, obj):
        return obj.is_locked

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_locked:
            names = [f.name for f in Invoice._meta.fields if f.editable and not f.auto_created]
            readonly += [name for name in names if name not in EDITABLE_WHEN_LOCKED and name not in readonly]
        return readonly

    # Invoices are canceled, never deleted (spec), whatever their status.
    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineAdminForm(forms.ModelForm):
    def clean_invoice(self):
        invoice = self.cleaned_data["invoice"]
        if invoice is not None and invoice.is_locked:
            raise forms.ValidationError(
                f"Invoice {invoice} is {invoice.get_status_display()}: its lines are locked."
            )
        return invoice


@admin.register(InvoiceLine)
class InvoiceLineAdmin(admin.ModelAdmin):
    form = InvoiceLineAdminForm
    list_display = ["description", "invoice", "quantity_seconds", "unit_price", "amount"]
    search_fields = ["description", "invoice__number"]
    list_select_related = ["invoice"]
    raw_id_fields = ["invoice", "task", "project", "user"]
    actions = [
        guarded_delete_selected(
            locked=lambda lines: lines.exclude(invoice__status=PaymentStatus.DRAFT),
            message="Nothing was deleted: these lines are on sent invoices, which are locked: {names}.",
        )
    ]

    def has_change_permission(self, request, obj=None):
        if obj is not None and _locked_invoice(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and _locked_invoice(obj):
            return False
        return super().has_delete_permission(request, obj)

    # Deleting a draft's line is voiding it: the entries become unbilled again, with history, totals and the
    # tasks' payment status following, as on the invoice page.
    def delete_model(self, request, obj):
        invoicing.void_line(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for line in queryset.order_by("pk"):
            invoicing.void_line(line, by=request.user)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "amount", "paid_on", "method", "reference"]
    list_filter = ["method"]
    search_fields = ["invoice__number", "reference"]
    list_select_related = ["invoice"]
    raw_id_fields = ["invoice", "recorded_by"]
    date_hierarchy = "paid_on"


@admin.register(Settings)
class SettingsAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "currency_code", "rounding_enabled", "rounding_mode", "rounding_interval"]

    # One row only: it is created on first use and can't be deleted.
    def has_add_permission(self, request):
        return not Settings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClientSettings)
class ClientSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["client", "currency_code", "rounding_enabled", "rounding_interval", "default_timer_mode"]
    search_fields = ["client__name"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(admin.ModelAdmin):
    list_display = ["year", "last_value"]
    # Numbers are taken under a row lock by invoicing; editing them by hand could repeat a number.
    readonly_fields = ["year", "last_value"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InvoiceMail)
class InvoiceMailAdmin(admin.ModelAdmin):
    """Read-only log of the invoices and reminders e-mailed from the invoice page (billing/mailing.py)."""

    list_display = ["invoice", "kind", "recipients", "sent_by", "sent_at"]
    list_filter = ["kind"]
    search_fields = ["invoice__number", "recipients"]
    list_select_related = ["invoice", "sent_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
