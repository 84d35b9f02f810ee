from django.urls import path

from timetracker.reports import saved_views, schedule_views, unsubscribe, views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report_view, name="index"),
    path("reports/export.<str:fmt>", views.report_export, name="export"),
    path("reports/exports/<int:pk>/", views.export_status, name="export_status"),
    path("reports/exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("reports/saved/", saved_views.saved_list, name="saved_list"),
    path("reports/saved/new/", saved_views.saved_create, name="saved_create"),
    path("reports/saved/<int:pk>/", saved_views.saved_open, name="saved_open"),
    path("reports/saved/<int:pk>/rename/", saved_views.saved_rename, name="saved_rename"),
    path("reports/saved/<int:pk>/delete/", saved_views.saved_delete, name="saved_delete"),
    path("reports/saved/<int:pk>/share/", saved_views.saved_share, name="saved_share"),
    path("reports/saved/<int:pk>/schedules/", schedule_views.schedule_list, name="schedule_list"),
    path("reports/schedules/<int:pk>/pause/", schedule_views.schedule_pause, name="schedule_pause"),
    path("reports/schedules/<int:pk>/delete/", schedule_views.schedule_delete, name="schedule_delete"),
    path("reports/links/<int:pk>/revoke/", saved_views.share_revoke, name="share_revoke"),
    path("r/<str:token>/", saved_views.shared_report, name="shared"),
    path("reports/unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("logs/export.<str:fmt>", views.logs_export, name="logs_export"),
]
