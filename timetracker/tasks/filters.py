from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from timetracker.accounts.models import User
from timetracker.billing.choices import PaymentStatus
from timetracker.billing.models import Settings
from timetracker.buckets.models import Bucket
from timetracker.clients.models import Client, Project, Site
from timetracker.lib.dates import local_midnight
from timetracker.lib.periods import PERIOD_CHOICES, resolve_period
from timetracker.tasks.choices import TaskStatus
from timetracker.tasks.forms import supported_date
from timetracker.tasks.models import TimeEntry


def _clients(request):
    return Client.objects.for_user(request.user).active()


def _sites(request):
    return Site.objects.for_user(request.user).active().select_related("client")


def _projects(request):
    return Project.objects.for_user(request.user).active().select_related("client")


def _buckets(request):
    return Bucket.objects.for_user(request.user).active()


def _users(request):
    users = User.objects.filter(is_active=True)
    return users if request.user.sees_everyone else users.filter(pk=request.user.pk)


class LogFilter(django_filters.FilterSet):
    """The Logs page's filters, applied to the entries the user may see; the page groups them by task."""

    q = django_filters.CharFilter(method="search", label="Search")
    client = django_filters.ModelChoiceFilter(
        field_name="task__client", queryset=_clients, empty_label="All clients", label="Client"
    )
    site = django_filters.ModelChoiceFilter(
        field_name="task__sites", queryset=_sites, empty_label="All sites", label="Site"
    )
    project = django_filters.ModelChoiceFilter(
        field_name="task__project", queryset=_projects, empty_label="All projects", label="Project"
    )
    bucket = django_filters.ModelChoiceFilter(
        field_name="task__bucket", queryset=_buckets, empty_label="All buckets", label="Bucket"
    )
    user = django_filters.ModelChoiceFilter(queryset=_users, empty_label="Everyone")
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
