"""How every page scales with the number of time entries, next to the query that gives the same figures.

    .venv/bin/python bench/scale.py                       10 000 entries (SQLite files in a temporary folder)
    .venv/bin/python bench/scale.py --big                 10 000 and 1 000 000 (seeding 1M takes ~13 minutes)
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
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

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
            results[size]["load"] = _timer_load(env, results[size]["load_plan"], args, folder)
            if not postgres:  # the next size starts afresh; a million entries take disk space
                for tail in ("", "-wal", "-shm"):
                    Path(folder, f"scale-{size}.sqlite3{tail}").unlink(missing_ok=True)
        _report(sizes, results)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="entries per database, comma-separated (10000)")
    parser.add_argument("--big", action="store_true", help="add 1 000 000 entries (seeding takes ~13 min)")
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
            if url is None:  # the API's last page, as far as this user can see
                browser = api[role]
                ctx["last_page"] = max(1, math.ceil(browser.get(entries_url).json()["count"] / PER_PAGE))
                url = f"{entries_url}?page={ctx['last_page']}"
            ctx["user"], ctx["bounds"] = user, _bounds(user)
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
        "entries": _unbilled_count(biggest.pk),
        "traced_mb": traced,
        "rss_mb": rss_growth,
    }
    return {"rows": rows, "memory": memory, "load_plan": _load_plan(biggest, args.threads, args.rounds)}


def _pages(client_id, preview_url):
    """(page, roles, URL, the same figures straight from the data); Staff get no billing pages."""
    from django.urls import reverse

    both, admin = ("Admin", "Staff"), ("Admin",)
    logs = reverse("tasks:log_list")
    return [
        ("dashboard", both, reverse("dashboard"), _raw_dashboard),
        ("logs, page 1", both, logs, _raw_logs("-started")),
        ("logs, by amount", both, f"{logs}?sort=-amount", _raw_logs("-amount_total")),
        ("clients list", both, reverse("clients:list"), _raw_table("client")),
        ("sites list", both, reverse("clients:site_list"), _raw_table("sites")),
        ("client overview", both, reverse("clients:detail", args=[client_id]), _raw_client_overview),
        ("buckets list", both, reverse("buckets:list"), _raw_buckets),
        ("billing, unbilled", admin, reverse("billing:unbilled"), _raw_unbilled),
        ("API entries, last page", both, None, _raw_api_last_page),
        ("invoice preview", admin, preview_url, _raw_invoice_preview),
    ]


# --- the same figures, straight from the data ---------------------------------------------------------
# Each function below asks for a page's headline figures in as few grouped queries as the data allows,
# written without the app's QuerySet helpers so that it stays the same yardstick when the app changes.


def _bounds(user):
    zone = ZoneInfo(user.time_zone)
    today = datetime.now(zone).date()

    def midnight(day):
        return datetime.combine(day, clock(), tzinfo=zone)

    return {
        "zone": zone,
        "day": midnight(today),
        "week": midnight(today - timedelta(days=today.weekday())),
        "month": midnight(today.replace(day=1)),
        "chart": midnight(today - timedelta(days=29)),
    }


def _unbilled_q():
    from django.db.models import Q

    return Q(ended_at__isnull=False, billable=True, invoice_line__isnull=True, billed_elsewhere="")


def _entries(user):
    from timetracker.tasks.models import TimeEntry

    return TimeEntry.objects.all() if user.is_manager else TimeEntry.objects.filter(user=user)


def _tasks(user):
    from django.db.models import Exists, OuterRef, Q

    from timetracker.tasks.models import Task, TimeEntry

    if user.is_manager:
        return Task.objects.all()
    own_time = Exists(TimeEntry.objects.filter(task=OuterRef("pk"), user=user))
    return Task.objects.filter(Q(assignee=user) | Q(created_by=user) | own_time)


def _bucket_usage(buckets):
    """Used seconds of each bucket's current period, one query (the page also carries rollover over)."""
    from django.db.models import Q, Sum

    from timetracker.tasks.models import TimeEntry

    sums = {}
    for pk, (start, end, billable_only) in buckets.items():
        when = Q(task__bucket_id=pk, started_at__gte=start)
        when &= Q(started_at__lt=end) if end else Q()
        when &= Q(billable=True) if billable_only else Q()
        sums[f"b{pk}"] = Sum("rounded_seconds", filter=when)
    stopped = TimeEntry.objects.filter(ended_at__isnull=False, task__bucket_id__in=list(buckets))
    return stopped.aggregate(**sums) if sums else {}


