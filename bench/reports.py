"""Reports at scale: the engine next to a hand-written GROUP BY, the Reports page, and a streamed CSV export.

    .venv/bin/python bench/reports.py                        100 000 entries in a temporary SQLite file
    .venv/bin/python bench/reports.py --entries 1000000      a million (seeding takes a few minutes)
    DATABASE_URL=postgres://timetracker:timetracker@127.0.0.1:5432/tt_reports_bench .venv/bin/python bench/reports.py
        PostgreSQL: an empty database (runuser -u postgres -- createdb -O timetracker tt_reports_bench), or one
        this script seeded before with at least as many entries (then the seed is skipped).

Figures, never assertions: the median of 5 runs after a warm-up. "engine/raw" is how far the engine's
one-year client x month report over the entries is from the raw SQL GROUP BY on the same rows (the target is
within 1.2x); the same report from the kept day totals (what a viewer in the agency's zone gets) follows;
the CSV export streams every entry in a fresh process and prints its rows/s and peak memory, which must not
grow with the rows.
"""

import argparse
import atexit
import os
import resource
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    # Internal: the CSV export measured in a fresh process (see _export_in_child).
    parser.add_argument("--csv-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # the SQLite file, when that is the database
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/reports.sqlite3")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    os.environ["STATIC_MANIFEST"] = "0"  # nothing was collected
    os.environ.pop("DEBUG", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "timetracker.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if args.csv_only:
        _export_csv()
        return
    _seed(args.entries)
    _measure()


def _seed(entries):
    """seed_demo's agency (people, clients, tasks, a little history), then the rest of the entries inserted
    in bulk: spread over the last three years, so a one-year report reads about a third of them. Bulk rows skip
    the kept totals, which _keep_totals files afterwards."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from timetracker.tasks.models import TimeEntry

    have = TimeEntry.objects.count()
    if have >= entries:
        print(f"using the {have:,} entries already there")
        return
    if have:
        sys.exit(f"the database holds {have:,} entries, fewer than asked: give an empty one")
    started = time.perf_counter()
    call_command("seed_demo", entries=min(entries, 2000), stdout=open(os.devnull, "w"))  # noqa: SIM115
    _bulk_entries(entries - TimeEntry.objects.count())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"seeded {TimeEntry.objects.count():,} entries in {time.perf_counter() - started:.0f} s")


def _bulk_entries(count, batch=5000):
    import random
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from timetracker.accounts.models import User
    from timetracker.tasks.models import Task, TimeEntry, write_path

    rng = random.Random(1)
    tasks = list(Task.objects.values_list("pk", "billable"))
    users = list(User.objects.values_list("pk", flat=True))
    now = timezone.now().replace(second=0, microsecond=0)
    span = 3 * 365 * 24 * 60  # minutes
    with write_path():
        for done in range(0, count, batch):
            rows = []
            for _ in range(min(batch, count - done)):
                task, billable = rng.choice(tasks)
                start = now - timedelta(minutes=rng.randint(60 * 24, span))
                seconds = rng.randint(5, 180) * 60
                rate = Decimal(rng.choice([0, 80, 95, 120]))
                amount = (Decimal(seconds) / 3600 * rate).quantize(Decimal("0.01")) if billable else None
                rows.append(
                    TimeEntry(
                        task_id=task,
                        user_id=rng.choice(users),
                        started_at=start,
                        ended_at=start + timedelta(seconds=seconds),
                        duration_seconds=seconds,
                        rounded_seconds=seconds,
                        billable=billable,
                        hourly_rate=rate,
                        amount=amount,
                        description="bench",
                    )
                )
            TimeEntry.objects.bulk_create(rows)


def _keep_totals():
    """Bulk rows skip the kept totals: file them as the write path would have (check_totals --fix)."""
    from django.core.management import call_command
    from django.db.models import Sum

    from timetracker.tasks.models import DayTotal, TimeEntry

    kept = DayTotal.objects.aggregate(n=Sum("entries"))["n"] or 0
    if kept != TimeEntry.objects.stopped().count():
        started = time.perf_counter()
        call_command("check_totals", "--fix", stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"filed the kept totals in {time.perf_counter() - started:.0f} s")


def _median(call):
    call()  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _raw_group_by(period, zone):
    """Client x month over the period, written by hand for the database at hand."""
    from django.db import connection

    if connection.vendor == "postgresql":
        month = "date_trunc('month', e.started_at AT TIME ZONE %s)"
    else:  # the function Django itself registers on SQLite connections
        month = "django_datetime_trunc('month', e.started_at, %s, 'UTC')"
    sql = f"""
        SELECT t.client_id, c.name, {month} AS m, COUNT(*), SUM(e.duration_seconds), SUM(e.rounded_seconds),
               SUM(CASE WHEN e.billable THEN e.rounded_seconds ELSE 0 END), SUM(e.amount)
        FROM tasks_timeentry e JOIN tasks_task t ON t.id = e.task_id JOIN clients_client c ON c.id = t.client_id
        WHERE e.ended_at IS NOT NULL AND e.started_at >= %s AND e.started_at < %s
        GROUP BY t.client_id, c.name, m"""
    with connection.cursor() as cursor:
        # As Django stores them (naive UTC text on SQLite): a raw parameter would go with its offset, and
        # compare as text an hour off.
        start, end = (connection.ops.adapt_datetimefield_value(bound) for bound in (period.start, period.end))
        cursor.execute(sql, [zone, start, end])
        return cursor.fetchall()


def _measure():
    from django.db import connection
    from django.test import Client

    from timetracker.accounts.models import User
    from timetracker.lib.dates import agency_zone
    from timetracker.reports import engine
    from timetracker.reports.engine import ReportSpec
    from timetracker.tasks.models import TimeEntry

    _keep_totals()
    viewer = User.objects.filter(is_superuser=True).first() or User.objects.first()
    # The viewer's days are the agency's, so the engine may read the kept day totals; `kept=False` makes it
    # read the entries, the same rows the raw query reads.
    viewer.time_zone = agency_zone().key
    viewer.save(update_fields=["time_zone"])
    spec = ReportSpec(group="client", sub_group="month", range="last_n_days:365")
    report = engine.run(spec, viewer, kept=False)
    zone = report.tz.key
    rows = _raw_group_by(report.period, zone)
    assert sum(r[3] for r in rows) == report.totals.entries, "the engine and the raw query disagree"
    kept = engine.run(spec, viewer)
    assert kept.kept and kept.totals == report.totals, "the kept totals and the entries disagree"
    in_year = report.totals.entries
    print(
        f"{connection.vendor}: {TimeEntry.objects.count():,} entries, {in_year:,} in the year shown ({report.period})"
    )

    raw = _median(lambda: _raw_group_by(report.period, zone))
    ran = _median(lambda: engine.run(spec, viewer, kept=False))
    from_kept = _median(lambda: engine.run(spec, viewer))
    print(
        f"  one-year client x month: raw GROUP BY {raw * 1000:.0f} ms; engine on the entries {ran * 1000:.0f} ms"
        f" (engine/raw {ran / raw:.2f}); engine on the kept day totals {from_kept * 1000:.0f} ms"
        f" ({from_kept / raw:.2f})"
    )

    browser = Client()
    browser.force_login(viewer)
    query = spec.to_query().urlencode()
    page = _median(lambda: browser.get(f"/reports/?{query}"))
    print(f"  the Reports page (same report, chart and table): {page * 1000:.0f} ms")

    _export_in_child()


def _export_in_child():
    """The CSV export in a fresh process on the same database: this one's high-water mark holds the seeding
    and the kept totals' rebuild, which would hide whether the export itself stays flat."""
    import subprocess

    result = subprocess.run(
        [sys.executable, __file__, "--csv-only"], env=os.environ, capture_output=True, text=True, check=False
    )
    print(result.stdout.rstrip() or result.stderr.strip()[-2000:])


def _rss_mib():
    # The resident set now (not the high-water mark), from /proc where there is one.
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib():
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent
    across fork and exec, so a child would report the seeding process's peak."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return kib / 1024


def _export_csv():
    """Stream a CSV of every entry as the Logs export does and print rows/s and memory: the peak must not grow
    with the rows (the export reads a chunk at a time and writes as it reads)."""
    from timetracker.lib.dates import agency_zone
    from timetracker.reports import entry_exports
    from timetracker.tasks.models import TimeEntry

    entries = TimeEntry.objects.all()
    entry_exports.Money.of()  # the settings row, loaded before the baseline like the rest of start-up
    baseline = _rss_mib()
    started = time.perf_counter()
    response = entry_exports.respond(entries, "csv", show_amounts=True, tz=agency_zone())
    size = rows = 0
    marks = []
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
        if len(marks) < rows // 100_000:
            marks.append(_rss_mib())
    seconds = time.perf_counter() - started
    peak = _peak_mib()
    print(
        f"  CSV of every entry (a fresh process): {rows - 1:,} rows, {size / 1e6:.0f} MB in {seconds:.1f} s "
        f"({(rows - 1) / seconds:,.0f} rows/s); peak memory {peak:.0f} MiB, {baseline:.0f} MiB before the "
        f"export (resident at each 100k rows: {', '.join(f'{m:.0f}' for m in marks) or '-'})"
    )


if __name__ == "__main__":
    main()
