from django import forms
from django.db.models import Q

from timetracker.buckets.models import FIRST_DAY, LAST_DAY, Bucket, default_thresholds
from timetracker.clients.models import MAX_HOURS, MAX_RATE, Client
from timetracker.lib.forms import ThresholdsField


class BucketForm(forms.ModelForm):
    thresholds = ThresholdsField(
        required=False,
        initial=default_thresholds,
        help_text="Percentages of the hours that raise an alert, e.g. 50, 80, 100. Leave empty for none.",
    )

    class Meta:
        model = Bucket
        fields = [
            "title",
            "clients",
            "hours",
            "hourly_price",
            "recurrence",
            "start_date",
            "rollover",
            "thresholds",
            "billable_only",
            "hard_stop",
            "notes",
        ]
        widgets = {
            "clients": forms.CheckboxSelectMultiple,
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"hourly_price": "Hourly price", "billable_only": "Count billable time only"}
        help_texts = {
            "hours": "Hours in each period (or in total, if the bucket does not renew).",
            "start_date": "Periods are counted from this day.",
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # Archived clients are not offered, but a bucket keeps the ones it already serves.
        offered = Q(archived_at__isnull=True) | (Q(buckets=self.instance) if self.instance.pk else Q())
        self.fields["clients"].queryset = Client.objects.filter(offered).distinct()
        self.fields["clients"].error_messages["required"] = "Choose at least one client."
        # The bounds and their messages are the model's (checked when the form cleans the instance);
        # the browser only gets the same limits as hints.
        self.fields["hours"].widget.attrs.update({"min": "0", "max": MAX_HOURS, "step": "0.25"})
        self.fields["hourly_price"].widget.attrs.update({"min": "0", "max": MAX_RATE, "step": "0.01"})
        self.fields["start_date"].widget.attrs.update({"min": FIRST_DAY, "max": LAST_DAY})
