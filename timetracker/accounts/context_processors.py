from django.conf import settings
from django.urls import NoReverseMatch, reverse

NAVIGATION = [
    ("Dashboard", "dashboard"),
    ("Logs", "tasks:log_list"),
    ("Team", "tasks:team_week"),
    ("Buckets", "buckets:list"),
    ("Clients", "clients:list"),
    ("Sites", "clients:site_list"),
    ("Billing", "billing:unbilled"),
    ("Reports", "reports:index"),
    ("Imports", "imports:list"),
    ("Integrations", "integrations:list"),
    ("Automation", "automation:trigger_list"),
    ("Settings", "billing:settings"),
]
# Sections only some roles may open; the others do not see them in the navigation (rather than a 403).
MANAGER_ONLY = {
    "billing:unbilled",
    "imports:list",
    "integrations:list",
    "automation:trigger_list",
    "tasks:team_week",
}
ADMIN_ONLY = {"billing:settings"}


def navigation(request):
    """The main navigation; a section whose pages are not built yet shows as "coming soon", never a 404."""
    items = []
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    for label, url_name in NAVIGATION:
        if url_name in ADMIN_ONLY and not (signed_in and user.is_admin):
            continue
        if url_name in MANAGER_ONLY and not (signed_in and user.is_manager):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            url = None
        active = url is not None and _section(request.path) == _section(url)
        items.append({"label": label, "url": url, "active": active})
    return {"brand_name": settings.SITE_NAME, "nav_items": items}


def _section(path):
    """The first segment of a path: /billing/invoices/3/ and /billing/unbilled/ are both Billing."""
    return path.strip("/").split("/", 1)[0]
