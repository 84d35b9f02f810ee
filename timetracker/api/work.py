"""API resources: tasks (/tasks) and their timers (/tasks/{id}/start|pause|stop, /timers)."""

from django.db import transaction
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.metadata import SimpleMetadata
from rest_framework.response import Response

from timetracker.accounts.models import User
from timetracker.api import entry_filters
from timetracker.api.base import ApiMixin
from timetracker.api.error_serializers import errors, with_errors
from timetracker.api.errors import BadFilter, Conflict
from timetracker.api.work_serializers import (
    StopAllSerializer,
    TaskPatchSerializer,
    TaskSerializer,
    TaskWriteSerializer,
    TimerSerializer,
    TimerStartSerializer,
)
from timetracker.billing.choices import PaymentStatus
from timetracker.billing.models import Settings
from timetracker.buckets.models import Bucket
from timetracker.clients.models import Client, Project, Site
from timetracker.tasks import entries, locks, timer
from timetracker.tasks.choices import TaskStatus
from timetracker.tasks.forms import ClientScopedTaskForm, TaskEditForm
from timetracker.tasks.models import Task, TimeEntry

PAGING = ("page", "per_page", "limit")


class PlainMetadata(SimpleMetadata):
    """OPTIONS without per-serializer actions: these views pick their serializers per method."""

    def determine_actions(self, request, view):
        return {}


class ApiGenericView(ApiMixin, generics.GenericAPIView):
    """GenericAPIView (for pagination) with the API's authentication, roles and login-free routing."""

    metadata_class = PlainMetadata

    def paginated(self, queryset, serializer_class, **context):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True, context=context).data)


# --- query parameters: anything unknown or pointing nowhere is a 400 that names it -------------------


def check_params(request, allowed):
    unknown = sorted(set(request.query_params) - set(allowed) - set(PAGING))
    if unknown:
        known = ", ".join(sorted({*allowed, *PAGING}))
        raise BadFilter(f"Unknown query parameter: {', '.join(unknown)}. Known: {known}.")


def ids_param(request, name, queryset):
    """Several ids (repeated or comma-separated), read as the entry lists read theirs (entry_filters)."""
    return entry_filters.scoped_ids(request.query_params, name, name.removesuffix("_id"), queryset)


def choice_param(request, name, choices, default=None):
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw not in choices:
        raise BadFilter(f'{name} must be one of {", ".join(choices)}, not "{raw}".')
    return raw


def bool_param(request, name):
    return choice_param(request, name, ("true", "false"), "false") == "true"


def id_parameter(name, what):
    return OpenApiParameter(
        name,
        entry_filters.IDS,
        description=f"Only {what}; an id that does not exist is a 400.{entry_filters.MULTI}",
        style="form",
        explode=True,
    )


# --- tasks ----------------------------------------------------------------------------------------

TASK_FILTERS = {
    "client_id": lambda user: Client.objects.for_user(user),
    "site_id": lambda user: Site.objects.for_user(user),
    "project_id": lambda user: Project.objects.for_user(user),
    "bucket_id": lambda user: Bucket.objects.for_user(user),
}
TASK_SORTS = ("created_at", "updated_at", "title", "tracked_seconds")
TASK_PARAMETERS = [
    id_parameter("client_id", "this client's tasks"),
    id_parameter("site_id", "tasks on this site"),
    id_parameter("project_id", "this project's tasks"),
    id_parameter("bucket_id", "tasks drawing on this bucket"),
    OpenApiParameter("status", str, enum=TaskStatus.values),
    OpenApiParameter("payment_status", str, enum=PaymentStatus.values),
    OpenApiParameter("sort", str, enum=TASK_SORTS, description="Default created_at."),
    OpenApiParameter("order", str, enum=["asc", "desc"], description="Default desc."),
]
# API names of the task fields, by the model (and form) field they edit.
API_NAMES = {"client": "client_id", "sites": "site_ids", "project": "project_id", "bucket": "bucket_id"}
FORM_NAMES = {api: model for model, api in API_NAMES.items()}


