"""Uploaded exports nothing needs any more, deleted (`manage.py clean_imports`, and the one tick,
`manage.py run_schedules`, every minute).

A run's record (counts, bad rows, the links undo uses) stays; only the stored file goes: once a run is undone
or failed or left unconfirmed for `days`, or imported `days` ago. An import's undo never reads the file, so
a committed file is kept only to look at for a while. Runs whose worker died are marked failed first, so their
page offers a retry instead of a progress bar for ever."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from timetracker.imports.models import ImportRun

KEEP_DAYS = 30


def clean_uploads(days=KEEP_DAYS):
    """Fail the stale runs, expire old previews and delete the files nothing needs; returns the files deleted."""
    ImportRun.objects.fail_stale()
    cutoff = timezone.now() - timedelta(days=days)
    Status = ImportRun.Status
    ImportRun.objects.filter(status=Status.PREVIEW, created_at__lt=cutoff).update(
        status=Status.FAILED,
        message=f"Left unconfirmed for {days} days; upload the file again to import it.",
    )
    old = Q(created_at__lt=cutoff, status__in=[Status.DONE, Status.FAILED])
    count = 0
    for run in ImportRun.objects.exclude(file="").filter(old | Q(status=Status.UNDONE)).iterator():
        run.discard_file()
        count += 1
    return count
