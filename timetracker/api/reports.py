"""API resource: /reports/summary, time grouped by one or two levels with totals."""

import zoneinfo
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response

from timetracker.api import entry_filters
from timetracker.api.base import ApiView
from timetracker.api.billing import _date_param, errors
from timetracker.api.errors import BadFilter
from timetracker.billing.models import Settings
from timetracker.lib.dates import local_midnight
from timetracker.tasks.models import TimeEntry

# Reports ----------------------------------------------------------------------------------------------------


def _levels(tz):
    """group name -> (fields to group on, key of a row, label of a row, sort key)."""
    name = lambda field, empty: lambda row: row[field] or empty  # noqa: E731
    return {
        "client": (
            ["task__client_id", "task__client__name"],
            "task__client_id",
            name("task__client__name", ""),
        ),
        "project": (
            ["task__project_id", "task__project__name"],
            "task__project_id",
            name("task__project__name", "No project"),
        ),
        "task": (["task_id", "task__title"], "task_id", name("task__title", "")),
        "user": (
            ["user_id", "user__first_name", "user__last_name", "user__username"],
            "user_id",
            lambda r: f"{r['user__first_name']} {r['user__last_name']}".strip() or r["user__username"],
        ),
        "bucket": (
            ["task__bucket_id", "task__bucket__title"],
            "task__bucket_id",
            name("task__bucket__title", "No bucket"),
        ),
        "day": (
            {"g_day": TruncDate("started_at", tzinfo=tz)},
            "g_day",
            lambda r: f"{r['g_day']:%a %d %b %Y}",
        ),
        "week": (
            {"g_week": TruncWeek("started_at", tzinfo=tz, output_field=DateField())},
            "g_week",
            lambda r: f"Week of {r['g_week']:%d %b %Y}",
        ),
        "month": (
            {"g_month": TruncMonth("started_at", tzinfo=tz, output_field=DateField())},
            "g_month",
            lambda r: f"{r['g_month']:%B %Y}",
        ),
        "billable": (["billable"], "billable", lambda r: "Billable" if r["billable"] else "Non-billable"),
    }


GROUPS = ["client", "project", "task", "user", "bucket", "day", "week", "month", "billable"]
DATES = {"day", "week", "month"}


class TotalsSerializer(serializers.Serializer):
    entries = serializers.IntegerField()
    duration_seconds = serializers.IntegerField()
    rounded_seconds = serializers.IntegerField()
    billable_seconds = serializers.IntegerField()
    duration_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    rounded_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    billable_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class SummaryLeafSerializer(serializers.Serializer):
    key = serializers.JSONField(help_text="An id, a date (day, week start, month as YYYY-MM) or true/false.")
    label = serializers.CharField()
    totals = TotalsSerializer()


class SummaryGroupSerializer(SummaryLeafSerializer):
    groups = SummaryLeafSerializer(many=True, required=False, help_text="The second level, when asked for.")


class SummarySerializer(serializers.Serializer):
    group_by = serializers.ListField(child=serializers.CharField())
    from_date = serializers.DateField(allow_null=True)
    to_date = serializers.DateField(allow_null=True)
    currency_code = serializers.CharField()
    totals = TotalsSerializer()
    groups = SummaryGroupSerializer(many=True)


def _hours(seconds):
    return f"{Decimal(seconds) / 3600:.2f}"


class Totals:
    def __init__(self, show_amount):
        self.show_amount = show_amount
        self.entries = self.duration = self.rounded = self.billable = 0
        self.amount = Decimal("0")

    def add(self, row):
        self.entries += row["entries"]
        self.duration += row["duration"] or 0
        self.rounded += row["rounded"] or 0
        self.billable += row["billable_s"] or 0
        self.amount += row["amount_sum"] or Decimal("0")

    def data(self):
        return {
            "entries": self.entries,
            "duration_seconds": self.duration,
            "rounded_seconds": self.rounded,
            "billable_seconds": self.billable,
            "duration_hours": _hours(self.duration),
            "rounded_hours": _hours(self.rounded),
            "billable_hours": _hours(self.billable),
            "amount": f"{self.amount:.2f}" if self.show_amount else None,
        }


