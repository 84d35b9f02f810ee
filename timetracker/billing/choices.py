from django.db import models


class PaymentStatus(models.TextChoices):
    """MainWP Time Tracker's eleven payment statuses, shared by tasks and invoices."""

    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    PARTIALLY_PAID = "partially_paid", "Partially Paid"
    OVERDUE = "overdue", "Overdue"
    CANCELED = "canceled", "Canceled"
    DISPUTED = "disputed", "Disputed"
    REFUNDED = "refunded", "Refunded"
    WRITE_OFF = "write_off", "Write-Off"
    UNBILLED = "unbilled", "Unbilled"


class SymbolPosition(models.TextChoices):
    BEFORE = "before", "Before the amount ($10.00)"
    AFTER = "after", "After the amount (10,00 €)"


class RoundingMode(models.TextChoices):
    NEAREST = "nearest", "To the nearest interval"
    UP = "up", "Up"
    DOWN = "down", "Down"


class RoundingInterval(models.IntegerChoices):
    ONE = 1, "1 minute"
    FIVE = 5, "5 minutes"
    SIX = 6, "6 minutes (tenth of an hour)"
    TEN = 10, "10 minutes"
    FIFTEEN = 15, "15 minutes"
    THIRTY = 30, "30 minutes"
    SIXTY = 60, "60 minutes"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Grouping(models.TextChoices):
    """How an invoice turns entries into lines."""

    ENTRY = "entry", "One line per entry"
    TASK = "task", "One line per task"
    PROJECT = "project", "One line per project"
    USER = "user", "One line per person"


class RoundingScope(models.TextChoices):
    """Whether the rounding policy applies to each entry (as stored) or to each line's total time."""

    ENTRY = "entry", "Round each entry"
    LINE = "line", "Round each line"


# Statuses a person sets; Paid, Partially Paid and Overdue follow from payments and the due date.
EXPLICIT_STATUSES = {
    PaymentStatus.DRAFT,
    PaymentStatus.CANCELED,
    PaymentStatus.DISPUTED,
    PaymentStatus.REFUNDED,
    PaymentStatus.WRITE_OFF,
}
