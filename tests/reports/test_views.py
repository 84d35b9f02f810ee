import pytest
from django.urls import reverse

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory
from tests.reports.conftest import local
from timetracker.billing.models import Settings

pytestmark = pytest.mark.django_db
QUARTER = {"group": "client", "sub_group": "month", "range": "last_quarter"}


def page(browser, **params):
    response = browser.get(reverse("reports:index"), params)
    assert response.status_code == 200, response.content[:2000]
    return response


def test_the_report_shows_groups_subtotals_totals_and_the_dates_it_covers(alice_client, work):
    html = page(alice_client, **QUARTER).content.decode()
    assert "Dates covered: <strong>1 Jul 2026 to 30 Sep 2026</strong>" in html
    for text in (
        "Acme",
        "Zeta",
        "July 2026",
        "August 2026",
        "September 2026",
        "$300.00",
        "$340.00",
        "4h 30m",
    ):
        assert text in html
    assert '<svg class="chart report-chart"' in html and 'class="series-billable"' in html
    assert "style=" not in html.split("<main", 1)[1]  # the CSP forbids inline styles


def test_it_needs_a_login(client):
    response = client.get(reverse("reports:index"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_htmx_gets_only_the_report_body(alice_client, work):
    response = alice_client.get(reverse("reports:index"), QUARTER, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="report-body">') and "<form" in html  # the save form only
    assert "Run report" not in html


def test_staff_see_only_their_own_time_and_no_money(bob_client, work):
    html = page(bob_client, **QUARTER).content.decode()
    table = html.split('<table class="table report">')[1]
    assert "Acme" in table and "Zeta" not in table
    assert "$" not in html and "Amount" not in html
    settings_row = Settings.load()
    settings_row.staff_can_see_rates = True
    settings_row.save()
    assert "$300.00" in page(bob_client, **QUARTER).content.decode()


def test_a_bad_spec_is_a_400_that_says_why(alice_client, work):
    response = alice_client.get(reverse("reports:index"), {"group": "colour"})
    assert response.status_code == 400 and "This report cannot run" in response.content.decode()


def test_rows_drill_down_to_the_logs_with_the_same_totals(alice_client, work):
    html = page(alice_client, **QUARTER).content.decode()
    august = f"/logs/?client={work['acme'].pk}&amp;date_from=2026-08-01&amp;date_to=2026-08-31"
    assert august in html
    logs = alice_client.get(august.replace("&amp;", "&")).content.decode()
    assert "2h tracked · 2h rounded · $200.00" in logs


def test_the_page_takes_a_fixed_number_of_queries(alice_client, work, django_assert_max_num_queries):
    page(alice_client, **QUARTER)
    for n in range(15):
        TimeEntryFactory(
            task=TaskFactory(client=ClientFactory()), started_at=local(f"2026-08-{n + 1:02d}T09:00")
        )
    with django_assert_max_num_queries(12):
        html = page(alice_client, **QUARTER, client=[work["acme"].pk, work["zeta"].pk]).content.decode()
    assert "Zeta" in html


def test_the_page_and_the_api_give_the_same_figures(alice_client, alice, work):
    from tests.api.conftest import client_for

    html = page(alice_client, group="user", range="custom", **{"from": "2026-07-01", "to": "2026-09-30"})
    body = (
        client_for(alice)
        .get(
            "/api/v1/reports/summary",
            {"group_by": "user", "from_date": "2026-07-01", "to_date": "2026-09-30"},
        )
        .json()
    )
    report = html.context["report"]
    assert body["totals"]["rounded_seconds"] == report.totals.rounded
    assert body["totals"]["amount"] == f"{report.totals.amount:.2f}"
    assert [(g["label"], g["totals"]["entries"]) for g in body["groups"]] == [
        (row.label, row.figures.entries) for row in report.rows
    ]