def _raw_dashboard(ctx):
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncDate

    from timetracker.clients.models import Client

    user, b, entries = ctx["user"], ctx["bounds"], _entries(ctx["user"])
    figures = entries.aggregate(
        entries=Count("pk"),
        today=Sum("duration_seconds", filter=Q(user=user, started_at__gte=b["day"])),
        week=Sum("duration_seconds", filter=Q(user=user, started_at__gte=b["week"])),
        team_today=Sum("duration_seconds", filter=Q(started_at__gte=b["day"])),
        team_week=Sum("duration_seconds", filter=Q(started_at__gte=b["week"])),
    )
    per_day = list(
        entries.filter(ended_at__isnull=False, started_at__gte=b["chart"])
        .annotate(day=TruncDate("started_at", tzinfo=b["zone"]))
        .values("day")
        .annotate(seconds=Sum("duration_seconds"))
        .values_list("day", "seconds")
    )
    recent = list(
        entries.order_by("-started_at").values_list("pk", "task__client__name", "user__username")[:8]
    )
    unbilled = []
    if user.is_manager:  # Staff see amounts only when the settings allow it (not in the demo)
        unbilled = list(
            entries.filter(_unbilled_q()).values("task__client").annotate(a=Sum("amount")).order_by("-a")[:8]
        )
    buckets = _bucket_usage(ctx["buckets"])  # the buckets near their limit
    clients = Client.objects.filter(archived_at__isnull=True).count()
    return figures, per_day, recent, unbilled, buckets, clients, _tasks(user).count()


def _raw_logs(order):
    def figures(ctx):
        from django.db.models import Count, Min, Q, Sum

        entries = _entries(ctx["user"])
        totals = entries.aggregate(
            duration=Sum("duration_seconds"),
            rounded=Sum("rounded_seconds"),
            billable=Sum("rounded_seconds", filter=Q(billable=True)),
            amount=Sum("amount"),
        )
        tasks = entries.order_by().values("task").distinct().count()
        rows = list(
            entries.order_by()
            .values("task")
            .annotate(
                tracked=Sum("duration_seconds"),
                rounded=Sum("rounded_seconds"),
                amount_total=Sum("amount"),
                started=Min("started_at"),
                n=Count("pk"),
            )
            .order_by(order, "-task")[:PER_PAGE]
        )
        return totals, tasks, rows

    return figures


def _raw_table(link):
    """Clients or sites: tasks in progress and completed, time this month, unbilled amount per row."""

    def figures(ctx):
        from django.db.models import Count, Q, Sum

        from timetracker.clients.models import Client, Site

        user, month = ctx["user"], ctx["bounds"]["month"]
        this_month = Q(ended_at__isnull=False, started_at__gte=month)
        time = list(
            _entries(user)
            .order_by()
            .values(f"task__{link}")
            .annotate(
                month=Sum("duration_seconds", filter=this_month), unbilled=Sum("amount", filter=_unbilled_q())
            )
        )
        tasks = list(_tasks(user).order_by().values(link, "status").annotate(n=Count("pk")))
        rows = (
            (Client if link == "client" else Site).objects.filter(archived_at__isnull=True).order_by("name")
        )
        return time, tasks, list(rows.values_list("pk", "name")[:50])

    return figures


def _raw_client_overview(ctx):
    from django.db.models import Q, Sum

    user, b = ctx["user"], ctx["bounds"]
    entries = _entries(user).filter(task__client_id=ctx["client"], ended_at__isnull=False)
    figures = entries.aggregate(
        week=Sum("duration_seconds", filter=Q(started_at__gte=b["week"])),
        month=Sum("duration_seconds", filter=Q(started_at__gte=b["month"])),
        unbilled=Sum("amount", filter=_unbilled_q()),
    )
    recent = list(_tasks(user).filter(client_id=ctx["client"]).order_by("-updated_at").values_list("pk")[:8])
    return figures, recent, _bucket_usage(ctx["client_buckets"])


def _raw_buckets(ctx):
    from timetracker.buckets.models import Bucket

    rows = list(Bucket.objects.filter(archived_at__isnull=True).values_list("pk", "title", "hours"))
    return rows, _bucket_usage(ctx["buckets"])


