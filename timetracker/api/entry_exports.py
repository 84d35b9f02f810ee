"""GET /api/v1/time-entries/export.csv and .xlsx: the filtered entries list as a file.

The list's own filters (entry_filters.apply, the same as GET /time-entries) choose the entries; the files are
written by the exporter the Logs page and Reports use (reports/entry_exports.py), so the columns, the money
format and the protection against spreadsheet formulas are the same everywhere. CSV streams at any size;
an XLSX is built in one request, so a larger one than the page would build directly is refused (400) with the
way out.
"""

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer

from timetracker.api import entry_filters
from timetracker.api.entry_serializers import error_responses
from timetracker.api.errors import BadFilter
from timetracker.api.time_entries import TAGS, EntryView
from timetracker.reports import entry_exports, exports

CSV_OPTIONS = ("sep", "decimal")
NAMES = (entry_filters.LIST_NAMES - set(entry_filters.PAGING)) | set(CSV_OPTIONS)
CSV_PARAMETERS = [
    OpenApiParameter(
        "sep", str, enum=["comma", "semicolon", "tab"], description="Column separator (default comma)."
    ),
    OpenApiParameter(
        "decimal",
        str,
        enum=["point", "comma"],
        description="Decimal mark; comma only with a semicolon or tab separator.",
    ),
]


class TimeEntryExportView(EntryView):
    time_writes = False

    def perform_content_negotiation(self, request, force=False):
        # The file's type is chosen by the path; errors are JSON, whatever Accept asks for.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        tags=TAGS,
        summary="Export time entries",
        description=(
            "The entries GET /time-entries lists for the same filters (all of them, not a page), as the Logs "
            "page exports them. CSV streams; XLSX is refused above "
            f"{entry_exports.BACKGROUND_ROWS:,} entries (use CSV or narrower filters)."
        ),
        parameters=[*entry_filters.LIST_PARAMETERS, *CSV_PARAMETERS],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV (UTF-8 with a BOM)."),
            (200, exports.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="An Excel workbook."),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request, fmt):
        params = request.query_params
        entry_filters.refuse_unknown(params, NAMES)
        filters = params.copy()
        for name in CSV_OPTIONS:
            filters.pop(name, None)
        entries = entry_filters.apply(self.entries(), filters, user=request.user)
        if fmt == "xlsx" and entries.count() > entry_exports.BACKGROUND_ROWS:
            raise BadFilter(
                f"More than {entry_exports.BACKGROUND_ROWS:,} entries match: export them as CSV (which streams) "
                "or narrow the filters."
            )
        tz = timezone.get_current_timezone()
        facts = [
            ("Export", "Time entries (API)"),
            *[(f"Filter: {name}", value) for name, value in filters.items() if value],
            ("Time zone", str(tz)),
            ("Generated at", timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")),
        ]
        return entry_exports.respond(
            entries, fmt, show_amounts=self.can_see_rates(), tz=tz, facts=facts, options=params
        )


urlpatterns = [
    path("time-entries/export.csv", TimeEntryExportView.as_view(), {"fmt": "csv"}, name="time-entries-csv"),
    path(
        "time-entries/export.xlsx", TimeEntryExportView.as_view(), {"fmt": "xlsx"}, name="time-entries-xlsx"
    ),
]