class SummaryView(ApiView):
    """Tracked time totalled by one or two groupings; Staff see their own time, amounts only if rates show."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "group_by",
                str,
                description=f"One or two of {', '.join(GROUPS)}, comma-separated (default client).",
            ),
            OpenApiParameter("from_date", date, description="Entries started on or after (your time zone)."),
            OpenApiParameter("to_date", date, description="Entries started on or before (your time zone)."),
            OpenApiParameter("client_id", int),
            OpenApiParameter("project_id", int),
            OpenApiParameter("user_id", int),
        ],
        responses={200: SummarySerializer, **errors(400, 401, 403)},
    )
    def get(self, request):
        names = [n.strip() for n in request.query_params.get("group_by", "client").split(",") if n.strip()]
        for name in names:
            if name not in GROUPS:
                raise BadFilter(f'group_by "{name}" is unknown; use {", ".join(GROUPS)}.')
        if not 1 <= len(names) <= 2 or len(set(names)) != len(names):
            raise BadFilter("group_by takes one or two different groupings, like client,month.")
        start, end = _date_param(request, "from_date"), _date_param(request, "to_date")
        if start and end and start > end:
            raise BadFilter("to_date comes before from_date.")
        try:
            tz = zoneinfo.ZoneInfo(request.user.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = timezone.get_default_timezone()
        entries = TimeEntry.objects.for_user(request.user).stopped()
        if start:
            entries = entries.filter(started_at__gte=local_midnight(start, tz))
        if end:
            entries = entries.filter(started_at__lt=local_midnight(end + timedelta(days=1), tz))
        # The same id filters as /time-entries: an id the key may not see reads as one that does not exist.
        params, user = request.query_params, request.user
        for field, value in (
            ("task__client_id", entry_filters.client_id(params, user)),
            ("task__project_id", entry_filters.project_id(params, user)),
            ("user_id", entry_filters.user_id(params, user)),
        ):
            if value is not None:
                entries = entries.filter(**{field: value})

        levels = _levels(tz)
        fields, annotations = [], {}
        for name in names:
            spec = levels[name][0]
            annotations.update(spec) if isinstance(spec, dict) else fields.extend(spec)
        rows = (
            entries.annotate(**annotations)
            .values(*fields, *annotations)
            .annotate(
                entries=Count("pk"),
                duration=Sum("duration_seconds"),
                rounded=Sum("rounded_seconds"),
                billable_s=Sum("rounded_seconds", filter=Q(billable=True)),
                amount_sum=Sum("amount"),
            )
            .order_by()
        )
        settings = Settings.load()
        show_amount = settings.can_see_rates(request.user)
        total = Totals(show_amount)
        tree = {}
        for row in rows:
            total.add(row)
            node = tree
            for name in names:
                _, key_field, label = levels[name]
                key = row[key_field]
                if key not in node:
                    node[key] = {"label": label(row), "totals": Totals(show_amount), "children": {}}
                node[key]["totals"].add(row)
                node = node[key]["children"]

        def order(name):
            if name == "billable":
                return lambda item: not item[0]  # billable first
            if name in DATES:
                return lambda item: item[0]
            return lambda item: (item[0] is None, item[1]["label"].lower())

        def render(node, depth):
            name = names[depth]
            out = []
            for key, item in sorted(node.items(), key=order(name)):
                shown = (
                    key.strftime("%Y-%m") if name == "month" else key.isoformat() if name in DATES else key
                )
                group = {"key": shown, "label": item["label"], "totals": item["totals"].data()}
                if depth + 1 < len(names):
                    group["groups"] = render(item["children"], depth + 1)
                out.append(group)
            return out

        return Response(
            {
                "group_by": names,
                "from_date": start,
                "to_date": end,
                "currency_code": settings.currency_code,
                "totals": total.data(),
                "groups": render(tree, 0),
            }
        )


urlpatterns = [
    path("reports/summary", SummaryView.as_view(), name="reports_summary"),
]
