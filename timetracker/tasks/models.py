from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from timetracker.billing.choices import PaymentStatus
from timetracker.tasks.choices import EntrySource, RateSource, TaskStatus, TimerMode

CENT = Decimal("0.01")

# "Unbilled" is defined here once: on none of our invoices and not billed outside the app. As Q objects so that
# Sum(filter=...) and subquery figures read the same rule as the QuerySet methods below.
UNBILLED = Q(invoice_line__isnull=True, billed_elsewhere="")
# What every unbilled amount adds up (pages and API): stopped, billable and unbilled.
UNBILLED_BILLABLE = Q(ended_at__isnull=False, billable=True) & UNBILLED

# Time is written only through timetracker.tasks.entries, which opens this for the length of a write.
# Everything else that tries to create, change or delete TimeEntry rows fails loudly: a writer that skips
# the rules (rounding, rates, locks, status, alerts) cannot slip in unnoticed.
_write_path_open = ContextVar("time_entry_write_path_open", default=False)


class WritePathBypassed(RuntimeError):
    pass


@contextmanager
def write_path():
    """Allow TimeEntry writes inside this block. Only tasks/entries.py (and test set-up) may open it."""
    token = _write_path_open.set(True)
    try:
        yield
    finally:
        _write_path_open.reset(token)


def _require_write_path():
    if not _write_path_open.get():
        raise WritePathBypassed(
            "TimeEntry rows are created, changed and deleted only through timetracker.tasks.entries "
            "(record / change / remove), so that every rule applies."
        )


TASK_FIELDS = (
    "client",
    "sites",
    "project",
    "bucket",
    "title",
    "description",
    "billable",
    "status",
    "payment_status",
)
LOCKED_WHEN_INVOICED = ("client", "project", "bucket", "billable", "payment_status")


class TaskQuerySet(models.QuerySet):
    def for_user(self, user):
        """Staff see the tasks they are assigned to or have tracked time on; Managers see all."""
        if user.sees_everyone:
            return self.all()
        if not user.has_role:
            return self.none()
        # EXISTS, not a join on entries: the join multiplied each task by its entries and needed DISTINCT,
        # which made the Staff dashboard's count read every entry and PostgreSQL refuse FOR UPDATE.
        tracked = TimeEntry.objects.filter(task=OuterRef("pk"), user=user)
        return self.filter(Q(assignee=user) | Q(created_by=user) | Exists(tracked))

    def in_progress(self):
        return self.filter(status__in=[TaskStatus.WORKING, TaskStatus.PAUSED])

    def per_task_kept(self, whose=None):
        """Every one of these tasks as a Logs row, with TaskTotalQuerySet.per_task's figures added up from its
        kept rows (only `whose` rows when given, e.g. one person's): a task with no stopped time yet (never
        started, or its only entry discarded) is a row of zeros instead of vanishing. `since` orders such a
        task by when it was created, so a new task sits among the recent ones."""
        from timetracker.tasks.kept import per_task_figures  # kept.py imports this module

        figures = per_task_figures("totals__", whose)
        return (
            self.order_by()
            .values(task=F("pk"))
            .annotate(**figures)
            .alias(since=Coalesce(figures["started"], F("created_at")))
        )

    def completed(self):
        return self.filter(status=TaskStatus.COMPLETED)


class Task(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="tasks")
    project = models.ForeignKey(
        "clients.Project", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    sites = models.ManyToManyField("clients.Site", blank=True, related_name="tasks")
    bucket = models.ForeignKey(
        "buckets.Bucket", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=TaskStatus, default=TaskStatus.NOT_STARTED)
    payment_status = models.CharField(max_length=16, choices=PaymentStatus, default=PaymentStatus.UNBILLED)
    billable = models.BooleanField(default=True)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[sites])
    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="task_rate_not_negative"),
        ]
        indexes = [models.Index(fields=["client", "status"])]

    def __str__(self):
        return self.title

    @staticmethod
    def billable_default(project):
        """A new task is billable unless its project says otherwise (the project's "billable by default")."""
        return project.billable if project is not None else True

    def locked_fields(self, user):
        """The fields `user` may not change on this task, and why ((), "") when nothing is locked."""
        if self.pk is None:
            return (), ""
        if not user.sees_everyone and self.entries.exclude(user=user).exists():
            return TASK_FIELDS, "Others have tracked time on this task, so only a manager can change it."
        if self.entries.invoiced().exists():
            return LOCKED_WHEN_INVOICED, (
                "Time on this task is invoiced: its client, project, bucket, billing and payment status "
                "follow the invoice."
            )
        return (), ""


