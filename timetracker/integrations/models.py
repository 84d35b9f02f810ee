from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from timetracker.integrations import secrets
from timetracker.lib import dates


class Provider(models.TextChoices):
    TOGGL = "toggl", "Toggl Track"
    CLOCKIFY = "clockify", "Clockify"
    HARVEST = "harvest", "Harvest"
    TEMPO = "tempo", "Tempo (Jira)"
    CLICKUP = "clickup", "ClickUp"


class ConnectionQuerySet(models.QuerySet):
    def for_user(self, user):
        """Connections write everyone's time: only Managers and Admins see them (as imports)."""
        return self.all() if user.is_manager and user.has_role else self.none()

    def due(self, now=None):
        now = now or timezone.now()
        return self.filter(enabled=True).filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))


class Connection(models.Model):
    """One account at another tracker whose time is pulled in on a schedule."""

    provider = models.CharField(max_length=10, choices=Provider)
    name = models.CharField(max_length=100)
    sealed_credentials = models.TextField(blank=True, editable=False)
    token_hint = models.CharField(max_length=8, blank=True, editable=False)
    workspace = models.CharField(
        max_length=100,
        blank=True,
        help_text="Toggl or Clockify workspace id, or ClickUp team id.",
    )
    account = models.CharField(
        max_length=200,
        blank=True,
        help_text="Harvest account id; for ClickUp, the member ids to read (comma-separated).",
    )
    email = models.EmailField(blank=True, help_text="A contact address sent to the provider (Harvest asks).")
    base_url = models.URLField(blank=True, help_text="Leave empty for the provider's own API.")
    time_zone = models.CharField(
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[dates.validate_zone_name],
        help_text="The zone of times the provider sends without one (Tempo, Harvest clock times).",
    )
    unknown_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Whose time the entries of people we can't match by e-mail or name become (empty: yours).",
    )
    people = models.JSONField(
        default=dict, blank=True, help_text="The provider's people (e-mail or name) mapped to our user ids."
    )
    window_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="Each sync reads this many days back, so edits and deletions upstream are seen.",
    )
    every_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(5), MaxValueValidator(7 * 24 * 60)]
    )
    enabled = models.BooleanField(default=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    scope_since = models.DateTimeField(
        default=timezone.now,
        help_text="When the account, workspace, people read or token last changed: only entries synced since "
        "are removed when upstream no longer lists them.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=366), name="sync_window_days"
            ),
            models.CheckConstraint(
                condition=Q(every_minutes__gte=5, every_minutes__lte=7 * 24 * 60), name="sync_every_minutes"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_provider_display()})"

    def set_credentials(self, **credentials):
        """Store the secrets encrypted; only a hint of the token stays readable."""
        self.sealed_credentials = secrets.seal(credentials)
        self.token_hint = secrets.hint(credentials.get("token"))

    def credentials(self):
        return secrets.unseal(self.sealed_credentials)

    def next_sync_after(self, moment):
        return moment + timedelta(minutes=self.every_minutes)


class SyncRun(models.Model):
    """One pull of a connection's window: what it found and did, or why it stopped."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        DEFERRED = "deferred", "Deferred"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Sync now"
        COMMAND = "command", "Command line"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    STALE_AFTER = timedelta(minutes=30)  # a run this old still queued or running has lost its worker
    COUNTS = ("new", "updated", "unchanged", "deleted", "conflicts", "skipped", "errors")

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger, default=Trigger.SCHEDULE)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    resume_at = models.DateTimeField(null=True, blank=True, help_text="When a deferred run tries again.")
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    requests = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    conflicts = models.JSONField(default=list, blank=True)
    problems = models.JSONField(default=list, blank=True, help_text="Skipped and bad entries, and why.")
    message = models.TextField(blank=True)
    import_run = models.OneToOneField(
        "imports.ImportRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sync_run",
        help_text="The import the rows were written as (its entries, and its undo).",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One run of a connection at a time: a second "Sync now" or a tick during a run finds it taken.
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_sync_per_connection",
            )
        ]

    def __str__(self):
        return f"Sync #{self.pk} of {self.connection}"

    BADGES = {"done": "completed", "failed": "overdue", "deferred": "pending"}

    @property
    def badge(self):
        return self.BADGES.get(self.status, "working")

    def count(self, name):
        return self.counts.get(name, 0)

    @property
    def seconds(self):
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 1)
        return None
