"""/api/v1/time-entries/{id}/stop, /restart and /duplicate: the per-entry actions Kimai gives integrators.

They go through the same functions as the timer on the pages (tasks/timer.py) and the write path: stopping
floors, rounds and refuses under a minute; restarting stops whatever timer of yours runs, as starting does."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from timetracker.api.entry_serializers import TimeEntrySerializer, error_responses
from timetracker.api.errors import Conflict
from timetracker.api.time_entries import ID, TAGS, EntryView, refused
from timetracker.tasks import entries, timer
from timetracker.tasks.choices import EntrySource, RateSource


def action(summary, description, success=200):
    return extend_schema(
        tags=TAGS,
        summary=summary,
        description=description,
        parameters=[ID],
        request=None,
        responses={success: TimeEntrySerializer, **error_responses(401, 403, 404, 409)},
    )


class EntryStopView(EntryView):
    @action("Stop a running entry", "Stop and submit it, as the timer's Stop does; under a minute is a 409.")
    def post(self, request, pk):
        entry = self.get_entry(pk)
        if not entry.is_running:
            raise Conflict("This entry is not running.")
        try:
            timer.stop(entry=entry, by=request.user)
        except timer.TimerError as error:
            raise Conflict(str(error)) from None
        return Response(self.show(self.get_entry(pk)))


class EntryRestartView(EntryView):
    @action(
        "Start a timer like this entry",
        "A new running entry of yours on the same task with the same description; a timer of yours running "
        "elsewhere is stopped first.",
        201,
    )
    def post(self, request, pk):
        source = self.get_entry(pk)
        try:
            entry = timer.start(user=request.user, task=source.task, description=source.description)
        except timer.TimerError as error:
            raise Conflict(str(error)) from None
        return Response(self.show(self.get_entry(entry.pk)), status=status.HTTP_201_CREATED)


class EntryDuplicateView(EntryView):
    @action(
        "Duplicate a stopped entry",
        "The same work again (task, person, times, pause, description, billable, a rate override) as a new, "
        "unbilled entry; the rate otherwise follows the usual precedence as of now.",
        201,
    )
    def post(self, request, pk):
        source = self.get_entry(pk)
        if source.is_running:
            raise Conflict("This entry is running: stop it first.")
        override = source.hourly_rate if source.rate_source == RateSource.ENTRY else None
        try:
            entry = entries.record(
                task=source.task,
                user=source.user,
                by=request.user,
                started_at=source.started_at,
                ended_at=source.ended_at,
                paused_seconds=source.paused_seconds,
                billable=source.billable,
                description=source.description,
                hourly_rate=override,
                source=EntrySource.API,
            )
        except entries.EntryError as error:
            raise refused(error) from None
        return Response(self.show(self.get_entry(entry.pk)), status=status.HTTP_201_CREATED)


urlpatterns = [
    path("time-entries/<int:pk>/stop", EntryStopView.as_view(), name="time-entry-stop"),
    path("time-entries/<int:pk>/restart", EntryRestartView.as_view(), name="time-entry-restart"),
    path("time-entries/<int:pk>/duplicate", EntryDuplicateView.as_view(), name="time-entry-duplicate"),
]
