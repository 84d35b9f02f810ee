from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from timetracker.accounts.forms import AdminLoginForm
from timetracker.accounts.models import ApiKey, IdempotencyKey, OnceToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "roles", "time_zone", "is_active"]
    list_filter = ["groups", "is_active", "is_staff", "is_superuser"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Timetracker", {"fields": ["time_zone", "default_hourly_rate"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def roles(self, obj):
        return ", ".join(group.name for group in obj.groups.all()) or "—"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "lookup",
        "scope",
        "expires_at",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", "revoked_at"]
    search_fields = ["name", "lookup", "user__username"]
    list_select_related = ["user"]
    # The hash is useless to a person and the raw key is never stored: nothing secret to show or edit.
    readonly_fields = ["lookup", "hashed_key", "created_at", "last_used_at"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):
        return False


# The admin's own login page is throttled like the site's (accounts/throttle.py).
admin.site.login_form = AdminLoginForm


@admin.register(OnceToken)
class OnceTokenAdmin(admin.ModelAdmin):
    """Read-only: tokens are written by the forms they protect, in the same transaction as their work."""

    list_display = ["token", "user", "created_at"]
    search_fields = ["token", "user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(OnceTokenAdmin):
    """Read-only: written by API POSTs with an Idempotency-Key, in the same transaction as their work."""

    list_display = ["key", "user", "status_code", "created_at"]
    search_fields = ["key", "user__username"]
    exclude = ["response_body"]  # the answer may carry what only its caller should read
