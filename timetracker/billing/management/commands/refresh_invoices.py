from datetime import date

from django.core.management.base import BaseCommand, CommandError

from timetracker.billing import invoicing


class Command(BaseCommand):
    help = "Store each invoice's derived status (Overdue, Partially Paid, Paid). Run daily, e.g. from cron."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Pretend it is this date (YYYY-MM-DD); default: today.")

    def handle(self, *args, today=None, **options):
        if today:
            try:
                today = date.fromisoformat(today)
            except ValueError:
                raise CommandError(f'--today "{today}" is not a date like 2026-01-31.') from None
        changed = invoicing.refresh_all(today=today)
        self.stdout.write(f"{changed} invoice{'s' if changed != 1 else ''} changed status.")
