from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from timetracker.tasks.models import Note, Task, TimeEntry


class TimeEntryInline(admin.TabularInline):
    model = TimeEntry
    extra = 0
    fields = [
        "user",
        "started_at",
        "ended_at",
        "duration_seconds",
        "rounded_seconds",
        "billable",
        "hourly_rate",
    ]
    readonly_fields = ["duration_seconds", "rounded_seconds"]
    raw_id_fields = ["user"]
    show_change_link = True
    ordering = ["-started_at"]


class NoteInline(admin.TabularInline):
    model = Note
    fk_name = "task"
    extra = 0
    fields = ["author", "body", "created_at"]
    raw_id_fields = ["author"]


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "client",
        "project",
        "bucket",
        "assignee",
        "status",
        "payment_status",
        "billable",
    ]
    list_filter = ["status", "payment_status", "billable", "client"]
    search_fields = ["title", "description", "client__name", "project__name"]
    list_select_related = ["client", "project", "bucket", "assignee"]
    raw_id_fields = ["client", "project", "bucket", "assignee", "created_by"]
    filter_horizontal = ["sites"]
    date_hierarchy = "created_at"
    inlines = [TimeEntryInline, NoteInline]


@admin.register(TimeEntry)
class TimeEntryAdmin(SimpleHistoryAdmin):
    list_display = [
        "task",
        "user",
        "started_at",
        "ended_at",
        "duration_seconds",
        "rounded_seconds",
        "billable",
        "hourly_rate",
        "amount",
        "source",
        "invoice_line",
    ]
    list_filter = ["billable", "source", "timer_mode", "rate_source", "user"]
    search_fields = ["description", "task__title", "task__client__name", "external_id"]
    list_select_related = ["task", "user", "invoice_line"]
    raw_id_fields = ["task", "user", "recorded_by", "invoice_line"]
    readonly_fields = ["duration_seconds", "rounded_seconds", "amount", "created_at", "updated_at"]
    date_hierarchy = "started_at"
    # Counting a million rows on every changelist view costs more than the number is worth.
    show_full_result_count = False


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["__str__", "task", "entry", "author", "created_at"]
    search_fields = ["body"]
    list_select_related = ["task", "entry", "author"]
    raw_id_fields = ["task", "entry", "author"]
    date_hierarchy = "created_at"
