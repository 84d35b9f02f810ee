import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ClientFactory,
    ClientSettingsFactory,
    InvoiceLineFactory,
    SiteFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.tasks import entries
from timetracker.tasks.filters import LogFilter
from timetracker.tasks.models import Task, TimeEntry, write_path
from timetracker.tasks.views.logs import SORTS

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
URL = reverse("tasks:log_list")


def rows(response):
    return [row["task"].title for row in response.context["rows"]]


def test_logs_list_tasks_with_raw_and_rounded_time(bob_client, bob):
    task = TaskFactory(title="Plugin updates", client=ClientFactory(name="Acme"))
    TimeEntryFactory(task=task, user=bob, worked=timedelta(minutes=50))
    TimeEntryFactory(task=task, user=bob, worked=timedelta(minutes=40))
    response = bob_client.get(URL)
    assert rows(response) == ["Plugin updates"]
    row = response.context["rows"][0]
    assert (row["tracked"], row["entry_count"]) == (90 * 60, 2)
    assert "1h 30m" in response.text and "Acme" in response.text


def test_staff_see_only_their_own_time_and_managers_see_everyones(client, bob, dana):
    shared = TaskFactory(title="Shared")
    TimeEntryFactory(task=shared, user=bob, worked=timedelta(minutes=30))
    TimeEntryFactory(task=shared, user=dana, worked=timedelta(minutes=60))
    TimeEntryFactory(task=TaskFactory(title="Danas own"), user=dana)
    client.force_login(bob)
    response = client.get(URL)
    assert rows(response) == ["Shared"] and response.context["rows"][0]["tracked"] == 30 * 60
    client.force_login(dana)
    assert sorted(rows(client.get(URL))) == ["Danas own", "Shared"]


def test_filters_narrow_the_tasks_and_their_totals(bob_client, bob):
    acme, other = ClientFactory(name="Acme"), ClientFactory(name="Other")
    site = SiteFactory(client=acme)
    billable = TaskFactory(title="Billable work", client=acme, sites=[site])
    internal = TaskFactory(title="Internal", client=acme)
    TimeEntryFactory(task=billable, user=bob)
    TimeEntryFactory(task=internal, user=bob, billable=False)
    TimeEntryFactory(task=TaskFactory(title="Elsewhere", client=other), user=bob)
    old = TimeEntryFactory(task=TaskFactory(title="Last year", client=acme), user=bob)
    with write_path():
        TimeEntry.objects.filter(pk=old.pk).update(
            started_at=old.started_at - timedelta(days=400), ended_at=old.ended_at - timedelta(days=400)
        )

    assert sorted(rows(bob_client.get(URL, {"client": acme.pk}))) == [
        "Billable work",
        "Internal",
        "Last year",
    ]
    assert rows(bob_client.get(URL, {"site": site.pk})) == ["Billable work"]
    assert rows(bob_client.get(URL, {"client": acme.pk, "billable": "false"})) == ["Internal"]
    assert "Last year" not in rows(bob_client.get(URL, {"period": "this_year"}))
    assert rows(bob_client.get(URL, {"q": "elsew"})) == ["Elsewhere"]
    today = timezone.localdate()
    assert "Last year" not in rows(
        bob_client.get(URL, {"date_from": today - timedelta(days=30), "date_to": today})
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-05-01", "date_to": "2026-04-01"}, "end date is before the start date"),
        ({"client": "999999"}, "Select a valid choice"),
        ({"period": "someday"}, "Select a valid choice"),
        ({"date_from": "yesterday-ish"}, "Enter a valid date"),
    ],
)
def test_bad_filters_are_explained_not_a_500(bob_client, bob, params, message):
    TimeEntryFactory(user=bob)
    response = bob_client.get(URL, params)
    assert response.status_code == 200
    assert message in response.text and response.context["rows"] == []


