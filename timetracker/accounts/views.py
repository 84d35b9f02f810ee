"""The profile page: who you are, your time zone, and your API keys.

A new key's secret is shown once: it goes into the session for the one page view after the redirect and is
popped there, so a reload (or the back button) never shows it again. The database keeps only its hash."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from timetracker.accounts.models import ApiKey
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


def profile(request, time_zone_form=None, key_form=None, status=200):
    user = request.user
    keys = ApiKey.objects.filter(user=user).order_by("revoked_at", "-created_at")
    ctx = {
        "role": user.role,
        "time_zone_form": time_zone_form or TimeZoneForm(initial={"time_zone": user.time_zone}),
        "key_form": key_form or ApiKeyForm(),
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
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return profile(request, key_form=form, status=422)
    key, raw = ApiKey.issue(user=request.user, name=form.cleaned_data["name"])
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