class OwnTimeQuerySet(models.QuerySet):
    """Rows of someone's time (entries, their kept totals), scoped the same way everywhere."""

    def for_user(self, user):
        """Staff see and change only their own time; Managers and Admins see everyone's."""
        if user.sees_everyone:
            return self.all()
        if not user.has_role:
            return self.none()
        return self.filter(user=user)


class TimeEntryQuerySet(OwnTimeQuerySet):
    def running(self):
        return self.filter(ended_at__isnull=True)

    def running_of(self, user):
        """`user`'s running entries (at most one), or everyone's they may see after `for_user`: picked from the
        few running entries by id. Given a user and `ended_at IS NULL`, SQLite prefers a (user, ...) index and
        walks the person's whole history, 40 ms at a million entries on every page's header timer."""
        running = TimeEntry.objects.filter(ended_at__isnull=True).order_by().values("pk")
        mine = self if user is None else self.filter(user=user)
        return mine.filter(pk__in=running)

    # Bulk writes skip save(), so they are held to the write path too.
    def update(self, **kwargs):
        _require_write_path()
        return super().update(**kwargs)

    def delete(self):
        _require_write_path()
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        _require_write_path()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        _require_write_path()
        return super().bulk_update(objs, *args, **kwargs)

    def stopped(self):
        return self.filter(ended_at__isnull=False)

    def billable(self):
        return self.filter(billable=True)

    def non_billable(self):
        return self.filter(billable=False)

    def unbilled(self):
        return self.filter(UNBILLED)

    def unbilled_billable(self):
        """The time behind every unbilled amount: stopped, billable, on no invoice and not billed elsewhere."""
        return self.filter(UNBILLED_BILLABLE)

    def invoiced(self):
        """On one of our invoices, or marked as billed outside the app: locked either way."""
        return self.exclude(UNBILLED)

    def in_period(self, start, end):
        """Entries that started in [start, end): a period is half-open so adjacent periods never overlap."""
        return self.filter(started_at__gte=start, started_at__lt=end)

    def per_task(self):
        """One row per task with its entries' totals (for the Logs table): a single grouped query. When no
        filter looks inside entries, TaskTotalQuerySet.per_task gives the same rows from the kept totals."""
        return (
            self.order_by()
            .values("task")
            .annotate(
                tracked=Sum("duration_seconds"),
                rounded=Sum("rounded_seconds"),
                amount_total=Sum("amount", default=Decimal("0")),
                started=Min("started_at"),
                entry_count=Count("pk", filter=Q(ended_at__isnull=False)),
            )
        )

    def totals(self):
        """{"duration", "rounded", "billable"} seconds and the "amount", in one query."""
        # Aliases differ from the field names: Django refuses an alias that shadows a summed field.
        result = self.aggregate(
            duration=Sum("duration_seconds", default=0),
            rounded=Sum("rounded_seconds", default=0),
            billable=Sum("rounded_seconds", filter=Q(billable=True), default=0),
            total_amount=Sum("amount", default=Decimal("0")),
        )
        result["amount"] = Decimal(result.pop("total_amount")).quantize(CENT)
        return result


