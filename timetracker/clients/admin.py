from django.contrib import admin

from timetracker.clients.models import Client, Project, Site


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ["name", "url", "archived_at"]


class ProjectInline(admin.TabularInline):
    model = Project
    extra = 0
    fields = ["name", "code", "hourly_rate", "billable", "archived_at"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_name", "email", "hourly_rate", "created_at", "archived_at"]
    list_filter = [("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "contact_name", "email"]
    inlines = [SiteInline, ProjectInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "url", "archived_at"]
    list_filter = ["client", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "url", "client__name"]
    list_select_related = ["client"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "code", "hourly_rate", "budget_hours", "billable", "archived_at"]
    list_filter = ["billable", "client", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "code", "client__name"]
    list_select_related = ["client"]
