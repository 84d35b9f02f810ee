from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from timetracker.tasks import entries as write
from timetracker.tasks.choices import EntrySource
from timetracker.tasks.models import DayTotal, FavouriteTask, Note, Task, TaskTotal, TimeEntry, TimerReminder

# The admin edits time through the write path like every page: these are the fields a bookkeeper may set;
# the rest (durations, amounts, invoicing, where the entry came from) follow from them.
ENTRY_FIELDS = [
    "task",
    "user",
    "started_at",
    "ended_at",
    "paused_seconds",
    "billable",
    "hourly_rate",
    "description",
]


def save_entry(request, form):
    """Create or change the entry a form describes through the write path; an error names the field."""
    data = form.cleaned_data
    if form.instance.pk is None:
        return write.record(
            by=request.user,
            source=EntrySource.MANUAL,
            **{name: data[name] for name in ENTRY_FIELDS if name in data},
        )
    # Every field as the form has it (a revert to an old version changes several at once); the rate only when
    # it differs from the stored one: a bookkeeper's rate is an override, an emptied rate the precedence.
    changes = {name: data[name] for name in ENTRY_FIELDS if name in data and name != "hourly_rate"}
    stored = TimeEntry.objects.filter(pk=form.instance.pk).values_list("hourly_rate", flat=True).first()
    if "hourly_rate" in data and data["hourly_rate"] != stored:
        changes["hourly_rate"] = data["hourly_rate"]
    return write.change(form.instance, by=request.user, **changes)


def _saved_or_refused(request, form):
    try:
        return save_entry(request, form)
    except write.EntryError as error:
        # The form checked the span and the bucket; only a change made meanwhile by someone else lands here.
        # Refusing rolls back the whole admin save.
        raise PermissionDenied(f"Nothing was saved: {error} Reload the page and try again.") from None


def check_entry_form(form):
    """The write path's checks of a span, as form errors before anything is saved."""
    data = form.cleaned_data
    started_at, ended_at = data.get("started_at"), data.get("ended_at")
    if started_at is None:
        return
    if ended_at is None:
        if form.instance.pk is None or form.instance.ended_at is not None:
            form.add_error("ended_at", "Give the end: running timers are started from the timer, not here.")
        return
    try:
        worked = write.check_span(started_at, ended_at, data.get("paused_seconds") or 0)
        task = data.get("task")
        stored = form.instance.duration_seconds if form.instance.pk else 0
        # As the write path does: new time, time moved to another task or longer time meets a hard stop.
        if task is not None and (not form.instance.pk or "task" in form.changed_data or worked > stored):
            write.refuse_used_up_bucket(task, at=started_at)
    except write.EntryError as error:
        field = form.fields.get(error.field)
        # On the field at fault where the form shows it (an inline's task is a hidden field).
        form.add_error(error.field if field is not None and not field.widget.is_hidden else None, str(error))


def _names(objects, limit=5):
    names = [f'"{obj}"' for obj in objects[:limit]]
    if len(objects) > limit:
        names.append(f"{len(objects) - limit} more")
    return ", ".join(names)


def guarded_delete_selected(*, locked, message, lock=None):
    """The changelist's "Delete selected" action, refusing the whole selection if any of it is locked.

    locked(queryset) returns the locked objects among the selected ones; nothing is half-deleted. When the
    deletion is confirmed the selected rows are locked first, so nothing can become locked in between."""

    @admin.action(permissions=["delete"], description=delete_selected.short_description)
    def action(modeladmin, request, queryset):
        with transaction.atomic():
            if request.POST.get("post"):
                if lock is not None:
                    lock(queryset)
                else:
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


class TimeEntryAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        check_entry_form(self)
        return cleaned


