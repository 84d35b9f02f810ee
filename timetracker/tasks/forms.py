from datetime import time, timedelta

from django import forms
from django.urls import reverse

from timetracker.billing.models import Settings
from timetracker.buckets.models import Bucket
from timetracker.clients.models import Client, Project, Site
from timetracker.lib import dates
from timetracker.lib.durations import parse_duration
from timetracker.tasks import entries
from timetracker.tasks.choices import TaskStatus, TimerMode
from timetracker.tasks.models import FavouriteTask, Task, TimeEntry


def supported_date(value):
    """Dates far outside working life are typos (and overflow date arithmetic at year 9999)."""
    try:
        dates.check_supported(value)
    except ValueError as error:
        raise forms.ValidationError(str(error)) from None


class ClientScopedTaskForm(forms.ModelForm):
    """Task fields whose choices (sites, project, bucket) narrow to the chosen client."""

    class Meta:
        model = Task
        fields = ["client", "sites", "project", "bucket", "title", "description", "billable"]
        widgets = {
            "sites": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        # Modals open over pages with forms of their own (the Logs filters): ids must not collide.
        kwargs.setdefault("auto_id", "modal_%s")
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["client"].queryset = Client.objects.for_user(user).active()
        self.fields["client"].empty_label = "Choose a client"
        # Choosing a client reloads the fields that depend on it (sites, project, bucket).
        self.fields["client"].widget.attrs.update(
            {
                "hx-get": reverse("tasks:timer_fields"),
                "hx-trigger": "change",
                "hx-target": "#client-fields",
                "hx-include": "closest form",
                "hx-swap": "outerHTML",
            }
        )
        client = self.chosen_client()
        self.fields["sites"].queryset = (
            Site.objects.active().filter(client=client) if client else Site.objects.none()
        )
        self.fields["project"].queryset = (
            Project.objects.active().filter(client=client) if client else Project.objects.none()
        )
        self.fields["bucket"].queryset = (
            Bucket.objects.active().for_client(client) if client else Bucket.objects.none()
        )
        self.fields["project"].empty_label = "No project"
        self.fields["bucket"].empty_label = "No bucket"
        self.fields["title"].widget.attrs["placeholder"] = "What are you working on?"

    def chosen_client(self):
        key = self.add_prefix("client")
        value = self.data.get(key) if self.is_bound else self.initial.get("client")
        if value in (None, "") and self.instance.client_id:
            value = self.instance.client_id
        try:
            return self.fields["client"].queryset.get(pk=getattr(value, "pk", value))
        except (Client.DoesNotExist, ValueError, TypeError):
            return None


class TaskStartForm(ClientScopedTaskForm):
    """New Task: the task as MainWP asks for it, plus how the timer counts."""

    timer_mode = forms.ChoiceField(choices=TimerMode, widget=forms.RadioSelect, label="Timer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choosing a project reloads the client's fields too, with the project's "billable by default".
        self.fields["project"].widget.attrs.update(self.fields["client"].widget.attrs)
        if not self.is_bound:
            self.initial.setdefault("timer_mode", Settings.load().default_timer_mode)
            self.initial.setdefault("billable", True)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("timer_mode") == TimerMode.DOWN and not cleaned.get("bucket"):
            self.add_error(
                "timer_mode", "Counting down needs a bucket to count down from: choose one or count up."
            )
        return cleaned

    def save(self, commit=True):
        self.instance.created_by = self.user
        self.instance.assignee = self.user
        return super().save(commit)


class TaskEditForm(ClientScopedTaskForm):
    class Meta(ClientScopedTaskForm.Meta):
        fields = [*ClientScopedTaskForm.Meta.fields, "status", "payment_status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locked, self.lock_reason = self.instance.locked_fields(self.user)
        # Disabled fields keep their stored value whatever is posted.
        for name in locked:
            self.fields[name].disabled = True

    def clean_status(self):
        status = self.cleaned_data["status"]
        running = self.instance.pk and self.instance.entries.running().exists()
        # Working and paused follow the running timer; a form cannot make them true or false.
        if status in (TaskStatus.WORKING, TaskStatus.PAUSED) and not running:
            raise forms.ValidationError("Working and Paused follow a running timer; start the timer instead.")
        if running and status not in (TaskStatus.WORKING, TaskStatus.PAUSED):
            raise forms.ValidationError("A timer is running on this task; stop it to complete the task.")
        return status


class EntryTimesForm(forms.ModelForm):
    """One stopped entry's times on the Edit modal."""

    class Meta:
        model = TimeEntry
        fields = ["started_at", "ended_at", "description", "billable"]
        field_classes = {"started_at": forms.DateTimeField, "ended_at": forms.DateTimeField}
        widgets = {
            "started_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ended_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "description": forms.TextInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ended_at"].required = True
        for name in ("started_at", "ended_at"):
            self.fields[name].validators.append(supported_date)

    def changes(self):
        """The edited fields the write path may change (`entries.change(entry, **form.changes())`)."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in entries.CHANGEABLE}

    def clean(self):
        cleaned = super().clean()
        paused = self.instance.paused_seconds if self.instance.pk else 0
        return _check_span(
            self, cleaned.get("started_at"), cleaned.get("ended_at"), field="ended_at", paused=paused
        )


# edit_only: a forged form count must not create entries without a task or a user.
EntryTimesFormSet = forms.modelformset_factory(TimeEntry, form=EntryTimesForm, extra=0, edit_only=True)


class ManualEntryForm(forms.Form):
    """Past work: a date plus a duration, or start and end times."""

    task = forms.ModelChoiceField(queryset=Task.objects.none(), empty_label="Choose a task")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), validators=[supported_date])
    duration = forms.CharField(
        required=False,
        help_text="1:30, 1h 30m, 90m, 1.5 or 1,5",
        widget=forms.TextInput(attrs={"placeholder": "1:30"}),
    )
    start = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    description = forms.CharField(required=False)
    billable = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "modal_%s")
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = (
            Task.objects.for_user(user).select_related("client").order_by("client__name")
        )
        self.fields["task"].label_from_instance = lambda task: f"{task.client} · {task.title}"

    def clean_duration(self):
        text = self.cleaned_data["duration"].strip()
        if not text:
            return None
        try:
            return parse_duration(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        cleaned = super().clean()
        day, seconds, start, end = (cleaned.get(k) for k in ("date", "duration", "start", "end"))
        if day is None or self.errors:
            return cleaned
        if seconds is not None and (start or end):
            raise forms.ValidationError("Give either a duration or start and end times, not both.")
        if seconds is None and not (start and end):
            raise forms.ValidationError("Give a duration (like 1:30) or both a start and an end time.")
        try:
            if seconds is not None:
                cleaned["started_at"] = dates.local_moment(day, time(9, 0))
                cleaned["ended_at"] = dates.add_elapsed(cleaned["started_at"], seconds)
                _check_span(self, cleaned["started_at"], cleaned["ended_at"], field="duration")
                return cleaned
            cleaned["started_at"] = dates.local_moment(day, start)
            # An end before the start means work past midnight.
            end_day = day + timedelta(days=1) if end < start else day
            cleaned["ended_at"] = dates.local_moment(end_day, end, after=cleaned["started_at"])
        except dates.NonexistentTime as error:
            field = "start" if "started_at" not in cleaned else "end"
            self.add_error(field, str(error))
            return cleaned
        _check_span(self, cleaned["started_at"], cleaned["ended_at"], field="end")
        return cleaned


def _check_span(form, started_at, ended_at, *, field, paused=0):
    """The write path's own check, its message put on the form field."""
    if started_at and ended_at:
        try:
            entries.check_span(started_at, ended_at, paused, field=field)
        except entries.EntryError as error:
            form.add_error(field, str(error))
    return form.cleaned_data


RECENT_TASKS = 8  # the person's own latest tasks, listed first
OPEN_TASKS = 300  # then the open tasks (not completed), by client: a select, not a page of thousands


def continue_choices(user):
    """The tasks a timer can start on from the New Task modal: the person's favourites, then their recent tasks
    (what Agency OS users pick from), then open tasks by client. Bounded queries: the favourites, the latest
    entries, then a few hundred tasks."""
    visible = Task.objects.for_user(user).select_related("client")
    label = "{0.client} · {0.title}".format
    choices = [("", "Choose a task")]
    starred = list(visible.filter(pk__in=FavouriteTask.ids_of(user)).order_by("client__name", "title"))
    if starred:
        choices.append(("Your favourites", [(task.pk, label(task)) for task in starred]))
    starred_ids = {task.pk for task in starred}
    recent = []
    for task_id in (
        TimeEntry.objects.filter(user=user).order_by("-started_at").values_list("task", flat=True)[:200]
    ):
        if task_id not in recent and task_id not in starred_ids:
            recent.append(task_id)
        if len(recent) == RECENT_TASKS:
            break
    mine = sorted(visible.filter(pk__in=recent), key=lambda task: recent.index(task.pk))
    shown = [*recent, *starred_ids]
    others = (
        visible.exclude(pk__in=shown).exclude(status=TaskStatus.COMPLETED).order_by("client__name", "title")
    )
    if mine:
        choices.append(("Your recent tasks", [(task.pk, label(task)) for task in mine]))
    listed = [(task.pk, label(task)) for task in others[:OPEN_TASKS]]
    if listed:
        choices.append(("Open tasks", listed))
    return choices


class ContinueTaskForm(forms.Form):
    """Start a timer on a task that exists (Agency OS: select a project and task, add a description, Start)."""

    task = forms.ModelChoiceField(queryset=Task.objects.none(), label="Task")
    note = forms.CharField(
        label="Description",
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "What you will do now (optional)"}),
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "continue_%s")
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = Task.objects.for_user(user)
        self.fields["task"].choices = continue_choices(user)


class EntryReviewForm(EntryTimesForm):
    """After Stop: the entry as it was recorded, to adjust its start and end, description and billable, and
    to add a note, before Save Entry."""

    note = forms.CharField(
        label="Notes", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "review_%s")
        super().__init__(*args, **kwargs)
        self.fields["description"].label = "Description"
