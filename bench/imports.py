"""How fast a big Toggl CSV imports, and how much memory it takes: rows/s for the preview (parse, map, check),
the commit of the previewed file (one more walk that checks each row again and writes it through
entries.record_many) and a re-import (every row unchanged), with the peak memory (RSS) of the process. Run at two sizes: flat memory means the larger file needs little more.

.venv/bin/python bench/imports.py [N]          (default 100000 rows, in a fresh SQLite database; target 20k rows/s)
DATABASE_URL=postgres://timetracker:timetracker@127.0.0.1:5432/tt_imports_bench .venv/bin/python bench/imports.py
    (the database is created and dropped by the bench)
"""

import csv
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = [
    "User", "Email", "Client", "Project", "Task", "Description", "Billable",
    "Start date", "Start time", "End date", "End time", "Duration", "Tags", "Amount (EUR)",
]  # fmt: skip


def write_toggl(path, rows):
    """A Toggl detailed export: 10 people, 20 clients with 5 projects each, 15 to 120 minute entries."""
    start = datetime(2025, 1, 6, 8, 0)
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for n in range(rows):
            person, client = n % 10, n % 20
            # Sixteen entries a working day (no clock change falls inside one), day after day.
            begin = start + timedelta(days=n // 16, minutes=37 * (n % 16))
            end = begin + timedelta(minutes=15 + n % 106)
            out.writerow(
                [
                    f"Person {person}", f"person{person}@example.com", f"Client {client}",
                    f"Project {client}-{n % 5}", "", f"Work item {n}", "Yes" if n % 4 else "No",
                    f"{begin:%Y-%m-%d}", f"{begin:%H:%M:%S}", f"{end:%Y-%m-%d}", f"{end:%H:%M:%S}",
                    str(end - begin), "", "",
                ]
            )  # fmt: skip


def child(rows):
    """Inside Django, in the prepared database: generate, preview, commit, re-import; print JSON figures."""
    import django

    django.setup()
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory
    from timetracker.imports import pipeline
    from timetracker.imports.commit import commit
    from timetracker.imports.models import ImportRun
    from timetracker.tasks.models import TimeEntry

    admin = UserFactory(username="bench", role="Admin", is_superuser=True)
    Group.objects.get_or_create(name="Admin")
    figures = {"rows": rows}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "toggl.csv")
        write_toggl(path, rows)
        figures["file_mb"] = round(path.stat().st_size / 1e6, 1)

        def run_for():
            run = ImportRun(source="toggl", file_name=path.name, file_hash="bench", created_by=admin)
            run.options = pipeline.options_for(admin, time_zone="Europe/Amsterdam")
            run.opener = lambda: path.open("rb")
            return run

        def previewed():
            """A run as the Imports page confirms it: previewed (untimed here), then saved as waiting."""
            run = pipeline.preview(run_for(), save=False)
            assert run.status == "preview", run.message
            return _saved(run)

        for phase, prepare, action in (
            ("preview", run_for, lambda run: pipeline.preview(run, save=False)),
            ("commit", previewed, commit),
            ("reimport", previewed, commit),
        ):
            run = prepare()
            started, cpu = time.perf_counter(), time.process_time()
            run = action(run)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert run.status in ("preview", "done"), run.message
            # The machine may be shared: the process's own CPU time says what the import costs, the wall clock
            # what waiting for the CPU (and for the database server) added.
            figures[phase] = {
                "seconds": round(seconds, 2),
                "rows_per_s": round(rows / seconds),
                "cpu_s": round(cpu, 2),
            }
    figures["entries"] = TimeEntry.objects.count()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


def _saved(run):
    run.status = "preview"
    opener = run.opener
    run.save()
    run.opener = opener
    return run


def measure(rows, env):
    def manage(*args):
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )

    manage("migrate", "--no-input", "--skip-checks")  # the bench needs the schema, not the whole site
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(rows)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": "timetracker.settings", "PYTHONPATH": str(ROOT)}
    base.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    for size in (rows // 5, rows):
        with tempfile.TemporaryDirectory() as folder:
            env = {
                **base,
                "DATABASE_URL": base["DATABASE_URL"] if postgres else f"sqlite:///{folder}/bench.sqlite3",
            }
            if postgres:
                _recreate(env["DATABASE_URL"])
            figures = measure(size, env)
        phases = "  ".join(
            f"{p} {figures[p]['seconds']} s ({figures[p]['rows_per_s']:,} rows/s, CPU {figures[p]['cpu_s']} s)"
            for p in ("preview", "commit", "reimport")
        )
        print(
            f"{size:,} Toggl rows ({figures['file_mb']} MB): {phases}  peak RSS {figures['peak_rss_mb']} MB"
        )
        assert figures["entries"] == size, figures


def _recreate(url):
    """A fresh PostgreSQL database of the URL's name (the role needs CREATEDB)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.path.insert(0, str(ROOT))
        child(int(sys.argv[2]))
    else:
        main()
