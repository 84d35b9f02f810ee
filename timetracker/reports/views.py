from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from timetracker.billing.models import Settings
from timetracker.reports import engine, entry_exports, exports
from timetracker.reports.display import chart_context, line_pages, report_table
from timetracker.reports.filters import ReportFilter
from timetracker.reports.forms import ReportForm, SaveForm
from timetracker.reports.models import Export
from timetracker.reports.tasks import build_export
from timetracker.tasks.filters import LogFilter
from timetracker.tasks.models import TimeEntry


@require_GET
def report_view(request):
    """The Reports page: pickers, filters, chart and table; htmx gets only #report-body (the URL follows)."""
    spec = engine.ReportSpec.from_query(request.GET)
    form = ReportForm(request.GET or None, initial={"group": "client", "range": "this_month"})
    report, problems = None, {}
    try:
        report = engine.run(spec, request.user)
    except engine.InvalidSpec as error:
        problems = error.errors
    filterset = report.filterset if report else ReportFilter(request.GET, user=request.user)
    ctx = {
        "form": form,
        "filter_form": filterset.form,
        "report": report,
        "problems": problems,
        "query": spec.to_query().urlencode(),
        "save_form": SaveForm(),
    }
    if report:
        page = line_pages(report, request.GET.get("page"))
        ctx.update(
            page=page,
            table=report_table(report, page=page),
            chart=chart_context(report),
            dimension_names=[engine.DIMENSIONS[d] for d in report.dimensions],
        )
    template = "reports/report.html#report-body" if request.htmx else "reports/report.html"
    return render(request, template, ctx, status=400 if problems else 200)


@require_GET
def report_export(request, fmt):
    """This report as CSV, XLSX or PDF; `detail=entries` exports its entries instead of its rows."""
    if fmt not in exports.FORMATS:
        raise Http404("No such export format.")
    try:
        report = engine.run(engine.ReportSpec.from_query(request.GET), request.user)
    except engine.InvalidSpec as error:
        return render(request, "reports/export_refused.html", {"problems": error.errors}, status=400)
    if request.GET.get("detail") == "entries":
        if fmt not in entry_exports.FORMATS:
            raise Http404("Entries export as CSV or XLSX.")
        rows = report.entries.count()
        if rows > entry_exports.BACKGROUND_ROWS:
            return _queue_export(request, "report", report.spec.to_json(), fmt, rows)
        return entry_exports.respond(
            report.entries, fmt, show_amounts=report.show_amounts, about=report, options=request.GET
        )
    table = report_table(report, drill=False)
    return exports.report_response(report, fmt, table=table, chart=chart_context(report), options=request.GET)


@require_GET
def logs_export(request, fmt):
    """The entries behind the Logs table, filtered as the Logs page is (its own FilterSet and scope)."""
    visible = TimeEntry.objects.for_user(request.user)
    filterset = LogFilter(request.GET, queryset=visible, request=request)
    if not filterset.is_valid():
        return render(request, "reports/export_refused.html", {"problems": filterset.errors}, status=400)
    tz = timezone.get_current_timezone()
    facts = [
        ("Export", "Logs"),
        *[(f"Filter: {name}", value) for name, value in request.GET.items() if value and name != "sort"],
        ("Time zone", str(tz)),
        ("Generated at", timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")),
    ]
    if fmt not in entry_exports.FORMATS:
        raise Http404("Entries export as CSV or XLSX.")
    rows = filterset.qs.count()
    if rows > entry_exports.BACKGROUND_ROWS:
        return _queue_export(request, "logs", {"query": request.GET.urlencode()}, fmt, rows)
    show_amounts = Settings.load().can_see_rates(request.user)
    return entry_exports.respond(
        filterset.qs, fmt, show_amounts=show_amounts, tz=tz, facts=facts, options=request.GET
    )


def _queue_export(request, source, spec, fmt, rows):
    export = Export.objects.create(
        requested_by=request.user, source=source, spec=spec, fmt=fmt, rows_total=rows
    )
    # After the commit: a worker must find the row it is told about.
    transaction.on_commit(lambda: build_export.enqueue(export.pk))
    return redirect("reports:export_status", export.pk)


@require_GET
def export_status(request, pk):
    """A background export's progress (htmx polls #export-progress until it is done) and its download link."""
    export = get_object_or_404(Export.objects.for_user(request.user), pk=pk)
    template = "reports/export_status.html#export-progress" if request.htmx else "reports/export_status.html"
    return render(request, template, {"export": export})


@require_GET
def export_download(request, pk):
    export = get_object_or_404(Export.objects.for_user(request.user), pk=pk, status=Export.Status.DONE)
    name = f"entries-{export.created_at:%Y%m%d-%H%M}.{export.fmt}"
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=name)
