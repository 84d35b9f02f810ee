from django.urls import path

from timetracker.accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/time-zone/", views.time_zone_update, name="time_zone"),
    path("profile/keys/", views.key_create, name="key_create"),
    path("profile/keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
]
