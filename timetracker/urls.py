from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from timetracker import views
from timetracker.accounts.forms import LoginForm

admin.site.site_header = "Timetracker bookkeeping"
admin.site.site_title = "Timetracker admin"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("timetracker.api.urls")),
    path("", include("timetracker.tasks.urls")),
    path("", include("timetracker.buckets.urls")),
    path("", include("timetracker.billing.urls")),
    path("", include("timetracker.imports.urls")),
    path("", include("timetracker.clients.urls")),
    path("", include("timetracker.accounts.urls")),
    path("", include("timetracker.reports.urls")),
    path("", include("timetracker.integrations.urls")),
    path("", include("timetracker.automation.urls")),
]

# Under /api/ these answer in the API's JSON error shape; elsewhere they are Django's pages.
handler400 = "timetracker.api.errors.bad_request"
handler403 = "timetracker.api.errors.permission_denied"
handler404 = "timetracker.api.errors.page_not_found"
handler500 = "timetracker.api.errors.server_error"
