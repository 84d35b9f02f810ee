import hashlib
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from timetracker.imports import parsers, pipeline
from timetracker.imports.commit import commit
from timetracker.imports.models import ImportRun


class Command(BaseCommand):
    help = "Import time from an export file, after printing its preview (the same rules as the Imports page)."

    def add_arguments(self, parser):
        parser.add_argument("format", help=f"auto, or one of: {', '.join(parsers.FORMATS)}")
        parser.add_argument("file")
        parser.add_argument(
            "--user", help="Username of the Manager or Admin importing (default: the first Admin)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Print the preview; write nothing.")
        parser.add_argument("--time-zone", help="Zone of the file's local times (default: the user's).")
        parser.add_argument("--date-order", choices=["auto", "mdy", "dmy"], default="auto")
        parser.add_argument(
            "--skip-bad-rows", action="store_true", help="Import the good rows of a file with bad ones."
        )
        parser.add_argument(
            "--map", action="append", default=[], metavar="FIELD=COLUMN", help="Generic CSV columns."
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f'There is no file "{path}".')
        user = self._user(options["user"])
        source = options["format"]
        if source == "auto":
            source = parsers.detect(lambda: path.open("rb"))
            if source is None:
                raise CommandError("The format is not recognised; name it, or use generic with --map.")
        elif source not in parsers.FORMATS:
            raise CommandError(f'Unknown format "{source}"; use auto or one of {", ".join(parsers.FORMATS)}.')
        mapping = dict(item.split("=", 1) for item in options["map"] if "=" in item)
        run = ImportRun(
            source=source,
            file_name=path.name[:200],
            file_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
            created_by=user,
            options=pipeline.options_for(
                user,
                time_zone=options["time_zone"],
                date_order=options["date_order"],
                on_error="skip" if options["skip_bad_rows"] else "refuse",
                mapping=mapping or None,
            ),
        )
        if options["dry_run"]:
            run.opener = lambda: path.open("rb")
            pipeline.preview(run, save=False)
            self._print(run)
            return
        with path.open("rb") as handle:
            run.file.save(path.name, File(handle), save=False)
        pipeline.preview(run)
        self._print(run)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(run.message)
        refusal = pipeline.refusal(run)
        if refusal:
            raise CommandError(refusal)
        commit(run)
        if run.status != ImportRun.Status.DONE:
            raise CommandError(f"Nothing was imported: {run.message}")
        self.stdout.write(
            f"Imported as run #{run.pk}: {run.count('new')} created, {run.count('changed')} updated."
        )

    def _user(self, username):
        User = get_user_model()
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f'There is no user "{username}".')
        else:
            user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
            if user is None:
                raise CommandError("Name the importing user with --user.")
        if not user.is_manager:
            raise CommandError(f"{user.username} is not a Manager or Admin; imports write everyone's time.")
        return user

    def _print(self, run):
        if run.status == ImportRun.Status.FAILED:
            self.stdout.write(f"{run.file_name}: {run.message}")
            return
        counts = ", ".join(f"{run.count(name)} {name}" for name in pipeline.COUNTS)
        self.stdout.write(f"{run.file_name} ({run.get_source_display()}): {run.rows_total} rows: {counts}")
        new = run.preview.get("new_counts", {})
        self.stdout.write(
            "Creates: "
            + ", ".join(f"{new.get(kind, 0)} {kind}" for kind in ("clients", "projects", "tasks", "people"))
        )
        for person in run.preview.get("people", []):
            target = "new person" if person["choice"] == "create" else f"user #{person['choice']}"
            rows = f"{person['rows']} row{'' if person['rows'] == 1 else 's'}"
            self.stdout.write(f"  {person['name']}: {rows} -> {target}")
        for error in run.errors:
            self.stdout.write(f"  row {error['row']}: {error['message']}")
        for row in run.preview.get("missing", []):
            self.stdout.write(f"  missing: entry #{row['entry']} of {row['started_at'][:16]} ({row['user']})")
