from django.contrib import admin

from timetracker.automation.models import Event, Trigger, TriggerFiring, WebhookDelivery, WebhookEndpoint


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["type", "dedupe_key", "client", "project", "bucket", "invoice", "occurred_at"]
    list_filter = ["type"]
    search_fields = ["dedupe_key"]
    readonly_fields = [field.name for field in Event._meta.fields]


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "event_type", "cron", "enabled", "next_run_at"]
    list_filter = ["kind", "enabled"]
    raw_id_fields = ["client", "project", "bucket", "send_report", "webhook", "created_by"]


@admin.register(TriggerFiring)
class TriggerFiringAdmin(admin.ModelAdmin):
    list_display = ["trigger", "event", "due_at", "status", "created_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in TriggerFiring._meta.fields]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    # The secret is set on the page (it is shown once there); the admin never sees it.
    list_display = ["name", "url", "enabled", "consecutive_failures", "secret_hint"]
    list_filter = ["enabled"]
    readonly_fields = ["secret_hint", "consecutive_failures", "disabled_reason"]

    def has_add_permission(self, request):
        return False  # an endpoint needs a secret, made and shown once on the Webhooks page


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "endpoint", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event_type"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
