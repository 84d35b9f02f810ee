from django import forms

from timetracker.clients.models import Client, Project, Site


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


class SiteForm(LabelledForm):
    class Meta:
        model = Site
        fields = ["client", "name", "url"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.active()

    def clean(self):
        cleaned = super().clean()
        client, name = cleaned.get("client"), cleaned.get("name")
        if (
            client
            and name
            and Site.objects.filter(client=client, name=name).exclude(pk=self.instance.pk).exists()
        ):
            self.add_error("name", f"{client} already has a site called {name}.")
        return cleaned


class ProjectForm(LabelledForm):
    class Meta:
        model = Project
        fields = ["client", "name", "code", "hourly_rate", "budget_hours", "billable"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.active()

    def clean(self):
        cleaned = super().clean()
        client, name = cleaned.get("client"), cleaned.get("name")
        if (
            client
            and name
            and Project.objects.filter(client=client, name=name).exclude(pk=self.instance.pk).exists()
        ):
            self.add_error("name", f"{client} already has a project called {name}.")
        return cleaned
