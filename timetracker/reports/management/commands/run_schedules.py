import time

from django.core.management.base import BaseCommand

from timetracker.reports.schedules import tick


class Command(BaseCommand):
    help = "Queue the scheduled report e-mails that are due (run it every minute from cron, or with --loop)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="Keep ticking once a minute (for a container)."
        )

    def handle(self, *args, loop=False, **options):
        while True:
            queued = tick()
            if options["verbosity"] > 1 or queued:
                self.stdout.write(f"Queued {queued} report e-mail(s).")
            if not loop:
                return
            time.sleep(60)
