"""The global Settings form and a client's override form (blank = as the global setting)."""

import re
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from timetracker.billing.models import SETTING_BOUNDS, SETTING_NAMES, ClientSettings, Settings
from timetracker.billing.numbering import format_invoice_number
from timetracker.lib.money import MoneyFormat, format_money

# The cards of both settings pages, in order; every setting appears exactly once.
# (Checkboxes come last in a card: they sit on a row of their own below the inputs.)
GROUPS = [
    ("Timer", ["default_timer_mode", "reminder_after_hours", "allow_overlapping_entries"]),
    (
        "Money",
        [
            "currency_code",
            "currency_symbol",
            "symbol_position",
            "decimal_places",
            "thousand_separator",
            "decimal_separator",
            "default_hourly_rate",
            "tax_rate",
            "staff_can_see_rates",
        ],
    ),
    ("Rounding", ["rounding_mode", "rounding_interval", "rounding_enabled"]),
    ("Invoices", ["invoice_number_format", "payment_terms_days"]),
    ("Calendar", ["week_start"]),
]

# The agency's own details: global settings only (a client cannot override who sends the invoice).
AGENCY_GROUP = (
    "Agency (on invoices)",
    [
        "agency_name",
        "agency_email",
        "agency_address",
        "agency_tax_id",
        "agency_bank_details",
        "invoice_footer",
        "agency_logo",
        "quantity_format",
    ],
)

LABELS = {
    "reminder_after_hours": "Running-timer reminder after (hours)",
    "allow_overlapping_entries": "Allow overlapping entries",
    "currency_code": "Currency code",
    "default_hourly_rate": "Default hourly rate",
    "tax_rate": "Tax rate (%)",
    "staff_can_see_rates": "Staff can see rates and amounts",
    "rounding_enabled": "Round tracked time",
    "rounding_mode": "Rounding mode",
    "rounding_interval": "Rounding interval",
    "payment_terms_days": "Payment terms (days)",
    "week_start": "Week starts on",
}

# Numbers outside the models' bounds are refused by the form with a message naming the setting.
LIMITS = SETTING_BOUNDS

NO_SEPARATOR = "none"  # the option value for "no thousand separator" (a blank value means "as global")
THOUSAND_SEPARATORS = [
    (",", "Comma (1,234)"),
    (".", "Dot (1.234)"),
    (" ", "Space (1 234)"),
    ("'", "Apostrophe (1'234)"),
    (NO_SEPARATOR, "None (1234)"),
]
DECIMAL_SEPARATORS = [(".", "Dot (0.50)"), (",", "Comma (0,50)")]
SEPARATORS = {"thousand_separator": THOUSAND_SEPARATORS, "decimal_separator": DECIMAL_SEPARATORS}

# MoneyFormat's argument names, by the setting that feeds them.
MONEY_ARGS = {
    "currency_symbol": "symbol",
    "symbol_position": "position",
    "thousand_separator": "thousand_separator",
    "decimal_separator": "decimal_separator",
    "decimal_places": "decimal_places",
}
_MONEY_PROBLEM = re.compile(r'Invalid (\w+) "(.*)": (.*)', re.DOTALL)
SAMPLE_AMOUNT = Decimal("1234.50")


def show_separator(value):
    """A separator as words: a space or nothing are invisible between quotes."""
    if value == "":
        return "none"
    if value == " ":
        return "a space"
    return f'"{value}"'


def preview(settings):
    """What these settings look like in use: a sample amount, the rounding policy, an invoice number."""
    today = timezone.localdate()
    try:
        money = format_money(SAMPLE_AMOUNT, settings.money_format())
    except ValueError as problem:
        money = f"(invalid: {problem})"
    try:
        rounding = settings.rounding_policy().describe()
    except ValueError as problem:
        rounding = f"(invalid: {problem})"
    try:
        number = format_invoice_number(
            settings.invoice_number_format, year=today.year, month=today.month, seq=1
        )
    except ValueError as problem:
        number = f"(invalid: {problem})"
    return {"money": money, "rounding": rounding, "invoice_number": number}


