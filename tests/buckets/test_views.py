from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    BucketAlertFactory,
    BucketFactory,
    ClientFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.buckets.models import Bucket, Recurrence

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("buckets:list")
CREATE = reverse("buckets:create")
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    """Periods follow today's date; a fixed day keeps 'this month' from changing under a test."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dana_client(client, dana):
    client.force_login(dana)
    return client


@pytest.fixture
def acme():
    return ClientFactory(name="Acme")


def log(bucket, when, *, hours=1.0, **kwargs):
    return TimeEntryFactory(
        task=kwargs.pop("task", None) or TaskFactory(bucket=bucket, client=bucket.clients.first()),
        started_at=when,
        worked=timedelta(hours=hours),
        **kwargs,
    )


def monthly(acme, **kwargs):
    defaults = {
        "title": "Acme care",
        "hours": Decimal("10"),
        "hourly_price": Decimal("100"),
        "recurrence": Recurrence.MONTHLY,
        "start_date": date(2026, 1, 1),
    }
    return BucketFactory(clients=[acme], **defaults | kwargs)


def form_data(acme, **overrides):
    return {
        "title": "Acme retainer",
        "clients": [acme.pk],
        "hours": "20",
        "hourly_price": "95.00",
        "recurrence": "monthly",
        "start_date": "2026-11-01",
        "thresholds": "50, 80, 100",
        "billable_only": "on",
        "notes": "",
        **overrides,
    }


def messages_of(response):
    return " ".join(str(message) for message in response.context["messages"])


# List


def test_the_list_shows_hours_used_remaining_and_value(alice_client, acme):
    bucket = monthly(acme)
    log(bucket, datetime(2026, 11, 3, 9, tzinfo=UTC), hours=4)
    log(bucket, datetime(2026, 11, 5, 9, tzinfo=UTC), hours=0.5)
    log(bucket, datetime(2026, 10, 28, 9, tzinfo=UTC), hours=3)  # last month
    log(bucket, datetime(2026, 11, 6, 9, tzinfo=UTC), hours=2, billable=False)  # billable only
    response = alice_client.get(LIST)
    assert response.status_code == 200
    (row,) = response.context["rows"]
    assert (row["usage"].used_seconds, row["usage"].remaining_seconds) == (16200, 19800)
    page = response.text
    assert "Acme care" in page and "Acme" in page
    assert "4h 30m" in page and "5h 30m" in page and "45%" in page
    assert "Monthly" in page and "November 2026" in page
    assert "$100.00" in page and "$1,000.00" in page  # 10h at $100
    assert 'class="usage ' in page


def test_an_overrun_shows_as_negative_remaining_time_in_red(alice_client, acme):
    bucket = monthly(acme, hours=Decimal("2"))
    log(bucket, datetime(2026, 11, 3, 9, tzinfo=UTC), hours=4.25)
    page = alice_client.get(LIST).text
    assert '<span class="badge overdue" title="Overrun' in page
    assert ">-2h 15m</span>" in page
    assert "212%" in page


def test_the_list_filters_by_client_and_hides_archived_buckets(alice_client, acme):
    other = ClientFactory(name="Other")
    monthly(acme, title="Acme care")
    BucketFactory(clients=[other], title="Other care")
    BucketFactory(clients=[acme], title="Old plan").archive()

    def titles(**params):
        return [row["bucket"].title for row in alice_client.get(LIST, params).context["rows"]]

    assert titles() == ["Acme care", "Other care"]
    assert titles(client=acme.pk) == ["Acme care"]
    assert titles(client=acme.pk, archived="on") == ["Acme care", "Old plan"]
    assert "archived" in alice_client.get(LIST, {"archived": "on"}).text


def test_a_bucket_with_several_clients_is_listed_once(alice_client, acme):
    BucketFactory(clients=[acme, ClientFactory()], title="Shared")
    assert [row["bucket"].title for row in alice_client.get(LIST).context["rows"]] == ["Shared"]


def test_the_list_query_count_does_not_grow_with_buckets(alice_client, acme):
    def add_buckets(count):
        for i in range(count):
            bucket = BucketFactory(
                clients=[acme, ClientFactory()],
                recurrence=[Recurrence.NONE, Recurrence.MONTHLY, Recurrence.WEEKLY][i % 3],
                start_date=date(2026, 1, 1),
                rollover=i % 2 == 0,
            )
            log(bucket, datetime(2026, 11, 3, 9, tzinfo=UTC))

    def queries(expected_rows):
        with CaptureQueriesContext(connection) as context:
            response = alice_client.get(LIST)
        assert len(response.context["rows"]) == expected_rows
        return len(context.captured_queries)

    add_buckets(3)
    queries(3)  # the first request creates the settings row
    few = queries(3)
    add_buckets(27)
    assert queries(30) == few


def test_htmx_gets_only_the_table(alice_client, acme):
    monthly(acme)
    response = alice_client.get(LIST, {"client": acme.pk}, **HTMX)
    assert response.text.lstrip().startswith('<div id="bucket-table"')
    assert "<html" not in response.text and "Acme care" in response.text


def test_staff_see_buckets_without_the_buttons_to_change_them(bob_client, acme):
    bucket = monthly(acme)
    page = bob_client.get(LIST).text
    assert "Acme care" in page
    assert CREATE not in page and reverse("buckets:edit", args=[bucket.pk]) not in page
    # Staff may not see rates unless the settings allow it.
    assert "$1,000.00" not in page


def test_outsiders_see_no_buckets(client, charlie, acme):
    bucket = monthly(acme)
    client.force_login(charlie)
    assert client.get(LIST).context["rows"] == []
    assert client.get(reverse("buckets:detail", args=[bucket.pk])).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", ["create", "edit", "delete"])
def test_staff_may_not_create_edit_or_delete_buckets(bob_client, acme, name, method):
    bucket = monthly(acme)
    url = reverse(f"buckets:{name}", args=[] if name == "create" else [bucket.pk])
    response = getattr(bob_client, method)(url, form_data(acme))
    assert response.status_code == 403
    assert Bucket.objects.get() == bucket and not Bucket.objects.get().is_archived


# Create and edit


def test_a_manager_creates_a_bucket(dana_client, acme):
    response = dana_client.post(CREATE, form_data(acme, thresholds="100, 50,80%"))
    bucket = Bucket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("buckets:detail", args=[bucket.pk])
    assert (bucket.title, bucket.hours, bucket.hourly_price) == (
        "Acme retainer",
        Decimal("20"),
        Decimal("95"),
    )
    assert bucket.thresholds == [50, 80, 100]
    assert list(bucket.clients.all()) == [acme]
    assert (bucket.recurrence, bucket.start_date) == ("monthly", date(2026, 11, 1))
    assert bucket.billable_only and not bucket.rollover and not bucket.hard_stop
    assert 'Created bucket "Acme retainer"' in messages_of(dana_client.get(response["Location"]))


def test_the_form_offers_active_clients_and_suggests_thresholds(alice_client, acme):
    ClientFactory(name="Gone").archive()
    page = alice_client.get(CREATE).text
    assert "Acme" in page and "Gone" not in page
    assert 'value="50, 80, 100"' in page


def test_bad_thresholds_are_named_and_nothing_is_created(alice_client, acme):
    response = alice_client.post(CREATE, form_data(acme, thresholds="50, eighty"))
    assert response.status_code == 200
    assert not Bucket.objects.exists()
    assert response.context["form"].errors["thresholds"] == [
        '"eighty" is not a whole percentage; write thresholds like "50, 80, 100".'
    ]
    assert "Please fix" in response.text and ">Thresholds</a>" in response.text
    assert "&quot;eighty&quot; is not a whole percentage" in response.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"thresholds": "50, 2000"}, "thresholds", '"2000" is out of range'),
        ({"hours": "-1"}, "hours", "Hours cannot be negative."),
        ({"hourly_price": "-5"}, "hourly_price", "The hourly price cannot be negative."),
        ({"clients": []}, "clients", "Choose at least one client."),
        ({"title": ""}, "title", "This field is required."),
        ({"start_date": "someday"}, "start_date", "Enter a valid date."),
    ],
)
def test_bad_input_names_the_field(alice_client, acme, overrides, field, message):
    response = alice_client.post(CREATE, form_data(acme, **overrides))
    assert response.status_code == 200 and not Bucket.objects.exists()
    assert any(message in error for error in response.context["form"].errors[field])


def test_a_manager_edits_a_bucket(dana_client, acme):
    bucket = monthly(acme)
    url = reverse("buckets:edit", args=[bucket.pk])
    assert 'value="Acme care"' in dana_client.get(url).text
    response = dana_client.post(
        url, form_data(acme, title="Acme care plus", hours="12.5", thresholds="100, 75", rollover="on")
    )
    assert response.status_code == 302
    bucket.refresh_from_db()
    assert (bucket.title, bucket.hours, bucket.thresholds, bucket.rollover) == (
        "Acme care plus",
        Decimal("12.5"),
        [75, 100],
        True,
    )
    assert 'Saved "Acme care plus"' in messages_of(dana_client.get(response["Location"]))


def test_editing_keeps_an_archived_client_the_bucket_already_serves(alice_client, acme):
    gone = ClientFactory(name="Gone")
    bucket = BucketFactory(clients=[acme, gone])
    gone.archive()
    url = reverse("buckets:edit", args=[bucket.pk])
    assert "Gone" in alice_client.get(url).text
    alice_client.post(url, form_data(acme, clients=[acme.pk, gone.pk]))
    assert set(bucket.clients.all()) == {acme, gone}


def test_editing_an_unknown_bucket_is_a_404(alice_client):
    assert alice_client.get(reverse("buckets:edit", args=[999])).status_code == 404


# Delete


def test_delete_asks_first(alice_client, acme):
    bucket = monthly(acme)
    response = alice_client.get(reverse("buckets:delete", args=[bucket.pk]))
    assert "deleted for good" in response.text
    assert Bucket.objects.filter(pk=bucket.pk).exists()


def test_deleting_a_bucket_with_time_archives_it(alice_client, acme):
    bucket = monthly(acme)
    log(bucket, datetime(2026, 11, 3, 9, tzinfo=UTC))
    url = reverse("buckets:delete", args=[bucket.pk])
    assert "will be <strong>archived</strong>" in alice_client.get(url).text
    response = alice_client.post(url, follow=True)
    bucket.refresh_from_db()
    assert bucket.is_archived
    assert "is used by 1 task, so it was archived instead of deleted" in messages_of(response)
    assert response.context["rows"] == []  # archived buckets leave the list


def test_deleting_a_bucket_with_tasks_but_no_time_archives_it_and_keeps_its_tasks(alice_client, acme):
    bucket = monthly(acme)
    task = TaskFactory(bucket=bucket, client=acme)
    url = reverse("buckets:delete", args=[bucket.pk])
    assert "1 task uses this bucket" in alice_client.get(url).text
    response = alice_client.post(url, follow=True)
    bucket.refresh_from_db()
    task.refresh_from_db()
    assert bucket.is_archived and task.bucket == bucket
    assert '"Acme care" is used by 1 task, so it was archived' in messages_of(response)


def test_deleting_an_archived_bucket_with_tasks_keeps_it_archived(alice_client, acme):
    bucket = monthly(acme)
    TaskFactory(bucket=bucket, client=acme)
    bucket.archive()
    url = reverse("buckets:delete", args=[bucket.pk])
    assert "is already archived and stays so" in alice_client.get(url).text
    response = alice_client.post(url, follow=True)
    assert Bucket.objects.get(pk=bucket.pk).is_archived
    assert "stays archived" in messages_of(response)


def test_deleting_an_unused_bucket(alice_client, acme):
    bucket = monthly(acme)
    response = alice_client.post(reverse("buckets:delete", args=[bucket.pk]))
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Bucket.objects.exists()


# Detail


@pytest.fixture
def rollover_bucket(acme, bob, dana):
    bucket = monthly(acme, start_date=date(2026, 9, 1), rollover=True)
    task = TaskFactory(bucket=bucket, client=acme, title="Plugin updates")
    log(bucket, datetime(2026, 9, 10, 9, tzinfo=UTC), hours=7, task=task, user=dana)
    log(bucket, datetime(2026, 10, 2, 9, tzinfo=UTC), hours=1.5, task=task, user=bob)
    log(bucket, datetime(2026, 11, 10, 9, tzinfo=UTC), hours=2, task=task, user=bob)
    log(bucket, datetime(2026, 11, 11, 9, tzinfo=UTC), hours=4, task=task, user=dana)
    log(bucket, datetime(2026, 11, 12, 9, tzinfo=UTC), hours=8, task=task, user=dana, billable=False)
    return bucket


def test_the_detail_page_shows_the_current_balance_and_history(alice_client, rollover_bucket):
    response = alice_client.get(reverse("buckets:detail", args=[rollover_bucket.pk]))
    current = response.context["current"]
    # Sep leaves 3h, Oct adds 8.5h: 11.5h roll into November.
    assert (current.rolled_over_seconds, current.available_seconds) == (41400, 77400)
    assert (current.used_seconds, current.percent_used) == (6 * 3600, 27)
    history = response.context["history"]
    assert [row.period.label for row in history] == ["November 2026", "October 2026", "September 2026"]
    assert [row.used_seconds for row in history] == [6 * 3600, 5400, 7 * 3600]
    page = response.text
    assert "21h 30m" in page and "11h 30m" in page and "15h 30m" in page  # available, rolled over, left
    assert "Entries behind November 2026" in page


def test_the_detail_page_lists_the_entries_of_the_chosen_period(alice_client, rollover_bucket):
    url = reverse("buckets:detail", args=[rollover_bucket.pk])
    current = alice_client.get(url).context["page"].object_list
    assert [entry.rounded_seconds for entry in current] == [4 * 3600, 2 * 3600]  # not the non-billable one
    october = alice_client.get(url, {"period": "2026-10-01"})
    assert [entry.rounded_seconds for entry in october.context["page"]] == [5400]
    assert "Entries behind October 2026" in october.text and "1h 30m" in october.text


def test_an_unknown_period_falls_back_to_the_current_one(alice_client, rollover_bucket):
    url = reverse("buckets:detail", args=[rollover_bucket.pk])
    for bad in ("2026-10-15", "last-week"):
        response = alice_client.get(url, {"period": bad})
        assert response.context["selected"] == response.context["current"]
        assert "has no period starting on" in response.text


def test_staff_see_only_their_own_entries_but_the_bucket_totals(bob_client, rollover_bucket):
    response = bob_client.get(reverse("buckets:detail", args=[rollover_bucket.pk]))
    assert response.context["current"].used_seconds == 6 * 3600
    assert [entry.rounded_seconds for entry in response.context["page"]] == [2 * 3600]
    assert "Only your own entries are listed" in response.text
    assert reverse("buckets:edit", args=[rollover_bucket.pk]) not in response.text


def test_the_entries_are_paginated_by_fifty(alice_client, acme):
    bucket = BucketFactory(clients=[acme], start_date=date(2026, 1, 1))
    task = TaskFactory(bucket=bucket, client=acme)
    for day in range(55):
        log(bucket, datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(days=day), task=task)
    url = reverse("buckets:detail", args=[bucket.pk])
    assert len(alice_client.get(url).context["page"]) == 50
    assert len(alice_client.get(url, {"page": 2}).context["page"]) == 5


def test_the_detail_page_lists_the_alerts(alice_client, acme):
    bucket = monthly(acme)
    BucketAlertFactory(bucket=bucket, threshold=80, period_start=date(2026, 10, 1), used_seconds=8 * 3600)
    page = alice_client.get(reverse("buckets:detail", args=[bucket.pk])).text
    assert "80%" in page and "October 2026" in page and "8h" in page


def test_htmx_gets_only_the_period_entries(alice_client, rollover_bucket):
    url = reverse("buckets:detail", args=[rollover_bucket.pk])
    response = alice_client.get(url, {"period": "2026-09-01"}, **HTMX)
    assert response.text.lstrip().startswith('<section id="period-entries"')
    assert "Entries behind September 2026" in response.text and "<html" not in response.text


def test_the_detail_page_query_count_does_not_grow_with_entries(alice_client, acme):
    bucket = monthly(acme)
    task = TaskFactory(bucket=bucket, client=acme)

    def queries():
        with CaptureQueriesContext(connection) as context:
            alice_client.get(reverse("buckets:detail", args=[bucket.pk]))
        return len(context.captured_queries)

    log(bucket, datetime(2026, 11, 3, 9, tzinfo=UTC), task=task)
    queries()  # the first request creates the settings row
    few = queries()
    for day in range(10):
        log(bucket, datetime(2026, 11, 4 + day, 9, tzinfo=UTC), task=TaskFactory(bucket=bucket, client=acme))
    assert queries() == few


def test_an_unknown_bucket_is_a_404(alice_client):
    assert alice_client.get(reverse("buckets:detail", args=[999])).status_code == 404
