from django.urls import path

from timetracker.buckets import views

app_name = "buckets"

urlpatterns = [
    path("buckets/", views.bucket_list, name="list"),
    path("buckets/new/", views.bucket_create, name="create"),
    path("buckets/<int:pk>/", views.bucket_detail, name="detail"),
    path("buckets/<int:pk>/edit/", views.bucket_edit, name="edit"),
    path("buckets/<int:pk>/delete/", views.bucket_delete, name="delete"),
]
