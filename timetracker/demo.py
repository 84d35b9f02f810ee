"""Realistic demo data: clients with sites and projects, buckets, tasks, weeks of time for three users, an invoice.

Idempotent: everything is looked up by name before it is created, and entries are only added up to the
number asked for, so running it again changes nothing. Entries are bulk-inserted so that benchmarks can ask
for a hundred thousand of them.
"""

import random
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from timetracker.accounts.models import Role, User
from timetracker.billing import drafts, invoicing
from timetracker.billing.models import ClientSettings, Invoice, Settings
from timetracker.buckets import usage
from timetracker.buckets.models import Bucket, Recurrence
from timetracker.clients.models import Client, Project, Site
from timetracker.tasks import entries as write
from timetracker.tasks import timer
from timetracker.tasks.choices import EntrySource, TaskStatus
from timetracker.tasks.models import Task, TimeEntry

DEMO_PASSWORD = "timetracker"
# Histories reach back at most to here; about 4.5 entries a weekday from then on make PER_PERSON each.
HISTORY_FROM = date(1990, 1, 1)
PER_PERSON = 40_000
DEFAULT_ENTRIES = 240
# The demo invoice bills this many days from the start of the history, leaving the rest unbilled.
INVOICE_DAYS = 14

USERS = [
    ("alice", "Alice", "Anders", Role.ADMIN, "Europe/Amsterdam", None),
    ("dana", "Dana", "Diaz", Role.MANAGER, "Europe/Amsterdam", Decimal("110.00")),
    ("bob", "Bob", "Brown", Role.STAFF, "America/New_York", None),
]

# name, rate, sites, projects (name, rate)
CLIENTS = [
    (
        "Acme Corp",
        Decimal("120.00"),
        ["acme.com", "shop.acme.com"],
        [("Website care", None), ("Rebrand", Decimal("140.00"))],
    ),
    ("Bluebird Bakery", None, ["bluebirdbakery.nl"], [("Online orders", None)]),
    (
        "Northwind Traders",
        Decimal("105.00"),
        ["northwind.example", "b2b.northwind.example"],
        [("Intranet", None)],
    ),
    ("Greenfield Dental", None, ["greenfielddental.com"], [("Patient portal", None)]),
    ("Harbor Lights Foundation", Decimal("75.00"), ["harborlights.org"], [("Campaign 2026", None)]),
]

# title, clients, hours, price, recurrence, rollover, hard stop
BUCKETS = [
    ("Acme monthly maintenance", ["Acme Corp"], "60", Decimal("100.00"), Recurrence.MONTHLY, False, False),
    ("Bluebird support block", ["Bluebird Bakery"], "80", Decimal("90.00"), Recurrence.NONE, False, True),
    ("Northwind retainer", ["Northwind Traders"], "120", Decimal("95.00"), Recurrence.QUARTERLY, True, False),
    (
        "Shared care plan",
        ["Greenfield Dental", "Harbor Lights Foundation"],
        "50",
        None,
        Recurrence.MONTHLY,
        False,
        False,
    ),
]

# title, client, project, bucket, billable
TASKS = [
    ("Plugin and core updates", "Acme Corp", "Website care", "Acme monthly maintenance", True),
    ("Uptime incident follow-up", "Acme Corp", "Website care", "Acme monthly maintenance", True),
    ("New brand style guide", "Acme Corp", "Rebrand", None, True),
    ("Checkout bug in WooCommerce", "Bluebird Bakery", "Online orders", "Bluebird support block", True),
    ("Holiday opening hours banner", "Bluebird Bakery", "Online orders", "Bluebird support block", True),
    ("SSO for the intranet", "Northwind Traders", "Intranet", "Northwind retainer", True),
    ("Quarterly security audit", "Northwind Traders", "Intranet", "Northwind retainer", True),
    ("Appointment form accessibility", "Greenfield Dental", "Patient portal", "Shared care plan", True),
    ("Backup restore drill", "Greenfield Dental", None, "Shared care plan", False),
    ("Donation page speed", "Harbor Lights Foundation", "Campaign 2026", "Shared care plan", True),
    ("Internal: team meeting", "Harbor Lights Foundation", None, None, False),
]

DESCRIPTIONS = [
    "Updated plugins and checked the front end",
    "Call with the client",
    "Investigated the error log",
    "Wrote the fix and tested on staging",
    "Deployed and verified",
    "Reviewed pull request",
    "Content changes",
    "",
]


