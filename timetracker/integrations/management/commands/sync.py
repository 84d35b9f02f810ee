from django.core.management.base import BaseCommand, CommandError

from timetracker.integrations import sync
from timetracker.integrations.models import Connection, SyncRun


class Command(BaseCommand):
    help = "Sync a connection now (or every enabled one) and print what each run did."

    def add_arguments(self, parser):
        parser.add_argument("connection", nargs="?", type=int, help="The connection's id.")
        parser.add_argument("--all", action="store_true", dest="every", help="Every enabled connection.")

    def handle(self, *args, connection=None, every=False, **options):
        if every == (connection is not None):
            raise CommandError("Give a connection id or --all.")
        connections = (
            Connection.objects.filter(enabled=True) if every else Connection.objects.filter(pk=connection)
        )
        if not every and not connections:
            raise CommandError(f"No connection {connection}.")
        failed = False
        for item in connections:
            try:
                sync_run = sync.run(sync.claim(item, trigger=SyncRun.Trigger.COMMAND))
            except sync.AlreadyRunning as busy:
                self.stderr.write(str(busy))
                failed = True
                continue
            counts = ", ".join(f"{name} {sync_run.count(name)}" for name in SyncRun.COUNTS)
            self.stdout.write(f"{item.name}: {sync_run.get_status_display().lower()}: {counts}")
            if sync_run.message:
                self.stdout.write(f"  {sync_run.message}")
            failed |= sync_run.status == SyncRun.Status.FAILED
        if failed:
            raise CommandError("A sync failed.")
