from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from timetracker.buckets.models import Bucket, BucketAlert


class BucketAlertInline(admin.TabularInline):
    model = BucketAlert
    extra = 0
    fields = ["threshold", "period_start", "used_seconds", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Bucket)
class BucketAdmin(SimpleHistoryAdmin):
    list_display = ["title", "client_names", "hours", "hourly_price", "recurrence", "start_date", "hard_stop"]
    list_filter = [
        "recurrence",
        "rollover",
        "billable_only",
        "hard_stop",
        ("archived_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["title", "clients__name"]
    filter_horizontal = ["clients"]
    date_hierarchy = "start_date"
    inlines = [BucketAlertInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("clients")

    @admin.display(description="Clients")
    def client_names(self, obj):
        return ", ".join(client.name for client in obj.clients.all())


@admin.register(BucketAlert)
class BucketAlertAdmin(admin.ModelAdmin):
    list_display = ["bucket", "threshold", "period_start", "used_seconds", "created_at"]
    list_filter = ["threshold"]
    search_fields = ["bucket__title"]
    list_select_related = ["bucket"]
    date_hierarchy = "created_at"
