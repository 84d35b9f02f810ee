"""Delete uploaded exports nothing needs any more (imports/cleanup.py; the one tick, `run_schedules`, runs it
every minute, so cron needs no line of its own)."""

from django.core.management.base import BaseCommand

from timetracker.imports.cleanup import KEEP_DAYS, clean_uploads


class Command(BaseCommand):
    help = "Delete the stored uploads of old, undone or abandoned imports (their records stay)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=KEEP_DAYS, help=f"Keep files this long (default {KEEP_DAYS})."
        )

    def handle(self, *args, days, **options):
        count = clean_uploads(days)
        self.stdout.write(f"Deleted {count} stored upload{'' if count == 1 else 's'}.")
