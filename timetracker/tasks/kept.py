"""The kept totals: each person's figures per task (TaskTotal) and per task and agency day (DayTotal), moved by
the write path (tasks/totals.py) in the same transaction as every change of time, so pages add up these few rows
instead of scanning entries. Imported by tasks/models.py, so Django registers them with the tasks app."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Min, Sum
from django.db.models.functions import Coalesce

from timetracker.tasks.models import CENT, OwnTimeQuerySet, Task


class KeptTotalsQuerySet(OwnTimeQuerySet):
    def totals(self):
        """The same figures as TimeEntryQuerySet.totals, added up from the kept rows."""
        result = self.aggregate(
            duration=Sum("tracked_seconds", default=0),
            rounded=Sum("rounded_seconds", default=0),
            billable=Sum("billable_seconds", default=0),
            total_amount=Sum("amount", default=Decimal("0")),
        )
        result["amount"] = Decimal(result.pop("total_amount")).quantize(CENT)
        return result


def per_task_figures(path="", whose=None):
    """The Logs row's figures (TimeEntryQuerySet.per_task's) as sums of kept rows reached through `path` (""
    from TaskTotal itself, "totals__" from Task), counting only the `whose` rows when given. Sums of no rows
    read as zero time, and as no amount."""
    kept = {"filter": whose} if whose is not None else {}
    return {
        "tracked": Coalesce(Sum(f"{path}tracked_seconds", **kept), 0),
        "rounded": Coalesce(Sum(f"{path}rounded_seconds", **kept), 0),
        "amount_total": Sum(f"{path}amount", **kept),
        "started": Min(f"{path}first_started_at", **kept),
        "entry_count": Coalesce(Sum(f"{path}entries", **kept), 0),
    }


class TaskTotalQuerySet(KeptTotalsQuerySet):
    def per_task(self):
        """TimeEntryQuerySet.per_task's rows added up from each task's few kept rows, not its entries."""
        return self.order_by().values("task").annotate(**per_task_figures())


class TaskTotal(models.Model):
    """The all-time figures of one person's stopped entries on one task, kept by the write path
    (tasks/totals.py) in the same transaction as every change of time, so pages add up these few rows
    instead of every entry: a task's figures are the sum of its rows, a Staff member's are their own rows.
    `manage.py check_totals` compares them with the entries."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="totals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entries = models.PositiveIntegerField(default=0)
    tracked_seconds = models.PositiveBigIntegerField(default=0)
    rounded_seconds = models.PositiveBigIntegerField(default=0)
    billable_seconds = models.PositiveBigIntegerField(
        default=0, help_text="Rounded time of billable entries."
    )
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    unbilled_entries = models.PositiveIntegerField(
        default=0, help_text="Billable stopped entries on no invoice and not billed elsewhere."
    )
    unbilled_unrated = models.PositiveIntegerField(
        default=0, help_text="Of the unbilled entries, those without an hourly rate (billed at zero)."
    )
    unbilled_seconds = models.PositiveBigIntegerField(
        default=0, help_text="Rounded time of billable entries on no invoice and not billed elsewhere."
    )
    unbilled_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    # The earliest start of this person's entries on the task, running ones included (a row exists from the
    # first start, before any time is stopped): the Logs' "Started" column and sort.
    first_started_at = models.DateTimeField(null=True)

    objects = TaskTotalQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="one_total_per_task_and_user")]

    def __str__(self):
        return f"Totals of task {self.task_id} by user {self.user_id}"


class DayTotal(models.Model):
    """One person's stopped time on one task on one day of the agency's calendar (settings.TIME_ZONE, whose
    days make the bucket periods), kept by the write path in the same transaction as TaskTotal: bucket usage
    and the dashboard's days add up these rows, not the entries. `check_totals --fix` files them again if
    the agency's zone ever changes."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="day_totals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    entries = models.PositiveIntegerField(default=0)
    tracked_seconds = models.PositiveBigIntegerField(default=0)
    rounded_seconds = models.PositiveBigIntegerField(default=0)
    billable_seconds = models.PositiveBigIntegerField(
        default=0, help_text="Rounded time of billable entries."
    )
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    objects = KeptTotalsQuerySet.as_manager()

    class Meta:
        # (task, day, user): bucket usage reads a task's days in a range; the write path finds one row.
        constraints = [
            models.UniqueConstraint(fields=["task", "day", "user"], name="one_total_per_task_user_day")
        ]
        indexes = [models.Index(fields=["user", "day"]), models.Index(fields=["day"])]

    def __str__(self):
        return f"Totals of task {self.task_id} by user {self.user_id} on {self.day}"