class SettingsFormMixin:
    """What the two forms share: labels, limits, separator choices, checks and the grouping into cards."""

    def setup_fields(self):
        for name, field in self.fields.items():
            if name in LABELS:
                field.label = LABELS[name]
            if name in LIMITS:
                _limit(field, *LIMITS[name])
        self.fields["currency_code"].widget.attrs.update({"maxlength": 3, "autocapitalize": "characters"})
        self.fields["currency_symbol"].widget.attrs["maxlength"] = 5

    def separator_field(self, name):
        """A select instead of a one-character input: a space typed into a box is invisible."""
        model_field = self.fields[name]
        choices = list(SEPARATORS[name])
        stored = self.initial.get(name)
        if stored == "":
            self.initial[name] = NO_SEPARATOR
        elif stored is not None and stored not in dict(choices):
            choices.append((stored, f"{show_separator(stored)} (current)"))
        self.fields[name] = forms.ChoiceField(
            choices=choices,
            required=model_field.required,
            label=model_field.label,
            help_text=model_field.help_text,
        )

    def clean_currency_code(self):
        code = self.cleaned_data.get("currency_code")
        if code in (None, ""):
            return code
        code = code.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise forms.ValidationError(
                f'Currency code "{code}" is not valid: use three letters such as USD or EUR.'
            )
        return code

    def clean_invoice_number_format(self):
        fmt = self.cleaned_data.get("invoice_number_format")
        if fmt in (None, ""):
            return fmt
        try:
            format_invoice_number(fmt, year=2026, month=1, seq=1)
        except ValueError as problem:
            raise forms.ValidationError(str(problem)) from None
        return fmt

    def _clean_separator(self, name):
        value = self.cleaned_data.get(name)
        if value == NO_SEPARATOR:
            return ""
        return self.blank_value if value == "" else value

    def clean_thousand_separator(self):
        return self._clean_separator("thousand_separator")

    def clean_decimal_separator(self):
        return self._clean_separator("decimal_separator")

    def check_money_format(self, values, inherited=()):
        """Refuse a money format MoneyFormat would refuse, naming the settings at fault.

        values: the effective money settings; inherited: those taken from the global settings, which
        the user did not set here (errors go on a field the user did set)."""
        if any(name in self.errors for name in MONEY_ARGS):
            return  # already explained field by field

        def described(name, shown):
            label = self.fields[name].label.lower()
            return f"the {label} ({shown}{' from the global settings' if name in inherited else ''})"

        values = dict(values)
        thousand, decimal = values["thousand_separator"], values["decimal_separator"]
        if thousand == decimal:
            both = (
                f"{described('decimal_separator', show_separator(decimal))} and "
                f"{described('thousand_separator', show_separator(thousand))} must differ."
            )
            self.add_error(
                self._blame(["decimal_separator", "thousand_separator"], inherited), _first_up(both)
            )
            values["thousand_separator"] = ""  # explained: look on for other problems
        # MoneyFormat names one problem at a time: stand in a harmless value for each one found.
        for _ in MONEY_ARGS:
            try:
                MoneyFormat(**{arg: values[name] for name, arg in MONEY_ARGS.items()})
            except ValueError as problem:
                name = self._explain_money_problem(str(problem), inherited, described)
                if name is None:
                    return
                values[name] = _stand_in(name, values)
            else:
                return

    def _explain_money_problem(self, text, inherited, described):
        """Add the error for MoneyFormat's complaint; returns the setting at fault, if it names one."""
        match = _MONEY_PROBLEM.fullmatch(text)
        by_arg = {arg: name for name, arg in MONEY_ARGS.items()}
        name = by_arg.get(match[1]) if match else None
        if name is None:
            self.add_error(None, text)
            return None
        shown = f'"{match[2]}"'
        message = f"{described(name, shown)} is not allowed: {match[3]}."
        self.add_error(self._blame([name], inherited), _first_up(message))
        return name

    @staticmethod
    def _blame(names, inherited):
        """The first of these fields the user set on this form, else the whole form."""
        return next((name for name in names if name not in inherited), None)

    def groups(self):
        return [(title, [self[name] for name in names]) for title, names in GROUPS]

    def columns(self):
        """The cards in two columns of about equal height: Timer and Money, then the rest."""
        groups = self.groups()
        return [groups[:2], groups[2:]]


def _first_up(text):
    return text[:1].upper() + text[1:]


