from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from timetracker.accounts.decorators import require_manager
from timetracker.automation import webhooks
from timetracker.automation.forms import TriggerForm, WebhookEndpointForm
from timetracker.automation.models import Trigger, TriggerFiring, WebhookDelivery, WebhookEndpoint

PER_PAGE = 20
MANAGERS_ONLY = "Triggers and webhooks act for the whole agency: only Managers and Admins set them up."


# --- triggers ------------------------------------------------------------------------------------------------


def trigger_list(request):
    require_manager(request.user, MANAGERS_ONLY)
    latest = TriggerFiring.objects.order_by("-created_at", "-pk")
    triggers = (
        Trigger.objects.for_user(request.user)
        .select_related("client", "project", "bucket", "send_report", "webhook")
        .annotate(firing_count=Count("firings"))
        .prefetch_related(Prefetch("firings", queryset=latest[:1], to_attr="last_firings"))
    )
    return render(request, "automation/trigger_list.html", {"triggers": triggers})


def trigger_add(request):
    require_manager(request.user, MANAGERS_ONLY)
    form = TriggerForm(request.POST or None, user=request.user, initial={"client": request.GET.get("client")})
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        trigger = form.save()
        messages.success(request, f"{trigger.name} is saved. Its firings are logged below.")
        return redirect("automation:trigger_edit", trigger.pk)
    return render(request, "automation/trigger_form.html", {"form": form})


def trigger_edit(request, pk):
    """The trigger's settings and its firing log (the log alone for htmx: its pages and refresh)."""
    require_manager(request.user, MANAGERS_ONLY)
    trigger = get_object_or_404(Trigger.objects.for_user(request.user), pk=pk)
    form = TriggerForm(request.POST or None, instance=trigger, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{trigger.name} is saved.")
        return redirect("automation:trigger_edit", trigger.pk)
    firings = trigger.firings.select_related("event")
    page = Paginator(firings, PER_PAGE).get_page(request.GET.get("page"))
    ctx = {"trigger": trigger, "form": form, "page": page, "firings": page.object_list}
    if request.htmx and request.method == "GET":
        return render(request, "automation/trigger_form.html#firing-log", ctx)
    return render(request, "automation/trigger_form.html", ctx)


# --- webhooks ------------------------------------------------------------------------------------------------


def webhook_list(request):
    require_manager(request.user, MANAGERS_ONLY)
    endpoints = WebhookEndpoint.objects.for_user(request.user).annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.DELIVERED)),
        pending=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.PENDING)),
    )
    return render(request, "automation/webhook_list.html", {"endpoints": endpoints})


def webhook_add(request):
    require_manager(request.user, MANAGERS_ONLY)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        secret = webhooks.new_secret()
        form.instance.created_by = request.user
        form.instance.set_secret(secret)
        endpoint = form.save()
        # The secret is shown on this answer only (only its sealed form is kept): not in a message, which the
        # session would store, and not after a redirect. The page is the endpoint's, its form posts there.
        ctx = {
            "endpoint": endpoint,
            "form": WebhookEndpointForm(instance=endpoint),
            "deliveries": [],
            "new_secret": secret,
        }
        response = render(request, "automation/webhook_form.html", ctx)
        add_never_cache_headers(response)  # no copy of the secret is kept on the way (no-store)
        return response
    return render(request, "automation/webhook_form.html", {"form": form})


def webhook_edit(request, pk):
    """The endpoint's settings and its delivery log with response codes (the log alone for htmx)."""
    require_manager(request.user, MANAGERS_ONLY)
    endpoint = get_object_or_404(WebhookEndpoint.objects.for_user(request.user), pk=pk)
    was_enabled = endpoint.enabled
    form = WebhookEndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        form.save()
        if form.cleaned_data["enabled"] and not was_enabled:
            webhooks.enable(endpoint)
        messages.success(request, f"{endpoint.name} is saved.")
        return redirect("automation:webhook_edit", endpoint.pk)
    deliveries = endpoint.deliveries.prefetch_related("attempt_log")
    page = Paginator(deliveries, PER_PAGE).get_page(request.GET.get("page"))
    ctx = {"endpoint": endpoint, "form": form, "page": page, "deliveries": page.object_list}
    if request.htmx and request.method == "GET":
        return render(request, "automation/webhook_form.html#deliveries", ctx)
    return render(request, "automation/webhook_form.html", ctx)


@require_POST
def webhook_test(request, pk):
    require_manager(request.user, MANAGERS_ONLY)
    endpoint = get_object_or_404(WebhookEndpoint.objects.for_user(request.user), pk=pk)
    if not endpoint.enabled:
        messages.error(request, f"{endpoint.name} is disabled: enable it first, then send a test event.")
        return redirect("automation:webhook_edit", endpoint.pk)
    delivery = webhooks.send_test(endpoint, by=request.user)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        messages.success(request, f"The test event was delivered (HTTP {delivery.last_status_code}).")
    else:
        messages.error(request, f"The test event failed: {delivery.last_error}. It is retried later.")
    return redirect("automation:webhook_edit", endpoint.pk)
