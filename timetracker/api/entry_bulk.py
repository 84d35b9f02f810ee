"""PATCH /api/v1/time-entries/bulk and POST /api/v1/time-entries/bulk-delete: many entries at once, as
solidtime's `PATCH /time-entries` (`ids` + `changes`) and `DELETE /time-entries?ids[]=` give integrators.

Decisions:
- All or nothing, in one transaction. The rows are locked first in the one order (their people and the
  caller, then their tasks and the task they move to, then the entries), so the write path's own locks for
  each entry are taken again at no cost and a bulk request cannot deadlock against a page or the timer.
- Each entry goes through the write path (`entries.change`, `remove_many`), so rounding, rates, totals,
  history and hard stops are the single routes' own; the API's rules of PATCH /time-entries/{id} hold too:
  an invoiced entry is locked, a running one takes only a new description, `hourly_rate` is for Managers.
- A refusal names every refused entry (`ids` in the error, each reason under `fields.ids`), with the status
  the single route gives (409 for an entry's state, 422 for a body the write path refuses); nothing is written.
- Ids the key cannot see (another person's, for Staff) are a 404 naming them, as an unknown id in a body is.
- The delete is a POST (an Idempotency-Key replays it): a DELETE with a body is outside OpenAPI's model.
- Only what makes sense for many entries at once: description, billable, task_id and hourly_rate. Times
  stay with the single PATCH (the same start and end on several entries is no edit anyone means).
"""

from django.db import transaction
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from timetracker.api.base import ApiSchema
from timetracker.api.entry_input import StrictSerializer, rate_field, read
from timetracker.api.entry_serializers import TimeEntrySerializer, error_responses
from timetracker.api.time_entries import TAGS, EntryView, refused
from timetracker.api.work_serializers import TextField, id_field
from timetracker.tasks import entries
from timetracker.tasks.locks import lock, lock_rows
from timetracker.tasks.models import TimeEntry

# Each entry moves its kept totals on its own (no change_many yet): 200 moves take about 11 s on PostgreSQL,
# well inside a worker timeout; 500 took 28 s.
MAX_IDS = 200
LOCKED_CHANGE = "This entry is invoiced, so it can no longer be changed."
LOCKED_DELETE = "This entry is invoiced, so it cannot be deleted."
RUNNING = "This entry is running: stop it first; until then only its description changes."


class BatchRefused(exceptions.APIException):
    """A bulk request refused as a whole: `ids` are the entries at fault (errors.handle puts them in the error
    body), `fields.ids` says why for each."""

    def __init__(self, status_code, message, ids, reasons=None):
        self.status_code = status_code
        self.ids = list(ids)
        super().__init__({"non_field_errors": [message], "ids": reasons or [message]})


def ids_field():
    return serializers.ListField(
        child=id_field(),
        allow_empty=False,
        min_length=1,
        max_length=MAX_IDS,
        help_text=f"The entries, 1 to {MAX_IDS} ids (repeats count once).",
    )


class BulkChangesSerializer(serializers.Serializer):
    """What PATCH /time-entries/{id} takes that makes sense for many entries at once."""

    task_id = id_field(required=False, help_text="Moves every entry to this task (stopped entries only).")
    description = TextField(required=False, allow_blank=True, max_length=10_000)
    billable = serializers.BooleanField(required=False)
    hourly_rate = rate_field(
        "Set an override on every entry (Managers and Admins); null goes back to the usual precedence."
    )

    def to_internal_value(self, data):
        # StrictSerializer's check, for a nested object (which has no initial_data of its own).
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        data = super().to_internal_value(data)
        if not data:
            raise serializers.ValidationError(
                ["Give at least one of description, billable, task_id or hourly_rate."]
            )
        return data


class BulkUpdateSerializer(StrictSerializer):
    """`changes` for every entry of `ids`: all of them change, or none."""

    ids = ids_field()
    changes = BulkChangesSerializer()


class BulkDeleteSerializer(StrictSerializer):
    """The entries to delete: all of them, or none."""

    ids = ids_field()


BulkUpdated = inline_serializer(
    "TimeEntriesUpdated",
    {
        "count": serializers.IntegerField(help_text="How many entries were changed."),
        "results": TimeEntrySerializer(
            many=True, help_text="The entries as they now are, in the order asked."
        ),
    },
)
BulkDeleted = inline_serializer(
    "TimeEntriesDeleted",
    {
        "deleted": serializers.IntegerField(help_text="How many entries were deleted."),
        "ids": serializers.ListField(child=serializers.IntegerField(), help_text="Their ids."),
    },
)


def read_bulk(serializer_class, data):
    """`read`, with the errors inside `changes` and `ids` named by their path (`changes.billable`, `ids.2`):
    the error shape maps names to lists of messages."""
    try:
        return read(serializer_class, data)
    except serializers.ValidationError as error:
        raise serializers.ValidationError(dict(flat(error.detail))) from None


def flat(detail, prefix=""):
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = prefix if key == "non_field_errors" else f"{prefix}.{key}" if prefix else str(key)
            yield from flat(value, name)
    else:
        yield prefix or "non_field_errors", detail


def listed(ids):
    return ", ".join(str(pk) for pk in ids)


def refuse(refusals, status_code, undone="changed"):
    """[(entry id, reason)] as one refusal of the whole batch."""
    first, reason = refusals[0]
    if len(refusals) == 1:
        message = f"Nothing was {undone}. Entry {first}: {reason}"
    else:
        ids = listed(pk for pk, _ in refusals)
        message = (
            f"Nothing was {undone}: entries {ids} were refused (fields.ids says why). Entry {first}: {reason}"
        )
    raise BatchRefused(
        status_code, message, [pk for pk, _ in refusals], [f"{pk}: {why}" for pk, why in refusals]
    )


