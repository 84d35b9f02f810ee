"""How every page scales with the number of time entries, next to the query that gives the same figures.

    .venv/bin/python bench/scale.py                       10 000 entries (SQLite files in a temporary folder)
    .venv/bin/python bench/scale.py --big                 10 000 and 1 000 000 (seeding 1M takes about 2 minutes)
    .venv/bin/python bench/scale.py --sizes 2000,20000    any sizes, smallest first
    DATABASE_URL=postgres://timetracker:timetracker@127.0.0.1:5432/tt_scale .venv/bin/python bench/scale.py
        PostgreSQL: an empty database (runuser -u postgres -- createdb -O timetracker tt_scale). Every size
        starts by dropping and recreating its public schema, so a database that has tables is refused unless
        --wipe is given; it is left holding the last size.

Each size gets a fresh database, seeded by seed_demo (then ANALYZEd on PostgreSQL, as autovacuum would).
Every page is fetched in process with Django's test client as alice (Admin) and bob (Staff): one warm-up,
then the median of 5 runs, and the warm-up's query count. A hand-written query for each page's headline
figures is timed the same way: page/raw says how far the page is from what the data itself costs. Then
gunicorn (2 workers) serves the same database on 127.0.0.1 and 8 threads stop, start and list timers through
the API, each on a user of its own, for a bounded number of requests. Prints figures, never asserts them.
"""

import argparse
import json
import math
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import scale_load  # bench/ is on sys.path when this runs as a script
import scale_raw

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
PER_PAGE = 25  # the API's default page size