def test_columns_sort_both_ways(bob_client, bob):
    for title, minutes in [("Short", 10), ("Long", 120), ("Middle", 45)]:
        TimeEntryFactory(task=TaskFactory(title=title), user=bob, worked=timedelta(minutes=minutes))
    assert rows(bob_client.get(URL, {"sort": "duration"})) == ["Short", "Middle", "Long"]
    assert rows(bob_client.get(URL, {"sort": "-duration"})) == ["Long", "Middle", "Short"]
    assert rows(bob_client.get(URL, {"sort": "task"})) == ["Long", "Middle", "Short"]
    assert len(rows(bob_client.get(URL, {"sort": "; drop table"}))) == 3  # unknown sort falls back


def test_pagination_keeps_the_filters(bob_client, bob):
    acme = ClientFactory()
    for _ in range(30):
        TimeEntryFactory(task=TaskFactory(client=acme), user=bob)
    response = bob_client.get(URL, {"client": acme.pk, "sort": "task"})
    assert len(response.context["rows"]) == 25
    assert f"?client={acme.pk}&amp;sort=task&amp;page=2" in response.text
    assert len(bob_client.get(URL, {"client": acme.pk, "sort": "task", "page": 2}).context["rows"]) == 5


def test_htmx_gets_only_the_table(bob_client, bob):
    TimeEntryFactory(user=bob)
    response = bob_client.get(URL, **HTMX)
    assert response.text.lstrip().startswith('<div id="log-table"')
    assert "<html" not in response.text and "filter-grid" not in response.text


def test_amounts_use_each_clients_money_format(client, alice):
    euro = ClientFactory(hourly_rate=Decimal("100"))
    ClientSettingsFactory(
        client=euro,
        currency_symbol="€",
        symbol_position="after",
        thousand_separator=".",
        decimal_separator=",",
    )
    TimeEntryFactory(
        task=TaskFactory(client=euro), user=alice, worked=timedelta(hours=12), hourly_rate=Decimal("100")
    )
    client.force_login(alice)
    assert "1.200,00 €" in client.get(URL).text


def test_staff_do_not_see_amounts_unless_allowed(bob_client, bob):
    TimeEntryFactory(user=bob, hourly_rate=Decimal("100"))
    assert bob_client.get(URL).context["show_amounts"] is False


