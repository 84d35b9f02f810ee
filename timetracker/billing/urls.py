from django.urls import path

from timetracker.billing import invoice_views, mail_views, rerate_views, unbilled_views, views

app_name = "billing"

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("clients/<int:pk>/settings/", views.client_settings, name="client_settings"),
    path("billing/unbilled/", unbilled_views.unbilled, name="unbilled"),
    path("billing/unbilled/mark-billed/", unbilled_views.mark_billed, name="mark_invoiced"),
    path("billing/invoices/", invoice_views.invoice_list, name="invoice_list"),
    path("billing/invoices/new/", unbilled_views.invoice_create, name="invoice_create"),
    path("billing/invoices/<int:pk>/", invoice_views.invoice_detail, name="invoice_detail"),
    path("billing/invoices/<int:pk>/send/", invoice_views.invoice_send, name="invoice_send"),
    path("billing/invoices/<int:pk>/email/", mail_views.invoice_email, name="invoice_email"),
    path("billing/invoices/<int:pk>/remind/", mail_views.invoice_remind, name="invoice_remind"),
    path("billing/invoices/<int:pk>/cancel/", invoice_views.invoice_cancel, name="invoice_cancel"),
    path("billing/invoices/<int:pk>/status/", invoice_views.invoice_status, name="invoice_status"),
    path("billing/invoices/<int:pk>/payments/", invoice_views.invoice_payment, name="invoice_payment"),
    path(
        "billing/invoices/<int:pk>/lines/<int:line_pk>/void/",
        invoice_views.invoice_void_line,
        name="invoice_void_line",
    ),
    path("billing/invoices/<int:pk>/lines.csv", invoice_views.invoice_csv, name="invoice_csv"),
    path("billing/invoices/<int:pk>/pdf/", invoice_views.invoice_pdf, name="invoice_pdf"),
    path("billing/rerate/", rerate_views.rerate, name="rerate"),
]