def tasks_for(user):
    """The tasks the user may see, with the stopped time they may see summed in one subquery."""
    tracked = (
        TimeEntry.objects.for_user(user)
        .stopped()
        .filter(task=OuterRef("pk"))
        .order_by()
        .values("task")
        .annotate(total=Sum("duration_seconds"))
        .values("total")
    )
    return (
        Task.objects.for_user(user)
        .annotate(tracked_seconds=Coalesce(Subquery(tracked, output_field=IntegerField()), 0))
        .prefetch_related("sites")
    )


def filter_tasks(request, queryset, *, fixed=()):
    """Apply the /tasks filters; `fixed` names filters the route already decides (e.g. client_id)."""
    names = [name for name in TASK_FILTERS if name not in fixed]
    check_params(request, [*names, "status", "payment_status", "sort", "order"])
    for name in names:
        ids = ids_param(request, name, TASK_FILTERS[name](request.user))
        if ids is None:
            continue
        if name == "site_id":  # many-to-many: a subquery, so a task on two of the sites is listed once
            queryset = queryset.filter(pk__in=Task.sites.through.objects.filter(site__in=ids).values("task"))
        else:
            queryset = queryset.filter(**{name.removesuffix("_id") + "__in": ids})
    if value := choice_param(request, "status", TaskStatus.values):
        queryset = queryset.filter(status=value)
    if value := choice_param(request, "payment_status", PaymentStatus.values):
        queryset = queryset.filter(payment_status=value)
    sort = choice_param(request, "sort", TASK_SORTS, "created_at")
    order = choice_param(request, "order", ("asc", "desc"), "desc")
    prefix = "-" if order == "desc" else ""
    return queryset.order_by(f"{prefix}{sort}", f"{prefix}id")


def task_context(user):
    return {"show_rates": Settings.load().can_see_rates(user)}


def task_response(user, task, status_code=status.HTTP_200_OK):
    fresh = tasks_for(user).get(pk=task.pk)
    return Response(TaskSerializer(fresh, context=task_context(user)).data, status=status_code)


def form_data(task, changes):
    """The task's current values in form terms, overlaid with the API's changes."""
    data = {
        "client": task.client_id,
        "sites": [site.pk for site in task.sites.all()] if task.pk else [],
        "project": task.project_id,
        "bucket": task.bucket_id,
        "title": task.title,
        "description": task.description,
        "billable": task.billable,
        "status": task.status,
        "payment_status": task.payment_status,
    }
    for name, value in changes.items():
        data[FORM_NAMES.get(name, name)] = value
    return {name: "" if value is None else value for name, value in data.items()}


def form_errors(form):
    fields = {API_NAMES.get(name, name): list(messages) for name, messages in form.errors.items()}
    if "__all__" in fields:
        fields["non_field_errors"] = fields.pop("__all__")
    return serializers.ValidationError(fields)


def resolve_assignee(user, changes, current):
    if "assignee_id" not in changes:
        return current
    wanted = changes["assignee_id"]
    if not user.sees_everyone and wanted not in (None, user.pk):
        raise serializers.ValidationError({"assignee_id": ["Staff can only assign tasks to themselves."]})
    if wanted is None:
        return None
    assignee = User.objects.filter(pk=wanted, is_active=True).first()
    if assignee is None or not assignee.has_role:
        raise serializers.ValidationError({"assignee_id": [f"There is no team member with id {wanted}."]})
    return assignee