def query_count(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_rows(bob_client, bob):
    def add_tasks(count):
        for _ in range(count):
            TimeEntryFactory(task=TaskFactory(sites=[SiteFactory()]), user=bob)

    add_tasks(10)
    query_count(bob_client)  # the first request creates the settings row; measure from the second
    with_ten = query_count(bob_client)
    add_tasks(190)
    assert query_count(bob_client) == with_ten
    # session, user, roles, settings, client overrides (page and whole set), the set's clients, count,
    # page, tasks, sites, totals, running timer, who tracked (3), and one per filter drop-down: fixed.
    assert with_ten <= 22  # + who tracked, their names, running timers (logs._who_and_running), favourites


def test_bulk_set_payment_status(bob_client, bob):
    tasks = [TimeEntryFactory(user=bob).task for _ in range(2)]
    response = bob_client.post(
        reverse("tasks:log_bulk"), {"action": "payment:paid", "tasks": [t.pk for t in tasks]}
    )
    assert response.status_code == 302
    assert set(Task.objects.values_list("payment_status", flat=True)) == {"paid"}


def test_bulk_mark_non_billable_clears_the_amount_of_unbilled_entries(bob_client, bob):
    entry = TimeEntryFactory(user=bob, hourly_rate=Decimal("100"))
    assert entry.amount == Decimal("100.00")
    bob_client.post(reverse("tasks:log_bulk"), {"action": "non_billable", "tasks": [entry.task_id]})
    entry.refresh_from_db()
    assert entry.billable is False and entry.amount is None


def test_bulk_delete_is_all_or_nothing_when_time_is_invoiced(bob_client, bob):
    free = TimeEntryFactory(user=bob).task
    invoiced = TimeEntryFactory(user=bob, invoice_line=InvoiceLineFactory()).task
    response = bob_client.post(
        reverse("tasks:log_bulk"), {"action": "delete", "tasks": [free.pk, invoiced.pk]}, follow=True
    )
    assert "has invoiced time" in response.text
    assert Task.objects.count() == 2
    bob_client.post(reverse("tasks:log_bulk"), {"action": "delete", "tasks": [free.pk]})
    assert list(Task.objects.all()) == [invoiced]


def test_bulk_actions_ignore_tasks_the_user_cannot_see(bob_client, dana):
    theirs = TimeEntryFactory(user=dana).task
    response = bob_client.post(
        reverse("tasks:log_bulk"), {"action": "delete", "tasks": [theirs.pk]}, follow=True
    )
    assert "Tick at least one task" in response.text
    assert Task.objects.filter(pk=theirs.pk).exists()


def test_an_unknown_bulk_action_is_explained(bob_client, bob):
    task = TimeEntryFactory(user=bob).task
    response = bob_client.post(
        reverse("tasks:log_bulk"), {"action": "payment:bogus", "tasks": [task.pk]}, follow=True
    )
    assert "is not a payment status" in response.text


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"client": "acme"},
        {"user": "dana"},
        {"status": "completed"},
        {"site": "site"},
        {"billable": "false"},
    ],
)
def test_the_logs_totals_from_kept_figures_equal_the_entries(alice_client, bob, dana, filters):
    acme = ClientFactory(name="Acme", hourly_rate=Decimal("100.00"))
    other = ClientFactory(name="Other", hourly_rate=Decimal("80.00"))
    site = SiteFactory(client=acme)
    tasks = [TaskFactory(client=acme, sites=[site]), TaskFactory(client=other), TaskFactory(client=acme)]
    start = timezone.now() - timedelta(days=3)
    for n, (task, user, billable) in enumerate(
        [(tasks[0], bob, True), (tasks[1], dana, True), (tasks[2], dana, False), (tasks[0], dana, True)]
    ):
        at = start + timedelta(hours=2 * n)
        entries.record(
            task=task, user=user, started_at=at, ended_at=at + timedelta(minutes=50 + n), billable=billable
        )
    only_running = TaskFactory(client=acme, title="Only running")
    entries.record(task=only_running, user=bob, started_at=timezone.now() - timedelta(minutes=5))
    values = {"acme": acme.pk, "dana": dana.pk, "site": site.pk}
    query = {key: values.get(value, value) for key, value in filters.items()}

    response = alice_client.get(URL, query)
    request = RequestFactory().get(URL, query)
    request.user = response.wsgi_request.user
    matching = LogFilter(query, queryset=TimeEntry.objects.all(), request=request).qs
    assert response.context["totals"] == matching.totals()
    assert response.context["totals"]["duration"] > 0
    # The rows too, in every order: the kept first start and figures give what grouping the entries gives,
    # a task with only a running timer included.
    for sort in SORTS:
        for direction in ("", "-"):
            page = alice_client.get(URL, query | {"sort": direction + sort}).context["page"]
            order = direction + SORTS[sort]
            assert list(page) == list(matching.per_task().order_by(order, "-task")), (sort, direction)
    if not filters:
        assert only_running.pk in [row["task"] for row in alice_client.get(URL).context["page"]]


def test_logs_say_who_tracked_and_show_running_timers_live(client, alice, bob, dana):
    from timetracker.tasks import timer

    task = TaskFactory(title="Homepage", assignee=alice)  # Alice owns it; Bob and Dana track on it
    TimeEntryFactory(task=task, user=dana, worked=timedelta(minutes=30))
    timer.start(user=bob, task=task, now=timezone.now() - timedelta(minutes=20))
    client.force_login(dana)
    response = client.get(URL)
    (row,) = response.context["rows"]
    assert [str(person) for person in row["tracked_by"]] == [str(bob), str(dana)]
    assert [entry.user for entry in row["running"]] == [bob]
    page = response.content.decode()
    assert f'class="running-clock" title="{bob}\'s timer"' in page
    # Filtered to one person, the column names only them.
    (row,) = client.get(URL, {"user": dana.pk}).context["rows"]
    assert row["tracked_by"] == [dana]


def test_the_logs_page_queries_do_not_grow_with_its_rows(client, dana):
    client.force_login(dana)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    TimeEntryFactory(task=TaskFactory())
    count()  # the first request also creates the settings row and the session
    one = count()
    for _ in range(6):
        TimeEntryFactory(task=TaskFactory(), worked=timedelta(minutes=15))
    assert count() == one


