from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from timetracker.tasks.models import Note, Task, TimeEntry


def _names(objects, limit=5):
    names = [f'"{obj}"' for obj in objects[:limit]]
    if len(objects) > limit:
        names.append(f"{len(objects) - limit} more")
    return ", ".join(names)


def guarded_delete_selected(*, locked, message):
    """The changelist's "Delete selected" action, refusing the whole selection if any of it is locked.

    locked(queryset) returns the locked objects among the selected ones; nothing is half-deleted. When the
    deletion is confirmed the selected rows are locked first, so nothing can become locked in between."""

    @admin.action(permissions=["delete"], description=delete_selected.short_description)
    def action(modeladmin, request, queryset):
        with transaction.atomic():
            if request.POST.get("post"):
                list(modeladmin.model.objects.select_for_update().filter(pk__in=queryset.values("pk")))
            refused = list(locked(queryset))
            if refused:
                modeladmin.message_user(request, message.format(names=_names(refused)), messages.ERROR)
                return None
            return delete_selected(modeladmin, request, queryset)

    # Under the built-in action's name, so it takes that action's place on the changelist.
    action.__name__ = "delete_selected"
    return action


class LockedHistoryMixin:
    """Reverting to an old version rewrites the whole row: refused while the current row is locked.

    The history form is given the old version, so the check reads the row as it stands now."""

    def is_locked(self, obj):
        raise NotImplementedError

    def _current_is_locked(self, pk):
        current = self.model.objects.filter(pk=pk).first()
        return current is not None and self.is_locked(current)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and self._current_is_locked(unquote(object_id)):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        if obj is not None and self._current_is_locked(obj.pk):
            return True
        return super().revert_disabled(request, obj)


class TimeEntryInlineForm(forms.ModelForm):
    """An invoiced entry shows in the task's list of entries but cannot be changed or deleted there."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_invoiced:
            for field in self.fields.values():
                # Disabled fields ignore whatever is posted and keep the stored value.
                field.disabled = True


class TimeEntryInlineFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if form.instance.pk and form.instance.is_invoiced and "DELETE" in form.fields:
            form.fields["DELETE"].disabled = True

    def delete_existing(self, obj, commit=True):
        if obj.is_invoiced:
            raise PermissionDenied(f'"{obj}" is invoiced and cannot be deleted.')
        super().delete_existing(obj, commit=commit)


class TimeEntryInline(admin.TabularInline):
    model = TimeEntry
    form = TimeEntryInlineForm
    formset = TimeEntryInlineFormSet
    extra = 0
    fields = [
        "user",
        "started_at",
        "ended_at",
        "duration_seconds",
        "rounded_seconds",
        "billable",
        "hourly_rate",
        "invoiced",
    ]
    readonly_fields = ["duration_seconds", "rounded_seconds", "invoiced"]
    raw_id_fields = ["user"]
    show_change_link = True
    ordering = ["-started_at"]

    @admin.display(description="Invoiced")
    def invoiced(self, obj):
        if obj.pk is None:
            return ""
        if obj.invoice_line_id:
            return "Yes (locked)"
        return f"Elsewhere: {obj.billed_elsewhere} (locked)" if obj.billed_elsewhere else "No"


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
    actions = [
        guarded_delete_selected(
            locked=lambda tasks: tasks.filter(pk__in=TimeEntry.objects.invoiced().values("task")),
            message="Nothing was deleted: these tasks have invoiced time, which cannot be deleted: {names}.",
        )
    ]

    @staticmethod
    def has_invoiced_time(task):
        return task.entries.invoiced().exists()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.has_invoiced_time(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        task = self.get_object(request, unquote(object_id))
        if task is not None and self.has_invoiced_time(task):
            self.message_user(
                request,
                f'"{task}" has invoiced time, which cannot be deleted. Nothing was deleted.',
                messages.ERROR,
            )
            return redirect(reverse("admin:tasks_task_change", args=[task.pk]))
        return super().delete_view(request, object_id, extra_context)


@admin.register(TimeEntry)
class TimeEntryAdmin(LockedHistoryMixin, SimpleHistoryAdmin):
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
    actions = [
        guarded_delete_selected(
            locked=lambda entries: entries.invoiced(),
            message="Nothing was deleted: invoiced entries cannot be deleted: {names}.",
        )
    ]

    # An invoiced entry is locked: its page is read-only and it cannot be deleted here
    # (Admins unlock it by voiding the invoice line).
    def is_locked(self, obj):
        return obj.is_invoiced

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_invoiced:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_invoiced:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["__str__", "task", "entry", "author", "created_at"]
    search_fields = ["body"]
    list_select_related = ["task", "entry", "author"]
    raw_id_fields = ["task", "entry", "author"]
    date_hierarchy = "created_at"
