"""All /api/v1/ routes, gathered from the resource modules (each lists its own, most specific first)."""

from timetracker.api import (
    account,
    billing,
    directory,
    entry_actions,
    entry_bulk,
    entry_exports,
    entry_notes,
    imports,
    reports,
    saved_reports,
    time_entries,
    work,
)

urlpatterns = [
    *account.urlpatterns,
    *entry_exports.urlpatterns,
    *entry_bulk.urlpatterns,
    *time_entries.urlpatterns,
    *entry_notes.urlpatterns,
    *entry_actions.urlpatterns,
    *work.urlpatterns,
    *directory.urlpatterns,
    *billing.urlpatterns,
    *reports.urlpatterns,
    *saved_reports.urlpatterns,
    *imports.urlpatterns,
]