def test_no_task_vanishes_from_logs_when_its_time_is_gone_or_not_yet_tracked(bob_client, bob, alice, dana):
    from timetracker.tasks import timer

    acme = ClientFactory(name="Acme")
    switched_away = TaskFactory(title="Switched away", client=acme, assignee=bob)
    TaskFactory(title="Not started yet", client=acme, created_by=bob)
    tracked = TaskFactory(title="Tracked", client=acme, assignee=bob)
    TimeEntryFactory(task=tracked, user=bob, started_at=timezone.now() - timedelta(days=400))
    TaskFactory(title="Someone else's", client=acme, assignee=dana)  # not Bob's to see
    now = timezone.now().replace(second=40, microsecond=0)
    timer.start(user=bob, task=switched_away, now=now - timedelta(seconds=30))
    switched = timer.start(user=bob, task=tracked, now=now)  # under a minute: the first entry is discarded
    assert switched.replaced.discarded and not TimeEntry.objects.filter(task=switched_away).exists()
    timer.stop(entry=switched, now=now + timedelta(minutes=5), by=bob)

    listed = {row["task"].title: row for row in bob_client.get(URL).context["rows"]}
    assert set(listed) == {"Switched away", "Not started yet", "Tracked"}
    assert (listed["Switched away"]["tracked"], listed["Switched away"]["entry_count"]) == (0, 0)
    assert listed["Not started yet"]["started"] is None
    # Newest first: the two time-less tasks sort by when they were created, among the recent ones, not after a
    # task last started 400 days ago.
    assert rows(bob_client.get(URL))[-1] == "Tracked"
    # The task filters apply to them, and a person filter lists only what that person tracked.
    assert rows(bob_client.get(URL, {"status": "not_started"})) == ["Not started yet", "Switched away"]
    bob_client.force_login(alice)
    assert "Switched away" in rows(bob_client.get(URL, {"client": acme.pk}))
    assert rows(bob_client.get(URL, {"user": bob.pk})) == ["Tracked"]
    # A filter that looks inside entries lists only the time in it.
    assert rows(bob_client.get(URL, {"period": "this_week"})) == ["Tracked"]


def test_favourite_tasks_head_the_new_task_list_and_are_starred_in_logs(bob_client, bob):
    from timetracker.tasks.forms import continue_choices

    acme = ClientFactory(name="Acme")
    recent = TaskFactory(title="Recent", client=acme, assignee=bob)
    TimeEntryFactory(task=recent, user=bob)
    starred = TaskFactory(title="Starred", client=acme, assignee=bob)
    TaskFactory(title="Open", client=acme, assignee=bob)
    hidden = TaskFactory(title="Not Bob's", client=acme)

    favourite_url = reverse("tasks:task_favourite", args=[starred.pk])
    response = bob_client.post(favourite_url, **HTMX)
    assert response.status_code == 204 and "logs-changed" in json.loads(response.headers["HX-Trigger"])
    groups = {group: [label for _, label in options] for group, options in continue_choices(bob)[1:]}
    assert groups == {
        "Your favourites": ["Acme · Starred"],
        "Your recent tasks": ["Acme · Recent"],
        "Open tasks": ["Acme · Open"],
    }
    listed = {row["task"].title: row["favourite"] for row in bob_client.get(URL).context["rows"]}
    assert listed == {"Recent": False, "Starred": True, "Open": False}
    star = f'aria-label="Favourite">★</span> <a class="task-link" href="/tasks/{starred.pk}/"'
    assert star in bob_client.get(URL).content.decode()
    # Again: no longer a favourite; without htmx, back to the task with a message.
    response = bob_client.post(favourite_url, follow=True)
    assert "no longer one of your favourites" in response.content.decode()
    assert "Your favourites" not in dict(continue_choices(bob)[1:])
    # A task Bob may not see cannot be starred (404, as for every other task action).
    assert bob_client.post(reverse("tasks:task_favourite", args=[hidden.pk])).status_code == 404
    assert bob_client.get(favourite_url).status_code == 405
