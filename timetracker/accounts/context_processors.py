from django.conf import settings
from django.urls import NoReverseMatch, reverse

NAVIGATION = [
    ("Dashboard", "dashboard"),
    ("Logs", "tasks:log_list"),
    ("Buckets", "buckets:list"),
    ("Clients", "clients:list"),
    ("Sites", "clients:site_list"),
    ("Billing", "billing:unbilled"),
    ("Reports", "reports:index"),
    ("Settings", "billing:settings"),
]
# Sections only some roles may open; the others do not see them in the navigation.
ADMIN_ONLY = {"billing:settings"}


def navigation(request):
    """The main navigation; a section whose pages are not built yet shows as "coming soon", never a 404."""
    items = []
    user = getattr(request, "user", None)
    for label, url_name in NAVIGATION:
        if url_name in ADMIN_ONLY and not (user and user.is_authenticated and user.is_admin):
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