def _stand_in(name, values):
    """A value MoneyFormat accepts for this setting, given the others."""
    if name == "thousand_separator":
        return ""
    if name == "decimal_separator":
        return "," if values["thousand_separator"] == "." else "."
    return {"currency_symbol": "$", "symbol_position": "before", "decimal_places": 2}[name]


def _limit(field, low, high):
    label = field.label.replace("%", "%%")  # error messages are %-formatted
    # Replace the model's bounds (a positive field's min of 0) so a wrong value gets one message, not two.
    field.validators = [
        v for v in field.validators if not isinstance(v, MinValueValidator | MaxValueValidator)
    ]
    if low is not None:
        field.validators.append(MinValueValidator(low))
        field.widget.attrs["min"] = low
    if high is not None:
        field.validators.append(MaxValueValidator(high))
        field.widget.attrs["max"] = high
    if low is not None and high is not None:
        message = f"{label} must be between {low} and {high}."
        field.error_messages.update(min_value=message, max_value=message)
    else:
        field.error_messages["min_value"] = f"{label} cannot be negative."


class GlobalSettingsForm(SettingsFormMixin, forms.ModelForm):
    blank_value = ""  # no thousand separator

    class Meta:
        model = Settings
        fields = [*SETTING_NAMES, *AGENCY_GROUP[1]]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("agency_address", "agency_bank_details", "invoice_footer")
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.setup_fields()
        self.fields["agency_logo"].help_text = "PNG or JPEG, shown at the top of invoices."
        for name in SEPARATORS:
            self.separator_field(name)
        self.fields["thousand_separator"].required = False
        self.fields[
            "default_hourly_rate"
        ].help_text = "Used when no task, project, bucket or client sets a rate."

    def clean(self):
        cleaned = super().clean()
        self.check_money_format({name: cleaned.get(name) for name in MONEY_ARGS})
        return cleaned

    def groups(self):
        return [*super().groups(), (AGENCY_GROUP[0], [self[name] for name in AGENCY_GROUP[1]])]


class ClientSettingsForm(SettingsFormMixin, forms.ModelForm):
    """Every setting again; a blank choice or empty box keeps the global value."""

    blank_value = None  # as the global setting

    class Meta:
        model = ClientSettings
        fields = SETTING_NAMES

    def __init__(self, *args, global_settings, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.global_settings = global_settings
        self.setup_fields()
        for name in SEPARATORS:
            self.separator_field(name)
        for name in SETTING_NAMES:
            field = self.fields[name]
            field.required = False
            shown = self.global_display(name)
            if isinstance(self._meta.model._meta.get_field(name), _BOOLEAN):
                self.fields[name] = field = _tri_state(field, shown)
                value = self.initial.get(name)
                self.initial[name] = "" if value is None else ("true" if value else "false")
            elif isinstance(field, forms.ChoiceField):
                field.choices = [("", f"As global ({shown})"), *[c for c in field.choices if c[0] != ""]]
            else:
                field.widget.attrs["placeholder"] = shown
            field.help_text = f"Global: {shown}"

    def global_display(self, name):
        """The global value of a setting, as a person would say it."""
        value = getattr(self.global_settings, name)
        if name in SEPARATORS:
            return show_separator(value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if value is None:
            return "none"
        display = getattr(self.global_settings, f"get_{name}_display", None)
        if display is not None:
            return str(display())
        if name == "default_hourly_rate":
            try:
                return format_money(value, self.global_settings.money_format())
            except ValueError:
                return str(value)
        return str(value)

    def overrides(self):
        """{name: value} of the settings this form sets (the rest inherit)."""
        return {name: value for name in SETTING_NAMES if (value := self.cleaned_data.get(name)) is not None}

    def clean(self):
        cleaned = super().clean()
        values, inherited = {}, set()
        for name in MONEY_ARGS:
            value = cleaned.get(name)
            if value is None:
                value = getattr(self.global_settings, name)
                inherited.add(name)
            values[name] = value
        self.check_money_format(values, inherited)
        return cleaned


_BOOLEAN = type(ClientSettings._meta.get_field("rounding_enabled"))


def _tri_state(field, shown):
    """Inherit / Yes / No, as None / True / False."""
    return forms.TypedChoiceField(
        choices=[("", f"As global ({shown})"), ("true", "Yes"), ("false", "No")],
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
        label=field.label,
    )
