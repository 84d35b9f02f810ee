from django.urls import path

from timetracker.integrations import views

app_name = "integrations"

urlpatterns = [
    path("integrations/", views.connection_list, name="list"),
    path("integrations/new/", views.connection_add, name="add"),
    path("integrations/<int:pk>/", views.connection_detail, name="detail"),
    path("integrations/<int:pk>/sync/", views.connection_sync, name="sync"),
    path("integrations/<int:pk>/test/", views.connection_test, name="test"),
]
