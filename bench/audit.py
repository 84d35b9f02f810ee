"""How the audit trail pages scale with the number of time entries: a client's and a bucket's trail for their
busiest month, an invoice's trail, and the month's CSV, as alice (Admin). Median of 5 runs after a warm-up,
with the warm-up's query count. Prints figures, never asserts them.

    .venv/bin/python bench/audit.py                     10 000 entries (a SQLite file in a temporary folder)
    .venv/bin/python bench/audit.py --sizes 10000,1000000
    DATABASE_URL=postgres://timetracker:timetracker@127.0.0.1:5432/tt_audit_bench .venv/bin/python bench/audit.py
        PostgreSQL: an empty database of its own; each size drops and recreates its public schema.

The seed (seed_demo) loads history in bulk, which writes no history rows: after seeding, every entry of the
measured month and the invoice is changed once through the write path, so each has the rows the trail reads.
"""

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--entries", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        return _inside(args.entries)
    postgres = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(50), "STATIC_MANIFEST": "0"}
        env["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
        env.pop("DEBUG", None)
        for size in sorted(int(n) for n in args.sizes.split(",")):
            env["DATABASE_URL"] = postgres or f"sqlite:///{folder}/audit-{size}.sqlite3"
            command = [sys.executable, __file__, "--phase", "run", "--entries", str(size)]
            subprocess.run(command, cwd=ROOT, env=env, check=True)


def _inside(size):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timetracker.settings")
    import warnings

    import django

    warnings.filterwarnings("ignore", "No directory at")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.test import Client as Browser
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from timetracker.accounts.models import User
    from timetracker.billing.models import Invoice
    from timetracker.tasks import entries as write
    from timetracker.tasks.models import TimeEntry

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", entries=size, stdout=open(os.devnull, "w"))  # noqa: SIM115
    seed_seconds = time.perf_counter() - started
    busiest = (
        TimeEntry.objects.stopped()
        .annotate(month=TruncMonth("started_at"))
        .values("task__client", "task__bucket", "month")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    month = f"{busiest['month']:%Y-%m}"
    invoice = Invoice.objects.annotate(n=Count("lines__entries")).order_by("-n").first()
    alice = User.objects.get(username="alice")
    # Give the measured entries a history row each (a description change by alice): stopped and unbilled
    # only, as the write path refuses to change invoiced time.
    shown = TimeEntry.objects.filter(task__client=busiest["task__client"]).unbilled()
    shown = shown.stopped().filter(
        started_at__year=busiest["month"].year, started_at__month=busiest["month"].month
    )
    for entry in list(shown.order_by("started_at")[:200]):
        write.change(entry, by=alice, description=f"{entry.description} (checked)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    browser = Browser()
    browser.force_login(alice)
    pages = {
        "client trail": f"{reverse('automation:client_audit', args=[busiest['task__client']])}?month={month}",
        "client trail, page 3": f"{reverse('automation:client_audit', args=[busiest['task__client']])}"
        f"?month={month}&page=3",
        "client CSV (month)": f"{reverse('automation:client_audit_csv', args=[busiest['task__client']])}"
        f"?month={month}",
    }
    if busiest["task__bucket"]:
        pages["bucket trail"] = (
            f"{reverse('automation:bucket_audit', args=[busiest['task__bucket']])}?month={month}"
        )
    if invoice:
        pages["invoice trail"] = reverse("automation:invoice_audit", args=[invoice.pk])
        pages["invoice CSV"] = reverse("automation:invoice_audit_csv", args=[invoice.pk])

    def fetch(url):
        response = browser.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return len(body)

    print(
        f"\n{connection.vendor}, {TimeEntry.objects.count():,} entries (seeded in {seed_seconds:.0f} s), month {month}"
    )
    print(f"{'page':<24} {'median ms':>10} {'queries':>8} {'bytes':>10}")
    for name, url in pages.items():
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            size_bytes = fetch(url)
        count = len(queries)
        times = []
        for _ in range(RUNS):
            begin = time.perf_counter()
            fetch(url)
            times.append((time.perf_counter() - begin) * 1000)
        print(f"{name:<24} {statistics.median(times):>10.1f} {count:>8} {size_bytes:>10,}")
    print(json.dumps({"entries": size, "month": month}))


if __name__ == "__main__":
    main()
