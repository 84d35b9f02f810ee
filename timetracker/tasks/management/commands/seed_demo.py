from django.core.management.base import BaseCommand, CommandError

from timetracker.demo import DEFAULT_ENTRIES, seed


class Command(BaseCommand):
    help = "Create realistic demo data (idempotent). --entries N scales the time entries up for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument(
            "--entries",
            type=int,
            default=DEFAULT_ENTRIES,
            help=f"Total number of time entries the demo users should have (default {DEFAULT_ENTRIES}).",
        )

    def handle(self, *args, entries, **options):
        if entries < 0:
            raise CommandError(f"--entries must be zero or more, not {entries}.")
        seed(entries=entries, log=self.stdout.write)
