from django.core.management.base import BaseCommand, CommandError

from timetracker.billing.invoicing import InvoicingError
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
        try:
            seed(entries=entries, log=self.stdout.write)
        except InvoicingError as error:
            # The seed is one transaction, so say plainly that nothing of it was kept.
            raise CommandError(
                f"The demo invoice could not be made, so no demo data was saved: {error}"
            ) from error
