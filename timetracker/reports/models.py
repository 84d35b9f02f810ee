import hashlib
import secrets
from datetime import time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from timetracker.reports.engine import ReportSpec

SHARE_DAYS = 30
MAX_SHARE_DAYS = 365


class SavedReportQuerySet(models.QuerySet):
    def for_user(self, user):
        """Everyone keeps their own saved reports; they run with the owner's scope."""
        return self.filter(owner=user) if user.has_role else self.none()


class SavedReport(models.Model):
    """A named report spec (JSON, relative range), reopened as the page, shared, or sent on a schedule."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_reports"
    )
    name = models.CharField(max_length=120)
    spec = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedReportQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    @property
    def report_spec(self):
        return ReportSpec.from_json(self.spec)


class ShareLinkQuerySet(models.QuerySet):
    def live(self, now=None):
        """Not revoked, not expired and owned by someone still active: checked in the query, so such a link is
        never served (a departed Manager's links must not go on showing the agency's time)."""
        return self.filter(
            revoked_at__isnull=True, expires_at__gt=now or timezone.now(), report__owner__is_active=True
        )


class ShareLink(models.Model):
    """A public, expiring link to a saved report. Only the SHA-256 of its token is stored; the URL is shown once."""

    report = models.ForeignKey(SavedReport, on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Money is off unless asked for: a client must not see internal rates by accident.
    show_amounts = models.BooleanField(default=False)
    show_rates = models.BooleanField(default=False)
    show_users = models.BooleanField(default=False)
    show_descriptions = models.BooleanField(default=False)
    # A fixed range (`custom:2026-11-01..2026-11-30`) for a link sent with a scheduled e-mail, which must show
    # the period the e-mail was about; blank follows the saved report's own (relative) range.
    pinned_range = models.CharField(max_length=40, blank=True)
    access_count = models.PositiveIntegerField(default=0)
    last_accessed_at = models.DateTimeField(null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="share_link_expires_later"
            )
        ]

    def __str__(self):
        return f"Share link {self.pk} of {self.report}"

    @staticmethod
    def hash(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, *, report, by, days=SHARE_DAYS, token=None, **visibility):
        """Create a link and return (link, token); the token is never stored and cannot be shown again.
        `token` is for a caller that derives its own secret token (a scheduled run's, schedules.py)."""
        if not 1 <= days <= MAX_SHARE_DAYS:
            raise ValueError(f"A share link expires after 1 to {MAX_SHARE_DAYS} days.")
        token = token or secrets.token_urlsafe(32)
        now = timezone.now()
        link = cls.objects.create(
            report=report,
            token_hash=cls.hash(token),
            created_by=by,
            created_at=now,
            expires_at=now + timedelta(days=days),
            **visibility,
        )
        return link, token

    @classmethod
    def open(cls, token):
        """The live link for `token` (counting this visit), or None."""
        link = cls.objects.live().select_related("report__owner").filter(token_hash=cls.hash(token)).first()
        if link:
            now = timezone.now()
            cls.objects.filter(pk=link.pk).update(access_count=F("access_count") + 1, last_accessed_at=now)
        return link

    @property
    def spec(self):
        spec = self.report.report_spec
        if self.pinned_range:
            spec.range = self.pinned_range
        return spec

    @property
    def is_live(self):
        return self.revoked_at is None and self.expires_at > timezone.now()


class ExportQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(requested_by=user) if user.has_role else self.none()


class Export(models.Model):
    """An export too big for one request: a background task writes the file, the page polls its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The report spec, or for the Logs table its query string under "logs".
    spec = models.JSONField(default=dict)
    source = models.CharField(max_length=8, default="report")  # "report" (its entries) or "logs"
    fmt = models.CharField(max_length=4)
    status = models.CharField(max_length=8, choices=Status, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Export {self.pk} ({self.fmt}, {self.status})"

    @property
    def percent(self):
        return min(100, round(100 * self.rows_done / self.rows_total)) if self.rows_total else 0


class ReportSchedule(models.Model):
    """Send a saved report by e-mail on a schedule; each run covers the last complete period in `time_zone`."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Every day"
        WEEKLY = "weekly", "Every week"
        MONTHLY = "monthly", "Every month (on the 1st)"
        CRON = "cron", "A cron line"

    class Period(models.TextChoices):
        DAY = "day", "The day before"
        WEEK = "week", "The last full week"
        MONTH = "month", "The last full month"

    report = models.ForeignKey(SavedReport, on_delete=models.CASCADE, related_name="schedules")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=8, choices=Frequency, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(default=0, help_text="For weekly schedules (0 = Monday).")
    cron = models.CharField(max_length=100, blank=True, help_text="Minute hour day month weekday.")
    period = models.CharField(max_length=5, choices=Period, default=Period.WEEK)
    time_of_day = models.TimeField(default=time(8, 0))
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    emails = models.TextField(blank=True, help_text="Addresses outside the agency, one per line.")
    formats = models.JSONField(default=list)  # of "pdf", "xlsx", "csv", "link"
    show_amounts = models.BooleanField(default=False)
    paused = models.BooleanField(default=False)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    failure_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["next_run_at", "pk"]
        indexes = [models.Index(fields=["paused", "next_run_at"])]

    def __str__(self):
        return f"{self.report} ({self.get_frequency_display()})"

    def external_addresses(self):
        """The addresses typed into `emails` (one a line, commas allowed), as written."""
        return [line.strip() for line in self.emails.replace(",", "\n").splitlines() if line.strip()]


class ReportRun(models.Model):
    """One sending of a schedule for one period. Unique per (schedule, period): a second tick for the same
    period finds this row and sends nothing."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="runs")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=8, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The addresses this run's e-mail reached: a retry after a failure halfway sends only to the rest.
    delivered = models.JSONField(default=list, blank=True)
    # The link the run's e-mail carries: issued on the first try, the same on every retry.
    share_link = models.ForeignKey(
        ShareLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_start"], name="one_run_per_schedule_period")
        ]

    def __str__(self):
        return f"{self.schedule} for {self.period_start}..{self.period_end}"
