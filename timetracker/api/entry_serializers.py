"""Serializers for /api/v1/time-entries: the entry as the API shows it (what it reads is in entry_input.py)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from timetracker.api.directory_serializers import hours
from timetracker.api.error_serializers import ErrorSerializer
from timetracker.lib import dates
from timetracker.lib.durations import format_duration

# --- errors ---------------------------------------------------------------------------------------------


_ERROR_TEXT = {
    400: "Malformed request: an unknown query parameter or filter, a bad value, or an unknown id.",
    401: "No valid API key (or session).",
    403: "The key's user lacks the role or permission for this.",
    404: "No such entry (or task, project, client), or not one this key may see.",
    409: "The entry's state forbids this (invoiced, running, or a used-up bucket).",
    422: "The request body is invalid; `fields` names what is wrong.",
}


def error_responses(*codes):
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[code]) for code in codes}


# --- the entry as shown ---------------------------------------------------------------------------------


class TimeEntryBillingSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["not_invoiced", "invoiced"])
    invoice_id = serializers.IntegerField(
        allow_null=True, help_text="Our invoice; null when not invoiced or billed outside the app."
    )


class TimeEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    task_id = serializers.IntegerField()
    project_id = serializers.IntegerField(source="task.project_id", allow_null=True)
    client_id = serializers.IntegerField(source="task.client_id")
    user_id = serializers.IntegerField()
    recorded_by_id = serializers.IntegerField(allow_null=True)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    paused_duration = serializers.IntegerField(source="paused_seconds", help_text="Seconds paused.")
    duration_seconds = serializers.SerializerMethodField(
        help_text="Worked seconds (end - start - paused); for a running entry, so far."
    )
    rounded_seconds = serializers.IntegerField(help_text="The billable quantity after rounding.")
    time_readable = serializers.SerializerMethodField(help_text='duration_seconds as "1h 30m".')
    status = serializers.SerializerMethodField()
    billable = serializers.BooleanField()
    hourly_rate = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True, help_text="Null when the key may not see rates."
    )
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Null when unrated or rates are hidden."
    )
    description = serializers.CharField()
    billing = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField(help_text="Last change; see updated_since for incremental sync.")

    @extend_schema_field(OpenApiTypes.INT)
    def get_duration_seconds(self, entry):
        return entry.elapsed_seconds() if entry.is_running else entry.duration_seconds

    @extend_schema_field(OpenApiTypes.STR)
    def get_time_readable(self, entry):
        return format_duration(self.get_duration_seconds(entry))

    @extend_schema_field(serializers.ChoiceField(choices=["running", "stopped"]))
    def get_status(self, entry):
        return "running" if entry.is_running else "stopped"

    @extend_schema_field(TimeEntryBillingSerializer)
    def get_billing(self, entry):
        return {
            "status": "invoiced" if entry.is_invoiced else "not_invoiced",
            "invoice_id": entry.invoice_line.invoice_id if entry.invoice_line_id else None,
        }

    def to_representation(self, entry):
        data = super().to_representation(entry)
        if not self.context.get("can_see_rates"):
            data["hourly_rate"] = data["amount"] = None
        return data


class UnbilledEntrySerializer(TimeEntrySerializer):
    """An unbilled row, with the names Agency OS lists it by (the view selects task__project)."""

    project_name = serializers.CharField(source="task.project.name", allow_null=True, default=None)
    task_name = serializers.CharField(source="task.title")
    date = serializers.SerializerMethodField(help_text="The local day the work started.")
    hours = serializers.SerializerMethodField(help_text='Rounded hours, two decimals ("1.50").')

    @extend_schema_field(OpenApiTypes.DATE)
    def get_date(self, entry):
        return dates.localdate(entry.started_at).isoformat()

    @extend_schema_field(OpenApiTypes.STR)
    def get_hours(self, entry):
        return hours(entry.rounded_seconds)


class TimeEntryNoteSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    entry_id = serializers.IntegerField(read_only=True)
    author_id = serializers.IntegerField(read_only=True, allow_null=True)
    body = serializers.CharField(max_length=10_000)
    todo = serializers.BooleanField(read_only=True, help_text="A to-do, open until done_at is set.")
    assignee_id = serializers.IntegerField(read_only=True, allow_null=True, help_text="Who the to-do is for.")
    done_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="When the to-do was done.")
    created_at = serializers.DateTimeField(read_only=True)
