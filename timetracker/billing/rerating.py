"""Re-rate unbilled entries: apply today's rates to time that is not invoiced yet.

A rate change applies to new entries only; this is the optional action that carries it over to existing,
unbilled time. `preview` says what would change, `apply` does it, refusing when the picture moved since
the preview. Invoiced entries (on an invoice or billed elsewhere) and entries with their own rate (an
entry-level override) are never touched. The billed quantity (rounded_seconds) stays as it was stored:
only the rate, its source and the amount move.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from timetracker.billing.models import Settings
from timetracker.billing.rates import resolve_rate
from timetracker.tasks import entries as write
from timetracker.tasks.choices import RateSource
from timetracker.tasks.models import TimeEntry

ZERO = Decimal("0.00")


@dataclass
class ClientRow:
    client_id: int
    client_name: str
    count: int = 0
    before: Decimal = ZERO
    after: Decimal = ZERO

    @property
    def difference(self):
        return self.after - self.before


@dataclass
class RerateSummary:
    entries_changed: int = 0
    amount_before: Decimal = ZERO
    amount_after: Decimal = ZERO
    clients: list[ClientRow] = field(default_factory=list)

    @property
    def difference(self):
        return self.amount_after - self.amount_before


@dataclass(frozen=True)
class _Change:
    entry: TimeEntry
    before: Decimal | None
    rate: Decimal | None
    source: str
    amount: Decimal | None


class _StoredRounding:
    """A rounding "policy" that gives back the quantity already stored on the entry: re-rating changes
    the price of the time, never how much time is billed."""

    def __init__(self, rounded_seconds):
        self.rounded_seconds = rounded_seconds

    def apply(self, seconds):
        return self.rounded_seconds


def candidates(entries):
    """The entries re-rating may touch: stopped, not invoiced, without an entry-level rate."""
    return (
        entries.stopped()
        .unbilled()
        .exclude(rate_source=RateSource.ENTRY)
        .select_related("task__client", "task__project", "task__bucket", "user")
    )


def preview(*, entries):
    """What re-rating these entries would do, without changing anything."""
    return _summarise(_changes(candidates(entries).order_by("pk")))


def apply(*, entries, expected_count):
    """Re-rate the entries; return how many changed. See apply_summary."""
    return apply_summary(entries=entries, expected_count=expected_count).entries_changed


def apply_summary(*, entries, expected_count):
    """Re-rate the entries in one transaction and return the summary of what was done.

    The entries are locked first, so invoicing cannot attach one while it is re-rated; if the number of
    entries that would change is no longer the number the user confirmed, nothing is changed."""
    with transaction.atomic():
        pks = list(candidates(entries).values_list("pk", flat=True))
        # Locked rows are read again after any concurrent invoicing commits, so the unbilled filter
        # below sees the entries as they are now, not as they were when the preview ran.
        locked = write.lock_entries(TimeEntry.objects.filter(pk__in=pks))
        changes = _changes(candidates(TimeEntry.objects.filter(pk__in=locked)).order_by("pk"))
        if len(changes) != expected_count:
            raise ValueError(
                f"{_entries(abs(len(changes) - expected_count))} changed since the preview "
                f"({expected_count} to re-rate then, {len(changes)} now); preview again."
            )
        for change in changes:
            # One save per entry, not update(): every change leaves a history row.
            write.rerate(
                change.entry, rate=change.rate, source=change.source, reason="Re-rated unbilled entries"
            )
        return _summarise(changes)


def _changes(entries):
    """The entries whose rate or its source differ from what the precedence gives today."""
    global_settings = Settings.load()
    settings_by_client = {}
    rates = {}
    changes = []
    for entry in entries:
        key = (entry.task_id, entry.user_id)
        if key not in rates:
            client = entry.task.client
            if client.pk not in settings_by_client:
                settings_by_client[client.pk] = global_settings.for_client(client)
            rates[key] = resolve_rate(
                task=entry.task, user=entry.user, settings=settings_by_client[client.pk]
            )
        rate, source = rates[key]
        if rate == entry.hourly_rate and source == entry.rate_source:
            continue
        changes.append(
            _Change(entry=entry, before=entry.amount, rate=rate, source=source, amount=amount_at(entry, rate))
        )
    return changes


def amount_at(entry, rate):
    """The entry's amount at another rate: its stored rounded time times the rate, to the cent (half up).

    Computed by the entry's own formula on a copy, so re-rated amounts match amounts of new entries."""
    probe = TimeEntry(
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        paused_seconds=entry.paused_seconds,
        billable=entry.billable,
        hourly_rate=rate,
    )
    probe.compute(policy=_StoredRounding(entry.rounded_seconds))
    return probe.amount


def _summarise(changes):
    summary = RerateSummary()
    rows = {}
    for change in changes:
        client = change.entry.task.client
        row = rows.get(client.pk)
        if row is None:
            row = rows[client.pk] = ClientRow(client_id=client.pk, client_name=client.name)
        before, after = change.before or ZERO, change.amount or ZERO
        row.count += 1
        row.before += before
        row.after += after
        summary.entries_changed += 1
        summary.amount_before += before
        summary.amount_after += after
    summary.clients = sorted(rows.values(), key=lambda row: row.client_name.lower())
    return summary


def _entries(count):
    return "1 entry" if count == 1 else f"{count} entries"