def seed(*, entries=DEFAULT_ENTRIES, today=None, log=print):
    today = today or timezone.localdate()
    # One transaction: a failed run leaves nothing behind, and SQLite inserts far faster inside one.
    with transaction.atomic():
        users = _users()
        settings = _settings()
        clients = _clients()
        buckets = _buckets(clients, today)
        tasks = _tasks(clients, buckets, users)
        created = _entries(users, tasks, settings, entries, today)
        _running_timer(users["bob"], tasks)
        invoice = _invoice(clients["Acme Corp"], users["alice"], today)
        # Bulk inserts bypass the timer, so record the threshold alerts the time has crossed.
        for bucket in buckets.values():
            usage.record_alerts(bucket, day=today)
    billed = f"invoice {invoice.number}" if invoice else "no invoice (no Acme Corp time to bill)"
    log(
        f"Demo data ready: {len(users)} users, {len(clients)} clients, {len(tasks)} tasks, "
        f"{TimeEntry.objects.count()} entries ({created} new), {billed}. "
        f'Log in as "alice" with password "{DEMO_PASSWORD}".'
    )
    return created


def _users():
    users = {}
    for username, first, last, role, tz, rate in USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@agency.example",
                "time_zone": tz,
                "default_hourly_rate": rate,
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        users[username] = user
    return users


def _settings():
    settings = Settings.load()
    if settings.default_hourly_rate is None:
        settings.default_hourly_rate = Decimal("95.00")
        settings.rounding_enabled = True
        settings.rounding_mode = "up"
        settings.rounding_interval = 15
        # Who sends the demo's invoices: what the invoice page and its PDF print under "From".
        settings.agency_name = "Nordlicht Web Studio"
        settings.agency_address = "Hafenstraße 12\n20457 Hamburg\nGermany"
        settings.agency_tax_id = "DE 123 456 789"
        settings.agency_bank_details = "IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX"
        settings.invoice_footer = "Thank you for working with us."
        settings.save()
    return settings


def _clients():
    clients = {}
    for name, rate, sites, projects in CLIENTS:
        client, _ = Client.objects.get_or_create(
            name=name, defaults={"hourly_rate": rate, "email": f"office@{sites[0]}", "contact_name": "Office"}
        )
        for domain in sites:
            Site.objects.get_or_create(client=client, name=domain, defaults={"url": f"https://{domain}/"})
        for project_name, project_rate in projects:
            Project.objects.get_or_create(
                client=client, name=project_name, defaults={"hourly_rate": project_rate}
            )
        clients[name] = client
    # One client bills in euros with European formatting and coarser rounding, to show overrides at work.
    ClientSettings.objects.get_or_create(
        client=clients["Bluebird Bakery"],
        defaults={
            "currency_code": "EUR",
            "currency_symbol": "€",
            "symbol_position": "after",
            "thousand_separator": ".",
            "decimal_separator": ",",
            "rounding_enabled": True,
            "rounding_mode": "up",
            "rounding_interval": 30,
        },
    )
    return clients


def _demo_start(today, recurrence):
    """Start buckets a little before the demo's history so the periods shown have time in them."""
    quarter_start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    if recurrence == Recurrence.QUARTERLY:
        if quarter_start.month == 1:
            return date(quarter_start.year - 1, 10, 1)
        return date(quarter_start.year, quarter_start.month - 3, 1)
    return (today.replace(day=1) - timedelta(days=32)).replace(day=1)


def _buckets(clients, today):
    buckets = {}
    for title, client_names, hours, price, recurrence, rollover, hard_stop in BUCKETS:
        bucket, created = Bucket.objects.get_or_create(
            title=title,
            defaults={
                "hours": Decimal(hours),
                "hourly_price": price,
                "recurrence": recurrence,
                "rollover": rollover,
                "hard_stop": hard_stop,
                "start_date": _demo_start(today, recurrence),
            },
        )
        if created:
            bucket.clients.set([clients[name] for name in client_names])
        buckets[title] = bucket
    return buckets


