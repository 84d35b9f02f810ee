from django.urls import path

from timetracker.automation import views

app_name = "automation"

urlpatterns = [
    path("automation/triggers/", views.trigger_list, name="trigger_list"),
    path("automation/triggers/new/", views.trigger_add, name="trigger_add"),
    path("automation/triggers/<int:pk>/", views.trigger_edit, name="trigger_edit"),
    path("automation/webhooks/", views.webhook_list, name="webhook_list"),
    path("automation/webhooks/new/", views.webhook_add, name="webhook_add"),
    path("automation/webhooks/<int:pk>/", views.webhook_edit, name="webhook_edit"),
    path("automation/webhooks/<int:pk>/test/", views.webhook_test, name="webhook_test"),
]

# --- Audit trail and report-on-request (audit*.py, owned by the audit helper): add their paths below. ---
urlpatterns += []
from timetracker.automation import audit_views, usage_report_views  # noqa: E402

urlpatterns += [
    path("clients/<int:pk>/audit/", audit_views.client_audit, name="client_audit"),
    path("clients/<int:pk>/audit.csv", audit_views.client_audit_csv, name="client_audit_csv"),
    path("buckets/<int:pk>/audit/", audit_views.bucket_audit, name="bucket_audit"),
    path("buckets/<int:pk>/audit.csv", audit_views.bucket_audit_csv, name="bucket_audit_csv"),
    path("billing/invoices/<int:pk>/audit/", audit_views.invoice_audit, name="invoice_audit"),
    path("billing/invoices/<int:pk>/audit.csv", audit_views.invoice_audit_csv, name="invoice_audit_csv"),
    path(
        "clients/<int:pk>/usage-report/", usage_report_views.client_usage_report, name="client_usage_report"
    ),
]
# --- end of audit paths ---
