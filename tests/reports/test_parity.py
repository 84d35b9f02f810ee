"""A report row and the Logs page its drill-down link opens show the same time (and the API summary agrees):
for an archived client, a deactivated person and a site, which the two pages once scoped differently."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.api.conftest import client_for
from tests.factories import ClientFactory, SiteFactory, TaskFactory, TimeEntryFactory, UserFactory
from tests.reports.conftest import local
from timetracker.accounts.models import User

pytestmark = pytest.mark.django_db
QUARTER = {"range": "custom", "from": "2026-07-01", "to": "2026-09-30"}


@pytest.fixture
def history(alice, bob):
    """An archived client with time of a person who has since left; two sites, one task on both."""
    old = ClientFactory(name="Old Co", archived_at=timezone.now())
    live = ClientFactory(name="Live Co")
    gone = UserFactory(username="gone", first_name="Gone", last_name="", role="Staff")
    main, extra = (
        SiteFactory(client=live, name="main.example"),
        SiteFactory(client=live, name="extra.example"),
    )
    rate = Decimal("90")
    TimeEntryFactory(
        task=TaskFactory(client=old), user=gone, started_at=local("2026-07-03T09:00"), hourly_rate=rate
    )
    TimeEntryFactory(
        task=TaskFactory(client=old),
        user=bob,
        started_at=local("2026-08-03T09:00"),
        worked=timedelta(minutes=45),
    )
    TimeEntryFactory(
        task=TaskFactory(client=live, sites=[main]), user=gone, started_at=local("2026-09-01T09:00")
    )
    # Filed under its first site (main) by the report; Logs finds it under extra too.
    both = TaskFactory(client=live, sites=[main, extra])
    TimeEntryFactory(task=both, user=bob, started_at=local("2026-09-02T09:00"), worked=timedelta(hours=2))
    on_extra = TaskFactory(client=live, sites=[extra])
    TimeEntryFactory(
        task=on_extra, user=bob, started_at=local("2026-09-03T09:00"), worked=timedelta(minutes=30)
    )
    User.objects.filter(pk=gone.pk).update(is_active=False)
    User.objects.update(time_zone="Europe/Amsterdam")
    return {"old": old, "gone": gone, "main": main, "extra": extra}


def report_rows(browser, group):
    response = browser.get(reverse("reports:index"), {"group": group, **QUARTER})
    assert response.status_code == 200
    return {item["row"].key: item for item in response.context["table"]}


def logs_figures(browser, url):
    response = browser.get(url)
    assert response.status_code == 200 and not response.context["filter"].form.errors, url
    return response.context["totals"]


def same(figures, totals):
    return (figures.duration, figures.rounded, figures.billable, figures.amount) == (
        totals["duration"],
        totals["rounded"],
        totals["billable"],
        totals["amount"],
    )


@pytest.mark.parametrize(("group", "name"), [("client", "old"), ("user", "gone"), ("site", "main")])
def test_a_row_equals_the_logs_page_its_drill_down_opens(alice_client, history, group, name):
    item = report_rows(alice_client, group)[history[name].pk]
    assert item["row"].figures.entries and item["logs"]
    assert same(item["row"].figures, logs_figures(alice_client, item["logs"]))


def test_a_site_that_logs_would_count_more_time_under_has_no_drill_down(alice_client, history):
    rows = report_rows(alice_client, "site")
    # The two-site task counts under main in the report; Logs filtered to extra would add its 2 hours.
    assert rows[history["extra"].pk]["row"].figures.rounded == 30 * 60
    assert rows[history["extra"].pk]["logs"] is None and rows[history["main"].pk]["logs"]


def test_the_api_summary_agrees_for_an_archived_client_and_a_departed_person(alice, alice_client, history):
    api = client_for(alice)
    clients = report_rows(alice_client, "client")
    people = report_rows(alice_client, "user")
    for param, key, rows in (
        ("client_id", history["old"].pk, clients),
        ("user_id", history["gone"].pk, people),
    ):
        response = api.get(
            "/api/v1/reports/summary", {param: key, "from_date": "2026-07-01", "to_date": "2026-09-30"}
        )
        assert response.status_code == 200, response.json()
        totals, figures = response.json()["totals"], rows[key]["row"].figures
        assert (totals["rounded_seconds"], totals["amount"]) == (figures.rounded, f"{figures.amount:.2f}")


def test_the_logs_filters_offer_archived_clients_and_departed_people_last(alice_client, history):
    form = alice_client.get(reverse("tasks:log_list")).context["filter"].form
    clients = [choice.instance for choice, _ in list(form.fields["client"].choices)[1:]]
    people = [choice.instance for choice, _ in list(form.fields["user"].choices)[1:]]
    assert clients[-1] == history["old"] and people[-1] == history["gone"]
