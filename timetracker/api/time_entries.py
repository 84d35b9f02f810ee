"""/api/v1/time-entries: list, create, read, edit and delete time; unbilled time, mark invoiced (notes:
entry_notes.py; exports: entry_exports.py; stop/restart/duplicate: entry_actions.py).

Decisions:
- Staff keys see and change only their own entries; another user's entry is a 404.
- A running entry may only have its description changed (anything else is a 409 "stop it first").
- An invoiced entry (on our invoice or marked invoiced elsewhere) cannot be edited or deleted: 409.
- Setting `hourly_rate` (an entry override) is for Managers and Admins (403 otherwise): Staff could otherwise
  price their own time onto invoices. Creating for another user is 403 for Staff.
- `duration_seconds` of a running entry is the time so far.
- Bodies come in each seed's dialect (entry_input.py tells them apart by their fields) and name a task, or a
  project or client whose default task is used (tasks/default_tasks.py); one the key cannot see is a 404.
- Marking invoiced takes an optional body and is undone by DELETE (time billed elsewhere only).
- A create without `ended_at` starts the timer (tasks/timer.py), for the key's own user only.
"""

import zoneinfo
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from timetracker.accounts.models import User
from timetracker.api import entry_filters
from timetracker.api.base import ApiView
from timetracker.api.directory_serializers import hours
from timetracker.api.entry_input import (
    CREATE_BODY,
    MarkInvoicedSerializer,
    TimeEntryCreateSerializer,
    TimeEntryUpdateSerializer,
    check_worked,
    read,
)
from timetracker.api.entry_serializers import (
    TimeEntrySerializer,
    UnbilledEntrySerializer,
    error_responses,
)
from timetracker.api.entry_tasks import task_for
from timetracker.api.errors import Conflict
from timetracker.api.pagination import CURSOR_PARAMETERS, KeysetPagination, PerPagePagination
from timetracker.api.parsers import unwrap
from timetracker.api.permissions import HasRole, IsManager
from timetracker.billing import invoicing
from timetracker.billing.models import Settings
from timetracker.lib import dates
from timetracker.tasks import entries, locks, timer
from timetracker.tasks.choices import EntrySource
from timetracker.tasks.models import Task, TaskTotal, TimeEntry

TAGS = ["time-entries"]
ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description="The entry's id."
)
PAGE_PARAMETERS = [
    OpenApiParameter(
        "page", {"type": "integer", "minimum": 1}, OpenApiParameter.QUERY, description="Page number."
    ),
    OpenApiParameter(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": 100},
        OpenApiParameter.QUERY,
        description="1 to 100.",
    ),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": 100},
        OpenApiParameter.QUERY,
        description="Alias of per_page.",
    ),
]


