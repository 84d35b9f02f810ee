"""Delete uploaded exports nothing needs any more (run it daily, e.g. from cron).

A run's record (counts, bad rows, the links undo uses) stays; only the stored file goes: once a run is undone
or failed or left unconfirmed for `--days`, or imported `--days` ago. An import's undo never reads the file, so
a committed file is kept only to look at for a while."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from timetracker.imports.models import ImportRun

KEEP_DAYS = 30


class Command(BaseCommand):
    help = "Delete the stored uploads of old, undone or abandoned imports (their records stay)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=KEEP_DAYS, help=f"Keep files this long (default {KEEP_DAYS})."
        )

    def handle(self, *args, days, **options):
        ImportRun.objects.fail_stale()
        cutoff = timezone.now() - timedelta(days=days)
        Status = ImportRun.Status
        ImportRun.objects.filter(status=Status.PREVIEW, created_at__lt=cutoff).update(
            status=Status.FAILED,
            message=f"Left unconfirmed for {days} days; upload the file again to import it.",
        )
        old = Q(created_at__lt=cutoff, status__in=[Status.DONE, Status.FAILED])
        runs = ImportRun.objects.exclude(file="").filter(old | Q(status=Status.UNDONE))
        count = 0
        for run in runs.iterator():
            run.discard_file()
            count += 1
        self.stdout.write(f"Deleted {count} stored upload{'' if count == 1 else 's'}.")
