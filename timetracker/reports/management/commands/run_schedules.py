import time

from django.core.management.base import BaseCommand

from timetracker.accounts.models import IdempotencyKey
from timetracker.automation import schedules as automation
from timetracker.imports.cleanup import clean_uploads
from timetracker.integrations.tasks import queue_due
from timetracker.reports.schedules import tick
from timetracker.tasks.reminders import remind


class Command(BaseCommand):
    help = (
        "The one tick for scheduled work (run it every minute from cron, or with --loop): queue the report "
        "e-mails and the connection syncs that are due, the running-timer reminders, and automation's scheduled "
        "triggers, bucket renewals and webhook retries; delete old import uploads and expired idempotency keys."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="Keep ticking once a minute (for a container)."
        )

    def handle(self, *args, loop=False, **options):
        while True:
            done = {"report e-mail(s)": tick(), "sync(s)": queue_due(), "timer reminder(s)": remind()}
            done |= automation.tick()
            done["deleted import upload(s)"] = clean_uploads()
            done["expired idempotency key(s) forgotten"] = IdempotencyKey.forget_expired()
            if options["verbosity"] > 1 or any(done.values()):
                self.stdout.write(
                    "This tick: " + ", ".join(f"{count} {what}" for what, count in done.items()) + "."
                )
            if not loop:
                return
            time.sleep(60)
