"""What POST and PATCH /api/v1/time-entries read: our names and each seed's, in one place.

The dialects are told apart by the fields of the body, nothing else (no header, no route):
- the interval form: `started_at` + `ended_at` (Agency OS's `start_time` + `end_time`), `paused_duration`
  (Moneybird's seconds, floored to whole minutes like the times);
- the timesheets form: `hours` (decimal) + `minutes` + `date` (the Timesheets API's `timer_created`). On PATCH
  this form only sets the worked time: the entry's task, day and person are fixed there, as in that API, so
  `task_id`, `user_id`, `date` or times next to `hours`/`minutes` are a 422. A PATCH without them is ours and
  may move the entry to another task.
The task is `task_id`, or for a body naming only a project (`project_id`) or client (`client_id`, Moneybird's
`contact_id`) the default task of that project or client, created on first use (see tasks/default_tasks.py).
"""

from datetime import datetime, time
from decimal import ROUND_FLOOR, Decimal

from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from timetracker.api.work_serializers import NumberField, TextField, id_field
from timetracker.lib import dates
from timetracker.lib.durations import MAX_SECONDS
from timetracker.tasks import entries

MAX_RATE = Decimal("99999.99")
MAX_HOURS = 24
# The seeds' names for our fields.
ALIASES = {
    "start_time": "started_at",  # Agency OS
    "end_time": "ended_at",
    "timer_created": "date",  # Timesheets
    "contact_id": "client_id",  # Moneybird
}
INTERVAL = ("started_at", "ended_at", "paused_duration")
TIMESHEET = ("hours", "minutes", "date")


def read(serializer_class, data, **kwargs):
    """Validate `data` after renaming the seeds' names to ours; errors name the field as it was sent."""
    if not isinstance(data, dict):
        raise serializers.ValidationError(["Send an object of fields and values."])
    sent, clashes = dict(data), {}
    used = {}
    for alias, name in ALIASES.items():
        if alias in sent and name in serializer_class._declared_fields:
            if name in sent:
                clashes[alias] = [f"Give {name} or {alias}, not both."]
            else:
                sent[name] = sent.pop(alias)
                used[name] = alias
    if clashes:
        raise serializers.ValidationError(clashes)
    form = serializer_class(data=sent, **kwargs)
    if not form.is_valid():
        raise serializers.ValidationError({used.get(k, k): v for k, v in form.errors.items()})
    return form.validated_data


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo is a 422 instead of silently ignored."""

    def validate(self, data):
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return data


@extend_schema_field({"type": "string", "format": "date"})
class DayField(serializers.DateField):
    """A date (YYYY-MM-DD), or a moment whose start then counts (the Timesheets API's `timer_created`)."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError as error:
            try:
                return serializers.DateTimeField().to_internal_value(value)
            except serializers.ValidationError:
                raise error from None


def rate_field(help_text):
    return NumberField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_RATE,
        required=False,
        allow_null=True,
        help_text=help_text,
    )


def moment_field(help_text):
    return serializers.DateTimeField(required=False, help_text=help_text)


def paused_field():
    return serializers.IntegerField(
        min_value=0,
        max_value=MAX_SECONDS,
        required=False,
        help_text="Seconds of pause inside the interval, floored to whole minutes (90 counts as 60).",
    )


def hours_field():
    return NumberField(
        max_digits=7,
        decimal_places=4,
        min_value=Decimal("0"),
        max_value=MAX_HOURS,
        required=False,
        help_text="Hours worked, whole or decimal (1.5 is 1h 30m); with minutes, both count.",
    )


def minutes_field():
    return serializers.IntegerField(min_value=0, max_value=59, required=False)


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


def floor_paused(data):
    if "paused_duration" in data:
        data["paused_duration"] = data["paused_duration"] // 60 * 60
    return data


def worked_seconds(data):
    """`hours` + `minutes` as seconds, floored to the whole minute; at least one minute, at most a day."""
    hours, minutes = data.pop("hours", Decimal(0)), data.pop("minutes", 0)
    minutes_total = (hours * 60 + minutes).to_integral_value(rounding=ROUND_FLOOR)
    if minutes_total < 1:
        raise serializers.ValidationError({"minutes": ["At least one minute is needed in total."]})
    if minutes_total > MAX_HOURS * 60:
        raise serializers.ValidationError({"hours": [f"A day holds at most {MAX_HOURS} hours."]})
    return int(minutes_total) * 60


