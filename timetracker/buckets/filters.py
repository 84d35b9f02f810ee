import django_filters
from django import forms

from timetracker.buckets.models import Bucket
from timetracker.clients.models import Client


def _clients(request):
    return Client.objects.for_user(request.user).active()


class BucketFilter(django_filters.FilterSet):
    """The Buckets page's filters: one client, and whether archived buckets show too."""

    client = django_filters.ModelChoiceFilter(
        field_name="clients", queryset=_clients, empty_label="All clients", label="Client"
    )
    archived = django_filters.BooleanFilter(
        method="with_archived", widget=forms.CheckboxInput, label="Show archived"
    )

    class Meta:
        model = Bucket
        fields = ["client", "archived"]

    def with_archived(self, queryset, name, value):
        # An unticked box arrives as False: then only the buckets still in use show.
        return queryset if value else queryset.active()
