from django.urls import path

from timetracker.imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.import_list, name="list"),
    path("imports/<int:pk>/", views.import_detail, name="detail"),
    path("imports/<int:pk>/columns/", views.import_mapping, name="mapping"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("imports/<int:pk>/undo/", views.import_undo, name="undo"),
    path("imports/<int:pk>/retry/", views.import_retry, name="retry"),
    path("imports/<int:pk>/discard/", views.import_discard, name="discard"),
]
