"""The report's filters: one FilterSet on the viewer's entries, used by the page, exports, share pages and API."""

import django_filters
from django import forms

from timetracker.clients.models import Client, Site
from timetracker.tasks import filters as logs
from timetracker.tasks.filters import LogFilter
from timetracker.tasks.models import Task, TimeEntry

YES_NO = [("", "Either"), ("true", "Yes"), ("false", "No")]
NAMES = ("client", "project", "task", "site", "bucket", "user", "billable", "invoiced", "q")


def _many(field_name, label):
    return django_filters.ModelMultipleChoiceFilter(
        field_name=field_name,
        label=label,
        queryset=Client.objects.none(),  # narrowed to the viewer in __init__
        distinct=False,  # a foreign key: no row can match twice, and DISTINCT would slow the GROUP BY
        widget=forms.SelectMultiple({"size": 4}),
    )


class ReportFilter(django_filters.FilterSet):
    client = _many("task__client", "Clients")
    project = _many("task__project", "Projects")
    # Reached from drill-down links and saved specs; a select of every task would be unusable.
    task = django_filters.ModelMultipleChoiceFilter(
        field_name="task", queryset=Task.objects.none(), distinct=False, widget=forms.MultipleHiddenInput
    )
    site = django_filters.ModelMultipleChoiceFilter(
        method="on_sites",
        label="Sites",
        queryset=Site.objects.none(),
        distinct=False,
        widget=forms.SelectMultiple({"size": 4}),
    )
    bucket = _many("task__bucket", "Buckets")
    user = _many("user", "People")
    billable = django_filters.BooleanFilter(label="Billable", widget=forms.Select(choices=YES_NO))
    invoiced = django_filters.BooleanFilter(
        method="by_invoiced", label="Invoiced", widget=forms.Select(choices=YES_NO)
    )
    q = django_filters.CharFilter(method="search", label="Text")

    class Meta:
        model = TimeEntry
        fields = []

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        super().__init__(data, queryset, **kwargs)
        # Choices are what the viewer may see, the Logs page's scope (one definition, tasks/filters.py), so an
        # id outside it is an invalid choice and a drill-down link carries only ids the Logs page accepts.
        scoped = {
            "client": logs.client_choices(user),
            "project": logs.project_choices(user),
            "task": Task.objects.for_user(user),
            "site": logs.site_choices(user),
            "bucket": logs.bucket_choices(user),
            "user": logs.people_choices(user),
        }
        for name, queryset in scoped.items():
            self.filters[name].queryset = queryset

    # The Logs page's text search and site matching, so "text" and "site" mean the same on both pages.
    search = LogFilter.search

    def on_sites(self, queryset, name, value):
        return logs.on_sites(queryset, value) if value else queryset

    def by_invoiced(self, queryset, name, value):
        return queryset.invoiced() if value else queryset.unbilled()
