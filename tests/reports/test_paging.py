"""The Reports page pages its lines: the totals still cover every line, and rows cost no extra queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import TaskFactory, TimeEntryFactory
from tests.reports.conftest import local
from timetracker.reports.display import LINES_PER_PAGE

pytestmark = pytest.mark.django_db
YEAR = {"group": "day", "range": "custom", "from": "2026-01-01", "to": "2026-09-30"}


def add_days(task, user, count, first=date(2026, 1, 1)):
    for n in range(count):
        TimeEntryFactory(task=task, user=user, started_at=local(f"{first + timedelta(days=n)}T09:00"))


def get(browser, headers=None, **params):
    response = browser.get(reverse("reports:index"), {**YEAR, **params}, headers=headers)
    assert response.status_code == 200
    return response


def test_lines_are_paged_and_the_totals_cover_them_all(alice_client, bob):
    add_days(TaskFactory(), bob, LINES_PER_PAGE + 20)
    first = get(alice_client)
    html = first.content.decode()
    assert len(first.context["table"]) == LINES_PER_PAGE and first.context["report"].totals.entries == 120
    assert "Dates covered: <strong>1 Jan 2026 to 30 Sep 2026</strong>" in html
    assert "Lines 1 to 100 of 120" in html and "Page 1 of 2" in html and "page=2" in html
    # The next page through htmx: only the report body, its URL kept (hx-push-url) with the spec in it.
    second = get(alice_client, page=2, headers={"HX-Request": "true"})
    body = second.content.decode()
    assert body.lstrip().startswith('<div id="report-body">') and 'hx-push-url="true"' in body
    assert second.context["table"][0]["row"].key == date(2026, 1, 1) + timedelta(days=100)
    assert "Dates covered: <strong>1 Jan 2026 to 30 Sep 2026</strong>" in body and "120 entries" in body


def test_a_group_split_across_pages_shows_its_subtotal_as_continued(alice_client, bob):
    add_days(TaskFactory(), bob, LINES_PER_PAGE + 5)
    second = get(alice_client, group="client", sub_group="day", page=2)
    (item,) = second.context["table"]
    assert item["continued"] and len(item["children"]) == 5
    assert item["row"].figures.entries == LINES_PER_PAGE + 5 and "(continued)" in second.content.decode()


def test_the_query_count_stays_the_same_as_lines_grow(alice_client, bob, django_assert_max_num_queries):
    task = TaskFactory()
    add_days(task, bob, 5)
    with CaptureQueriesContext(connection) as few:
        get(alice_client)
    add_days(task, bob, 2 * LINES_PER_PAGE + 50, first=date(2026, 1, 6))
    with django_assert_max_num_queries(len(few.captured_queries)):
        many = get(alice_client, page=3)
    assert many.context["report"].totals.entries == 5 + 2 * LINES_PER_PAGE + 50