def start_of(day, field):
    """A date starts at 09:00 local; a moment (timer_created with a time) starts then."""
    try:
        dates.check_supported(day, "time" if isinstance(day, datetime) else "date")
    except ValueError as error:
        raise serializers.ValidationError({field: [str(error)]}) from None
    if isinstance(day, datetime):
        return day
    return dates.local_moment(day, time(9))


class TimeEntryCreateSerializer(StrictSerializer):
    """Either started_at + ended_at (Agency OS / Moneybird) or hours + minutes + date (Timesheets)."""

    task_id = id_field(required=False, help_text="The task; or give project_id / client_id instead.")
    project_id = id_field(
        required=False, help_text="Without task_id: the project's default task (made on first use)."
    )
    client_id = id_field(
        required=False,
        help_text="Without task_id or project_id: the client's default task (made on first use). "
        "Alias contact_id.",
    )
    user_id = id_field(required=False, help_text="Whose time; defaults to the key's user.")
    started_at = moment_field("Floored to the minute. Alias start_time.")
    ended_at = moment_field("Floored to the minute. Alias end_time.")
    paused_duration = paused_field()
    hours = hours_field()
    minutes = minutes_field()
    date = DayField(
        required=False,
        help_text="The day worked (the entry starts at 09:00 local), or a moment to start at. "
        "Alias timer_created.",
    )
    description = TextField(required=False, allow_blank=True, max_length=10_000)
    billable = serializers.BooleanField(required=False, help_text="Defaults to the task's setting.")
    hourly_rate = rate_field("An override for this entry; left out, the rate follows the usual precedence.")

    def validate(self, data):
        data = super().validate(data)
        if not {"task_id", "project_id", "client_id"} & set(data):
            raise serializers.ValidationError(
                {"task_id": ["Give task_id, or project_id or client_id to use their default task."]}
            )
        timesheet = [name for name in TIMESHEET if name in data]
        interval = [name for name in INTERVAL if name in data]
        if timesheet and interval:
            raise serializers.ValidationError(
                {interval[0]: ["Give either started_at and ended_at, or hours, minutes and date; not both."]}
            )
        if timesheet:
            if "date" not in data:
                raise serializers.ValidationError(
                    {"date": ["This field (or timer_created) is required with hours and minutes."]}
                )
            seconds = worked_seconds(data)
            start = start_of(data.pop("date"), "date")
            data.update(started_at=start, ended_at=dates.add_elapsed(start, seconds), paused_duration=0)
            return data
        if "started_at" not in data:
            raise serializers.ValidationError({"started_at": ["This field is required."]})
        check_year(data["started_at"], "started_at")
        if "ended_at" not in data:
            return timer_start(data)
        check_year(data["ended_at"], "ended_at")
        floor_paused(data).setdefault("paused_duration", 0)
        data["started_at"], data["ended_at"] = check_worked(
            data["started_at"], data["ended_at"], data["paused_duration"], "ended_at"
        )
        return data


# A moment a little ahead of the server's clock still counts as now: the caller's clock may run fast.
CLOCK_SKEW_SECONDS = 60


def timer_start(data):
    """A create body without `ended_at`: a timer for the key's own user, running from `started_at` (now or
    earlier). What only a stopped entry has (a pause, a rate override) is refused rather than dropped."""
    for name, why in (
        ("paused_duration", "a running timer is paused and resumed (POST /tasks/{id}/pause, /start)"),
        ("hourly_rate", "the rate is set when the timer stops; PATCH it afterwards"),
    ):
        if name in data:
            raise serializers.ValidationError({name: [f"Not without ended_at: {why}."]})
    if (data["started_at"] - timezone.now()).total_seconds() > CLOCK_SKEW_SECONDS:
        raise serializers.ValidationError(
            {"started_at": ["A timer cannot start in the future; without ended_at, give now or earlier."]}
        )
    data["timer"] = True
    return data


FIXED_IN_TIMESHEETS = "In the hours-and-minutes form the task, day and person of an entry are fixed."


