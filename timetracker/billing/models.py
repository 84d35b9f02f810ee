from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history import register as register_history
from simple_history.models import HistoricalRecords

from timetracker.billing.choices import (
    EXPLICIT_STATUSES,
    Grouping,
    PaymentStatus,
    RoundingInterval,
    RoundingMode,
    RoundingScope,
    SymbolPosition,
    Weekday,
)
from timetracker.clients.models import MAX_RATE
from timetracker.lib.money import MoneyFormat
from timetracker.lib.rounding import RoundingPolicy
from timetracker.tasks.choices import TimerMode

MONEY = {"max_digits": 12, "decimal_places": 2}

# Every number typed into the settings, with its bounds: what is computed from them must stay finite (terms of
# 99999999999 days give no due date, so no invoice could be made). The settings forms refuse the same bounds.
SETTING_BOUNDS = {
    "decimal_places": (0, 4),
    "payment_terms_days": (0, 365),
    "reminder_after_hours": (0, 168),
    "default_hourly_rate": (0, MAX_RATE),
    "tax_rate": (0, 100),
}


def _bounded(name, what):
    low, high = SETTING_BOUNDS[name]
    message = f"{what} must be between {low} and {high}."
    return [MinValueValidator(low, message), MaxValueValidator(high, message)]


def _setting_constraints(prefix):
    """The database refuses what the forms refuse; a client's null override passes (it inherits)."""
    ranges = [
        models.CheckConstraint(
            condition=Q(**{f"{name}__gte": low, f"{name}__lte": high}), name=f"{prefix}_{name}_in_range"
        )
        for name, (low, high) in SETTING_BOUNDS.items()
    ]
    return [
        *ranges,
        models.CheckConstraint(
            condition=Q(rounding_interval__in=RoundingInterval.values),
            name=f"{prefix}_rounding_interval_known",
        ),
        models.CheckConstraint(condition=Q(week_start__in=Weekday.values), name=f"{prefix}_week_start_known"),
    ]


class SettingFields(models.Model):
    """The settings an agency sets once and a client may override field by field."""

    default_timer_mode = models.CharField(max_length=4, choices=TimerMode, default=TimerMode.UP)
    currency_code = models.CharField(max_length=3, default="USD")
    currency_symbol = models.CharField(max_length=5, default="$")
    symbol_position = models.CharField(max_length=6, choices=SymbolPosition, default=SymbolPosition.BEFORE)
    thousand_separator = models.CharField(max_length=1, default=",", blank=True)
    decimal_separator = models.CharField(max_length=1, default=".")
    decimal_places = models.PositiveSmallIntegerField(
        default=2, validators=_bounded("decimal_places", "Decimal places")
    )
    rounding_enabled = models.BooleanField(default=False)
    rounding_mode = models.CharField(max_length=7, choices=RoundingMode, default=RoundingMode.NEAREST)
    rounding_interval = models.PositiveSmallIntegerField(
        choices=RoundingInterval, default=RoundingInterval.FIFTEEN
    )
    invoice_number_format = models.CharField(
        max_length=40, default="{Y}-{seq:4}", help_text="{Y} year, {M} month, {seq:4} sequence padded to 4."
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        default=30, validators=_bounded("payment_terms_days", "Payment terms (days)")
    )
    week_start = models.PositiveSmallIntegerField(choices=Weekday, default=Weekday.MONDAY)
    staff_can_see_rates = models.BooleanField(default=False)
    allow_overlapping_entries = models.BooleanField(default=True)
    reminder_after_hours = models.PositiveSmallIntegerField(
        default=8,
        validators=_bounded("reminder_after_hours", "The reminder (hours)"),
        help_text="Remind about a timer still running after this many hours (0 = never).",
    )
    default_hourly_rate = models.DecimalField(
        **MONEY, null=True, blank=True, validators=_bounded("default_hourly_rate", "The default hourly rate")
    )
    tax_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=_bounded("tax_rate", "The tax rate"),
        help_text="Percent added to invoices.",
    )

    class Meta:
        abstract = True

    def money_format(self):
        return MoneyFormat(
            symbol=self.currency_symbol,
            position=self.symbol_position,
            thousand_separator=self.thousand_separator,
            decimal_separator=self.decimal_separator,
            decimal_places=self.decimal_places,
        )

    def rounding_policy(self):
        return RoundingPolicy(
            enabled=self.rounding_enabled,
            mode=str(self.rounding_mode),
            interval_minutes=int(self.rounding_interval),
        )


SETTING_NAMES = [f.name for f in SettingFields._meta.local_fields]


class QuantityFormat(models.TextChoices):
    DECIMAL = "decimal", "Decimal hours (20.50)"
    CLOCK = "clock", "Hours and minutes (20:30)"


