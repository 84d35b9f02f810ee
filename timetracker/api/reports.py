"""API resource: /reports/summary, time grouped by one or two levels with totals."""

from datetime import date
from decimal import Decimal

from django.urls import path
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
from timetracker.reports import engine, ranges

GROUPS = list(engine.DIMENSIONS)


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


def _totals(figures):
    return {
        "entries": figures.entries,
        "duration_seconds": figures.duration,
        "rounded_seconds": figures.rounded,
        "billable_seconds": figures.billable,
        "duration_hours": _hours(figures.duration),
        "rounded_hours": _hours(figures.rounded),
        "billable_hours": _hours(figures.billable),
        "amount": None if figures.amount is None else f"{figures.amount:.2f}",
    }


def _key(row):
    if row.dimension == "month":
        return row.key.strftime("%Y-%m")
    return row.key.isoformat() if row.dimension in engine.DATES else row.key


def _groups(rows):
    out = []
    for row in rows:
        group = {"key": _key(row), "label": row.label, "totals": _totals(row.figures)}
        if row.children:
            group["groups"] = _groups(row.children)
        out.append(group)
    return out


def summary_data(report):
    """The JSON of a report: also what a share link's API and exports' metadata would carry."""
    return {
        "group_by": report.dimensions,
        "from_date": report.period.first,
        "to_date": report.period.last,
        "currency_code": report.currency_code,
        "totals": _totals(report.totals),
        "groups": _groups(report.rows),
    }


class SummaryView(ApiView):
    """Tracked time totalled by one or two groupings (reports/engine.py, as the Reports page); Staff see their
    own time, amounts only if rates show."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "group_by",
                str,
                description=f"One or two of {', '.join(GROUPS)}, comma-separated (default client).",
            ),
            OpenApiParameter("from_date", date, description="Entries started on or after (your time zone)."),
            OpenApiParameter("to_date", date, description="Entries started on or before (your time zone)."),
            OpenApiParameter(
                "range",
                str,
                description="Instead of dates: a named range resolved in your time zone, e.g. last_month, "
                "this_quarter, year_to_date, last_n_days:30.",
            ),
            *[p for p in entry_filters.ID_PARAMETERS if p.name in ("client_id", "project_id")],
            next(p for p in entry_filters.LIST_PARAMETERS if p.name == "user_id"),
        ],
        responses={200: SummarySerializer, **errors(400, 401, 403)},
    )
    def get(self, request):
        params = request.query_params
        names = [n.strip() for n in params.get("group_by", "client").split(",") if n.strip()]
        for name in names:
            if name not in GROUPS:
                raise BadFilter(f'group_by "{name}" is unknown; use {", ".join(GROUPS)}.')
        if not 1 <= len(names) <= 2 or len(set(names)) != len(names):
            raise BadFilter("group_by takes one or two different groupings, like client,month.")
        start, end = _date_param(request, "from_date"), _date_param(request, "to_date")
        if start and end and start > end:
            raise BadFilter("to_date comes before from_date.")
        range_ = params.get("range", "").strip()
        if range_ and (start or end):
            raise BadFilter("range: give either range or from_date/to_date, not both.")
        # The same id filters as /time-entries: an id the key may not see reads as one that does not exist.
        filters = {}
        for name, value in (
            ("client", entry_filters.client_id(params, request.user)),
            ("project", entry_filters.project_id(params, request.user)),
            ("user", entry_filters.user_id(params, request.user)),
        ):
            if value is not None:
                filters[name] = [str(pk) for pk in value]
        spec = engine.ReportSpec(
            group=names[0],
            sub_group=names[1] if len(names) > 1 else "",
            range=range_ or (ranges.custom(start, end) if start or end else ranges.ALL_TIME),
            filters=filters,
        )
        try:
            report = engine.run(spec, request.user)
        except engine.InvalidSpec as error:
            raise BadFilter(str(error)) from None
        return Response(summary_data(report))


urlpatterns = [
    path("reports/summary", SummaryView.as_view(), name="reports_summary"),
]