def main():
    args = _arguments()
    if args.phase:
        return _django_phase(args)
    sizes = sorted({int(n) for n in args.sizes.split(",")} | ({1_000_000} if args.big else set()))
    postgres = os.environ.get("DATABASE_URL", "")
    if postgres and not postgres.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must be a PostgreSQL database; without it each size gets its own SQLite file.")
    with tempfile.TemporaryDirectory() as folder:
        # DEBUG stays off, as in production, so the settings need a key: a throwaway one will do.
        env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(50), "STATIC_MANIFEST": "0"}
        # The seed crosses bucket thresholds, whose alert mails would land in the figures.
        env["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
        env.pop("DEBUG", None)
        results = {}
        for index, size in enumerate(sizes):
            env["DATABASE_URL"] = postgres or f"sqlite:///{folder}/scale-{size}.sqlite3"
            out = Path(folder, f"{size}.json")
            wipe = ["--wipe"] if args.wipe or index else []
            _child(env, "seed", size, out, *wipe)
            seeded = json.loads(out.read_text())
            _child(env, "measure", size, out, "--threads", str(args.threads), "--rounds", str(args.rounds))
            results[size] = {**json.loads(out.read_text()), **seeded}
            results[size]["load"] = scale_load.timer_load(env, results[size]["load_plan"], args, folder)
            if not postgres:  # the next size starts afresh; a million entries take disk space
                for tail in ("", "-wal", "-shm"):
                    Path(folder, f"scale-{size}.sqlite3{tail}").unlink(missing_ok=True)
        _report(sizes, results)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="entries per database, comma-separated (10000)")
    parser.add_argument(
        "--big", action="store_true", help="add 1 000 000 entries (seeding takes about 2 min)"
    )
    parser.add_argument(
        "--wipe", action="store_true", help="PostgreSQL: empty the database even if it has tables"
    )
    parser.add_argument("--threads", type=int, default=8, help="client threads of the timer load (8)")
    parser.add_argument("--rounds", type=int, default=40, help="stop+start+list rounds per thread (40)")
    parser.add_argument("--seconds", type=float, default=60, help="the timer load stops after this (60)")
    parser.add_argument("--phase", choices=["seed", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--entries", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args()


def _child(env, phase, size, out, *extra):
    """Seeding and measuring run in processes of their own, so the seed's memory is not the page's."""
    command = [sys.executable, __file__, "--phase", phase, "--entries", str(size), "--out", str(out), *extra]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


# --- inside Django (child processes) ------------------------------------------------------------------


def _django_phase(args):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timetracker.settings")
    import warnings

    import django

    # No collectstatic in a throwaway benchmark: WhiteNoise may say so once, which is noise here.
    warnings.filterwarnings("ignore", "No directory at")
    django.setup()
    result = _seed(args) if args.phase == "seed" else _measure(args)
    Path(args.out).write_text(json.dumps(result, default=str))


def _seed(args):
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if connection.introspection.table_names(cursor) and not args.wipe:
                sys.exit(f"{connection.settings_dict['NAME']} has tables: give an empty database, or --wipe.")
            cursor.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", entries=args.entries, stdout=open(os.devnull, "w"))  # noqa: SIM115
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
            cursor.execute("SELECT pg_database_size(current_database()), current_setting('server_version')")
            size, version = cursor.fetchone()
            database = f"PostgreSQL {version}"
        else:
            import sqlite3

            name = connection.settings_dict["NAME"]
            # WAL mode: until a checkpoint, part of the data sits in the -wal file next to the database.
            size = sum(
                Path(f"{name}{tail}").stat().st_size
                for tail in ("", "-wal")
                if Path(f"{name}{tail}").exists()
            )
            database = f"SQLite {sqlite3.sqlite_version}"
    return {"seed_seconds": seconds, "database": database, "megabytes": size / 1e6}


def _measure(args):
    from django.db import connection, reset_queries
    from django.db.models import Count
    from django.test import Client as Browser
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from timetracker.accounts.models import ApiKey, User
    from timetracker.buckets import usage
    from timetracker.buckets.models import Bucket
    from timetracker.clients.models import Client

    users = {"Admin": User.objects.get(username="alice"), "Staff": User.objects.get(username="bob")}
    biggest = Client.objects.annotate(n=Count("tasks__entries")).order_by("-n", "pk").first()
    today = timezone.localdate()  # the agency's day, as the bucket pages use
    buckets = {b.pk: (*usage.period_at(b, today).bounds(), b.billable_only) for b in Bucket.objects.active()}
    mine = set(Bucket.objects.active().filter(clients=biggest).values_list("pk", flat=True))
    ctx = {"client": biggest.pk, "buckets": buckets, "client_buckets": {k: buckets[k] for k in mine}}
    browsers, api = {}, {}
    for role, user in users.items():
        browsers[role] = Browser()
        browsers[role].force_login(user)
        api[role] = Browser(headers={"authorization": f"Bearer {ApiKey.issue(user=user, name='scale')[1]}"})
    entries_url = reverse("api:time-entries")
    preview_url = f"{reverse('billing:invoice_create')}?client={biggest.pk}"

    # Memory first, while this process has only served one small page: how much the preview adds.
    browsers["Admin"].get(reverse("dashboard"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    browsers["Admin"].get(preview_url)
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024

    def timed(call):
        reset_queries()  # a request clears the log when it starts, which would hide what it ran
        with CaptureQueriesContext(connection) as queries:
            first = call()  # the warm-up, whose queries are counted; the timed runs go uncaptured
        count = len(queries)  # now: the log is read when asked, and the next request clears it
        times = []
        for _ in range(RUNS):
            begin = time.perf_counter()
            call()
            times.append((time.perf_counter() - begin) * 1000)
        return first, statistics.median(times), count

    rows = []
    for page, roles, link, figures in _pages(biggest.pk, preview_url):
        for role in roles:
            user, browser, url = users[role], browsers[role], link
            if url in ("api-last-page", "api-cursor"):  # the API's end, as far as this user can see
                browser = api[role]
                ctx["last_page"] = max(1, math.ceil(browser.get(entries_url).json()["count"] / PER_PAGE))
                url = f"{entries_url}?page={ctx['last_page']}"
                if link == "api-cursor":  # the same rows, reached by the cursor of the row before them
                    ctx["cursor_row"] = scale_raw.row_before_last_page(ctx | {"user": user})
                    url = f"{entries_url}?cursor={_cursor(*ctx['cursor_row'])}"
            ctx["user"], ctx["bounds"] = user, scale_raw.bounds(user)
            response, page_ms, page_queries = timed(lambda b=browser, url=url: b.get(url))
            _, raw_ms, raw_queries = timed(lambda figures=figures: figures(ctx))
            rows.append(
                {
                    "page": page,
                    "role": role,
                    "status": response.status_code,
                    "ms": page_ms,
                    "queries": page_queries,
                    "raw_ms": raw_ms,
                    "raw_queries": raw_queries,
                    "kb": len(response.content) / 1024,
                }
            )
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    browsers["Admin"].get(preview_url)
    traced = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    tracemalloc.stop()
    memory = {
        "client": biggest.name,
        "entries": scale_raw.unbilled_count(biggest.pk),
        "traced_mb": traced,
        "rss_mb": rss_growth,
    }
    return {
        "rows": rows,
        "memory": memory,
        "load_plan": scale_load.load_plan(biggest, args.threads, args.rounds),
    }


def _cursor(started_at, pk):
    """The cursor the API gives out for a row, in its default order (newest first)."""
    from django.core import signing

    from timetracker.api.pagination import _SALT

    return signing.dumps(["-started_at", started_at.isoformat(), pk], salt=_SALT)


def _pages(client_id, preview_url):
    """(page, roles, URL, the same figures straight from the data); Staff get no billing pages."""
    from django.urls import reverse

    both, admin = ("Admin", "Staff"), ("Admin",)
    logs = reverse("tasks:log_list")
    return [
        ("dashboard", both, reverse("dashboard"), scale_raw.raw_dashboard),
        ("logs, page 1", both, logs, scale_raw.raw_logs("-started")),
        ("logs, by amount", both, f"{logs}?sort=-amount", scale_raw.raw_logs("-amount_total")),
        ("clients list", both, reverse("clients:list"), scale_raw.raw_table("client")),
        ("sites list", both, reverse("clients:site_list"), scale_raw.raw_table("sites")),
        ("client overview", both, reverse("clients:detail", args=[client_id]), scale_raw.raw_client_overview),
        ("buckets list", both, reverse("buckets:list"), scale_raw.raw_buckets),
        ("billing, unbilled", admin, reverse("billing:unbilled"), scale_raw.raw_unbilled),
        ("API entries, last page", both, "api-last-page", scale_raw.raw_api_last_page),
        ("API entries, same by cursor", both, "api-cursor", scale_raw.raw_api_cursor),
        ("invoice preview", admin, preview_url, scale_raw.raw_invoice_preview),
    ]


# --- the report ---------------------------------------------------------------------------------------


def _report(sizes, results):
    small, big = sizes[0], sizes[-1]
    first = results[big]
    print(f"\n{first['database']}: p50 of {RUNS} runs after one warm-up, ms (in process, Django test client)")
    sized = [f"p50 {_short(n)}" for n in sizes]
    header = ["page", "role", *sized, "big/small", "page/raw", "raw ms", "queries", "KB"]
    lines = []
    for index, row in enumerate(first["rows"]):
        cells = [results[n]["rows"][index] for n in sizes]
        counts = sorted({c["queries"] for c in cells}, key=[c["queries"] for c in cells].index)
        failed = [f"HTTP {c['status']}" for c in cells if c["status"] != 200]
        lines.append(
            [
                row["page"],
                row["role"],
                *[f"{c['ms']:.1f}" for c in cells],
                f"{cells[-1]['ms'] / cells[0]['ms']:.1f}x",
                f"{row['ms'] / row['raw_ms']:.1f}x",
                f"{row['raw_ms']:.1f}",
                " -> ".join(map(str, counts)) + (f" {failed[0]}" if failed else ""),
                f"{row['kb']:.0f}",
            ]
        )
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    for line in [header, *lines]:
        print(
            "  ".join(
                str(cell).ljust(w) if i < 2 else str(cell).rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
    print(f"(big/small = p50 at {big:,} / p50 at {small:,}; page/raw, raw ms and KB at {big:,} entries)")
    for n in sizes:
        m = results[n]["memory"]
        print(
            f"invoice preview at {n:,}: {m['client']}, {m['entries']:,} unbilled entries, peak traced "
            f"Python memory {m['traced_mb']:.1f} MB, RSS grew {m['rss_mb']:.1f} MB on its first request"
        )
    for n in sizes:
        print(_load_line(n, results[n]["load"]))
        for error in results[n]["load"].get("errors", []):
            print(f"    gunicorn log: {error[:150]}")
    for n in sizes:
        r = results[n]
        print(
            f"seeded {n:,} entries in {r['seed_seconds']:.1f} s ({n / r['seed_seconds']:,.0f}/s), "
            f"database {r['megabytes']:.1f} MB"
        )


def _load_line(size, load):
    if "error" in load:
        return f"timer load at {size:,}: {load['error']}"
    samples = load["samples"]
    if not samples:
        return f"timer load at {size:,}: no requests were made"
    times = sorted(ms for _, _, ms in samples)
    statuses = [status for _, status, _ in samples]
    parts = []
    for kind in ("stop", "start", "active"):
        own = sorted(ms for k, _, ms in samples if k == kind)
        if own:
            parts.append(f"{kind} {_pct(own, 50):.0f}/{_pct(own, 95):.0f}")
    others = len([s for s in statuses if not 200 <= s < 300 and s < 500])
    return (
        f"timer load at {size:,} (gunicorn 2 workers, {load['threads']} threads): {len(samples)} requests in "
        f"{load['seconds']:.1f} s = {len(samples) / load['seconds']:.0f} req/s, p50 {_pct(times, 50):.0f} ms, "
        f"p95 {_pct(times, 95):.0f} ms ({', '.join(parts)} ms p50/p95), "
        f"5xx {sum(1 for s in statuses if s >= 500)}, other non-2xx {others}"
    )


def _pct(ordered, percent):
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def _short(n):
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


if __name__ == "__main__":
    main()
