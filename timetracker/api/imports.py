"""API resource: /imports. Upload an export (the answer is its preview), confirm it, follow it, undo it.

Thin: the same `imports.pipeline` functions as the Imports page, so the rules (preview first, all of a file or
nothing, never a duplicate) exist once."""

import zoneinfo

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, parsers, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from timetracker.api.base import ApiMixin, ApiView
from timetracker.api.billing import errors
from timetracker.api.errors import Conflict, Unprocessable
from timetracker.api.parsers import JSONParser
from timetracker.api.permissions import IsManager
from timetracker.imports import pipeline, tasks, undo, uploads
from timetracker.imports.mapping import CREATE
from timetracker.imports.models import ImportRun
from timetracker.imports.parsers import FORMATS, generic


class ImportRunSerializer(serializers.ModelSerializer):
    # Plain strings, not enums: "source" and "format" name other choice sets elsewhere in the schema.
    source = serializers.CharField(read_only=True, help_text=f"One of {', '.join(FORMATS)}.")
    created_by_id = serializers.IntegerField(read_only=True)
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="new, unchanged, changed, ...")
    errors = serializers.ListField(
        child=serializers.DictField(), help_text="The first bad rows: row, message."
    )
    preview = serializers.DictField(
        help_text="What the import creates, its people, skipped and missing rows."
    )

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "status",
            "source",
            "file_name",
            "file_hash",
            "created_by_id",
            "created_at",
            "finished_at",
            "rows_total",
            "rows_done",
            "counts",
            "errors",
            "preview",
            "message",
            "undone_at",
        ]
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.CharField(
        required=False, help_text=f"One of {', '.join(FORMATS)}; recognised from the file if left out."
    )
    time_zone = serializers.CharField(
        required=False, help_text="Zone of the file's local times (default: yours)."
    )
    date_order = serializers.ChoiceField(choices=["auto", "mdy", "dmy"], default="auto")
    mapping = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text=f"generic: our field -> column ({', '.join(generic.FIELDS)}).",
    )
    confirm = serializers.BooleanField(
        default=False, help_text="Import at once, without a separate confirmation."
    )
    on_error = serializers.ChoiceField(choices=["refuse", "skip"], default="refuse")

    def validate_file(self, upload):
        if upload.size > uploads.MAX_UPLOAD:
            raise serializers.ValidationError(uploads.too_big_message())
        return upload

    def validate_format(self, name):
        if name not in FORMATS:
            raise serializers.ValidationError(f'"{name}" is not a format; use one of {", ".join(FORMATS)}.')
        return name

    def validate_time_zone(self, name):
        if name not in zoneinfo.available_timezones():
            raise serializers.ValidationError(f'"{name}" is not a time zone name such as "Europe/Amsterdam".')
        return name

    def validate_mapping(self, mapping):
        unknown = set(mapping) - set(generic.FIELDS)
        if unknown:
            raise serializers.ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
        return mapping


class ConfirmSerializer(serializers.Serializer):
    on_error = serializers.ChoiceField(choices=["refuse", "skip"], required=False)
    people = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text=f'Person key (from preview.people) -> a user id, or "{CREATE}" for a new inactive person.',
    )


class TooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def _runs(request):
    ImportRun.objects.fail_stale()  # a run whose worker died shows as failed, not at work for ever
    return ImportRun.objects.for_user(request.user)


def _confirm(run, *, on_error=None, people=None):
    """Commit a previewed run with the given choices (checked again when people are re-mapped)."""
    if run.status != ImportRun.Status.PREVIEW:
        raise Conflict(f"Import #{run.pk} is {run.get_status_display().lower()}; it cannot be confirmed.")
    if run.source == "generic" and not run.options.get("mapping"):
        raise Unprocessable("Name the file's columns first (upload it again with a mapping).")
    if on_error or people:
        run.options = {**run.options, **({"on_error": on_error} if on_error else {})}
        if people:
            run.options["people"] = {**run.options.get("people", {}), **people}
            pipeline.preview(run)
        else:
            run.save(update_fields=["options"])
    refusal = pipeline.refusal(run)
    if refusal:
        raise Unprocessable(refusal)
    try:
        tasks.run_import(run)
    except pipeline.ImportRefused as refused:
        raise Conflict(str(refused)) from None
    run.refresh_from_db()
    if run.status == ImportRun.Status.FAILED:
        raise Unprocessable(f"Nothing was imported: {run.message}")
    return run


class ImportListView(ApiMixin, generics.ListAPIView):
    """Imports, newest first (Managers and Admins). POST a file to see its preview, or to import it at once."""

    permission_classes = [IsManager]
    serializer_class = ImportRunSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, JSONParser]

    def get_queryset(self):
        return _runs(self.request).order_by("-created_at", "-pk")

    def initial(self, request, *args, **kwargs):
        # Before authentication: its CSRF check would read (and spool) the whole body first.
        if request.method == "POST":
            if uploads.declared_too_big(request):
                raise TooLarge(uploads.too_big_message())
            uploads.limit(request._request)
        super().initial(request, *args, **kwargs)

    @extend_schema(responses={200: ImportRunSerializer(many=True), **errors(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: ImportRunSerializer, **errors(401, 403, 409, 422)},
    )
    def post(self, request):
        data = request.data.copy()
        if "file" in request.FILES:  # the upload itself, whatever shape the other fields were read into
            data["file"] = request.FILES["file"]
        form = UploadSerializer(data=data)
        if getattr(request._request, "upload_too_big", False):
            raise TooLarge(uploads.too_big_message())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        run = pipeline.receive(
            request.user,
            data["file"],
            source=data.get("format", ""),
            time_zone=data.get("time_zone"),
            date_order=data["date_order"],
            on_error=data["on_error"],
            mapping=data.get("mapping"),
        )
        if run.status == ImportRun.Status.FAILED:
            raise Unprocessable(f"{run.file_name}: {run.message}")
        if data["confirm"]:
            run = _confirm(run)
        return Response(ImportRunSerializer(run).data, status=status.HTTP_201_CREATED)


class ImportDetailView(ApiView):
    permission_classes = [IsManager]

    @extend_schema(responses={200: ImportRunSerializer, **errors(401, 403, 404)})
    def get(self, request, pk):
        return Response(ImportRunSerializer(get_object_or_404(_runs(request), pk=pk)).data)


class ImportConfirmView(ApiView):
    permission_classes = [IsManager]

    @extend_schema(
        request=ConfirmSerializer, responses={200: ImportRunSerializer, **errors(401, 403, 404, 409, 422)}
    )
    def post(self, request, pk):
        run = get_object_or_404(_runs(request), pk=pk)
        form = ConfirmSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        run = _confirm(run, **form.validated_data)
        return Response(ImportRunSerializer(run).data)


class ImportUndoView(ApiView):
    permission_classes = [IsManager]

    @extend_schema(request=None, responses={200: ImportRunSerializer, **errors(401, 403, 404, 409)})
    def post(self, request, pk):
        run = get_object_or_404(_runs(request), pk=pk)
        try:
            undo.undo(run, by=request.user)
        except pipeline.ImportRefused as refused:
            raise Conflict(str(refused)) from None
        return Response(ImportRunSerializer(run).data)


urlpatterns = [
    path("imports", ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>", ImportDetailView.as_view(), name="import"),
    path("imports/<int:pk>/confirm", ImportConfirmView.as_view(), name="import_confirm"),
    path("imports/<int:pk>/undo", ImportUndoView.as_view(), name="import_undo"),
]
