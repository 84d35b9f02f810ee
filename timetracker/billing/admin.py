from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from timetracker.billing.models import (
    ClientSettings,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Payment,
    Settings,
)


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
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


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["amount", "paid_on", "method", "reference", "recorded_by"]
    raw_id_fields = ["recorded_by"]


@admin.register(Invoice)
class InvoiceAdmin(SimpleHistoryAdmin):
    list_display = ["number", "client", "status", "issue_date", "due_date", "subtotal", "total"]
    list_filter = ["status", "client"]
    search_fields = ["number", "client__name", "notes"]
    list_select_related = ["client"]
    raw_id_fields = ["client", "created_by"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, PaymentInline]


@admin.register(InvoiceLine)
class InvoiceLineAdmin(admin.ModelAdmin):
    list_display = ["description", "invoice", "quantity_seconds", "unit_price", "amount"]
    search_fields = ["description", "invoice__number"]
    list_select_related = ["invoice"]
    raw_id_fields = ["invoice", "task", "project", "user"]


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
