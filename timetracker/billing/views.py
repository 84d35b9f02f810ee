from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse

from timetracker.accounts.decorators import require_admin, require_manager
from timetracker.billing.forms import ClientSettingsForm, GlobalSettingsForm, preview
from timetracker.billing.models import ClientSettings, Settings
from timetracker.clients.models import Client


def settings_page(request):
    """The agency's global settings: Admins only."""
    require_admin(request.user, "Only Admins can change the settings.")
    if client_id := request.GET.get("client", "").strip():
        # "Override for a client": the picker on this page leads to that client's Settings tab.
        client = get_object_or_404(Client, pk=client_id) if client_id.isdigit() else None
        if client is None:
            return redirect("billing:settings")
        return redirect("billing:client_settings", client.pk)
    posted = request.method == "POST"
    form = GlobalSettingsForm(
        request.POST if posted else None, request.FILES if posted else None, instance=Settings.load()
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, "Saved the settings.")
        return redirect("billing:settings")
    # The preview shows what is saved (a failed form changed its own copy, not the stored row).
    saved = Settings.load()
    overrides = ClientSettings.objects.select_related("client").order_by("client__name")
    ctx = {
        "form": form,
        "preview": preview(saved),
        "last_change": saved.history.select_related("history_user").first(),
        "overrides": [(o.client, _labels(form, o.overridden())) for o in overrides],
        "other_clients": Client.objects.active().exclude(pk__in=[o.client_id for o in overrides]),
    }
    return render(request, "billing/settings.html", ctx)


def client_settings(request, pk):
    """A client's Settings tab: overrides of the global settings, field by field. Admins and Managers."""
    require_manager(request.user, "Only Admins and Managers can change a client's settings.")
    client = get_object_or_404(Client.objects.for_user(request.user), pk=pk)
    global_settings = Settings.load()
    saved = ClientSettings.objects.filter(client=client).first()
    form = ClientSettingsForm(
        request.POST if request.method == "POST" else None,
        instance=saved or ClientSettings(client=client),
        global_settings=global_settings,
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if form.overrides():
                form.save()
                messages.success(request, f"Saved the settings for {client}.")
            else:
                # Nothing overridden: no row at all, so the client simply follows the global settings.
                if form.instance.pk:
                    form.instance.delete()
                messages.success(request, f"{client} now uses the global settings.")
        return redirect("billing:client_settings", client.pk)
    fresh = ClientSettings.objects.filter(client=client).first()
    overridden = fresh.overridden() if fresh else {}
    ctx = {
        "client": client,
        "client_url": _url_or_none("clients:detail", client.pk),
        "clients_url": _url_or_none("clients:list"),
        "form": form,
        "preview": preview(global_settings.merged_with(fresh)),
        "overridden": _labels(form, overridden),
        "last_change": fresh.history.select_related("history_user").first() if fresh else None,
    }
    return render(request, "billing/settings_client.html", ctx)


def _labels(form, names):
    return [form.fields[name].label for name in names]


def _url_or_none(name, *args):
    """Pages built by other sections may not exist yet: then no link, never an error."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None
