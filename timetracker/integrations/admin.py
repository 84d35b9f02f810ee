from django.contrib import admin

from timetracker.integrations.forms import ConnectionForm
from timetracker.integrations.models import Connection, SyncRun


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """The token is set through the form and never shown: only its last four characters."""

    form = ConnectionForm
    list_display = (
        "name",
        "provider",
        "token_hint",
        "enabled",
        "every_minutes",
        "last_success_at",
        "next_sync_at",
    )
    list_filter = ("provider", "enabled")
    readonly_fields = ("token_hint", "last_success_at", "last_error", "next_sync_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    """Read-only history: runs are made by the schedule, "Sync now" and `manage.py sync`."""

    list_display = ("pk", "connection", "status", "trigger", "created_at", "requests")
    list_filter = ("status", "trigger")
    list_select_related = ("connection",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False
