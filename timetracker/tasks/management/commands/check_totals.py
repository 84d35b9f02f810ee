from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from timetracker.tasks import entries, totals


class Command(BaseCommand):
    help = (
        "Compare the kept task totals with the entries they sum; --fix recomputes them. Exits non-zero when "
        "they differ (and were not fixed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Recompute the totals that differ.")

    def handle(self, *args, fix, **options):
        differences = totals.compare()
        for key, name, kept, fresh in differences:
            where = f"task {key[0]}, user {key[1]}" + (f", day {key[2]}" if len(key) > 2 else "")
            self.stdout.write(f"{where}: {name} is {kept}, the entries add up to {fresh}")
        if not differences:
            self.stdout.write("The kept totals agree with the entries.")
            return
        tasks = sorted({key[0] for key, *_ in differences})
        if not fix:
            raise CommandError(
                f"{len(differences)} figure(s) of {len(tasks)} task(s) differ; run with --fix to recompute them."
            )
        with transaction.atomic():
            entries.lock(tasks=tasks)  # no write of time may move them while they are recomputed
            totals.rebuild(tasks)
        self.stdout.write(f"Recomputed the totals of {len(tasks)} task(s).")