class EntryView(ApiView):
    pagination_class = PerPagePagination
    time_writes = True  # a time-only key writes here (MarkInvoicedView, billing, says otherwise)

    def dispatch(self, request, *args, **kwargs):
        # Dates in filters and bodies are the user's local days; restore whatever was active afterwards.
        with timezone.override(None):
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        try:
            timezone.activate(zoneinfo.ZoneInfo(request.user.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            timezone.deactivate()

    def agency_settings(self):
        if not hasattr(self, "_settings"):
            self._settings = Settings.load()
        return self._settings

    def can_see_rates(self):
        return self.agency_settings().can_see_rates(self.request.user)

    def show(self, entries, many=False, serializer=TimeEntrySerializer):
        return serializer(entries, many=many, context={"can_see_rates": self.can_see_rates()}).data

    def body(self, serializer_class):
        """The body as `serializer_class` reads it: JSON or form, inside Moneybird's `time_entry` or not."""
        return read(serializer_class, unwrap(self.request.data, "time_entry"))

    def entries(self):
        return TimeEntry.objects.for_user(self.request.user).select_related("task", "invoice_line")

    def get_entry(self, pk, *, lock=False):
        entries = TimeEntry.objects.for_user(self.request.user)
        entries = entries.select_for_update() if lock else entries.select_related("task", "invoice_line")
        entry = entries.filter(pk=pk).first()
        if entry is None:
            raise exceptions.NotFound(f"There is no time entry {pk} that you can see.")
        return entry

    def visible_task(self, pk):
        task = Task.objects.for_user(self.request.user).filter(pk=pk).first()
        if task is None:
            raise exceptions.NotFound(f"There is no task {pk} that you can see.")
        return Task.objects.select_related("client", "project", "bucket").get(pk=task.pk)

    def refuse_rate_change(self, data):
        if "hourly_rate" in data and not self.request.user.is_manager:
            raise exceptions.PermissionDenied("Only Managers and Admins may set an entry's hourly rate.")

    def page_of(self, queryset, count=None):
        """(paginator, rows); `count`: the matches, when known from the kept totals (KeysetPagination only)."""
        paginator = self.pagination_class()
        known = {"count": count} if count is not None else {}
        return paginator, paginator.paginate_queryset(queryset, self.request, view=self, **known)

    def paginate(self, queryset, extra=None, count=None, serializer=TimeEntrySerializer):
        paginator, page = self.page_of(queryset, count)
        response = paginator.get_paginated_response(self.show(page, many=True, serializer=serializer))
        response.data.update(extra or {})
        return response


def refused(error):
    """The write path's refusals as API errors: bad times are the body's fault (422), the rest is state (409)."""
    if isinstance(error, entries.TooShort) or (error.field and not isinstance(error, entries.BucketUsedUp)):
        return serializers.ValidationError({error.field or "ended_at": [str(error)]})
    return Conflict(str(error))


class TimeEntryListView(EntryView):
    pagination_class = KeysetPagination

    @extend_schema(
        tags=TAGS,
        summary="List time entries",
        description="Running entries are left out unless include_active=true or status=running.",
        parameters=entry_filters.LIST_PARAMETERS,
        responses={200: TimeEntrySerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        params, user = request.query_params, request.user
        listed = entry_filters.apply(self.entries(), params, user=user)
        # Counted from the kept totals when the filters allow: a COUNT over a million entries is a scan.
        kept = entry_filters.kept(TaskTotal.objects.for_user(user), params, user=user)
        count = None if kept is None else kept.aggregate(n=Sum("entries", default=0))["n"]
        return self.paginate(listed, count=count)

    @extend_schema(
        tags=TAGS,
        summary="Record time",
        description=(
            "Either `started_at` + `ended_at` (floored to whole minutes, at least a minute of work) or "
            "`hours` + `minutes` + `date` (starting 09:00 local). The rate is snapshotted unless "
            "`hourly_rate` overrides it. Without `ended_at`, a timer starts at `started_at` (now or earlier) "
            "for the key's own user, as POST /tasks/{id}/start does: a running timer is stopped first (409 "
            "if it started after `started_at`)."
        ),
        request=CREATE_BODY,
        responses={201: TimeEntrySerializer, **error_responses(400, 401, 403, 404, 409, 422)},
    )
    def post(self, request):
        data = self.body(TimeEntryCreateSerializer)
        caller = request.user
        user = caller
        if data.get("user_id", caller.pk) != caller.pk:
            if not caller.sees_everyone:
                raise exceptions.PermissionDenied("Staff may record time only for themselves.")
            user = User.objects.filter(pk=data["user_id"], is_active=True).first()
            if user is None or not user.has_role:
                raise serializers.ValidationError({"user_id": ["Unknown user."]})
        self.refuse_rate_change(data)
        if data.get("timer") and user != caller:
            raise serializers.ValidationError(
                {
                    "ended_at": [
                        "A timer runs only for the key's own user: give ended_at to record someone's time."
                    ]
                }
            )
        # One transaction: a default task made for an entry the write path then refuses is not kept.
        with transaction.atomic():
            task = task_for(caller, data)
            if data.get("timer"):
                return Response(self.show(start_timer(caller, task, data)), status=status.HTTP_201_CREATED)
            try:
                entry = entries.record(
                    task=task,
                    user=user,
                    by=caller,
                    started_at=data["started_at"],
                    ended_at=data["ended_at"],
                    paused_seconds=data["paused_duration"],
                    description=data.get("description", ""),
                    billable=data.get("billable"),
                    hourly_rate=data.get("hourly_rate"),
                    source=EntrySource.API,
                )
            except entries.EntryError as error:
                raise refused(error) from None
        return Response(self.show(entry), status=status.HTTP_201_CREATED)


def start_timer(user, task, data):
    """A create without an end: the page's timer (tasks/timer.py), started at `started_at`."""
    running = timer.running_entry(user)
    if running and running.started_at > data["started_at"]:
        raise Conflict(
            f"Your timer on {running.task.title} started after this started_at; stop it first or start later."
        )
    try:
        entry = timer.start(
            user=user, task=task, description=data.get("description", ""), now=data["started_at"]
        )
        if data.get("billable", entry.billable) != entry.billable:
            entry = entries.change(entry, by=user, billable=data["billable"])
    except entries.EntryError as error:
        raise refused(error) from None
    return TimeEntry.objects.select_related("task", "invoice_line").get(pk=entry.pk)


class TimeEntryDetailView(EntryView):
    etag = True
    etag_volatile = ("duration_seconds", "time_readable")  # a running entry's time so far

    def lock_for_write(self, request, pk):
        locks.lock_entries(TimeEntry.objects.filter(pk=pk), by=request.user)  # its user, task, then it

    @extend_schema(
        tags=TAGS,
        summary="One time entry",
        parameters=[ID],
        responses={200: TimeEntrySerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk):
        return Response(self.show(self.get_entry(pk)))

    @extend_schema(
        tags=TAGS,
        summary="Change a time entry",
        description=(
            "Only the fields given change. Times are floored to minutes and the entry recomputed; the rate "
            "is kept unless `hourly_rate` is given (or the task changes). Invoiced entries are locked (409); "
            "a running entry takes only a new description (409 otherwise)."
        ),
        parameters=[ID],
        request=TimeEntryUpdateSerializer,
        responses={200: TimeEntrySerializer, **error_responses(400, 401, 403, 404, 409, 422)},
    )
    def patch(self, request, pk):
        data = self.body(TimeEntryUpdateSerializer)
        entry = self.get_entry(pk)
        if entry.is_invoiced:  # before any check of the body: the entry is locked whatever it says
            raise Conflict("This entry is invoiced, so it can no longer be changed.")
        if entry.is_running and set(data) - {"description"}:
            raise Conflict("This entry is running: stop it first; until then only its description changes.")
        self.refuse_rate_change(data)
        changes = {
            name: data[name] for name in ("started_at", "ended_at", "billable", "description") if name in data
        }
        if "paused_duration" in data:
            changes["paused_seconds"] = data["paused_duration"]
        if "hourly_rate" in data:
            changes["hourly_rate"] = data["hourly_rate"]
        if "task_id" in data and data["task_id"] != entry.task_id:
            changes["task"] = self.visible_task(data["task_id"])
        if "worked_seconds" in data:  # hours + minutes: the same start, the end where that much work ends
            worked = data["worked_seconds"] + entry.paused_seconds
            changes["ended_at"] = dates.add_elapsed(entry.started_at, worked)
        if not entry.is_running:
            started_at, ended_at = (
                changes.get("started_at", entry.started_at),
                changes.get("ended_at", entry.ended_at),
            )
            paused = changes.get("paused_seconds", entry.paused_seconds)
            sent = ("ended_at", "started_at", "paused_duration", "worked_seconds")
            field = next((n for n in sent if n in data), "ended_at").replace("worked_seconds", "hours")
            check_worked(started_at, ended_at, paused, field)
        try:
            entries.change(entry, by=request.user, **changes)
        except entries.EntryError as error:
            raise refused(error) from None
        return Response(self.show(self.get_entry(pk)))

    @extend_schema(
        tags=TAGS,
        summary="Delete a time entry",
        description="Invoiced entries cannot be deleted (409).",
        parameters=[ID],
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request, pk):
        entry = self.get_entry(pk)
        try:
            entries.remove(entry, by=request.user)  # a running timer too: the task's status follows
        except entries.Locked:
            raise Conflict("This entry is invoiced, so it cannot be deleted.") from None
        except entries.Gone as error:
            raise exceptions.NotFound(str(error)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


UnbilledSerializer = inline_serializer(
    "UnbilledTimeEntries",
    {
        "count": serializers.IntegerField(
            allow_null=True, help_text="All matches; null when a cursor or count=false is used."
        ),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "next_cursor": serializers.CharField(
            allow_null=True, help_text="Pass as `cursor` for the rows after these; null on the last page."
        ),
        "results": UnbilledEntrySerializer(many=True),
        "total_hours": serializers.DecimalField(
            max_digits=12, decimal_places=2, help_text="Rounded hours of all matching entries."
        ),
        "total_amount": serializers.DecimalField(
            max_digits=14, decimal_places=2, allow_null=True, help_text="Null when rates are hidden."
        ),
        "currency_code": serializers.CharField(),
    },
)


class UnbilledView(EntryView):
    pagination_class = KeysetPagination

    @extend_schema(
        tags=TAGS,
        summary="Unbilled time",
        description="Billable, stopped, not invoiced entries, with the totals of all of them (not just the page).",
        parameters=[
            *[p for p in entry_filters.ID_PARAMETERS if p.name != "task_id"],
            *PAGE_PARAMETERS,
            *CURSOR_PARAMETERS,
        ],
        responses={200: UnbilledSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request):
        entry_filters.refuse_unknown(request.query_params, entry_filters.UNBILLED_NAMES)
        entries = entry_filters.scope_ids(
            self.entries().unbilled_billable(), request.query_params, request.user
        )
        # The figures of every unbilled entry, from the kept totals (unbilled_*), not from the entries.
        kept = entry_filters.scope_ids(
            TaskTotal.objects.for_user(request.user), request.query_params, request.user
        )
        totals = kept.aggregate(
            count=Sum("unbilled_entries", default=0),
            rounded=Sum("unbilled_seconds", default=0),
            amount=Sum("unbilled_amount", default=Decimal("0")),
        )
        totals["amount"] = Decimal(totals["amount"]).quantize(Decimal("0.01"))
        extra = {
            "total_hours": hours(totals["rounded"]),
            "total_amount": str(totals["amount"]) if self.can_see_rates() else None,
            "currency_code": self.agency_settings().currency_code,
        }
        rows = entries.select_related("task__project").order_by("started_at", "pk")
        return self.paginate(rows, extra, count=totals["count"], serializer=UnbilledEntrySerializer)


class MarkInvoicedView(EntryView):
    permission_classes = [HasRole, IsManager]
    time_writes = False  # billing, not time

    @extend_schema(
        tags=TAGS,
        summary="Mark as invoiced elsewhere",
        description=(
            "Lock the entry as billed on an invoice made outside the app. The body is optional: "
            "`reference` (the outside invoice's number) and/or `invoice_id` (its id there). "
            "Managers and Admins only; DELETE undoes it."
        ),
        parameters=[ID],
        request=MarkInvoicedSerializer,
        responses={200: TimeEntrySerializer, **error_responses(400, 401, 403, 404, 409, 422)},
    )
    def put(self, request, pk):
        form = MarkInvoicedSerializer(data=unwrap(request.data, "time_entry"))
        form.is_valid(raise_exception=True)
        entry = self.get_entry(pk)
        if entry.is_invoiced:
            raise Conflict("This entry is already invoiced.")
        try:
            invoicing.mark_invoiced([entry], reference=form.reference_text(), by=request.user)
        except invoicing.InvoicingError as error:
            raise Conflict(str(error)) from None
        return Response(self.show(self.get_entry(pk)))

    @extend_schema(
        tags=TAGS,
        summary="Undo mark as invoiced",
        description=(
            "The entry is unbilled again. Only time marked as invoiced elsewhere: time on one of our "
            "invoices comes off by voiding its line or canceling the invoice (409 here)."
        ),
        parameters=[ID],
        request=None,
        responses={200: TimeEntrySerializer, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request, pk):
        entry = self.get_entry(pk)
        if entry.invoice_line_id:
            raise Conflict(
                f"This entry is on invoice {entry.invoice_line.invoice_id}; void its line or cancel that invoice."
            )
        try:
            invoicing.unmark_invoiced([entry], by=request.user)
        except invoicing.InvoicingError:
            raise Conflict("This entry is not marked as invoiced elsewhere.") from None
        return Response(self.show(self.get_entry(pk)))


urlpatterns = [
    path("time-entries/unbilled", UnbilledView.as_view(), name="time-entry-unbilled"),
    path("time-entries/<int:pk>/mark-invoiced", MarkInvoicedView.as_view(), name="time-entry-mark-invoiced"),
    path("time-entries/<int:pk>", TimeEntryDetailView.as_view(), name="time-entry-detail"),
    path("time-entries", TimeEntryListView.as_view(), name="time-entries"),
]
