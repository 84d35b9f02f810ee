"""Client, site, project, bucket and settings JSON for the directory API."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from timetracker.api.work_serializers import (
    EmailField,
    NumberField,
    TextField,
    URLField,
    choice_field,
    id_field,
)
from timetracker.billing.models import SETTING_NAMES, ClientSettings, Settings
from timetracker.buckets.models import Recurrence
from timetracker.clients.models import Client, Project, Site

MONEY = {"max_digits": 10, "decimal_places": 2}
HUNDREDTH = Decimal("0.01")


def model_bounds(model, name):
    """The model field's bounds with the model's own messages, so the API refuses what the page refuses, alike.

    (A ModelSerializer turns them into min_value/max_value, but with DRF's wording.)"""
    kwargs = {"error_messages": {}}
    for validator in model._meta.get_field(name).validators:
        for key, kind in (("min_value", MinValueValidator), ("max_value", MaxValueValidator)):
            if isinstance(validator, kind):
                kwargs[key] = validator.limit_value
                kwargs["error_messages"][key] = validator.message
    return kwargs


def hours(seconds):
    """Seconds as hours with two decimals, as a string ("7.50")."""
    return str((Decimal(seconds) / 3600).quantize(HUNDREDTH, rounding=ROUND_HALF_UP))


class RatesHidden:
    """Nulls the money fields when the caller may not see rates (context["show_rates"])."""

    money_fields = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_rates"):
            data.update(dict.fromkeys(self.money_fields))
        return data


class FiguresMixin(serializers.Serializer):
    archived = serializers.BooleanField(source="is_archived", read_only=True)
    tasks_in_progress = serializers.IntegerField(read_only=True)
    tasks_completed = serializers.IntegerField(read_only=True)
    seconds_this_month = serializers.IntegerField(read_only=True, help_text="The caller's visible time.")
    unbilled_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, allow_null=True
    )


class StrictModelSerializer(serializers.ModelSerializer):
    """Model fields read strictly: text is text, an empty string is no number."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
        models.EmailField: EmailField,
        models.URLField: URLField,
        models.DecimalField: NumberField,
    }


class ClientSerializer(RatesHidden, FiguresMixin, StrictModelSerializer):
    money_fields = ("hourly_rate", "unbilled_amount")

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "contact_name",
            "email",
            "address",
            "hourly_rate",
            "notes",
            "archived",
            "created_at",
            "tasks_in_progress",
            "tasks_completed",
            "seconds_this_month",
            "unbilled_amount",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"hourly_rate": model_bounds(Client, "hourly_rate")}


class ClientScoped(StrictModelSerializer):
    """client_id is chosen on create and fixed afterwards; names are unique per client."""

    client_id = id_field()

    def validate_client_id(self, value):
        if self.instance is not None and value != self.instance.client_id:
            raise serializers.ValidationError("This cannot move to another client.")
        if not Client.objects.active().filter(pk=value).exists():
            raise serializers.ValidationError(f"There is no active client with id {value}.")
        return value

    def validate(self, attrs):
        client_id = attrs.get("client_id", getattr(self.instance, "client_id", None))
        name = attrs.get("name", getattr(self.instance, "name", None))
        clash = self.Meta.model.objects.filter(client_id=client_id, name=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"name": [f'This client already has one named "{name}".']})
        return attrs


class SiteSerializer(FiguresMixin, ClientScoped):
    class Meta:
        model = Site
        fields = [
            "id",
            "client_id",
            "name",
            "url",
            "archived",
            "tasks_in_progress",
            "tasks_completed",
            "seconds_this_month",
            "unbilled_amount",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_rates"):
            data["unbilled_amount"] = None
        return data


class ProjectSerializer(RatesHidden, ClientScoped):
    money_fields = ("hourly_rate",)
    archived = serializers.BooleanField(source="is_archived", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "client_id", "name", "code", "hourly_rate", "budget_hours", "billable", "archived"]
        extra_kwargs = {
            "hourly_rate": model_bounds(Project, "hourly_rate"),
            "budget_hours": model_bounds(Project, "budget_hours"),
        }


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True, help_text="Exclusive; null when the bucket never renews.")
    label = serializers.CharField()


class BucketSerializer(serializers.Serializer):
    """A bucket with its balance in the current period (context["usages"]: {bucket id: Usage})."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    client_ids = serializers.SerializerMethodField()
    hours = serializers.SerializerMethodField(help_text="Hours per period (2 decimals).")
    rolled_over_hours = serializers.SerializerMethodField()
    used_hours = serializers.SerializerMethodField()
    remaining_hours = serializers.SerializerMethodField(help_text="Negative when overrun.")
    percent_used = serializers.SerializerMethodField()
    period = serializers.SerializerMethodField()
    hourly_price = serializers.DecimalField(**MONEY, allow_null=True)
    recurrence = choice_field(Recurrence)
    start_date = serializers.DateField()
    rollover = serializers.BooleanField()
    thresholds = serializers.ListField(child=serializers.IntegerField())
    billable_only = serializers.BooleanField()
    hard_stop = serializers.BooleanField()
    notes = serializers.CharField()
    archived = serializers.BooleanField(source="is_archived")

    def usage(self, bucket):
        return self.context["usages"][bucket.pk]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_client_ids(self, bucket):
        return sorted(client.pk for client in bucket.clients.all())

    @extend_schema_field(serializers.CharField())
    def get_hours(self, bucket):
        return hours(self.usage(bucket).allowance_seconds)

    @extend_schema_field(serializers.CharField())
    def get_rolled_over_hours(self, bucket):
        return hours(self.usage(bucket).rolled_over_seconds)

    @extend_schema_field(serializers.CharField())
    def get_used_hours(self, bucket):
        return hours(self.usage(bucket).used_seconds)

    @extend_schema_field(serializers.CharField())
    def get_remaining_hours(self, bucket):
        return hours(self.usage(bucket).remaining_seconds)

    @extend_schema_field(serializers.IntegerField())
    def get_percent_used(self, bucket):
        return self.usage(bucket).percent_used

    @extend_schema_field(PeriodSerializer)
    def get_period(self, bucket):
        period = self.usage(bucket).period
        return PeriodSerializer(period).data

    def to_representation(self, bucket):
        data = super().to_representation(bucket)
        if not self.context.get("show_rates"):
            data["hourly_price"] = None
        return data


class BucketWriteSerializer(serializers.Serializer):
    """Types only; the rules (clients, negative hours, thresholds) are BucketForm's."""

    title = TextField(max_length=200)
    client_ids = serializers.ListField(child=id_field(), max_length=1000)
    hours = NumberField(**MONEY)
    hourly_price = NumberField(**MONEY, required=False, allow_null=True)
    recurrence = choice_field(Recurrence, required=False)
    start_date = serializers.DateField(required=False)
    rollover = serializers.BooleanField(required=False)
    thresholds = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=100)
    billable_only = serializers.BooleanField(required=False)
    hard_stop = serializers.BooleanField(required=False)
    notes = TextField(required=False, allow_blank=True)


class SettingsSerializer(RatesHidden, serializers.ModelSerializer):
    money_fields = ("default_hourly_rate",)

    class Meta:
        model = Settings
        fields = SETTING_NAMES


class ClientSettingsSerializer(serializers.ModelSerializer):
    """A client's overrides: null means "as the global setting"."""

    class Meta:
        model = ClientSettings
        fields = SETTING_NAMES
