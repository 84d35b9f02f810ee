from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from timetracker.clients.models import MAX_HOURS, MAX_RATE, Archivable, ArchivableQuerySet, bounds
from timetracker.lib.dates import FIRST_YEAR, LAST_YEAR

# Periods are counted from the start date and shown up to today: a start in year 9999 has no next period
# (date() stops at 9999), and that broke every page and API route that shows a balance.
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
DATE_MESSAGE = f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}."


class Recurrence(models.TextChoices):
    NONE = "none", "Does not renew"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


def default_thresholds():
    return [50, 80, 100]


class BucketQuerySet(ArchivableQuerySet):
    def for_client(self, client):
        return self.filter(clients=client)


class Bucket(Archivable):
    """A pool of prepaid hours at an hourly price, serving one or more clients."""

    title = models.CharField(max_length=200)
    clients = models.ManyToManyField("clients.Client", related_name="buckets")
    hours = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=bounds(
            0, MAX_HOURS, "Hours cannot be negative.", f"Hours cannot be more than {MAX_HOURS}."
        ),
    )
    hourly_price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=bounds(
            0,
            MAX_RATE,
            "The hourly price cannot be negative.",
            f"The hourly price cannot be more than {MAX_RATE}.",
        ),
    )
    recurrence = models.CharField(max_length=10, choices=Recurrence, default=Recurrence.NONE)
    start_date = models.DateField(
        default=timezone.localdate,
        validators=[MinValueValidator(FIRST_DAY, DATE_MESSAGE), MaxValueValidator(LAST_DAY, DATE_MESSAGE)],
    )
    rollover = models.BooleanField(default=False, help_text="Carry unused hours into the next period.")
    thresholds = models.JSONField(
        default=default_thresholds, blank=True, help_text="Percentages of the hours that raise an alert."
    )
    billable_only = models.BooleanField(
        default=True, help_text="Count only billable time against the bucket."
    )
    hard_stop = models.BooleanField(default=False, help_text="Refuse new time once the bucket is used up.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(m2m_fields=[clients])
    objects = BucketQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=0, hours__lte=MAX_HOURS), name="bucket_hours_in_range"
            ),
            models.CheckConstraint(
                condition=Q(hourly_price__gte=0, hourly_price__lte=MAX_RATE), name="bucket_price_in_range"
            ),
            models.CheckConstraint(
                condition=Q(start_date__gte=FIRST_DAY, start_date__lte=LAST_DAY),
                name="bucket_start_in_supported_range",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        thresholds = self.thresholds or []
        if not isinstance(thresholds, list) or not all(
            isinstance(t, int) and not isinstance(t, bool) and 0 < t <= 1000 for t in thresholds
        ):
            raise ValidationError({"thresholds": "Thresholds must be whole percentages between 1 and 1000."})
        self.thresholds = sorted(set(thresholds))

    @property
    def hours_seconds(self):
        return int(self.hours * 3600)

    def counts(self, entry):
        """Whether one of its tasks' entries counts against this bucket: once stopped, and when the bucket takes
        billable time only, if billable. buckets/usage.py filters entries by the same rule (a parity test in
        tests/automation/test_audit_trail.py holds the two together)."""
        return entry.ended_at is not None and (entry.billable or not self.billable_only)

    def remove(self):
        """Delete a bucket nobody uses; archive one that tasks point to, so its tasks and history stay whole.

        The page and the API both remove buckets through here. Returns "deleted", "archived" or, for a bucket
        already archived that tasks still use, "kept"."""
        try:
            with transaction.atomic():
                # Task.bucket is PROTECT: a task given this bucket since the check makes the delete fail.
                if not self.tasks.exists():
                    self.delete()
                    return "deleted"
        except ProtectedError:
            pass
        if self.is_archived:
            return "kept"
        self.archive()
        return "archived"


class BucketAlert(models.Model):
    """One alert per bucket, threshold and period, however often the threshold is crossed."""

    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="alerts")
    threshold = models.PositiveSmallIntegerField()
    period_start = models.DateField()
    used_seconds = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    notified = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "threshold", "period_start"], name="one_alert_per_threshold_and_period"
            ),
        ]

    def __str__(self):
        return f"{self.bucket} reached {self.threshold}%"
