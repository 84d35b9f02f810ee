from django import forms

from timetracker.clients.models import Client, Project, Site, default_budget_thresholds
from timetracker.lib.forms import ThresholdsField


class LabelledForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ClientForm(LabelledForm):
    class Meta:
        model = Client
        fields = ["name", "contact_name", "email", "address", "hourly_rate", "notes"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"hourly_rate": "Used when the task, project and bucket set no rate."}


class BelongsToClientForm(LabelledForm):
    """A site or project: chosen among active clients, its name unique within its client."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.active()

    def clean(self):
        cleaned = super().clean()
        client, name = cleaned.get("client"), cleaned.get("name")
        siblings = self._meta.model.objects.filter(client=client, name=name).exclude(pk=self.instance.pk)
        if client and name and siblings.exists():
            self.add_error(
                "name", f"{client} already has a {self._meta.model._meta.verbose_name} called {name}."
            )
        return cleaned


class SiteForm(BelongsToClientForm):
    class Meta:
        model = Site
        fields = ["client", "name", "url"]


class ProjectForm(BelongsToClientForm):
    budget_thresholds = ThresholdsField(
        required=False,
        initial=default_budget_thresholds,
        help_text="Percentages of the budget (hours or money) that record an event, e.g. 80, 100: automation "
        "triggers can e-mail or call a webhook on them. Leave empty for none.",
    )

    class Meta:
        model = Project
        fields = [
            "client",
            "name",
            "code",
            "hourly_rate",
            "budget_hours",
            "budget_amount",
            "budget_thresholds",
            "billable",
        ]
