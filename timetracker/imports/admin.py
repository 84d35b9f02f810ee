from django.contrib import admin

from timetracker.imports.models import ImportedEntry, ImportRun


class ImportedEntryInline(admin.TabularInline):
    model = ImportedEntry
    fields = ("row_number", "action", "external_id", "before")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Read-only: a run is created, committed and undone on the Imports page, where the rules apply."""

    list_display = ("pk", "file_name", "source", "status", "created_by", "created_at", "rows_total")
    list_filter = ("status", "source")
    search_fields = ("file_name", "file_hash")
    date_hierarchy = "created_at"
    list_select_related = ("created_by",)
    inlines = [ImportedEntryInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportedEntry)
class ImportedEntryAdmin(admin.ModelAdmin):
    list_display = ("external_id", "action", "row_number", "run")
    list_filter = ("action",)
    search_fields = ("external_id",)
    list_select_related = ("run",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
