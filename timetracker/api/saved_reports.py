"""API resources: saved reports (list, create, read, rename, delete, run) and entry exports (start, poll,
download). They call the same engine, models and export task as the Reports pages, with the same scoping:
everyone sees only their own saved reports and exports, and a report runs with its owner's view of time."""

from django.db import transaction
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from timetracker.api.base import ApiView
from timetracker.api.billing import errors
from timetracker.api.errors import Unprocessable
from timetracker.api.reports import SummarySerializer, summary_data
from timetracker.reports import engine, entry_exports
from timetracker.reports.models import Export, SavedReport
from timetracker.reports.tasks import build_export

SPEC_HELP = (
    'A report spec: {"group": "client", "sub_group": "month", "range": "last_quarter", '
    '"filters": {"client": ["3"], "billable": ["true"]}}. Ranges: this_/last_ week, month, quarter or year, '
    "year_to_date, last_n_days:N, custom:YYYY-MM-DD..YYYY-MM-DD."
)


def _checked_spec(data, user):
    """The spec as stored, after running it once as `user` would (ids outside their scope are refused)."""
    if not isinstance(data, dict):
        raise Unprocessable("spec must be an object.")
    spec = engine.ReportSpec.from_json(data)
    try:
        engine.run(spec, user)
    except engine.InvalidSpec as error:
        raise Unprocessable(f"spec: {error}") from None
    return spec.to_json()


class SavedReportSerializer(serializers.ModelSerializer):
    spec = serializers.JSONField(help_text=SPEC_HELP)

    class Meta:
        model = SavedReport
        fields = ["id", "name", "spec", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_spec(self, value):
        return _checked_spec(value, self.context["request"].user)


class ExportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=entry_exports.FORMATS)
    saved_report_id = serializers.IntegerField(
        required=False, help_text="Export this saved report's entries…"
    )
    spec = serializers.JSONField(required=False, help_text="…or those of this spec. " + SPEC_HELP)


class ExportSerializer(serializers.ModelSerializer):
    format = serializers.CharField(source="fmt")
    percent = serializers.IntegerField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "format",
            "status",
            "rows_total",
            "rows_done",
            "percent",
            "error",
            "created_at",
            "download_url",
        ]

    def get_download_url(self, export) -> str | None:
        if export.status != Export.Status.DONE:
            return None
        return reverse("api:report_export_download", args=[export.pk])


def _saved(request, pk):
    return get_object_or_404(SavedReport.objects.for_user(request.user), pk=pk)


class SavedReportListView(ApiView):
    @extend_schema(responses={200: SavedReportSerializer(many=True), **errors(401, 403)})
    def get(self, request):
        saved = SavedReport.objects.for_user(request.user)
        return Response(SavedReportSerializer(saved, many=True).data)

    @extend_schema(
        request=SavedReportSerializer, responses={201: SavedReportSerializer, **errors(400, 401, 403, 422)}
    )
    def post(self, request):
        serializer = SavedReportSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        serializer.save(owner=request.user)
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class SavedReportView(ApiView):
    @extend_schema(responses={200: SavedReportSerializer, **errors(401, 403, 404)})
    def get(self, request, pk):
        return Response(SavedReportSerializer(_saved(request, pk)).data)

    @extend_schema(
        request=SavedReportSerializer,
        responses={200: SavedReportSerializer, **errors(400, 401, 403, 404, 422)},
    )
    def patch(self, request, pk):
        serializer = SavedReportSerializer(
            _saved(request, pk), data=request.data, partial=True, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)

    @extend_schema(responses={204: None, **errors(401, 403, 404)})
    def delete(self, request, pk):
        _saved(request, pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedReportRunView(ApiView):
    """The saved report's figures now: the same JSON as /reports/summary."""

    @extend_schema(responses={200: SummarySerializer, **errors(401, 403, 404, 422)})
    def get(self, request, pk):
        try:
            report = engine.run(_saved(request, pk).report_spec, request.user)
        except engine.InvalidSpec as error:
            raise Unprocessable(f"The saved spec no longer runs: {error}") from None
        return Response(summary_data(report))


class ExportListView(ApiView):
    """Start an export of a report's entries; it runs in the background. Poll it, then download it."""

    @extend_schema(
        request=ExportRequestSerializer,
        responses={202: ExportSerializer, **errors(400, 401, 403, 404, 422)},
    )
    def post(self, request):
        data = ExportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "saved_report_id" in data.validated_data:
            spec = _saved(request, data.validated_data["saved_report_id"]).spec
        elif "spec" in data.validated_data:
            spec = data.validated_data["spec"]
        else:
            raise Unprocessable("Give saved_report_id or spec.")
        spec = _checked_spec(spec, request.user)
        rows = engine.run(engine.ReportSpec.from_json(spec), request.user).entries.count()
        export = Export.objects.create(
            requested_by=request.user, spec=spec, fmt=data.validated_data["format"], rows_total=rows
        )
        transaction.on_commit(lambda: build_export.enqueue(export.pk))
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class ExportView(ApiView):
    @extend_schema(responses={200: ExportSerializer, **errors(401, 403, 404)})
    def get(self, request, pk):
        return Response(
            ExportSerializer(get_object_or_404(Export.objects.for_user(request.user), pk=pk)).data
        )


class ExportDownloadView(ApiView):
    @extend_schema(
        responses={200: OpenApiResponse(description="The CSV or XLSX file."), **errors(401, 403, 404)}
    )
    def get(self, request, pk):
        export = get_object_or_404(Export.objects.for_user(request.user), pk=pk, status=Export.Status.DONE)
        name = f"entries-{export.created_at:%Y%m%d-%H%M}.{export.fmt}"
        return FileResponse(export.file.open("rb"), as_attachment=True, filename=name)


urlpatterns = [
    path("reports/saved", SavedReportListView.as_view(), name="saved_reports"),
    path("reports/saved/<int:pk>", SavedReportView.as_view(), name="saved_report"),
    path("reports/saved/<int:pk>/run", SavedReportRunView.as_view(), name="saved_report_run"),
    path("reports/exports", ExportListView.as_view(), name="report_exports"),
    path("reports/exports/<int:pk>", ExportView.as_view(), name="report_export"),
    path("reports/exports/<int:pk>/download", ExportDownloadView.as_view(), name="report_export_download"),
]