class Settings(SettingFields):
    """The agency's global settings: a single row, created on first use."""

    # Who sends the invoices: on the invoice page, its PDF and its e-mail (the agency's, never per client).
    agency_name = models.CharField(max_length=200, blank=True, help_text="Empty: the site's name.")
    agency_address = models.TextField(blank=True)
    agency_tax_id = models.CharField("Tax / VAT id", max_length=60, blank=True)
    agency_bank_details = models.TextField(
        blank=True, help_text="IBAN, BIC, account name: printed on invoices."
    )
    agency_email = models.EmailField(blank=True, help_text="Replies to invoice e-mails go here.")
    agency_logo = models.ImageField(upload_to="agency/", blank=True)
    invoice_footer = models.TextField(blank=True, help_text="Printed at the foot of every invoice.")
    quantity_format = models.CharField(
        max_length=7,
        choices=QuantityFormat,
        default=QuantityFormat.DECIMAL,
        help_text="How invoice lines show their hours beside a rate per hour.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="settings_single_row"),
            *_setting_constraints("settings"),
        ]

    def __str__(self):
        return "Global settings"

    @classmethod
    def load(cls):
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    def for_client(self, client):
        """These settings with the client's overrides applied (unsaved; blank overrides inherit)."""
        try:
            overrides = client.settings_override if client is not None else None
        except ClientSettings.DoesNotExist:
            overrides = None
        return self.merged_with(overrides)

    def for_clients(self, client_ids):
        """{client id: merged settings} for many clients in one query, for tables with a row per client."""
        overrides = {o.client_id: o for o in ClientSettings.objects.filter(client_id__in=set(client_ids))}
        return {client_id: self.merged_with(overrides.get(client_id)) for client_id in client_ids}

    def merged_with(self, overrides):
        merged = Settings(**{name: getattr(self, name) for name in SETTING_NAMES}, pk=self.pk)
        for name, value in (overrides.overridden() if overrides else {}).items():
            setattr(merged, name, value)
        return merged

    def can_see_rates(self, user):
        return user.sees_everyone or (user.has_role and self.staff_can_see_rates)


class ClientSettings(models.Model):
    """Per-client overrides: every setting again, nullable; null means "as the global setting"."""

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, related_name="settings_override"
    )

    class Meta:
        verbose_name = verbose_name_plural = "client settings"
        constraints = _setting_constraints("client_settings")

    def __str__(self):
        return f"Settings for {self.client}"

    def overridden(self):
        return {name: getattr(self, name) for name in SETTING_NAMES if getattr(self, name) is not None}


# The override fields are built from the global ones so the two can never drift apart.
for _field in SettingFields._meta.local_fields:
    _name, _path, _args, _kwargs = _field.deconstruct()
    _kwargs.update(null=True, blank=True)
    _kwargs.pop("default", None)
    ClientSettings.add_to_class(_name, type(_field)(*_args, **_kwargs))
# History is registered after the fields exist, so the historical model copies all of them.
register_history(ClientSettings)


class InvoiceQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.all() if user.is_manager else self.none()

    def with_paid(self):
        return self.annotate(paid=Coalesce(Sum("payments__amount"), Decimal("0")))


class InvoiceSequence(models.Model):
    """The last number used in a year. Its row is locked while a number is taken, so numbers never repeat
    and never skip, however many people create invoices at once."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_value}"


class Invoice(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=16, choices=PaymentStatus, default=PaymentStatus.DRAFT)
    grouping = models.CharField(max_length=8, choices=Grouping, default=Grouping.TASK)
    rounding_scope = models.CharField(max_length=8, choices=RoundingScope, default=RoundingScope.ENTRY)
    issue_date = models.DateField(default=timezone.localdate)
    due_date = models.DateField()
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    currency_code = models.CharField(max_length=3, default="USD")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    subtotal = models.DecimalField(**MONEY, default=Decimal("0"))
    tax_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    total = models.DecimalField(**MONEY, default=Decimal("0"))
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issue_date", "-number"]
        constraints = [
            # An invoice is billed or it is nothing: "Unbilled" is a task status only.
            models.CheckConstraint(
                condition=~Q(status=PaymentStatus.UNBILLED), name="invoice_status_is_billed"
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("issue_date")), name="invoice_due_after_issue"
            ),
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="invoice_subtotal_not_negative"),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_locked(self):
        """Once sent, an invoice's lines and amounts are fixed; only its status and payments move."""
        return self.status != PaymentStatus.DRAFT

    def amount_paid(self):
        paid = getattr(self, "paid", None)
        if paid is None:
            paid = self.payments.aggregate(total=Coalesce(Sum("amount"), Decimal("0")))["total"]
        return paid

    def outstanding(self):
        return max(self.total - self.amount_paid(), Decimal("0"))

    def derived_status(self, *, today=None):
        """The status as it stands today: explicit states win, then payments, then the due date."""
        if self.status in EXPLICIT_STATUSES:
            return PaymentStatus(self.status)
        paid = self.amount_paid()
        if self.total and paid >= self.total:
            return PaymentStatus.PAID
        if paid > 0:
            return PaymentStatus.PARTIALLY_PAID
        if self.due_date < (today or timezone.localdate()):
            return PaymentStatus.OVERDUE
        return PaymentStatus.PENDING if self.status == PaymentStatus.PENDING else PaymentStatus.SENT


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=500)
    quantity_seconds = models.PositiveIntegerField(help_text="Billed time in seconds.")
    unit_price = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    task = models.ForeignKey("tasks.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    project = models.ForeignKey(
        "clients.Project", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["invoice", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_price_not_negative"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="line_amount_not_negative"),
        ]

    def __str__(self):
        return self.description

    @property
    def hours(self):
        return (Decimal(self.quantity_seconds) / 3600).quantize(Decimal("0.01"))


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    paid_on = models.DateField(default=timezone.localdate)
    method = models.CharField(max_length=50, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self):
        return f"{self.amount} on {self.paid_on}"


class InvoiceMail(models.Model):
    """An invoice (or a payment reminder) e-mailed from here: the invoice page lists them."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        REMINDER = "reminder", "Payment reminder"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=8, choices=Kind, default=Kind.INVOICE)
    recipients = models.TextField(help_text="The addresses it went to, one per line.")
    subject = models.CharField(max_length=200)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.invoice} to {self.recipients}"
