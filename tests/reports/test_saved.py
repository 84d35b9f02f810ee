import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.conftest import STEADY_NOW
from tests.reports.test_views import QUARTER
from timetracker.billing.models import Settings
from timetracker.reports.engine import ReportSpec
from timetracker.reports.models import SavedReport, ShareLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(alice, work):
    spec = ReportSpec(group="client", sub_group="month", range="last_quarter")
    return SavedReport.objects.create(owner=alice, name="Quarter by client", spec=spec.to_json())


def share(browser, saved, **flags):
    response = browser.post(reverse("reports:saved_share", args=[saved.pk]), {"days": 30, **flags})
    assert response.status_code == 200
    return re.search(r"data-share-url>([^<]+)<", response.content.decode())[1]


def test_a_report_is_saved_with_its_relative_range_and_reopens(alice_client, alice, work):
    query = ReportSpec(**{**QUARTER}).to_query().urlencode()
    response = alice_client.post(reverse("reports:saved_create"), {"name": "Quarterly", "query": query})
    assert response.status_code == 302
    saved = SavedReport.objects.get(owner=alice)
    assert saved.spec == {
        "v": 1,
        "group": "client",
        "sub_group": "month",
        "range": "last_quarter",
        "filters": {},
    }
    opened = alice_client.get(reverse("reports:saved_open", args=[saved.pk]))
    assert opened.status_code == 302 and opened["Location"].endswith(f"?{query}")
    assert "Quarterly" in alice_client.get(reverse("reports:saved_list")).content.decode()


def test_rename_and_delete(alice_client, saved):
    alice_client.post(reverse("reports:saved_rename", args=[saved.pk]), {"name": "Q3"})
    saved.refresh_from_db()
    assert saved.name == "Q3"
    alice_client.post(reverse("reports:saved_delete", args=[saved.pk]))
    assert not SavedReport.objects.exists()


def test_someone_elses_saved_report_is_a_404(bob_client, saved):
    for name in ("saved_open", "saved_share"):
        assert bob_client.get(reverse(f"reports:{name}", args=[saved.pk])).status_code == 404
    for name in ("saved_rename", "saved_delete"):
        assert bob_client.post(reverse(f"reports:{name}", args=[saved.pk]), {"name": "x"}).status_code == 404
    assert SavedReport.objects.get().name == "Quarter by client"


def test_a_share_link_is_shown_once_and_only_its_hash_is_kept(alice_client, saved):
    url = share(alice_client, saved)
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = ShareLink.objects.get()
    assert link.token_hash == ShareLink.hash(token) and token not in str(link.__dict__)
    assert link.expires_at == link.created_at + timedelta(days=30)
    assert not (link.show_amounts or link.show_rates or link.show_users or link.show_descriptions)
    assert token not in alice_client.get(reverse("reports:saved_share", args=[saved.pk])).content.decode()


def test_the_public_page_needs_no_login_hides_money_and_people_and_is_not_indexed(alice_client, saved):
    url = share(alice_client, saved)
    response = Client().get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow" and response["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "Acme" in html and "1 Jul 2026 to 30 Sep 2026" in html and "$" not in html
    assert "/logs/" not in html  # no drill-down into the agency's pages
    link = ShareLink.objects.get()
    assert link.access_count == 1 and link.last_accessed_at is not None


def test_amounts_and_names_show_when_switched_on(alice_client, saved):
    client = Client()
    saved.spec = {**saved.spec, "group": "user", "sub_group": ""}
    saved.save()
    hidden = client.get(share(alice_client, saved)).content.decode()
    assert "Person 1" in hidden and "Eve" not in hidden
    shown = client.get(share(alice_client, saved, show_amounts="on", show_users="on")).content.decode()
    assert "Eve" in shown and "$340.00" in shown


def test_an_expired_or_revoked_link_is_a_plain_404(alice_client, saved):
    url = share(alice_client, saved)
    visitor = Client()
    with time_machine.travel(STEADY_NOW + timedelta(days=31)):
        assert visitor.get(url).status_code == 404
    assert visitor.get(url).status_code == 200
    link = ShareLink.objects.get()
    assert alice_client.post(reverse("reports:share_revoke", args=[link.pk])).status_code == 302
    assert visitor.get(url).status_code == 404
    assert visitor.get("/r/not-a-token/").status_code == 404


def test_only_the_owner_can_revoke(bob_client, alice, saved):
    link, _ = ShareLink.issue(report=saved, by=alice)
    assert bob_client.post(reverse("reports:share_revoke", args=[link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_a_link_expires_within_a_year():
    with pytest.raises(ValueError):
        ShareLink.issue(report=None, by=None, days=366)


def test_descriptions_show_only_when_switched_on(alice_client, saved):
    client = Client()
    assert "sketches" not in client.get(share(alice_client, saved)).content.decode()
    shown = client.get(share(alice_client, saved, show_descriptions="on")).content.decode()
    assert "sketches" in shown and "Eve" not in shown  # names stay hidden unless asked for too


def test_the_lists_and_the_public_page_take_a_fixed_number_of_queries(
    alice_client, alice, saved, django_assert_max_num_queries
):
    for n in range(5):
        other = SavedReport.objects.create(owner=alice, name=f"Report {n}", spec=saved.spec)
        ShareLink.issue(report=other, by=alice)
        ShareLink.issue(report=saved, by=alice)
    url = share(alice_client, saved, show_descriptions="on", show_users="on")
    Settings.load()  # the first use creates the row
    with django_assert_max_num_queries(8):
        assert alice_client.get(reverse("reports:saved_list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert alice_client.get(reverse("reports:saved_share", args=[saved.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert Client().get(url).status_code == 200


def test_a_deactivated_owners_links_stop_and_their_scope_is_empty(alice_client, alice, saved):
    """A departed Manager's share link must not go on showing the agency's time, nor anything run as them."""
    from timetracker.tasks.models import TimeEntry

    url = share(alice_client, saved)
    visitor = Client()
    assert visitor.get(url).status_code == 200
    assert TimeEntry.objects.for_user(alice).exists()
    alice.is_active = False
    alice.save()
    assert visitor.get(url).status_code == 404
    assert not TimeEntry.objects.for_user(alice).exists()
