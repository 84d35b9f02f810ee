from django.urls import path

from timetracker.clients import views

app_name = "clients"

urlpatterns = [
    path("clients/", views.client_list, name="list"),
    path("clients/new/", views.client_form, name="create"),
    path("clients/<int:pk>/", views.client_detail, name="detail"),
    path("clients/<int:pk>/edit/", views.client_form, name="edit"),
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_form, name="site_create"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("sites/<int:pk>/edit/", views.site_form, name="site_edit"),
    path("projects/new/", views.project_form, name="project_create"),
    path("projects/<int:pk>/edit/", views.project_form, name="project_edit"),
    path("clients/<int:pk>/archive/", views.archive, {"kind": "client"}, name="client_archive"),
    path("sites/<int:pk>/archive/", views.archive, {"kind": "site"}, name="site_archive"),
    path("projects/<int:pk>/archive/", views.archive, {"kind": "project"}, name="project_archive"),
]
