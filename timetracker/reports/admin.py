from django.contrib import admin

from timetracker.reports.models import Export, ReportRun, ReportSchedule, SavedReport, ShareLink


@admin.register(SavedReport)
class SavedReportAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "updated_at"]
    search_fields = ["name", "owner__username"]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ["report", "created_by", "expires_at", "revoked_at", "access_count", "last_accessed_at"]
    # The hash is useless to a person and the token is never stored: links are made on the report's page.
    exclude = ["token_hash"]
    readonly_fields = ["report", "created_by", "created_at", "access_count", "last_accessed_at"]

    def has_add_permission(self, request):
        return False


class ReportRunInline(admin.TabularInline):
    model = ReportRun
    extra = 0
    readonly_fields = ["period_start", "period_end", "status", "attempts", "error", "sent_at"]


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ["report", "frequency", "time_zone", "next_run_at", "paused", "failure_count"]
    list_filter = ["frequency", "paused"]
    inlines = [ReportRunInline]


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["pk", "requested_by", "source", "fmt", "status", "rows_total", "created_at"]
    list_filter = ["status", "fmt"]
