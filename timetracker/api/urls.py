from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from timetracker.api import routes

app_name = "api"

urlpatterns = [
    path("v1/", include(routes.urlpatterns)),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    # The split view loads its start-up script from a URL of its own, so no inline script breaks the CSP.
    path(
        "docs/", login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"
    ),
]
