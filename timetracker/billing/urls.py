from django.urls import path

from timetracker.billing import rerate_views, views

app_name = "billing"

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("clients/<int:pk>/settings/", views.client_settings, name="client_settings"),
    path("billing/rerate/", rerate_views.rerate, name="rerate"),
]