def _raw_unbilled(ctx):
    from django.db.models import Count, Max, Min, Q, Sum

    from timetracker.tasks.models import TimeEntry

    return list(
        TimeEntry.objects.filter(_unbilled_q())
        .values("task__client", "task__client__name")
        .annotate(
            n=Count("pk"),
            seconds=Sum("rounded_seconds"),
            amount=Sum("amount"),
            unrated=Count("pk", filter=Q(hourly_rate__isnull=True)),
            first=Min("started_at"),
            last=Max("started_at"),
        )
        .order_by("task__client__name")
    )


def _raw_api_last_page(ctx):
    stopped = _entries(ctx["user"]).filter(ended_at__isnull=False)
    count = stopped.count()
    offset = (ctx["last_page"] - 1) * PER_PAGE
    fields = ("pk", "task_id", "task__title", "started_at", "ended_at", "rounded_seconds", "amount")
    return count, list(
        stopped.order_by("-started_at", "-pk").values_list(*fields)[offset : offset + PER_PAGE]
    )


def _raw_invoice_preview(ctx):
    """The draft's lines: per task and rate, the rounded seconds (grouping by task, rounding per entry)."""
    from django.db.models import Count, Min, Sum

    from timetracker.tasks.models import TimeEntry

    return list(
        TimeEntry.objects.filter(_unbilled_q(), task__client_id=ctx["client"])
        .values("task", "hourly_rate")
        .annotate(seconds=Sum("rounded_seconds"), n=Count("pk"), first=Min("started_at"))
    )


def _unbilled_count(client_id):
    from timetracker.tasks.models import TimeEntry

    return TimeEntry.objects.filter(_unbilled_q(), task__client_id=client_id).count()


def _load_plan(client, threads, rounds):
    """For each load thread, a task of its own and `rounds` Staff users, each with a timer running for an
    hour: every stop under load is a real one (under a minute would be refused)."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from timetracker.accounts.models import ApiKey, Role, User
    from timetracker.tasks import timer
    from timetracker.tasks.models import Task

    staff = Group.objects.get(name=Role.STAFF)
    hour_ago = timezone.now() - timedelta(hours=1)
    plan = []
    for thread in range(threads):
        task = Task.objects.create(title=f"Scale bench load {thread}", client=client)
        keys = []
        for round_ in range(rounds):
            user = User.objects.create(username=f"scale-load-{thread}-{round_}", password="!")
            user.groups.add(staff)
            timer.start(user=user, task=task, now=hour_ago)
            keys.append(ApiKey.issue(user=user, name="scale load")[1])
        plan.append({"task": task.pk, "keys": keys})
    return plan


# --- the timer under gunicorn (this process) ----------------------------------------------------------


def _timer_load(env, plan, args, folder):
    """gunicorn with 2 workers on 127.0.0.1; each thread, each round: stop (a timer started an hour ago, on a
    user of that round), start again, list the active timers. Ends after all rounds or --seconds."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    log = open(Path(folder, "gunicorn.log"), "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "timetracker.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        if not _wait_until_up(f"{base}/login/", server):
            return {"error": "gunicorn did not answer within 60 s"}
        for _ in range(8):  # both workers import and resolve URLs before the clock starts
            _call("GET", f"{base}/login/", None)
        samples, lock = [], threading.Lock()
        deadline = time.monotonic() + args.seconds

        def work(task, keys):
            for key in keys:
                for method, path in (
                    ("POST", f"tasks/{task}/stop"),
                    ("POST", f"tasks/{task}/start"),
                    ("GET", "timers/active"),
                ):
                    if time.monotonic() > deadline:
                        return
                    status, ms = _call(method, f"{base}/api/v1/{path}", key)
                    with lock:
                        samples.append((path.rsplit("/", 1)[-1], status, ms))

        threads = [threading.Thread(target=work, args=(t["task"], t["keys"])) for t in plan]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    errors = [line for line in Path(folder, "gunicorn.log").read_text().splitlines() if "Error" in line]
    return {"samples": samples, "seconds": wall, "threads": len(plan), "errors": errors[-3:]}


def _wait_until_up(url, server):
    for _ in range(300):
        if server.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=10).close()
            return True
        except urllib.error.HTTPError:
            return True  # it answers; what it says is the load's business
        except OSError:
            time.sleep(0.2)
    return False


def _call(method, url, key):
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"} if key else {}
    request = urllib.request.Request(
        url, data=b"{}" if method == "POST" else None, headers=headers, method=method
    )
    begin = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0  # no answer at all
    return status, (time.perf_counter() - begin) * 1000


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
