"""Serializers for /api/v1/time-entries: the entry as the API shows it, the two create forms, edits, notes."""

from datetime import time
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from timetracker.api.error_serializers import ErrorSerializer
from timetracker.lib import dates
from timetracker.lib.durations import MAX_SECONDS, format_duration
from timetracker.tasks import entries

MAX_RATE = Decimal("99999.99")


# --- errors ---------------------------------------------------------------------------------------------


_ERROR_TEXT = {
    400: "Malformed request: an unknown query parameter or filter, a bad value, or an unknown id.",
    401: "No valid API key (or session).",
    403: "The key's user lacks the role or permission for this.",
    404: "No such entry, or not one this key may see.",
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


# --- input ----------------------------------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo is a 422 instead of silently ignored."""

    def validate(self, data):
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return data


def _rate_field(help_text):
    return serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_RATE,
        required=False,
        allow_null=True,
        help_text=help_text,
    )


def _moment_field(help_text):
    return serializers.DateTimeField(required=False, help_text=help_text)


def check_year(moment, field):
    try:
        dates.check_supported(moment, "time")
    except ValueError as error:
        raise serializers.ValidationError({field: [str(error)]}) from None


def check_worked(started_at, ended_at, paused, field):
    """The write path's check of a span (whole minutes, at least one of work), as a field error."""
    try:
        entries.check_span(started_at, ended_at, paused, field=field)
    except entries.EntryError as error:
        raise serializers.ValidationError({error.field or field: [str(error)]}) from None
    return entries.floor_minute(started_at), entries.floor_minute(ended_at)


class TimeEntryCreateSerializer(StrictSerializer):
    """Either started_at + ended_at (Agency OS / Moneybird) or hours + minutes + date (timesheets)."""

    task_id = serializers.IntegerField(min_value=1)
    user_id = serializers.IntegerField(
        min_value=1, required=False, help_text="Whose time; defaults to the key's user."
    )
    started_at = _moment_field("Floored to the minute.")
    ended_at = _moment_field("Floored to the minute.")
    paused_duration = serializers.IntegerField(
        min_value=0, max_value=MAX_SECONDS, required=False, help_text="Seconds of pause inside the interval."
    )
    hours = serializers.IntegerField(min_value=0, max_value=24, required=False)
    minutes = serializers.IntegerField(min_value=0, max_value=59, required=False)
    date = serializers.DateField(required=False, help_text="The day worked; the entry starts at 09:00 local.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    billable = serializers.BooleanField(required=False, help_text="Defaults to the task's setting.")
    hourly_rate = _rate_field("An override for this entry; left out, the rate follows the usual precedence.")

    def validate(self, data):
        data = super().validate(data)
        timesheet = [name for name in ("hours", "minutes", "date") if name in data]
        interval = [name for name in ("started_at", "ended_at", "paused_duration") if name in data]
        if timesheet and interval:
            raise serializers.ValidationError(
                {interval[0]: ["Give either started_at and ended_at, or hours, minutes and date; not both."]}
            )
        if timesheet:
            return self._timesheet(data)
        missing = {
            name: ["This field is required."] for name in ("started_at", "ended_at") if name not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        check_year(data["started_at"], "started_at")
        check_year(data["ended_at"], "ended_at")
        data["paused_duration"] = data.get("paused_duration", 0)
        data["started_at"], data["ended_at"] = check_worked(
            data["started_at"], data["ended_at"], data["paused_duration"], "ended_at"
        )
        return data

    def _timesheet(self, data):
        if "date" not in data:
            raise serializers.ValidationError({"date": ["This field is required with hours and minutes."]})
        try:
            dates.check_supported(data["date"])
        except ValueError as error:
            raise serializers.ValidationError({"date": [str(error)]}) from None
        seconds = data.pop("hours", 0) * 3600 + data.pop("minutes", 0) * 60
        if seconds < 60:
            raise serializers.ValidationError({"minutes": ["At least one minute is needed in total."]})
        if seconds > 24 * 3600:
            raise serializers.ValidationError({"hours": ["A day holds at most 24 hours."]})
        start = dates.local_moment(data.pop("date"), time(9))
        data.update(started_at=start, ended_at=dates.add_elapsed(start, seconds), paused_duration=0)
        return data


class TimeEntryUpdateSerializer(StrictSerializer):
    """Only the fields given change; times are floored again and the entry recomputed."""

    task_id = serializers.IntegerField(min_value=1, required=False)
    started_at = _moment_field("Floored to the minute.")
    ended_at = _moment_field("Floored to the minute.")
    paused_duration = serializers.IntegerField(min_value=0, max_value=MAX_SECONDS, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    billable = serializers.BooleanField(required=False)
    hourly_rate = _rate_field(
        "Set an override; null goes back to the usual precedence. Left out, the rate is kept."
    )

    def validate(self, data):
        data = super().validate(data)
        for name in ("started_at", "ended_at"):
            if name in data:
                check_year(data[name], name)
        return data


class MarkInvoicedSerializer(StrictSerializer):
    reference = serializers.CharField(
        max_length=100, help_text="The number of the outside invoice this time was billed on."
    )

    def validate_reference(self, value):
        if not value.strip():
            raise serializers.ValidationError("Give the reference of the invoice this time was billed on.")
        return value.strip()


class TimeEntryNoteSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    entry_id = serializers.IntegerField(read_only=True)
    author_id = serializers.IntegerField(read_only=True, allow_null=True)
    body = serializers.CharField(max_length=10_000)
    created_at = serializers.DateTimeField(read_only=True)

    def validate_body(self, value):
        if not value.strip():
            raise serializers.ValidationError("A note needs some text.")
        return value.strip()

    def validate(self, data):
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - {"body"})
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return data
