"""The profile page: who you are, your time zone, and your API keys.

A new key's secret is shown once: it goes into the session for the one page view after the redirect and is
popped there, so a reload (or the back button) never shows it again. The database keeps only its hash."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from timetracker.accounts import throttle
from timetracker.accounts.models import ApiKey, ApiKeyScope
from timetracker.lib import dates

NEW_KEY = "accounts:new_api_key"


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        choices=dates.zone_choices,
        help_text="Times are shown, and days and weeks counted, in this zone.",
        error_messages={
            "invalid_choice": "“%(value)s” is not a time zone we know; choose one from the list."
        },
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Where the key is used, e.g. “Invoice script on the office server”.",
        error_messages={"required": "Give the key a name, so you can tell it apart later."},
    )
    scope = forms.ChoiceField(
        choices=ApiKeyScope.choices,
        initial=ApiKeyScope.FULL,
        required=False,  # left out (an older form, a script): full, as keys were before scopes
        help_text="Give a script no more than it needs: a report reader needs read only.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Valid until",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the last day the key works (in your time zone). Leave empty for no expiry.",
        error_messages={"invalid": "Give the last day as a date, e.g. 2027-06-30."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_scope(self):
        return self.cleaned_data["scope"] or ApiKeyScope.FULL

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is None:
            return None
        try:
            dates.check_supported(day)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        if day < dates.localdate(tz=self.user.time_zone):
            raise forms.ValidationError("That day has passed; choose today or a later day.")
        return day

    def expires_at(self):
        """The key stops working when the chosen day ends, in the user's time zone."""
        day = self.cleaned_data["expires_on"]
        return None if day is None else dates.day_bounds(day, self.user.time_zone)[1]


def profile(request, time_zone_form=None, key_form=None, status=200):
    user = request.user
    keys = ApiKey.objects.filter(user=user).order_by("revoked_at", "-created_at")
    ctx = {
        "role": user.role,
        "time_zone_form": time_zone_form or TimeZoneForm(initial={"time_zone": user.time_zone}),
        "key_form": key_form or ApiKeyForm(user=user),
        "now": timezone.now(),
        "rate_limit": throttle.api_key_rate(),
        "keys": keys,
        # Popped: the secret is in the session for exactly one page view.
        "new_key": request.session.pop(NEW_KEY, None),
    }
    return render(request, "accounts/profile.html", ctx, status=status)


@require_POST
def time_zone_update(request):
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        return profile(request, time_zone_form=form, status=422)
    request.user.time_zone = form.cleaned_data["time_zone"]
    request.user.save(update_fields=["time_zone"])
    messages.success(request, f"Your time zone is now {request.user.time_zone}.")
    return redirect("accounts:profile")


@require_POST
def key_create(request):
    form = ApiKeyForm(request.POST, user=request.user)
    if not form.is_valid():
        return profile(request, key_form=form, status=422)
    key, raw = ApiKey.issue(
        user=request.user,
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
        expires_at=form.expires_at(),
    )
    request.session[NEW_KEY] = {"id": key.pk, "name": key.name, "raw": raw}
    return redirect("accounts:profile")


@require_POST
def key_revoke(request, pk):
    key = get_object_or_404(ApiKey, pk=pk, user=request.user)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        messages.success(request, f"Revoked “{key.name}”: scripts using it now get 401.")
    return redirect("accounts:profile")
