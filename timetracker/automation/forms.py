from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError, engines
from django.utils import timezone

from timetracker.automation import schedules
from timetracker.automation.models import EventType, Trigger, WebhookEndpoint
from timetracker.integrations.forms import _safe_address
from timetracker.lib import dates
from timetracker.lib.emails import addresses
from timetracker.reports.models import SavedReport

MAX_EXTRA_EMAILS = 20


class TriggerForm(forms.ModelForm):
    class Meta:
        model = Trigger
        fields = [
            "name",
            "enabled",
            "kind",
            "event_type",
            "client",
            "project",
            "bucket",
            "threshold",
            "cron",
            "time_zone",
            "send_report",
            "notify",
            "subject",
            "message",
            "recipients",
            "extra_emails",
            "webhook",
            "draft_invoice",
        ]
        labels = {
            "kind": "Fires",
            "event_type": "When this happens",
            "client": "Only for client",
            "project": "Only for project",
            "bucket": "Only for bucket",
            "threshold": "Only at percentage",
            "cron": "Schedule (cron)",
            "send_report": "E-mail saved report",
            "notify": "E-mail a notification",
            "recipients": "To these people",
            "extra_emails": "And these addresses",
            "webhook": "Call webhook",
            "draft_invoice": "Create an invoice draft of the client's unbilled time",
        }
        widgets = {
            "message": forms.Textarea(attrs={"rows": 4}),
            "extra_emails": forms.Textarea(attrs={"rows": 2, "placeholder": "billing@client.example"}),
            "recipients": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget = forms.Select(choices=dates.zone_choices())
        self.fields["event_type"].choices = [("", "Choose an event"), *EventType.choices]
        self.fields["recipients"].queryset = (
            get_user_model().objects.filter(is_active=True).exclude(email="").order_by("username")
        )
        # A report runs with its owner's scope: a Manager can pick only reports they own. New choices are
        # active clients, projects and buckets only.
        choices = {
            "send_report": SavedReport.objects.for_user(user),
            "webhook": WebhookEndpoint.objects.for_user(user),
            **{
                name: self.fields[name].queryset.model.objects.active()
                for name in ("client", "project", "bucket")
            },
        }
        for name, queryset in choices.items():
            # What the trigger has now stays a choice (another Manager's report, an archived client): saving
            # the form unchanged must not drop it.
            current = getattr(self.instance, f"{name}_id", None)
            if current is not None:
                queryset = queryset | queryset.model.objects.filter(pk=current)
            self.fields[name].queryset = queryset
        self.fields["project"].queryset = self.fields["project"].queryset.select_related("client")

    def clean_extra_emails(self):
        try:
            return "\n".join(addresses(self.cleaned_data["extra_emails"], at_most=MAX_EXTRA_EMAILS))
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def _check_template(self, name):
        try:
            engines["django"].from_string(self.cleaned_data.get(name) or "")
        except TemplateSyntaxError as error:
            self.add_error(name, f"The template cannot be read: {error}")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Trigger.Kind.EVENT and not data.get("event_type"):
            self.add_error("event_type", "Choose the event that fires the trigger.")
        if kind == Trigger.Kind.SCHEDULE and not data.get("cron"):
            # A cron line that cannot be read is the model's to refuse (Trigger.clean), for the admin too.
            self.add_error("cron", 'Give the schedule as a cron line, e.g. "0 8 * * 1" (Mondays at 08:00).')
        actions = [
            data.get("send_report"),
            data.get("notify"),
            data.get("webhook"),
            data.get("draft_invoice"),
        ]
        if not any(actions):
            raise ValidationError(
                "Choose at least one action: a report, a notification, a webhook or a draft."
            )
        mails = data.get("send_report") or data.get("notify")
        if mails and not data.get("recipients") and not data.get("extra_emails"):
            self.add_error("recipients", "Choose who gets the e-mail (people here, or addresses below).")
        if data.get("draft_invoice") and kind == Trigger.Kind.SCHEDULE and not data.get("client"):
            self.add_error("client", "A scheduled invoice draft needs the client whose time it bills.")
        project, client = data.get("project"), data.get("client")
        if project and client and project.client_id != client.pk:
            self.add_error("project", f"{project} is not a project of {client}.")
        self._check_template("subject")
        self._check_template("message")
        return data

    def save(self, commit=True):
        trigger = self.instance
        if trigger.kind == Trigger.Kind.SCHEDULE:
            if not trigger.next_run_at or {"cron", "time_zone", "kind"} & set(self.changed_data):
                trigger.next_run_at = schedules.next_run(trigger, timezone.now())
        else:
            trigger.next_run_at, trigger.cron = None, ""
        return super().save(commit)


class WebhookEndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Events to send",
        help_text="Triggers can also send any event to this endpoint.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "event_types", "enabled"]
        labels = {"url": "URL"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["url"].help_text = "Deliveries go to this address only: redirects are not followed."

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not _safe_address(url):
            raise ValidationError("Use an https:// address (plain http only to this machine, for testing).")
        return url
