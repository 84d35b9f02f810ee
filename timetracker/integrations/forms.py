import zoneinfo

from django import forms
from django.contrib.auth import get_user_model

from timetracker.integrations.models import Connection, Provider

# What each provider cannot work without, besides the token.
NEEDS = {
    Provider.CLOCKIFY: {"workspace": "Clockify needs the workspace id."},
    Provider.HARVEST: {
        "account": "Harvest needs the account id (Harvest-Account-Id).",
        "email": "Harvest asks for a contact address in every request.",
    },
    Provider.CLICKUP: {"workspace": "ClickUp needs the team (workspace) id."},
}


class ConnectionForm(forms.ModelForm):
    """The page's and the admin's form: the token is written, sealed, and never shown again."""

    token = forms.CharField(
        label="API token",
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Connection
        fields = [
            "provider",
            "name",
            "token",
            "workspace",
            "account",
            "email",
            "base_url",
            "time_zone",
            "unknown_user",
            "window_days",
            "every_minutes",
            "enabled",
        ]
        labels = {
            "every_minutes": "Sync every (minutes)",
            "window_days": "Days read back",
            "base_url": "API address",
            "unknown_user": "Unmatched people's time goes to",
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget = forms.Select(
            choices=[(name, name) for name in sorted(zoneinfo.available_timezones())]
        )
        self.fields["unknown_user"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )
        if self.instance.pk and self.instance.sealed_credentials:
            self.fields["token"].help_text = f"Saved ({self.instance.token_hint}). Leave empty to keep it."

    def clean(self):
        data = super().clean()
        if not data.get("token") and not self.instance.sealed_credentials:
            self.add_error("token", "Enter the API token.")
        for field, message in NEEDS.get(data.get("provider"), {}).items():
            if not data.get(field):
                self.add_error(field, message)
        return data

    def save(self, commit=True):
        if self.cleaned_data.get("token"):
            self.instance.set_credentials(token=self.cleaned_data["token"])
        return super().save(commit)
