from django import forms

from timetracker.accounts.models import User
from timetracker.billing.choices import Weekday
from timetracker.lib.dates import zone
from timetracker.lib.emails import addresses
from timetracker.reports import ranges
from timetracker.reports.engine import DIMENSIONS
from timetracker.reports.models import ReportSchedule
from timetracker.reports.schedules import FORMATS, check_cron


class ReportForm(forms.Form):
    """The group, sub-group and range pickers; the filters are the FilterSet's form (filters.py)."""

    group = forms.ChoiceField(label="Group by", choices=list(DIMENSIONS.items()), initial="client")
    sub_group = forms.ChoiceField(
        label="Then by", choices=[("", "Nothing"), *DIMENSIONS.items()], required=False
    )
    range = forms.ChoiceField(label="Range", choices=ranges.PRESETS, initial=ranges.DEFAULT)
    # Named "from"/"to" in the URL; Python cannot name a field "from", so they are added below.


ReportForm.base_fields["from"] = forms.DateField(
    label="From", required=False, widget=forms.DateInput({"type": "date"})
)
ReportForm.base_fields["to"] = forms.DateField(
    label="To", required=False, widget=forms.DateInput({"type": "date"})
)


class SaveForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name")


class ShareForm(forms.Form):
    days = forms.IntegerField(
        label="Expires after (days)", min_value=1, max_value=365, initial=30, help_text="At most a year."
    )
    show_amounts = forms.BooleanField(label="Show amounts", required=False)
    show_rates = forms.BooleanField(label="Show rates", required=False)
    show_users = forms.BooleanField(label="Show people's names", required=False)
    show_descriptions = forms.BooleanField(label="Show descriptions", required=False)


class ScheduleForm(forms.ModelForm):
    formats = forms.MultipleChoiceField(
        choices=FORMATS, widget=forms.CheckboxSelectMultiple, initial=["pdf", "link"], label="Send"
    )

    class Meta:
        model = ReportSchedule
        fields = [
            "frequency",
            "weekday",
            "cron",
            "time_of_day",
            "time_zone",
            "period",
            "users",
            "emails",
            "formats",
            "show_amounts",
        ]
        labels = {
            "users": "People in the agency",
            "period": "Each e-mail covers",
            "show_amounts": "Show amounts",
        }
        widgets = {
            "weekday": forms.Select(choices=Weekday.choices),
            "time_of_day": forms.TimeInput({"type": "time"}),
            "users": forms.CheckboxSelectMultiple,
            "emails": forms.Textarea({"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = User.objects.filter(is_active=True).exclude(email="")
        self.fields["time_zone"].initial = user.time_zone

    def clean_time_zone(self):
        try:
            return zone(self.cleaned_data["time_zone"]).key
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_emails(self):
        try:
            return "\n".join(addresses(self.cleaned_data["emails"]))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        if data.get("frequency") == ReportSchedule.Frequency.CRON:
            try:
                check_cron(data.get("cron", ""))
            except ValueError as error:
                self.add_error("cron", str(error))
        if not data.get("users") and not data.get("emails"):
            self.add_error("emails", "Choose someone in the agency or give an address.")
        return data
