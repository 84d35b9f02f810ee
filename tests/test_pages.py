import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db

# Public by design: a share link's page (reports/saved_views.shared_report; tests/reports/test_saved.py) and
# a report e-mail's unsubscribe link, which its recipients (mostly without an account) open
# (reports/unsubscribe.py; tests/reports/test_unsubscribe.py).
PUBLIC = {"login", "shared", "unsubscribe"}
SAMPLE = {"int": "1", "str": "x", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000000", "path": "x"}


def app_paths(patterns=None, prefix=""):
    """Every URL of the app (admin excluded: it has its own login), with sample values for its parameters."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            # The admin has its own login page and the API answers 401 (tests/api).
            if entry.namespace not in ("admin", "api"):
                yield from app_paths(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and entry.name not in PUBLIC:
            yield "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route).lstrip("^")


def test_there_are_pages_to_protect():
    assert "/" in list(app_paths())


@pytest.mark.parametrize("path", list(app_paths()))
def test_every_page_sends_anonymous_users_to_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_the_login_page_is_public_and_logs_in(client, bob):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "bob", "password": "correct horse battery staple"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_a_wrong_password_is_explained(client, bob):
    response = client.post(reverse("login"), {"username": "bob", "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.text


def test_the_dashboard_counts_what_the_user_may_see(bob_client, bob, dana):
    ClientFactory.create_batch(2)
    TimeEntryFactory.create_batch(3, user=bob)
    TimeEntryFactory.create_batch(2, user=dana)
    response = bob_client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["client_count"] == 2 + 5  # every entry's task brings its own client
    assert response.context["entry_count"] == 3
    assert response.context["task_count"] == 3


def test_the_dashboard_shows_todays_hours_and_the_running_timer(bob_client, bob):
    now = timezone.now().replace(microsecond=0)
    start = max(timezone.localtime(now).replace(hour=0, minute=0, second=0), now - timedelta(hours=3))
    TimeEntryFactory(user=bob, started_at=start, worked=timedelta(minutes=90))
    TimeEntryFactory(user=bob, task=TaskFactory(title="Fix the checkout"), started_at=now, ended_at=None)
    response = bob_client.get(reverse("dashboard"))
    assert response.context["today"]["duration"] == 90 * 60
    assert "1h 30m" in response.text
    assert "Fix the checkout" in response.text


def test_pages_carry_a_nonce_based_content_security_policy(bob_client):
    response = bob_client.get(reverse("dashboard"))
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy
    assert "default-src 'self'" in policy
    # htmx is served from our own static files with the nonce, never from a CDN.
    assert re.search(rf'<script src="/static/django_htmx/htmx-2[^"]*\.js"[^>]*nonce="{nonce}"', response.text)
    assert "//cdn" not in response.text


def test_the_navigation_lists_every_section(alice_client):
    text = alice_client.get(reverse("dashboard")).text
    for label in ["Dashboard", "Logs", "Buckets", "Clients", "Sites", "Billing", "Reports", "Settings"]:
        assert f">{label}</" in text


def test_staff_do_not_see_the_admin_only_settings_in_the_navigation(bob_client):
    text = bob_client.get(reverse("dashboard")).text
    assert ">Logs</" in text and ">Settings</" not in text


def test_a_forbidden_page_explains_itself(bob_client):
    response = bob_client.get(reverse("billing:settings"))
    assert response.status_code == 403 and "You can't do that here" in response.text


def test_an_outsider_sees_an_empty_dashboard(client, charlie):
    TimeEntryFactory()
    client.force_login(charlie)
    response = client.get(reverse("dashboard"))
    assert (response.context["client_count"], response.context["entry_count"]) == (0, 0)


def test_the_login_page_shows_the_product_name_not_the_host(client):
    text = client.get(reverse("login")).text
    assert "Timetracker" in text and "testserver" not in text


def test_a_request_leaves_no_time_zone_behind(client):
    from django.utils import timezone

    from tests.factories import UserFactory

    client.force_login(UserFactory(role="Staff", time_zone="America/New_York"))
    before = timezone.get_current_timezone_name()
    assert client.get("/").status_code == 200
    assert timezone.get_current_timezone_name() == before != "America/New_York"


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("bob", {"Dashboard", "Logs", "Reports"}, {"Billing", "Imports", "Settings"}),
        ("dana", {"Billing", "Imports", "Reports"}, {"Settings"}),
        ("alice", {"Billing", "Imports", "Settings"}, set()),
    ],
)
def test_the_navigation_shows_only_the_sections_each_role_may_open(request, client, who, shown, hidden):
    client.force_login(request.getfixturevalue(who))
    items = client.get(reverse("dashboard")).context["nav_items"]
    labels = {item["label"] for item in items}
    assert shown <= labels and not hidden & labels
    for item in items:  # and every one shown opens
        assert client.get(item["url"]).status_code == 200, item


def test_no_template_comment_spans_lines():
    """Django's {# #} comments end on their line: one spread over lines is printed on the page (the dashboard
    showed one to every user). Longer comments use {% comment %}."""
    from pathlib import Path

    spread = [
        f"{path}:{number}"
        for path in Path(__file__).resolve().parent.parent.joinpath("templates").rglob("*.*")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert spread == []
