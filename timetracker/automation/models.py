from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from timetracker.integrations import secrets
from timetracker.lib import dates


class EventType(models.TextChoices):
    BUCKET_THRESHOLD = "bucket.threshold_crossed", "Bucket threshold crossed"
    BUCKET_USED_UP = "bucket.used_up", "Bucket used up"
    BUCKET_CREATED = "bucket.created", "Bucket created"
    BUCKET_RENEWED = "bucket.renewed", "Bucket renewed"
    PROJECT_BUDGET = "project.budget_threshold", "Project budget threshold crossed"
    INVOICE_CREATED = "invoice.created", "Invoice created"
    INVOICE_SENT = "invoice.sent", "Invoice sent"
    INVOICE_PAID = "invoice.paid", "Invoice paid"
    INVOICE_OVERDUE = "invoice.overdue", "Invoice overdue"
    PAYMENT_RECORDED = "payment.recorded", "Payment recorded"
    SYNC_FINISHED = "sync.finished", "Sync run finished"
    SYNC_FAILED = "sync.failed", "Sync run failed"
    IMPORT_FINISHED = "import.finished", "Import finished"
    REPORT_REQUESTED = "report.requested", "Report requested"


class Event(models.Model):
    """Something that happened, recorded once in the same transaction as its cause.

    `dedupe_key` is unique: an action that is retried (a double-click, a re-run sync, a re-crossed threshold)
    records nothing new, so nothing downstream fires twice."""

    type = models.CharField(max_length=40, choices=EventType)
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    project = models.ForeignKey(
        "clients.Project", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    bucket = models.ForeignKey(
        "buckets.Bucket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    # Set once its firings and deliveries are written; the tick hands on any event a lost worker left behind.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["type", "occurred_at"]),
            models.Index(fields=["dispatched_at", "occurred_at"]),
        ]

    def __str__(self):
        return f"{self.get_type_display()} ({self.dedupe_key})"

    def client_ids(self):
        """The clients the event is about: its own, or a bucket's (a bucket may serve several clients)."""
        if self.client_id:
            return {self.client_id}
        if self.bucket_id:
            return set(self.bucket.clients.values_list("pk", flat=True))
        return set()


class TriggerQuerySet(models.QuerySet):
    def for_user(self, user):
        """Triggers mail reports and call URLs on the agency's behalf: Managers and Admins only."""
        return self.all() if user.is_manager and user.has_role else self.none()

    def schedules_due(self, now=None):
        return self.filter(enabled=True, kind=Trigger.Kind.SCHEDULE, next_run_at__lte=now or timezone.now())


class Trigger(models.Model):
    """When an event happens (optionally for one client, project or bucket) or on a schedule: do the actions."""

    class Kind(models.TextChoices):
        EVENT = "event", "When something happens"
        SCHEDULE = "schedule", "On a schedule"

    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.EVENT)
    event_type = models.CharField(max_length=40, choices=EventType, blank=True)
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only this client's events; for a schedule, the client whose unbilled time is drafted.",
    )
    project = models.ForeignKey(
        "clients.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only this project's events.",
    )
    bucket = models.ForeignKey(
        "buckets.Bucket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only this bucket's events.",
    )
    threshold = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Only this percentage (bucket and project budget thresholds)."
    )
    cron = models.CharField(
        max_length=100, blank=True, help_text='A cron expression, e.g. "0 8 * * 1" for Mondays at 08:00.'
    )
    time_zone = models.CharField(
        max_length=64, default=settings.TIME_ZONE, validators=[dates.validate_zone_name]
    )
    next_run_at = models.DateTimeField(null=True, blank=True)

    # The actions: any combination of them runs on each firing.
    send_report = models.ForeignKey(
        "reports.SavedReport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="E-mail this saved report.",
    )
    notify = models.BooleanField(default=False, help_text="E-mail a notification.")
    subject = models.CharField(max_length=200, blank=True, help_text="Notification subject; {{ event }} etc.")
    message = models.TextField(blank=True, help_text="Notification text (Django template).")
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    extra_emails = models.TextField(blank=True, help_text="More addresses (client contacts), one per line.")
    webhook = models.ForeignKey(
        "automation.WebhookEndpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="triggers",
        help_text="Send the event to this webhook endpoint.",
    )
    draft_invoice = models.BooleanField(
        default=False, help_text="Draft an invoice of the client's unbilled time."
    )

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TriggerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # A schedule saved without its next moment (the admin, a script) would never come due.
        if self.kind == self.Kind.SCHEDULE and self.cron and self.next_run_at is None:
            from timetracker.automation.schedules import next_run

            self.next_run_at = next_run(self, timezone.now())
        super().save(*args, **kwargs)

    def clean(self):
        if self.kind == self.Kind.SCHEDULE and self.cron:
            from timetracker.automation.schedules import check_cron

            try:
                check_cron(self.cron)
            except ValueError as error:
                raise ValidationError({"cron": str(error)}) from None

    def matches(self, event):
        """Whether this (enabled, event) trigger fires for `event`."""
        if not self.enabled or self.kind != self.Kind.EVENT or self.event_type != event.type:
            return False
        if self.threshold is not None and event.payload.get("threshold") != self.threshold:
            return False
        if self.client_id and self.client_id not in event.client_ids():
            return False
        return all(
            getattr(self, f"{ref}_id") in (None, getattr(event, f"{ref}_id")) for ref in ("project", "bucket")
        )

    def emails(self):
        listed = [user.email for user in self.recipients.all() if user.email and user.is_active]
        extra = [line.strip() for line in self.extra_emails.replace(",", "\n").splitlines() if line.strip()]
        return list(dict.fromkeys(listed + extra))


