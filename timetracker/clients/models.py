from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

# Sane ceilings for what people type: an hour of work and a pool of hours. Amounts computed from them (hours
# times rate) must still fit the invoices' money columns.
MAX_RATE = Decimal(100_000)
MAX_HOURS = Decimal(100_000)
MAX_BUDGET = Decimal(1_000_000_000)


def bounds(low, high, below, above):
    """Validators refusing values outside low..high, with a message for each side that names the field."""
    return [MinValueValidator(low, below), MaxValueValidator(high, above)]


def rate_bounds(label):
    return bounds(0, MAX_RATE, f"{label} cannot be negative.", f"{label} cannot be more than {MAX_RATE}.")


class ArchivableQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def for_user(self, user):
        """Clients, sites and projects are shared by the whole agency; outsiders see none."""
        return self.all() if user.has_role else self.none()


class Archivable(models.Model):
    """Things with tracked time are archived, never deleted, so their history stays whole."""

    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_archived(self):
        return self.archived_at is not None

    def archive(self):
        self.archived_at = timezone.now()
        self.save(update_fields=["archived_at"])


class Client(Archivable):
    name = models.CharField(max_length=200, unique=True)
    contact_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    hourly_rate = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=rate_bounds("The hourly rate")
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0, hourly_rate__lte=MAX_RATE), name="client_rate_in_range"
            ),
        ]

    def __str__(self):
        return self.name


class Site(Archivable):
    """A client's website, as MainWP knows it."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=200)
    url = models.URLField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="site_name_unique_per_client"),
        ]

    def __str__(self):
        return self.name


def default_budget_thresholds():
    return [80, 100]


class Project(Archivable):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=32, blank=True)
    hourly_rate = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=rate_bounds("The hourly rate")
    )
    budget_hours = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=bounds(
            0, MAX_HOURS, "Budget hours cannot be negative.", f"Budget hours cannot be more than {MAX_HOURS}."
        ),
    )
    budget_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=bounds(
            0, MAX_BUDGET, "The budget cannot be negative.", f"The budget cannot be more than {MAX_BUDGET}."
        ),
        help_text="A budget in money, counted against the amount of the project's time.",
    )
    budget_thresholds = models.JSONField(
        default=default_budget_thresholds,
        blank=True,
        help_text="Percentages of the budget that record an event (automation triggers act on them).",
    )
    billable = models.BooleanField(default=True, help_text="Default for new tasks in this project.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        ordering = ["client__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="project_name_unique_per_client"),
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0, hourly_rate__lte=MAX_RATE), name="project_rate_in_range"
            ),
            models.CheckConstraint(
                condition=Q(budget_hours__gte=0, budget_hours__lte=MAX_HOURS), name="project_budget_in_range"
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__gte=0, budget_amount__lte=MAX_BUDGET),
                name="project_budget_amount_in_range",
            ),
        ]

    def __str__(self):
        return self.name
