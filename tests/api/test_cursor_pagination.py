"""Keyset (cursor) pagination of /api/v1/time-entries and /time-entries/unbilled, beside the page numbers."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import TaskFactory, TimeEntryFactory
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"
UNBILLED = "/api/v1/time-entries/unbilled"


def at(day, hour=10):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def task():
    return TaskFactory()


@pytest.fixture
def twelve(task, alice, bob):
    """12 entries over five start times, most shared by several entries (ties are broken by id), made out of
    time order so that id order and time order differ."""
    starts = [at(3), at(1), at(3), at(2), at(3), at(1), at(5), at(2), at(3), at(4), at(5), at(1)]
    return [
        TimeEntryFactory(task=task, user=bob if n % 3 == 0 else alice, started_at=start)
        for n, start in enumerate(starts)
    ]


def ordered(entries, *, descending=True):
    return [e.pk for e in sorted(entries, key=lambda e: (e.started_at, e.pk), reverse=descending)]


def get(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def walk(api, url, **params):
    """Follow next_cursor from the first page to the end: (ids, number of pages)."""
    body = get(api, url, **params)
    seen, pages = [row["id"] for row in body["results"]], 1
    while body["next_cursor"]:
        body = get(api, url, **{**params, "cursor": body["next_cursor"]})
        assert body["count"] is None
        assert body["previous"] is None
        seen += [row["id"] for row in body["results"]]
        pages += 1
    assert body["next"] is None
    return seen, pages


def query(url):
    return parse_qs(urlsplit(url).query)


def bad_request(response):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["status"] == 400
    assert error["code"] == "bad_request"
    return error["message"]


def test_walking_with_cursors_gives_every_entry_once_in_order(api_alice, twelve):
    seen, pages = walk(api_alice, URL, per_page=5)
    assert pages == 3  # 5 + 5 + 2
    assert seen == ordered(twelve)


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"order": "asc"}, lambda e: (e.started_at, e.pk)),
        ({"order": "desc"}, lambda e: (-e.started_at.timestamp(), -e.pk)),
        ({"sort": "duration", "order": "asc"}, lambda e: (e.duration_seconds, e.pk)),
        ({"sort": "timer_time"}, lambda e: (-e.duration_seconds, -e.pk)),
    ],
)
def test_every_sort_and_order_walks_with_cursors(api_alice, task, alice, twelve, params, key):
    # Durations with ties too, so the sort by duration also leans on the id.
    for minutes in (90, 30, 90, 45):
        TimeEntryFactory(task=task, user=alice, started_at=at(6), worked=timedelta(minutes=minutes))
    everything = TimeEntry.objects.all()
    seen, _ = walk(api_alice, URL, per_page=3, **params)
    assert seen == [e.pk for e in sorted(everything, key=key)]


def test_the_cursor_walk_matches_the_pages(api_alice, twelve):
    by_page = []
    for page in (1, 2, 3):
        body = get(api_alice, URL, per_page=5, page=page)
        assert body["count"] == 12
        by_page += [row["id"] for row in body["results"]]
    assert by_page == walk(api_alice, URL, per_page=5)[0]


def test_page_works_as_before_and_offers_a_cursor_onwards(api_alice, twelve):
    body = get(api_alice, URL, per_page=5, page=2)
    assert body["count"] == 12
    assert [row["id"] for row in body["results"]] == ordered(twelve)[5:10]
    assert query(body["next"]) == {"page": ["3"], "per_page": ["5"]}
    assert "page" not in query(body["previous"])  # page 1 is the URL without page, as DRF answers
    onwards = get(api_alice, URL, per_page=5, cursor=body["next_cursor"])
    assert [row["id"] for row in onwards["results"]] == ordered(twelve)[10:]
    last = get(api_alice, URL, per_page=5, page=3)
    assert last["next"] is None
    assert last["next_cursor"] is None


def test_entries_added_behind_the_cursor_are_not_repeated(api_alice, task, alice, twelve):
    first = get(api_alice, URL, per_page=5)
    # Newer than everything: it sorts first, before the cursor, and would push page 2 back by one row.
    TimeEntryFactory(task=task, user=alice, started_at=at(7))
    seen = [row["id"] for row in first["results"]]
    body = first
    while body["next_cursor"]:
        body = get(api_alice, URL, per_page=5, cursor=body["next_cursor"])
        seen += [row["id"] for row in body["results"]]
    assert seen == ordered(twelve)
    # Page numbers shift under the same change: page 2 now starts with the last row of page 1.
    assert get(api_alice, URL, per_page=5, page=2)["results"][0]["id"] == seen[4]


def test_entries_added_ahead_of_the_cursor_are_found(api_alice, task, alice, twelve):
    first = get(api_alice, URL, per_page=5)
    late = TimeEntryFactory(task=task, user=alice, started_at=at(1, hour=8))
    seen, _ = walk(api_alice, URL, per_page=5, cursor=first["next_cursor"])
    assert seen == ordered([*twelve, late])[5:]


def test_staff_keys_walk_only_their_own_entries(api_alice, api_bob, bob, twelve):
    seen, _ = walk(api_bob, URL, per_page=2)
    assert seen == ordered([e for e in twelve if e.user == bob])
    # Alice's cursor is only a position: with Bob's key it goes on over Bob's entries alone.
    cursor = get(api_alice, URL, per_page=5)["next_cursor"]
    rows = get(api_bob, URL, per_page=100, cursor=cursor)["results"]
    assert {row["user_id"] for row in rows} == {bob.pk}
    bobs = {e.pk for e in twelve if e.user == bob}
    assert [row["id"] for row in rows] == [pk for pk in ordered(twelve)[5:] if pk in bobs]


def test_unbilled_walks_with_cursors_and_keeps_its_totals(api_alice, twelve):
    seen, pages = walk(api_alice, UNBILLED, per_page=5)
    assert pages == 3
    assert seen == ordered(twelve, descending=False)
    body = get(api_alice, UNBILLED, per_page=5, cursor=get(api_alice, UNBILLED, per_page=5)["next_cursor"])
    assert body["count"] is None
    assert body["total_hours"] == "12.00"


def cursor_of(api, **params):
    return get(api, URL, per_page=2, **params)["next_cursor"]


@pytest.mark.parametrize(
    "make",
    [
        lambda cursor: "not-a-cursor",
        lambda cursor: "",
        lambda cursor: cursor[:-1] + ("A" if cursor[-1] != "A" else "B"),  # the signature no longer matches
        lambda cursor: signing.dumps(["-started_at", "2026-03-01T10:00:00+00:00", 1], salt="another"),
        lambda cursor: signing.dumps(["-started_at", "yesterday", 1], salt="timetracker.api.cursor"),
        lambda cursor: signing.dumps(
            ["-started_at", "2026-03-01T10:00:00+00:00", "1"], salt="timetracker.api.cursor"
        ),
        lambda cursor: signing.dumps({"order": "-started_at"}, salt="timetracker.api.cursor"),
    ],
    ids=["garbage", "empty", "edited", "forged", "bad-date", "bad-id", "bad-shape"],
)
def test_a_malformed_or_forged_cursor_is_a_400_naming_it(api_alice, twelve, make):
    message = bad_request(api_alice.get(URL, {"cursor": make(cursor_of(api_alice))}))
    assert message.startswith("cursor:")


def test_a_cursor_is_refused_for_another_order_or_with_a_page(api_alice, twelve):
    cursor = cursor_of(api_alice)
    assert "cursor" in bad_request(api_alice.get(URL, {"cursor": cursor, "sort": "duration"}))
    assert "cursor" in bad_request(api_alice.get(URL, {"cursor": cursor, "order": "asc"}))
    assert "cursor" in bad_request(api_alice.get(URL, {"cursor": cursor, "page": "2"}))
    # The unbilled list runs oldest first: the list's (newest first) cursor is not one of its positions.
    assert "cursor" in bad_request(api_alice.get(UNBILLED, {"cursor": cursor}))


def test_a_count_switch_that_is_not_a_boolean_is_a_400_naming_it(api_alice):
    assert bad_request(api_alice.get(URL, {"count": "maybe"})).startswith("count")


def counts(api, url, **params):
    with CaptureQueriesContext(connection) as queries:
        body = get(api, url, **params)
    return body, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("url", [URL, UNBILLED])
def test_a_cursor_runs_no_count(api_alice, twelve, url):
    cursor = get(api_alice, url, per_page=5)["next_cursor"]
    body, sql = counts(api_alice, url, per_page=5, cursor=cursor)
    assert body["count"] is None
    assert len(body["results"]) == 5
    assert not [q for q in sql if "COUNT(" in q.upper()]


def test_count_false_pages_without_counting(api_alice, twelve):
    body, sql = counts(api_alice, URL, per_page=5, page=2, count="false")
    assert not [q for q in sql if "COUNT(" in q.upper()]
    assert body["count"] is None
    assert [row["id"] for row in body["results"]] == ordered(twelve)[5:10]
    assert query(body["next"]) == {"page": ["3"], "per_page": ["5"], "count": ["false"]}
    assert query(body["previous"]) == {"per_page": ["5"], "count": ["false"]}
    last = get(api_alice, URL, per_page=5, page=3, count="false")
    assert [row["id"] for row in last["results"]] == ordered(twelve)[10:]
    assert last["next"] is None and last["next_cursor"] is None
    assert bad_request(api_alice.get(URL, {"per_page": 5, "page": 4, "count": "false"})).startswith("page")
    assert bad_request(api_alice.get(URL, {"page": "x", "count": "false"})).startswith("page")
    # The page just past a full last page answers as with counting: a 400.
    assert bad_request(api_alice.get(URL, {"per_page": 4, "page": 4})).startswith("page")


def test_the_query_count_does_not_grow_with_rows_or_pages(api_alice, task, alice, twelve):
    cursor = get(api_alice, URL, per_page=5)["next_cursor"]
    _, few = counts(api_alice, URL, per_page=5, cursor=cursor)
    for day in range(8, 28):
        TimeEntryFactory(task=TaskFactory(), user=alice, started_at=at(day))
    body = get(api_alice, URL, per_page=20)
    _, many = counts(api_alice, URL, per_page=20, cursor=body["next_cursor"])
    assert len(many) == len(few)


def test_the_schema_documents_cursor_count_and_next_cursor(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in (URL, UNBILLED):
        operation = schema["paths"][path]["get"]
        assert {"cursor", "count", "page", "per_page"} <= {p["name"] for p in operation["parameters"]}
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        properties = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
        assert properties["next_cursor"]["nullable"] is True
        assert properties["count"]["nullable"] is True