class TriggerFiring(models.Model):
    """One run of a trigger's actions; unique per event (or due moment), so it never runs twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="firings")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True, related_name="firings")
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    outcome = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When it was last queued for the worker: the tick queues a firing no worker took again, but not every minute.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "event"], condition=Q(event__isnull=False), name="firing_once_per_event"
            ),
            models.UniqueConstraint(
                fields=["trigger", "due_at"],
                condition=Q(due_at__isnull=False),
                name="firing_once_per_due_moment",
            ),
            models.CheckConstraint(
                condition=Q(event__isnull=False) | Q(due_at__isnull=False), name="firing_has_a_cause"
            ),
        ]

    def __str__(self):
        return f"{self.trigger} at {self.created_at:%Y-%m-%d %H:%M}"


class WebhookEndpointQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.all() if user.is_manager and user.has_role else self.none()

    def listening_to(self, event_type):
        # JSON "contains" is not on SQLite: the lists are short and endpoints few, so filter in Python.
        return [endpoint for endpoint in self.filter(enabled=True) if event_type in endpoint.event_types]


class WebhookEndpoint(models.Model):
    """A URL that receives signed events (Standard Webhooks)."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    sealed_secret = models.TextField(editable=False)
    secret_hint = models.CharField(max_length=8, blank=True, editable=False)
    event_types = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def set_secret(self, secret):
        self.sealed_secret = secrets.seal({"secret": secret})
        self.secret_hint = secrets.hint(secret)

    def secret(self):
        return secrets.unseal(self.sealed_secret).get("secret", "")


class WebhookDelivery(models.Model):
    """One message to one endpoint, tried until it is accepted or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40)
    message_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the tick hands the delivery (again) to the worker: the next retry, or the moment a lost hand-over or
    # a worker lost mid-POST counts as lost.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the worker that claims an attempt, until its POST must be over: no other worker sends meanwhile.
    leased_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"], condition=Q(event__isnull=False), name="delivery_once_per_event"
            )
        ]

    def __str__(self):
        return f"{self.event_type} to {self.endpoint}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, with its response code, for the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self):
        return f"{self.delivery} at {self.attempted_at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
