from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from timetracker.accounts.models import visible_users
from timetracker.billing.choices import PaymentStatus
from timetracker.billing.models import Settings
from timetracker.buckets.models import Bucket
from timetracker.clients.models import Client, Project, Site
from timetracker.lib.dates import local_midnight
from timetracker.lib.periods import PERIOD_CHOICES, resolve_period
from timetracker.tasks.choices import TaskStatus
from timetracker.tasks.forms import supported_date
from timetracker.tasks.models import Task, TaskTotal, TimeEntry


def _archived_last(queryset, *names):
    return queryset.order_by(F("archived_at").asc(nulls_first=True), *names)


# What a viewer may filter time by: the one scope of the Logs page and the Reports (reports/filters.py), so a
# drill-down from a report row always lands on a Logs page that accepts its filters. Archived clients, projects,
# sites and buckets and deactivated people are included: their time is still there and still reported.
def client_choices(user):
    return _archived_last(Client.objects.for_user(user), "name")


def project_choices(user):
    return _archived_last(Project.objects.for_user(user).select_related("client"), "client__name", "name")


def site_choices(user):
    return _archived_last(Site.objects.for_user(user).select_related("client"), "name")


def bucket_choices(user):
    return _archived_last(Bucket.objects.for_user(user), "title")


def people_choices(user):
    return visible_users(user).order_by("-is_active", "first_name", "last_name", "username")


def on_sites(queryset, sites):
    """Time (entries or kept totals) on tasks that have any of `sites`. Through a subquery: a join on the
    task's sites would count an entry once per matching site."""
    return queryset.filter(task__in=Task.objects.filter(sites__in=sites).values("pk"))


def _scoped(choices):
    # django-filter calls a queryset callable with the request.
    return lambda request: choices(request.user)


class LogFilter(django_filters.FilterSet):
    """The Logs page's filters, applied to the entries the user may see; the page groups them by task."""

    q = django_filters.CharFilter(method="search", label="Search")
    client = django_filters.ModelChoiceFilter(
        field_name="task__client", queryset=_scoped(client_choices), empty_label="All clients", label="Client"
    )
    site = django_filters.ModelChoiceFilter(
        method="by_site", queryset=_scoped(site_choices), empty_label="All sites", label="Site"
    )
    project = django_filters.ModelChoiceFilter(
        field_name="task__project",
        queryset=_scoped(project_choices),
        empty_label="All projects",
        label="Project",
    )
    bucket = django_filters.ModelChoiceFilter(
        field_name="task__bucket", queryset=_scoped(bucket_choices), empty_label="All buckets", label="Bucket"
    )
    user = django_filters.ModelChoiceFilter(queryset=_scoped(people_choices), empty_label="Everyone")
    status = django_filters.ChoiceFilter(
        field_name="task__status", choices=TaskStatus, empty_label="Any status", label="Task status"
    )
    payment_status = django_filters.ChoiceFilter(
        field_name="task__payment_status", choices=PaymentStatus, empty_label="Any", label="Payment status"
    )
    billable = django_filters.BooleanFilter(
        label="Billable",
        widget=forms.Select(
            choices=[("", "Billable or not"), ("true", "Billable"), ("false", "Non-billable")]
        ),
    )
    period = django_filters.ChoiceFilter(
        choices=PERIOD_CHOICES, method="in_named_period", empty_label="Any time", label="Period"
    )
    date_from = django_filters.DateFilter(
        method="started_from",
        label="From",
        widget=forms.DateInput({"type": "date"}),
        validators=[supported_date],
    )
    date_to = django_filters.DateFilter(
        method="started_until",
        label="To",
        widget=forms.DateInput({"type": "date"}),
        validators=[supported_date],
    )

    class Meta:
        model = TimeEntry
        fields = []

    def search(self, queryset, name, value):
        words = value.split()
        for word in words:
            queryset = queryset.filter(
                Q(description__icontains=word)
                | Q(task__title__icontains=word)
                | Q(task__client__name__icontains=word)
            )
        return queryset

    def by_site(self, queryset, name, value):
        return on_sites(queryset, [value]) if value else queryset

    def in_named_period(self, queryset, name, value):
        week_start = int(Settings.load().week_start)
        start, end = resolve_period(value, tz=timezone.get_current_timezone(), week_start=week_start)
        return queryset.in_period(start, end)

    def started_from(self, queryset, name, value):
        return queryset.filter(started_at__gte=local_midnight(value))

    def started_until(self, queryset, name, value):
        # "To" includes that whole day.
        return queryset.filter(started_at__lt=local_midnight(value + timedelta(days=1)))

    # Filters that look inside entries; without them the figures can come from the kept totals, which carry
    # the same task and user fields.
    ENTRY_LEVEL = ("q", "billable", "period", "date_from", "date_to")

    def reads_entries(self):
        data = self.form.cleaned_data
        return any(data.get(name) not in (None, "") for name in self.ENTRY_LEVEL)

    def is_valid(self):
        valid = super().is_valid()
        data = self.form.cleaned_data if valid else {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.form.add_error("date_to", "The end date is before the start date.")
            return False
        return valid


class TaskLogFilter(LogFilter):
    """LogFilter's task-level filters (client, site, project, bucket, person, status, payment) applied to the
    tasks themselves, for the Logs rows when no filter looks inside entries: every task the viewer may see is
    listed, the ones with no time yet too. The filters are LogFilter's own, re-rooted from `task__...` to the
    task, so the two cannot drift apart."""

    class Meta:
        model = Task
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.ENTRY_LEVEL:
            del self.filters[name]
        for filter_ in self.filters.values():
            filter_.field_name = filter_.field_name.removeprefix("task__")
        self.filters["user"].method = "tracked_by"

    def by_site(self, queryset, name, value):
        return queryset.filter(pk__in=Task.objects.filter(sites=value).values("pk")) if value else queryset

    def tracked_by(self, queryset, name, value):
        # EXISTS, not a join: the rows add up the task's kept totals, which a join would multiply.
        tracked = TaskTotal.objects.filter(task=OuterRef("pk"), user=value)
        return queryset.filter(Exists(tracked)) if value else queryset