class TimeEntryInlineForm(TimeEntryAdminForm):
    """An invoiced entry shows in the task's list of entries but cannot be changed or deleted there."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_invoiced:
            for field in self.fields.values():
                # Disabled fields ignore whatever is posted and keep the stored value.
                field.disabled = True

    def clean(self):
        if "task" not in self.fields:
            # The inline's task is the page's task, set on the instance rather than in the form.
            self.cleaned_data.setdefault("task", self.instance.task if self.instance.task_id else None)
        return super().clean()


class TimeEntryInlineFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if form.instance.pk and form.instance.is_invoiced and "DELETE" in form.fields:
            form.fields["DELETE"].disabled = True

    def delete_existing(self, obj, commit=True):
        if obj.is_invoiced:
            raise PermissionDenied(f'"{obj}" is invoiced and cannot be deleted.')
        if commit:
            write.remove(obj)


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

    def save_model(self, request, obj, form, change):
        if obj.pk:
            # The one lock order: everyone with time on the task, then the task, before it is written.
            owners = TimeEntry.objects.filter(task=obj).values_list("user", flat=True)
            write.lock(users=[request.user, *owners], tasks=[obj])
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not TimeEntry:
            return super().save_formset(request, form, formset, change)
        # What formset.save() would record, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for entry_form in formset.deleted_forms:
            if entry_form.instance.pk:
                formset.delete_existing(entry_form.instance)
                formset.deleted_objects.append(entry_form.instance)
        for entry_form in formset.forms:
            if entry_form in formset.deleted_forms or not entry_form.has_changed():
                continue
            is_new = entry_form.instance.pk is None
            entry_form.cleaned_data["task"] = form.instance
            saved = _saved_or_refused(request, entry_form)
            if is_new:
                formset.new_objects.append(saved)
            else:
                formset.changed_objects.append((saved, entry_form.changed_data))
        return None

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
    form = TimeEntryAdminForm
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
    fields = [
        *ENTRY_FIELDS,
        "duration_seconds",
        "rounded_seconds",
        "rate_source",
        "amount",
        "paused_at",
        "timer_mode",
        "source",
        "external_id",
        "recorded_by",
        "invoice_line",
        "billed_elsewhere",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields[len(ENTRY_FIELDS) :]
    date_hierarchy = "started_at"
    # Counting a million rows on every changelist view costs more than the number is worth.
    show_full_result_count = False
    actions = [
        guarded_delete_selected(
            locked=lambda entries: entries.invoiced(),
            message="Nothing was deleted: invoiced entries cannot be deleted: {names}.",
            lock=write.lock_entries,
        )
    ]

    def save_model(self, request, obj, form, change):
        saved = _saved_or_refused(request, form)
        form.instance = saved
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        write.remove(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset.order_by("pk"):
            write.remove(entry, by=request.user)

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


@admin.register(TaskTotal)
class TaskTotalAdmin(admin.ModelAdmin):
    """Read-only: the write path keeps these; `manage.py check_totals --fix` recomputes them."""

    list_display = [
        "task",
        "user",
        "entries",
        "tracked_seconds",
        "rounded_seconds",
        "amount",
        "unbilled_amount",
    ]
    search_fields = ["task__title", "user__username"]
    list_select_related = ["task", "user"]
    raw_id_fields = ["task", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DayTotal)
class DayTotalAdmin(TaskTotalAdmin):
    """Read-only, as the all-time totals: one person's stopped time on a task on one agency day."""

    list_display = ["day", "task", "user", "entries", "tracked_seconds", "rounded_seconds", "amount"]
    date_hierarchy = "day"


@admin.register(TimerReminder)
class TimerReminderAdmin(admin.ModelAdmin):
    """Read-only: which running timers their owners were reminded of (tasks/reminders.py)."""

    list_display = ["entry_id", "user", "sent_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FavouriteTask)
class FavouriteTaskAdmin(admin.ModelAdmin):
    list_display = ["task", "user", "created_at"]
    search_fields = ["task__title", "user__username"]
    list_select_related = ["task", "user"]
    raw_id_fields = ["task", "user"]
