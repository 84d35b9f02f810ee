"""Background work of the reports app: big exports (and the scheduled e-mails, schedules.py).

With the ImmediateBackend (development, tests) a task runs at once; in production `manage.py db_worker`
runs them from the database queue (TASKS_BACKEND=django_tasks_db.DatabaseBackend)."""

import logging
import tempfile
from types import SimpleNamespace

from django.core.files import File
from django.http import QueryDict
from django.tasks import task
from django.utils import timezone

from timetracker.billing.models import Settings
from timetracker.reports import engine, entry_exports
from timetracker.reports.models import Export
from timetracker.tasks.filters import LogFilter
from timetracker.tasks.models import TimeEntry

log = logging.getLogger(__name__)


def export_source(export):
    """(entries, zone, show amounts, facts) of an export, as its requester sees them now."""
    user = export.requested_by
    tz = engine.viewer_zone(user)
    if export.source == "logs":
        query = QueryDict(export.spec.get("query", ""))
        # LogFilter reads the user from a request and dates in the current zone: give it both.
        with timezone.override(tz):
            filterset = LogFilter(
                query, queryset=TimeEntry.objects.for_user(user), request=SimpleNamespace(user=user)
            )
            if not filterset.is_valid():
                raise ValueError(f"The Logs filters no longer apply: {filterset.errors.as_text()}")
            entries = filterset.qs
        facts = [("Export", "Logs"), ("Filters", query.urlencode() or "none"), ("Time zone", tz.key)]
        return entries, tz, Settings.load().can_see_rates(user), facts
    report = engine.run(engine.ReportSpec.from_json(export.spec), user)
    return report.entries, report.tz, report.show_amounts, entry_exports.report_facts(report)


@task
def build_export(export_id):
    export = Export.objects.select_related("requested_by").get(pk=export_id)
    if export.status != Export.Status.QUEUED:
        return export.status  # another worker has it
    Export.objects.filter(pk=export.pk).update(status=Export.Status.RUNNING)

    def progress(rows):
        Export.objects.filter(pk=export.pk).update(rows_done=rows)

    try:
        entries, tz, show_amounts, facts = export_source(export)
        with tempfile.TemporaryFile() as file:
            entry_exports.write_file(
                file, entries, export.fmt, tz=tz, show_amounts=show_amounts, facts=facts, progress=progress
            )
            file.seek(0)
            export.file.save(f"entries-{export.pk}.{export.fmt}", File(file), save=False)
    except Exception as error:  # the page must say it failed rather than spin forever
        log.exception("Export %s failed", export.pk)
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        return Export.Status.FAILED
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.DONE,
        file=export.file.name,
        rows_done=export.rows_total,
        finished_at=timezone.now(),
    )
    return Export.Status.DONE
