from urllib.parse import urlsplit

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from timetracker.imports.parsers.base import norm
from timetracker.integrations.models import Connection, Provider
from timetracker.lib import dates

# What decides whose entries a sync reads: when one changes, earlier entries are no longer deleted for being
# missing from the new read (write.py), and the token must be entered again for a new address.
SCOPE = {"provider", "token", "workspace", "account", "base_url"}

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

    people_map = forms.CharField(
        label="People",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "557058:f1c2… = sam\nzoe@example.com = zoe"}),
        help_text="One per line: their id, e-mail or name at the provider = our username. Needed for Tempo, "
        "which names people by Atlassian account id only; others are matched by e-mail or name.",
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
        self.fields["time_zone"].widget = forms.Select(choices=dates.zone_choices())
        self.fields["unknown_user"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )
        names = dict(
            get_user_model()
            .objects.filter(pk__in=self.instance.people.values())
            .values_list("pk", "username")
        )
        self.fields["people_map"].initial = "\n".join(
            f"{key} = {names[int(pk)]}" for key, pk in self.instance.people.items() if int(pk) in names
        )
        if self.instance.pk and self.instance.sealed_credentials:
            self.fields["token"].help_text = f"Saved ({self.instance.token_hint}). Leave empty to keep it."

    def clean_people_map(self):
        people, users = {}, {u.username.casefold(): u.pk for u in get_user_model().objects.all()}
        for number, line in enumerate(self.cleaned_data["people_map"].splitlines(), start=1):
            if not line.strip():
                continue
            theirs, _, ours = line.rpartition("=")
            if not theirs.strip() or not ours.strip():
                raise forms.ValidationError(f'Line {number}: write "their id = our username".')
            if ours.strip().casefold() not in users:
                raise forms.ValidationError(f'Line {number}: there is no user "{ours.strip()}" here.')
            theirs = theirs.strip()
            key = theirs.casefold() if "@" in theirs else norm(theirs)
            people[key] = str(users[ours.strip().casefold()])
        return people

    def clean(self):
        data = super().clean()
        moved = self.instance.pk and {"provider", "base_url"} & set(self.changed_data)
        if not data.get("token") and (moved or not self.instance.sealed_credentials):
            # The saved token is only ever sent to the address it was saved for.
            self.add_error(
                "token", "Enter the API token." if not moved else "Enter the token again for the new address."
            )
        if data.get("base_url") and not _safe_address(data["base_url"]):
            self.add_error(
                "base_url", "Use an https:// address (plain http only to this machine, for testing)."
            )
        for field, message in NEEDS.get(data.get("provider"), {}).items():
            if not data.get(field):
                self.add_error(field, message)
        return data

    def save(self, commit=True):
        self.instance.people = self.cleaned_data.get("people_map", {})
        if self.cleaned_data.get("token"):
            self.instance.set_credentials(token=self.cleaned_data["token"])
        if self.instance.pk and (SCOPE & set(self.changed_data)):
            self.instance.scope_since = timezone.now()
        return super().save(commit)


def _safe_address(url):
    """https anywhere; http only to this machine (a local test server): a token never crosses a network in
    clear."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
    )