def status_of(error):
    """The status PATCH /time-entries/{id} gives this refusal of the write path: the body's fault or state."""
    return 422 if isinstance(refused(error), serializers.ValidationError) else 409


class WholeBodySchema(ApiSchema):
    """The bulk PATCH reads its whole body (`ids` and `changes` are required), not DRF's partial one: the
    schema says so instead of drf-spectacular's "Patched" copy with every field optional."""

    def _get_request_for_media_type(self, serializer, direction="request"):
        method, self.method = self.method, "PUT"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = method


class BulkEntryView(EntryView):
    def locked_rows(self, ids, *, task=None):
        """The entries `ids` as the caller may see them, locked in the one order with their people, the caller
        and their tasks (and `task`, where they move to), in the order asked. Call inside a transaction."""
        visible = TimeEntry.objects.for_user(self.request.user).filter(pk__in=ids)
        found = set(visible.values_list("pk", flat=True))
        unseen = [pk for pk in ids if pk not in found]
        if unseen:
            which = (
                f"is no time entry {unseen[0]}"
                if len(unseen) == 1
                else f"are no time entries {listed(unseen)}"
            )
            raise BatchRefused(404, f"There {which} that you can see; nothing was written.", unseen)
        users = set(visible.order_by().values_list("user_id", flat=True).distinct())
        tasks = set(visible.order_by().values_list("task_id", flat=True).distinct())
        lock(users=users | {self.request.user}, tasks=tasks | {task})
        # Only entries still on the tasks now held: one moved or deleted meanwhile is not this writer's.
        held = set(lock_rows(visible.filter(task_id__in=tasks)))
        moved = [pk for pk in ids if pk not in held]
        if moved:
            raise BatchRefused(
                409, f"Entries {listed(moved)} changed meanwhile; nothing was written, try again.", moved
            )
        rows = TimeEntry.objects.filter(pk__in=ids).select_related("task", "invoice_line")
        by_id = {row.pk: row for row in rows}
        return [by_id[pk] for pk in ids]


class TimeEntryBulkView(BulkEntryView):
    schema = WholeBodySchema()

    @extend_schema(
        tags=TAGS,
        summary="Change many time entries",
        description=(
            f"`changes` (description, billable, task_id, hourly_rate) applied to every entry of `ids` (1 to "
            f"{MAX_IDS}), all or nothing, each by the rules of PATCH /time-entries/{{id}}: invoiced entries are "
            "locked and a running one takes only a description (409), `hourly_rate` is for Managers and Admins "
            "(403). A refusal names the entries (`ids`) and leaves every one as it was; ids you cannot see are "
            "a 404 naming them."
        ),
        request=BulkUpdateSerializer,
        responses={200: BulkUpdated, **error_responses(400, 401, 403, 404, 409, 422)},
    )
    def patch(self, request):
        data = read_bulk(BulkUpdateSerializer, request.data)
        ids, changes = list(dict.fromkeys(data["ids"])), data["changes"]
        self.refuse_rate_change(changes)
        fields = {
            name: changes[name] for name in ("description", "billable", "hourly_rate") if name in changes
        }
        with transaction.atomic():
            target = self.visible_task(changes["task_id"]) if "task_id" in changes else None
            rows = self.locked_rows(ids, task=target)
            # The entries' state first, as the single PATCH checks it before the body: nothing is tried.
            only_description = not set(changes) - {"description"}
            states = [
                (row.pk, LOCKED_CHANGE if row.is_invoiced else RUNNING)
                for row in rows
                if row.is_invoiced or (row.is_running and not only_description)
            ]
            if states:
                refuse(states, 409)
            failures = []
            for row in rows:
                moved = {"task": target} if target is not None and target.pk != row.task_id else {}
                try:
                    entries.change(row, by=request.user, **fields, **moved)  # a savepoint each
                except entries.EntryError as error:
                    failures.append((row.pk, error))
            if failures:  # every one named; raising rolls back the ones that went through
                worst = max(status_of(error) for _, error in failures)
                refuse([(pk, str(error)) for pk, error in failures], worst)
        shown = self.entries().filter(pk__in=ids)
        by_id = {row.pk: row for row in shown}
        return Response({"count": len(ids), "results": self.show([by_id[pk] for pk in ids], many=True)})


class TimeEntryBulkDeleteView(BulkEntryView):
    @extend_schema(
        tags=TAGS,
        summary="Delete many time entries",
        description=(
            f"Deletes every entry of `ids` (1 to {MAX_IDS}; a running one is discarded), all or nothing: an "
            "invoiced one refuses the whole batch (409 naming it), ids you cannot see are a 404 naming them. "
            "A POST, so an Idempotency-Key replays it."
        ),
        request=BulkDeleteSerializer,
        responses={200: BulkDeleted, **error_responses(400, 401, 403, 404, 409, 422)},
    )
    def post(self, request):
        ids = list(dict.fromkeys(read_bulk(BulkDeleteSerializer, request.data)["ids"]))
        with transaction.atomic():
            rows = self.locked_rows(ids)
            invoiced = [(row.pk, LOCKED_DELETE) for row in rows if row.is_invoiced]
            if invoiced:
                refuse(invoiced, 409, "deleted")
            # remove_many locks the same rows again (held already) and writes a history row for each.
            deleted = entries.remove_many(
                TimeEntry.objects.filter(pk__in=ids), by=request.user, reason="Deleted in bulk (API)"
            )
        return Response({"deleted": deleted, "ids": ids})


urlpatterns = [
    path("time-entries/bulk", TimeEntryBulkView.as_view(), name="time-entries-bulk"),
    path("time-entries/bulk-delete", TimeEntryBulkDeleteView.as_view(), name="time-entries-bulk-delete"),
]