def _tasks(clients, buckets, users):
    staff = [users["alice"], users["dana"], users["bob"]]
    tasks = []
    for index, (title, client_name, project_name, bucket_title, billable) in enumerate(TASKS):
        client = clients[client_name]
        task, created = Task.objects.get_or_create(
            title=title,
            client=client,
            defaults={
                "project": Project.objects.get(client=client, name=project_name) if project_name else None,
                "bucket": buckets[bucket_title] if bucket_title else None,
                "billable": billable,
                "assignee": staff[index % len(staff)],
                "created_by": users["alice"],
                "status": TaskStatus.COMPLETED if index % 3 == 0 else TaskStatus.PAUSED,
            },
        )
        if created:
            task.sites.set(client.sites.all()[:1])
        tasks.append(task)
    return tasks


def _entries(users, tasks, settings, wanted, today):
    """Add entries until the demo users have `wanted` of them; each user works weekdays, back from yesterday.

    They go in through the write path's bulk form, which rounds, rates and prices them as the timer would."""
    demo_users = list(users.values()) + _extra_staff(wanted)
    existing = TimeEntry.objects.filter(user__in=demo_users).count()
    missing = wanted - existing
    if missing <= 0:
        return 0
    return write.record_many(_history(demo_users, tasks, missing, today, random.Random(existing)))


def _extra_staff(wanted):
    """Big seeds (benchmarks) get more staff rather than centuries of history: every entry stays inside the
    supported dates, each person's history reaching back no further than HISTORY_FROM."""
    needed = -(-wanted // PER_PERSON) - len(USERS)
    extra = []
    for number in range(1, max(0, needed) + 1):
        user, created = User.objects.get_or_create(
            username=f"staff{number:02}",
            defaults={
                "first_name": "Staff",
                "last_name": f"{number:02}",
                "email": f"staff{number:02}@agency.example",
                "time_zone": "Europe/Amsterdam" if number % 2 else "America/New_York",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get_or_create(name=Role.STAFF)[0])
        extra.append(user)
    return extra


def _history(demo_users, tasks, missing, today, rng):
    per_user = -(-missing // len(demo_users))
    made = 0
    for user in demo_users:
        tz = zoneinfo.ZoneInfo(user.time_zone)
        first = (
            TimeEntry.objects.filter(user=user).order_by("started_at").values_list("started_at", flat=True)
        )
        first = first.first()
        # Continue further back in time than anything already there, so entries never overlap.
        day = (first.astimezone(tz).date() if first else today) - timedelta(days=1)
        count = 0
        while count < per_user and made < missing and day >= HISTORY_FROM:
            if day.weekday() < 5:
                moment = datetime.combine(day, time(9, rng.choice([0, 15, 30])), tzinfo=tz)
                for _ in range(rng.randint(3, 6)):
                    worked = timedelta(minutes=rng.randint(8, 150), seconds=rng.randint(0, 59))
                    yield _entry(user, rng.choice(tasks), moment, worked, rng)
                    moment += worked + timedelta(minutes=rng.choice([0, 5, 10, 30]))
                    count += 1
                    made += 1
                    if count >= per_user or made >= missing:
                        break
            day -= timedelta(days=1)


def _entry(user, task, started, worked, rng):
    return write.Work(
        task=task,
        user=user,
        started_at=started.astimezone(UTC),
        ended_at=(started + worked).astimezone(UTC),
        billable=task.billable,
        description=rng.choice(DESCRIPTIONS),
        source=EntrySource.TIMER if rng.random() < 0.8 else EntrySource.MANUAL,
    )


def _running_timer(user, tasks):
    """Bob's timer runs on a task whose bucket has no hard stop, however much history was seeded."""
    if not TimeEntry.objects.running_of(user).exists():
        timer.start(user=user, task=tasks[0], now=timezone.now() - timedelta(minutes=42))


def _invoice(client, author, today):
    """Bill the client's first two weeks of demo time through the real invoicing process, once, and send it.

    The slice is taken from the entries, never from the calendar: "last month" is out of the history's reach
    from about the 27th on, and a seed that cannot invoice leaves no demo at all."""
    existing = Invoice.objects.filter(client=client).order_by("pk").first()
    if existing:
        return existing
    first = drafts.billable_entries(client=client).first()
    if first is None:
        return None  # so few entries were asked for that none of them is the client's
    # The same local calendar as billable_entries uses to bound the period, so the first entry is inside it.
    start = timezone.localdate(first.started_at)
    end = max(start, min(start + timedelta(days=INVOICE_DAYS - 1), today))
    issue_date = max(end, min(end + timedelta(days=1), today))
    invoice = invoicing.create_invoice(client=client, by=author, start=start, end=end, issue_date=issue_date)
    return invoicing.send(invoice, by=author)
