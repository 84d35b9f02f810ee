"""API resources: clients, sites, projects, buckets (with balances) and settings."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from timetracker.api.directory_serializers import (
    BucketSerializer,
    BucketWriteSerializer,
    ClientSerializer,
    ClientSettingsSerializer,
    ProjectSerializer,
    SettingsSerializer,
    SiteSerializer,
)
from timetracker.api.error_serializers import with_errors
from timetracker.api.permissions import AdminsWrite, HasRole, IsManager, ManagersWrite
from timetracker.api.work import (
    TASK_PARAMETERS,
    ApiGenericView,
    bool_param,
    check_params,
    filter_tasks,
    id_parameter,
    ids_param,
    task_context,
    tasks_for,
)
from timetracker.api.work_serializers import TaskSerializer
from timetracker.billing.forms import (
    AGENCY_GROUP,
    NO_SEPARATOR,
    SEPARATORS,
    ClientSettingsForm,
    GlobalSettingsForm,
)
from timetracker.billing.models import SETTING_NAMES, ClientSettings, Settings
from timetracker.buckets.forms import BucketForm
from timetracker.buckets.models import Bucket
from timetracker.buckets.usage import usage_many
from timetracker.clients.models import Client, Project, Site
from timetracker.clients.overview import with_figures

INCLUDE_ARCHIVED = OpenApiParameter("include_archived", bool, description="Default false.")
CLIENT_FILTER = id_parameter("client_id", "those of this client")


def rates_shown(user):
    return Settings.load().can_see_rates(user)


class DirectoryView(ApiGenericView):
    """Reads for every role, writes for Managers; serializer output with rates hidden when they must be."""

    permission_classes = [HasRole, ManagersWrite]
    model = None
    serializer_class = None
    client_field = "client"  # what client_id filters on

    def queryset(self):
        return self.model.objects.for_user(self.request.user)

    def listed(self, request, *, client_filter=True):
        check_params(request, ["include_archived", *(["client_id"] if client_filter else [])])
        objects = self.queryset()
        if not bool_param(request, "include_archived"):
            objects = objects.active()
        if client_filter and (
            clients := ids_param(request, "client_id", Client.objects.for_user(request.user))
        ):
            # A subquery, not a join: a bucket of two of the clients is listed once.
            of_clients = self.model.objects.filter(**{f"{self.client_field}__in": clients})
            objects = objects.filter(pk__in=of_clients.values("pk"))
        return objects

    def get_object(self):
        return get_object_or_404(self.queryset(), pk=self.kwargs["pk"])

    def show(self, obj, status_code=status.HTTP_200_OK):
        fresh = self.queryset().get(pk=obj.pk)
        context = {"show_rates": rates_shown(self.request.user)}
        return Response(self.serializer_class(fresh, context=context).data, status=status_code)

    def write(self, instance=None):
        body = self.serializer_class(
            instance, data=self.request.data, partial=instance is not None, context={"show_rates": True}
        )
        body.is_valid(raise_exception=True)
        return body.save()


# --- clients, sites, projects ---------------------------------------------------------------------


class ClientViews(DirectoryView):
    model, serializer_class = Client, ClientSerializer

    def queryset(self):
        return with_figures(super().queryset(), user=self.request.user, link="client")


class ClientListView(ClientViews):
    @extend_schema(
        parameters=[INCLUDE_ARCHIVED], responses=with_errors({200: ClientSerializer(many=True)}, 400, 404)
    )
    def get(self, request):
        clients = self.listed(request, client_filter=False).order_by("name", "pk")
        return self.paginated(clients, ClientSerializer, show_rates=rates_shown(request.user))

    @extend_schema(request=ClientSerializer, responses=with_errors({201: ClientSerializer}, 400, 415, 422))
    def post(self, request):
        return self.show(self.write(), status.HTTP_201_CREATED)


class ClientDetailView(ClientViews):
    etag = True

    @extend_schema(responses=with_errors({200: ClientSerializer}, 404))
    def get(self, request, pk):
        return self.show(self.get_object())

    @extend_schema(
        request=ClientSerializer, responses=with_errors({200: ClientSerializer}, 400, 404, 415, 422)
    )
    def patch(self, request, pk):
        return self.show(self.write(self.get_object()))

    @extend_schema(responses=with_errors({204: None}, 404), description="Archives the client.")
    def delete(self, request, pk):
        client = self.get_object()
        if not client.is_archived:
            client.archive()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SiteViews(DirectoryView):
    model, serializer_class = Site, SiteSerializer

    def queryset(self):
        return with_figures(super().queryset(), user=self.request.user, link="sites")


class SiteListView(SiteViews):
    @extend_schema(
        parameters=[CLIENT_FILTER, INCLUDE_ARCHIVED],
        responses=with_errors({200: SiteSerializer(many=True)}, 400, 404),
    )
    def get(self, request):
        sites = self.listed(request).order_by("name", "pk")
        return self.paginated(sites, SiteSerializer, show_rates=rates_shown(request.user))

    @extend_schema(request=SiteSerializer, responses=with_errors({201: SiteSerializer}, 400, 415, 422))
    def post(self, request):
        return self.show(self.write(), status.HTTP_201_CREATED)


class SiteDetailView(SiteViews):
    etag = True

    @extend_schema(responses=with_errors({200: SiteSerializer}, 404))
    def get(self, request, pk):
        return self.show(self.get_object())

    @extend_schema(request=SiteSerializer, responses=with_errors({200: SiteSerializer}, 400, 404, 415, 422))
    def patch(self, request, pk):
        return self.show(self.write(self.get_object()))


class ProjectViews(DirectoryView):
    model, serializer_class = Project, ProjectSerializer


class ProjectListView(ProjectViews):
    @extend_schema(
        parameters=[CLIENT_FILTER, INCLUDE_ARCHIVED],
        responses=with_errors({200: ProjectSerializer(many=True)}, 400, 404),
    )
    def get(self, request):
        projects = self.listed(request).order_by("client__name", "name", "pk")
        return self.paginated(projects, ProjectSerializer, show_rates=rates_shown(request.user))

    @extend_schema(request=ProjectSerializer, responses=with_errors({201: ProjectSerializer}, 400, 415, 422))
    def post(self, request):
        return self.show(self.write(), status.HTTP_201_CREATED)


class ProjectDetailView(ProjectViews):
    etag = True

    @extend_schema(responses=with_errors({200: ProjectSerializer}, 404))
    def get(self, request, pk):
        return self.show(self.get_object())

    @extend_schema(
        request=ProjectSerializer, responses=with_errors({200: ProjectSerializer}, 400, 404, 415, 422)
    )
    def patch(self, request, pk):
        return self.show(self.write(self.get_object()))


class ScopedTasksView(ApiGenericView):
    """A client's or a site's tasks, with the /tasks filters other than the one the path fixes."""

    model, link, fixed = None, None, None

    def list_tasks(self, request, pk):
        owner = get_object_or_404(self.model.objects.for_user(request.user), pk=pk)
        tasks = tasks_for(request.user).filter(**{self.link: owner})
        tasks = filter_tasks(request, tasks, fixed=(self.fixed,))
        return self.paginated(tasks, TaskSerializer, **task_context(request.user))


class ClientTasksView(ScopedTasksView):
    model, link, fixed = Client, "client", "client_id"

    @extend_schema(
        parameters=[p for p in TASK_PARAMETERS if p.name != "client_id"],
        responses=with_errors({200: TaskSerializer(many=True)}, 400, 404),
    )
    def get(self, request, pk):
        return self.list_tasks(request, pk)


class SiteTasksView(ScopedTasksView):
    model, link, fixed = Site, "sites", "site_id"

    @extend_schema(
        parameters=[p for p in TASK_PARAMETERS if p.name != "site_id"],
        responses=with_errors({200: TaskSerializer(many=True)}, 400, 404),
    )
    def get(self, request, pk):
        return self.list_tasks(request, pk)


# --- buckets --------------------------------------------------------------------------------------


def bucket_form_data(bucket, changes):
    """The bucket's values in BucketForm terms, overlaid with the API's changes."""
    data = {name: getattr(bucket, name) for name in BucketForm.Meta.fields if name != "clients"}
    data["clients"] = [client.pk for client in bucket.clients.all()] if bucket.pk else []
    for name, value in changes.items():
        data["clients" if name == "client_ids" else name] = value
    data["thresholds"] = ", ".join(str(t) for t in data["thresholds"] or [])
    return {
        name: "" if value is None else value if isinstance(value, bool | list) else str(value)
        for name, value in data.items()
    }


class BucketViews(DirectoryView):
    model, serializer_class = Bucket, BucketSerializer
    client_field = "clients"

    def queryset(self):
        return super().queryset().prefetch_related("clients")

    def show(self, bucket, status_code=status.HTTP_200_OK):
        bucket = self.queryset().get(pk=bucket.pk)
        context = {"show_rates": rates_shown(self.request.user), "usages": usage_many([bucket])}
        return Response(BucketSerializer(bucket, context=context).data, status=status_code)

    def paged_buckets(self, buckets):
        page = self.paginate_queryset(buckets)
        context = {"show_rates": rates_shown(self.request.user), "usages": usage_many(page)}
        return self.get_paginated_response(BucketSerializer(page, many=True, context=context).data)

    def write(self, instance=None):
        body = BucketWriteSerializer(data=self.request.data, partial=instance is not None)
        body.is_valid(raise_exception=True)
        bucket = instance or Bucket()
        form = BucketForm(bucket_form_data(bucket, body.validated_data), instance=bucket)
        if not form.is_valid():
            fields = {"client_ids" if k == "clients" else k: list(v) for k, v in form.errors.items()}
            fields["non_field_errors"] = fields.pop("__all__", [])
            raise serializers.ValidationError({k: v for k, v in fields.items() if v})
        with transaction.atomic():
            return form.save()


class BucketListView(BucketViews):
    @extend_schema(
        parameters=[CLIENT_FILTER, INCLUDE_ARCHIVED],
        responses=with_errors({200: BucketSerializer(many=True)}, 400, 404),
    )
    def get(self, request):
        return self.paged_buckets(self.listed(request).distinct().order_by("title", "pk"))

    @extend_schema(
        request=BucketWriteSerializer, responses=with_errors({201: BucketSerializer}, 400, 415, 422)
    )
    def post(self, request):
        return self.show(self.write(), status.HTTP_201_CREATED)


class BucketDetailView(BucketViews):
    etag = True

    @extend_schema(responses=with_errors({200: BucketSerializer}, 404))
    def get(self, request, pk):
        return self.show(self.get_object())

    @extend_schema(
        request=BucketWriteSerializer, responses=with_errors({200: BucketSerializer}, 400, 404, 415, 422)
    )
    def patch(self, request, pk):
        return self.show(self.write(self.get_object()))

    @extend_schema(
        responses=with_errors({204: None}, 404),
        description="Deletes the bucket, or archives it when tasks use it (as the page does).",
    )
    def delete(self, request, pk):
        self.get_object().remove()
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClientBucketsView(BucketViews):
    permission_classes = [HasRole]

    @extend_schema(responses=with_errors({200: BucketSerializer(many=True)}, 400, 404))
    def get(self, request, pk):
        check_params(request, [])
        client = get_object_or_404(Client.objects.for_user(request.user), pk=pk)
        return self.paged_buckets(self.queryset().active().for_client(client).order_by("title", "pk"))


# --- settings -------------------------------------------------------------------------------------


def settings_form_data(instance, request):
    """The stored settings in form terms, overlaid with the body; unknown names and odd types are a 422."""
    body = request.data
    if not isinstance(body, dict):
        raise serializers.ValidationError(["Send an object of setting names and values."])
    problems = {}
    for name, value in body.items():
        if name not in SETTING_NAMES:
            problems[name] = ["Unknown setting."]
        elif isinstance(value, list | dict):
            problems[name] = ["Give a single value."]
        elif isinstance(Settings._meta.get_field(name).default, bool) and not _boolean(value):
            problems[name] = ["Must be true or false."]
    if problems:
        raise serializers.ValidationError(problems)
    data = {}
    for name in SETTING_NAMES:
        value = body[name] if name in body else getattr(instance, name)
        if value is None:
            data[name] = ""
        elif isinstance(value, bool):
            data[name] = "true" if value else "false"
        elif isinstance(Settings._meta.get_field(name).default, bool) and isinstance(value, str):
            data[name] = value.lower()
        elif name in SEPARATORS and value == "":
            data[name] = NO_SEPARATOR
        else:
            data[name] = str(value)
    # The agency's own details (name, address, logo...) on the global row are not settings of the API: kept.
    for name in AGENCY_GROUP[1] if isinstance(instance, Settings) else ():
        if name != "agency_logo":
            data[name] = getattr(instance, name)
    return data


def _boolean(value):
    # A form body sends "true" / "false" as text.
    return isinstance(value, bool | None) or (isinstance(value, str) and value.lower() in ("true", "false"))


def save_settings_form(form):
    if not form.is_valid():
        fields = {k: list(v) for k, v in form.errors.items()}
        if "__all__" in fields:
            fields["non_field_errors"] = fields.pop("__all__")
        raise serializers.ValidationError(fields)
    return form.save()


class SettingsView(ApiGenericView):
    permission_classes = [HasRole, AdminsWrite]

    @extend_schema(responses=with_errors({200: SettingsSerializer}))
    def get(self, request):
        return Response(SettingsSerializer(Settings.load(), context=self.context()).data)

    @extend_schema(
        request=SettingsSerializer, responses=with_errors({200: SettingsSerializer}, 400, 415, 422)
    )
    def patch(self, request):
        current = Settings.load()
        form = GlobalSettingsForm(settings_form_data(current, request), instance=current)
        return Response(SettingsSerializer(save_settings_form(form), context=self.context()).data)

    def context(self):
        return {"show_rates": rates_shown(self.request.user)}


class ClientSettingsView(ApiGenericView):
    permission_classes = [HasRole, IsManager]

    def overrides(self, pk):
        client = get_object_or_404(Client.objects.for_user(self.request.user), pk=pk)
        return ClientSettings.objects.filter(client=client).first() or ClientSettings(client=client)

    @extend_schema(responses=with_errors({200: ClientSettingsSerializer}, 404))
    def get(self, request, pk):
        return Response(ClientSettingsSerializer(self.overrides(pk)).data)

    @extend_schema(
        request=ClientSettingsSerializer,
        responses=with_errors({200: ClientSettingsSerializer}, 400, 404, 415, 422),
        description="Set overrides; null means as the global setting.",
    )
    def patch(self, request, pk):
        overrides = self.overrides(pk)
        form = ClientSettingsForm(
            settings_form_data(overrides, request), instance=overrides, global_settings=Settings.load()
        )
        return Response(ClientSettingsSerializer(save_settings_form(form)).data)


urlpatterns = [
    path("clients/<int:pk>/tasks", ClientTasksView.as_view(), name="client-tasks"),
    path("clients/<int:pk>/buckets", ClientBucketsView.as_view(), name="client-buckets"),
    path("clients/<int:pk>/settings", ClientSettingsView.as_view(), name="client-settings"),
    path("clients/<int:pk>", ClientDetailView.as_view(), name="client-detail"),
    path("clients", ClientListView.as_view(), name="client-list"),
    path("sites/<int:pk>/tasks", SiteTasksView.as_view(), name="site-tasks"),
    path("sites/<int:pk>", SiteDetailView.as_view(), name="site-detail"),
    path("sites", SiteListView.as_view(), name="site-list"),
    path("projects/<int:pk>", ProjectDetailView.as_view(), name="project-detail"),
    path("projects", ProjectListView.as_view(), name="project-list"),
    path("buckets/<int:pk>", BucketDetailView.as_view(), name="bucket-detail"),
    path("buckets", BucketListView.as_view(), name="bucket-list"),
    path("settings", SettingsView.as_view(), name="settings"),
]