class TimeEntry(models.Model):
    """One interval of work on a task. Running while ended_at is empty."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries")
    # PROTECT, not SET_NULL: Django would clear it with a bulk update that bypasses the write path.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    duration_seconds = models.PositiveIntegerField(default=0, help_text="End - start - paused, in seconds.")
    rounded_seconds = models.PositiveIntegerField(
        default=0, help_text="The billable quantity after the rounding policy in force when saved."
    )
    billable = models.BooleanField(default=True)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    rate_source = models.CharField(max_length=8, choices=RateSource, default=RateSource.NONE)
    # Stored so that sums stay exact Decimal arithmetic; null for non-billable or unrated time.
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=6, choices=EntrySource, default=EntrySource.TIMER)
    external_id = models.CharField(max_length=100, blank=True)
    invoice_line = models.ForeignKey(
        "billing.InvoiceLine", on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )
    billed_elsewhere = models.CharField(
        max_length=100,
        blank=True,
        help_text="Reference of an invoice made outside the app (mark as invoiced).",
    )
    timer_mode = models.CharField(max_length=4, choices=TimerMode, default=TimerMode.UP)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name_plural = "time entries"
        # Django's deletion cascades (an invoice line's SET_NULL) update entries through the base manager:
        # the guarded one, so a cascade that skips the write path fails instead of writing unseen.
        base_manager_name = "objects"
        constraints = [
            # The last word on "one running timer per user", whatever races the Python code loses.
            models.UniqueConstraint(
                fields=["user"], condition=Q(ended_at__isnull=True), name="one_running_entry_per_user"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")),
                name="entry_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="entry_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(paused_at__isnull=True) | Q(ended_at__isnull=True),
                name="stopped_entry_not_paused",
            ),
            # Re-importing a file must never duplicate: one entry per external id and source.
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="entry_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "started_at"]),
            models.Index(fields=["task", "started_at"]),
            # Task.objects.for_user's EXISTS: one index-only probe per task, or all of a user's tasks at once.
            models.Index(fields=["user", "task"]),
            # The API's list order and its keyset cursor: (started_at, id) > (x, n) walks this index; it also
            # serves every query on started_at alone, so there is no separate index for that.
            models.Index(fields=["started_at", "id"], name="entry_started_at_id"),
            # Only the unbilled time, per task in time order: the unbilled page's first and last unbilled
            # start per task is one probe at each end, however much invoiced history the task has.
            models.Index(
                fields=["task", "started_at"], condition=UNBILLED_BILLABLE, name="entry_unbilled_task"
            ),
            # Whether a task has a running timer (the client page's recent tasks, task status): the few running
            # entries, not a walk through the task's history.
            models.Index(fields=["task"], condition=Q(ended_at__isnull=True), name="entry_running_task"),
            # The API's incremental sync (updated_since / modified_after) walks what changed since a moment.
            models.Index(fields=["updated_at", "id"], name="entry_updated_at_id"),
        ]

    def __str__(self):
        return f"{self.task} ({self.started_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        _require_write_path()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _require_write_path()
        return super().delete(*args, **kwargs)

    @property
    def is_running(self):
        return self.ended_at is None

    @property
    def is_paused(self):
        return self.paused_at is not None

    @property
    def is_invoiced(self):
        return self.invoice_line_id is not None or bool(self.billed_elsewhere)

    def elapsed_seconds(self, now=None):
        """Worked seconds so far: up to now while running, excluding every pause.

        Real elapsed time, taken in UTC: subtracting two times of one local zone would count the wall clock,
        an hour off on the days the clocks change."""
        end = self.ended_at or self.paused_at or now or timezone.now()
        elapsed = end.astimezone(UTC) - self.started_at.astimezone(UTC)
        return max(0, int(elapsed.total_seconds()) - self.paused_seconds)

    def compute(self, *, policy):
        """Derive duration, rounded duration and amount from the times, the rate and a rounding policy."""
        self.duration_seconds = self.elapsed_seconds() if self.ended_at else 0
        self.rounded_seconds = policy.apply(self.duration_seconds)
        self.price()

    def price(self):
        """The amount: rounded hours times the snapshotted rate, to the cent (half up); none if not billable."""
        self.amount = price(self.rounded_seconds, self.hourly_rate) if self.billable else None


def price(rounded_seconds, rate):
    """Rounded hours times an hourly rate, to the cent (half up); none without a rate."""
    if rate is None:
        return None
    return (Decimal(rounded_seconds) / 3600 * rate).quantize(CENT, rounding=ROUND_HALF_UP)


class Note(models.Model):
    """A note on a task or on one of its entries (Moneybird keeps notes on entries)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, null=True, blank=True, related_name="notes")
    entry = models.ForeignKey(
        TimeEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    # Moneybird's notes can be to-dos for someone: a note with todo set is open until done_at is set.
    todo = models.BooleanField(default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="todo_notes"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(task__isnull=False) | Q(entry__isnull=False), name="note_has_task_or_entry"
            ),
        ]

    def __str__(self):
        return self.body[:50]


class TimerReminder(models.Model):
    """A running timer its owner was reminded of (Settings.reminder_after_hours): one e-mail per timer however
    often the tick runs. The entry is named by id, not a foreign key: a reminder row must never stand in the
    way of the write path deleting time, and an id is never given to another entry."""

    entry_id = models.PositiveBigIntegerField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Reminder for entry {self.entry_id}"


# The kept totals and favourites live in their own modules; importing them here registers them with the app
# (and keeps `from timetracker.tasks.models import TaskTotal` working). At the end: they import Task from here.
from timetracker.tasks.favourites import FavouriteTask  # noqa: E402, F401
from timetracker.tasks.kept import DayTotal, KeptTotalsQuerySet, TaskTotal  # noqa: E402, F401
