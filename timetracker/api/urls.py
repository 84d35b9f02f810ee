from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from timetracker.api import errors, routes

app_name = "api"


@csrf_exempt
@login_not_required
def no_route(request):
    # Matched here rather than left to handler404, which Django skips while DEBUG is on (its HTML debug page):
    # a script gets the JSON error shape on every server, for any method.
    return errors.page_not_found(request, None)


urlpatterns = [
    path("v1/", include(routes.urlpatterns)),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    # The split view loads its start-up script from a URL of its own, so no inline script breaks the CSP.
    path(
        "docs/", login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"
    ),
    re_path(r"", no_route),
]
