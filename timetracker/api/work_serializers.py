"""Task and timer JSON for /tasks and /timers."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from timetracker.billing.choices import PaymentStatus
from timetracker.lib.durations import format_duration
from timetracker.tasks.choices import TaskStatus, TimerMode

# Ids beyond a 64-bit integer are refused as invalid input rather than handed to the database.
MAX_ID = 2**63 - 1


def choice_field(choices, **kwargs):
    """A choice field documented inline, so enum names never collide with other modules' "status"."""

    @extend_schema_field({"type": "string", "enum": list(choices.values)})
    class Field(serializers.ChoiceField):
        pass

    return Field(choices=choices.choices, **kwargs)


def id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# The input fields every API body uses, as strict as the schema says: DRF takes 0 for a text ("0") and "" for a
# null number on nullable fields; a script that sends either has a bug worth a 422. Form bodies send strings.


class TextField(serializers.CharField):
    """Text only."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class EmailField(TextField, serializers.EmailField):
    pass


class URLField(TextField, serializers.URLField):
    pass


class NumberField(serializers.DecimalField):
    """A decimal; an empty string is not one (null is, where allowed)."""

    def validate_empty_values(self, data):
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")
        return super().validate_empty_values(data)


class TaskSerializer(serializers.Serializer):
    """A task as the API shows it; hourly_rate is null when the caller may not see rates."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    client_id = serializers.IntegerField()
    project_id = serializers.IntegerField(allow_null=True)
    site_ids = serializers.SerializerMethodField()
    bucket_id = serializers.IntegerField(allow_null=True)
    assignee_id = serializers.IntegerField(allow_null=True)
    status = choice_field(TaskStatus)
    payment_status = choice_field(PaymentStatus)
    billable = serializers.BooleanField()
    hourly_rate = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    tracked_seconds = serializers.IntegerField(help_text="Stopped time on the task the caller may see.")
    time_readable = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_site_ids(self, task):
        return sorted(site.pk for site in task.sites.all())

    @extend_schema_field(serializers.CharField())
    def get_time_readable(self, task):
        return format_duration(int(task.tracked_seconds))

    def to_representation(self, task):
        data = super().to_representation(task)
        if not self.context.get("show_rates"):
            data["hourly_rate"] = None
        return data


class TaskWriteSerializer(serializers.Serializer):
    """POST creates with these; PATCH changes only what it is given."""

    title = TextField(max_length=200)
    description = TextField(required=False, allow_blank=True)
    client_id = id_field()
    project_id = id_field(required=False, allow_null=True)
    site_ids = serializers.ListField(child=id_field(), required=False, max_length=1000)
    bucket_id = id_field(required=False, allow_null=True)
    billable = serializers.BooleanField(required=False)
    hourly_rate = NumberField(
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Managers only; ignored for Staff.",
    )
    assignee_id = id_field(
        required=False, allow_null=True, help_text="Defaults to the caller; Staff can only assign themselves."
    )


class TaskPatchSerializer(TaskWriteSerializer):
    status = choice_field(TaskStatus, required=False)
    payment_status = choice_field(PaymentStatus, required=False)


class TimerStartSerializer(serializers.Serializer):
    timer_mode = choice_field(TimerMode, required=False, default=TimerMode.UP)


class TimerUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class TimerTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    client_id = serializers.IntegerField()


class TimerSerializer(serializers.Serializer):
    """A timer entry: running (ended_at null) or just stopped."""

    id = serializers.IntegerField()
    task = TimerTaskSerializer()
    user = TimerUserSerializer()
    timer_mode = choice_field(TimerMode)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    paused = serializers.BooleanField(source="is_paused")
    paused_seconds = serializers.IntegerField()
    seconds = serializers.SerializerMethodField(help_text="Worked seconds so far, pauses excluded.")
    duration_seconds = serializers.IntegerField(help_text="Final duration once stopped, else 0.")
    time_readable = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField())
    def get_seconds(self, entry):
        return entry.elapsed_seconds()

    @extend_schema_field(serializers.CharField())
    def get_time_readable(self, entry):
        return format_duration(entry.elapsed_seconds())


class RefusedTimerSerializer(serializers.Serializer):
    timer = TimerSerializer()
    message = serializers.CharField()


class StopAllSerializer(serializers.Serializer):
    stopped = TimerSerializer(many=True)
    refused = RefusedTimerSerializer(many=True)