class TimeEntryUpdateSerializer(StrictSerializer):
    """Only the fields given change; times are floored again and the entry recomputed.

    `hours` + `minutes` (the Timesheets API's edit) set the worked time from the entry's start."""

    task_id = id_field(required=False, help_text="Moves the entry (not with hours/minutes).")
    started_at = moment_field("Floored to the minute. Alias start_time.")
    ended_at = moment_field("Floored to the minute. Alias end_time.")
    paused_duration = paused_field()
    hours = hours_field()
    minutes = minutes_field()
    description = TextField(required=False, allow_blank=True, max_length=10_000)
    billable = serializers.BooleanField(required=False)
    hourly_rate = rate_field(
        "Set an override; null goes back to the usual precedence. Left out, the rate is kept."
    )

    def validate(self, data):
        data = super().validate(data)
        for name in ("started_at", "ended_at"):
            if name in data:
                check_year(data[name], name)
        if "hours" in data or "minutes" in data:
            clash = [name for name in ("task_id", *INTERVAL) if name in data]
            if clash:
                raise serializers.ValidationError(
                    {clash[0]: [f"{FIXED_IN_TIMESHEETS} Send hours and minutes (and a description) only."]}
                )
            data["worked_seconds"] = worked_seconds(data)
        return floor_paused(data)

    def to_internal_value(self, data):
        # The Timesheets API's fixed fields get a reason instead of "Unknown field".
        if isinstance(data, dict):
            fixed = [name for name in ("date", "timer_created", "user_id") if name in data]
            if fixed:
                raise serializers.ValidationError(
                    {fixed[0]: [f"{FIXED_IN_TIMESHEETS} Change started_at/ended_at to move it in time."]}
                )
        return super().to_internal_value(data)


class MarkInvoicedSerializer(StrictSerializer):
    reference = TextField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="The number of the outside invoice this time was billed on (optional).",
    )
    invoice_id = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        help_text="The outside system's invoice id (optional).",
    )

    def reference_text(self):
        """What the entry keeps as the outside invoice: the reference, the id, or both; a placeholder if none."""
        data = self.validated_data
        reference, invoice = data.get("reference", "").strip(), data.get("invoice_id", "").strip()
        if reference and invoice:
            return f"{reference} (invoice {invoice})"[:100]
        return reference or (f"invoice {invoice}" if invoice else "no reference")


class NoteInputSerializer(StrictSerializer):
    """A note's text as `body`, or as Moneybird's `note`; with Moneybird's `todo` and `assignee_id` a note is a
    to-do for someone (open until done). The assignee must be a person the caller can see (`assignee` in the
    validated data, checked by the view's context `visible_users`)."""

    body = TextField(max_length=10_000, required=False)
    note = TextField(max_length=10_000, required=False, help_text="Alias of body (Moneybird).")
    todo = serializers.BooleanField(required=False, help_text="A to-do (open until marked done).")
    assignee_id = id_field(
        required=False,
        allow_null=True,
        help_text="Who the to-do is for (with todo=true): a user the key can see (GET /users).",
    )

    def validate(self, data):
        data = super().validate(data)
        if "body" in data and "note" in data:
            raise serializers.ValidationError({"note": ["Give body or note, not both."]})
        assignee_id = data.pop("assignee_id", None)
        if assignee_id is not None:
            if not data.get("todo", False):
                raise serializers.ValidationError(
                    {"assignee_id": ["Only a to-do has an assignee: send todo=true with it."]}
                )
            data["assignee"] = self.context["visible_users"].filter(pk=assignee_id, is_active=True).first()
            if data["assignee"] is None:
                raise serializers.ValidationError(
                    {"assignee_id": [f"There is no user {assignee_id} that you can see."]}
                )
        text = data.pop("note", data.get("body", "")).strip()
        if not text:
            raise serializers.ValidationError({"body": ["A note needs some text."]})
        data["body"] = text
        return data


# --- the create body as the schema documents it: one form or the other ------------------------------------


class IntervalCreateSerializer(TimeEntryCreateSerializer):
    """The interval form (Agency OS / Moneybird; the aliases start_time, end_time and contact_id work too)."""

    hours = minutes = date = None
    started_at = serializers.DateTimeField(help_text="Floored to the minute. Alias start_time.")
    ended_at = serializers.DateTimeField(
        required=False,
        help_text="Floored to the minute; at least a minute of work. Alias end_time. Left out, a timer starts "
        "at started_at (now or earlier) for the key's own user, stopping any running one, as POST "
        "/tasks/{id}/start does.",
    )


class HoursCreateSerializer(TimeEntryCreateSerializer):
    """The timesheets form (the alias timer_created works for date)."""

    started_at = ended_at = paused_duration = None
    date = DayField(
        help_text="The day worked (starts 09:00 local), or a moment to start at. Alias timer_created."
    )


CREATE_BODY = PolymorphicProxySerializer(
    component_name="TimeEntryCreate",
    serializers=[IntervalCreateSerializer, HoursCreateSerializer],
    resource_type_field_name=None,
)