class TaskListView(ApiGenericView):
    @extend_schema(
        parameters=TASK_PARAMETERS, responses=with_errors({200: TaskSerializer(many=True)}, 400, 404)
    )
    def get(self, request):
        tasks = filter_tasks(request, tasks_for(request.user))
        return self.paginated(tasks, TaskSerializer, **task_context(request.user))

    @extend_schema(request=TaskWriteSerializer, responses=with_errors({201: TaskSerializer}, 400, 415, 422))
    def post(self, request):
        user = request.user
        body = TaskWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = body.validated_data
        assignee = resolve_assignee(user, changes, current=user)
        form = ClientScopedTaskForm(form_data(Task(), changes), user=user)
        if not form.is_valid():
            raise form_errors(form)
        with transaction.atomic():
            task = form.save(commit=False)
            if "billable" not in changes:
                task.billable = Task.billable_default(task.project)
            task.created_by, task.assignee = user, assignee
            if user.is_manager and "hourly_rate" in changes:
                task.hourly_rate = changes["hourly_rate"]
            task.save()
            form.save_m2m()
        return task_response(user, task, status.HTTP_201_CREATED)


class TaskDetailView(ApiGenericView):
    etag = True

    def lock_for_write(self, request, pk):
        # As removing the task does: the people with time on it (and the caller), then the task.
        locks.lock_owners_and_tasks(TimeEntry.objects.filter(task_id=pk), by=request.user)
        locks.lock(tasks=[pk])

    def get_object(self):
        return get_object_or_404(tasks_for(self.request.user), pk=self.kwargs["pk"])

    @extend_schema(responses=with_errors({200: TaskSerializer}, 404))
    def get(self, request, pk):
        return Response(TaskSerializer(self.get_object(), context=task_context(request.user)).data)

    @extend_schema(
        request=TaskPatchSerializer, responses=with_errors({200: TaskSerializer}, 400, 404, 409, 415, 422)
    )
    def patch(self, request, pk):
        user, task = request.user, self.get_object()
        body = TaskPatchSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = body.validated_data
        locked, reason = task.locked_fields(user)
        current = form_data(task, {})
        refused = [
            API_NAMES.get(name, name)
            for name in locked
            if API_NAMES.get(name, name) in changes
            and _differs(current[name], form_data(task, changes)[name])
        ]
        if refused:
            raise Conflict(f"{', '.join(refused)} cannot be changed: {reason}")
        assignee = resolve_assignee(user, changes, current=task.assignee)
        form = TaskEditForm(form_data(task, changes), instance=task, user=user)
        keep_current_choices(form, task, changes)
        if not form.is_valid():
            raise form_errors(form)
        with transaction.atomic():
            task = form.save(commit=False)
            task.assignee = assignee
            if user.is_manager and "hourly_rate" in changes:
                task.hourly_rate = changes["hourly_rate"]
            task.save()
            form.save_m2m()
        return task_response(user, task)

    @extend_schema(responses=with_errors({204: None}, 404, 409))
    def delete(self, request, pk):
        task = self.get_object()
        try:
            entries.remove_task(task, by=request.user)
        except entries.EntryError as problem:
            raise Conflict(str(problem)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


def keep_current_choices(form, task, changes):
    """What the body leaves as it is stays valid, even archived since (a client, its project, sites, bucket):
    the form offers only active ones, which is right for a choice being made, not for one already made."""
    current = {
        "client": Client.objects.filter(pk=task.client_id),
        "project": Project.objects.filter(pk=task.project_id),
        "bucket": Bucket.objects.filter(pk=task.bucket_id),
        "sites": task.sites.all(),
    }
    old = form_data(task, {})
    for name, kept in current.items():
        api_name = API_NAMES[name]
        if api_name not in changes or not _differs(old[name], form_data(task, changes)[name]):
            form.fields[name].queryset = (form.fields[name].queryset | kept).distinct()


def _differs(old, new):
    if isinstance(old, list) or isinstance(new, list):
        return set(old or []) != set(new or [])
    return old != new


# --- timers ---------------------------------------------------------------------------------------


def timer_data(entry):
    return TimerSerializer(entry).data


class TimerActionView(ApiGenericView):
    """Base of start, pause and stop: the task must be visible; the timer is always the caller's own."""

    time_writes = True

    def task_and_entry(self, pk):
        task = get_object_or_404(Task.objects.for_user(self.request.user), pk=pk)
        entry = (
            TimeEntry.objects.running_of(self.request.user)
            .filter(task=task)
            .select_related("task__bucket", "user")
            .first()
        )
        return task, entry

    def running_entry(self, pk):
        _, entry = self.task_and_entry(pk)
        if entry is None:
            raise Conflict("You have no running timer on this task: no running timer on this task to act on.")
        return entry


class TaskStartView(TimerActionView):
    @extend_schema(
        request=TimerStartSerializer,
        responses=with_errors({200: TimerSerializer, 201: TimerSerializer}, 400, 404, 409, 415, 422),
        description="Start a timer (201); a timer of yours running elsewhere is stopped first. "
        "Your paused timer on this task resumes (200).",
    )
    def post(self, request, pk):
        body = TimerStartSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        task, entry = self.task_and_entry(pk)
        try:
            if entry is not None:
                if not entry.is_paused:
                    raise Conflict("Your timer is already running on this task.")
                return Response(timer_data(timer.resume(entry=entry, by=request.user)))
            entry = timer.start(user=request.user, task=task, timer_mode=body.validated_data["timer_mode"])
        except timer.TimerError as problem:
            raise Conflict(str(problem)) from None
        return Response(timer_data(entry), status=status.HTTP_201_CREATED)


class TaskPauseView(TimerActionView):
    @extend_schema(request=None, responses=with_errors({200: TimerSerializer}, 404, 409))
    def post(self, request, pk):
        try:
            entry = timer.pause(entry=self.running_entry(pk), by=request.user)
        except timer.TimerError as problem:
            raise Conflict(str(problem)) from None
        return Response(timer_data(entry))


class TaskStopView(TimerActionView):
    @extend_schema(
        request=None,
        responses=with_errors({200: TimerSerializer}, 404, 409),
        description="Stop and submit; under a minute of work is refused with a 409.",
    )
    def post(self, request, pk):
        try:
            entry = timer.stop(entry=self.running_entry(pk), by=request.user)
        except timer.TimerError as problem:
            raise Conflict(str(problem)) from None
        return Response(timer_data(entry))


def running_for(user):
    return (
        TimeEntry.objects.for_user(user)
        .running_of(None)
        .select_related("task__client", "task__bucket", "user")
        .order_by("started_at", "pk")
    )


class ActiveTimersView(ApiGenericView):
    @extend_schema(responses=with_errors({200: TimerSerializer(many=True)}, 400, 404))
    def get(self, request):
        check_params(request, [])
        return self.paginated(running_for(request.user), TimerSerializer)


class StopAllView(ApiGenericView):
    time_writes = True

    @extend_schema(
        request=None,
        responses={200: StopAllSerializer, **errors()},
        description="Stop every running timer the caller may see (Staff: their own; Managers: everyone's). "
        "Timers under a minute are refused and keep running.",
    )
    def post(self, request):
        stopped, refused = [], []
        for entry in running_for(request.user):
            try:
                stopped.append(timer_data(timer.stop(entry=entry, by=request.user)))
            except timer.TimerError as problem:
                refused.append({"timer": timer_data(entry), "message": str(problem)})
        return Response({"stopped": stopped, "refused": refused})


urlpatterns = [
    path("tasks/<int:pk>/start", TaskStartView.as_view(), name="task-start"),
    path("tasks/<int:pk>/pause", TaskPauseView.as_view(), name="task-pause"),
    path("tasks/<int:pk>/stop", TaskStopView.as_view(), name="task-stop"),
    path("tasks/<int:pk>", TaskDetailView.as_view(), name="task-detail"),
    path("tasks", TaskListView.as_view(), name="task-list"),
    path("timers/active", ActiveTimersView.as_view(), name="timer-active"),
    path("timers/stop-all", StopAllView.as_view(), name="timer-stop-all"),
]
