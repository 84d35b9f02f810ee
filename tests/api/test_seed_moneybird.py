"""Moneybird's own requests: `time_entry[...]` forms and the `time_entry` wrapper, `filter=` with its ids, day and
flags, the default period, paused_duration floored to whole minutes, entries on a contact or project, notes."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from tests.factories import (
    ClientFactory,
    NoteFactory,
    ProjectFactory,
    TaskFactory,
    TimeEntryFactory,
    UserFactory,
)
from timetracker.tasks.models import Note, Task, TimeEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"
FORM = "application/x-www-form-urlencoded"


def form(api, method, url, pairs):
    return getattr(api, method)(url, urlencode(pairs), content_type=FORM)


@pytest.fixture
def project():
    return ProjectFactory()


def test_the_literal_form_create_on_a_contact_and_project(api_dana, dana, project):
    response = form(
        api_dana,
        "post",
        URL,
        [
            ("time_entry[user_id]", dana.pk),
            ("time_entry[contact_id]", project.client_id),
            ("time_entry[project_id]", project.pk),
            ("time_entry[started_at]", "2026-03-02T09:00:00.000Z"),
            ("time_entry[ended_at]", "2026-03-02T11:00:00.000Z"),
            ("time_entry[paused_duration]", "90"),
            ("time_entry[description]", "Newsletter"),
            ("time_entry[billable]", "true"),
        ],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["paused_duration"] == 60 and body["duration_seconds"] == 119 * 60
    assert body["client_id"] == project.client_id and body["project_id"] == project.pk
    assert Task.objects.get(pk=body["task_id"]).title == "General" and body["description"] == "Newsletter"


def test_the_literal_json_create_in_its_wrapper(api_dana, dana, project):
    body = {
        "time_entry": {
            "user_id": dana.pk,
            "contact_id": project.client_id,
            "started_at": "2026-03-02T09:00:00.000Z",
            "ended_at": "2026-03-02T10:00:00.000Z",
            "paused_duration": 150,
            "description": "Call",
            "billable": False,
        }
    }
    response = api_dana.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    task = Task.objects.get(pk=response.json()["task_id"])
    assert (task.client_id, task.project_id) == (project.client_id, None)
    assert response.json()["paused_duration"] == 120 and response.json()["billable"] is False


def test_a_contact_that_is_not_the_projects_is_refused(api_dana, project):
    body = {
        "time_entry": {
            "contact_id": ClientFactory().pk,
            "project_id": project.pk,
            "started_at": "2026-03-02T09:00:00Z",
            "ended_at": "2026-03-02T10:00:00Z",
        }
    }
    response = api_dana.post(URL, body, format="json")
    assert response.status_code == 422 and "project_id" in response.json()["error"]["fields"]


def test_an_update_floors_paused_duration_too(api_dana, dana):
    entry = TimeEntryFactory(task=TaskFactory(), user=dana)
    response = form(api_dana, "patch", f"{URL}/{entry.pk}", [("time_entry[paused_duration]", "90")])
    assert response.status_code == 200, response.content
    entry.refresh_from_db()
    assert entry.paused_seconds == 60 and entry.duration_seconds == 59 * 60


@pytest.fixture
def spread(dana):
    """Entries on two clients and two people, one on another day, one running."""
    now = timezone.now().replace(microsecond=0)
    first, second = ProjectFactory(), ProjectFactory()
    on_first = TaskFactory(client=first.client, project=first)
    on_second = TaskFactory(client=second.client, project=second)
    other = UserFactory(role="Staff")
    rows = {
        "first": TimeEntryFactory(task=on_first, user=dana, started_at=now - timedelta(hours=3)),
        "second": TimeEntryFactory(task=on_second, user=dana, started_at=now - timedelta(hours=3)),
        "other_person": TimeEntryFactory(task=on_first, user=other, started_at=now - timedelta(hours=3)),
        "running": TimeEntryFactory(task=on_first, user=dana, started_at=now - timedelta(minutes=5), ended_at=None),
    }  # fmt: skip
    return first, rows


def listed(api, text):
    response = api.get(URL, {"filter": text, "per_page": 100})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_ids_inside_filter(api_dana, dana, spread):
    first, rows = spread
    assert listed(api_dana, f"contact_id:{first.client_id}") == {rows["first"].pk, rows["other_person"].pk}
    assert listed(api_dana, f"project_id:{first.pk},user_id:{dana.pk}") == {rows["first"].pk}
    assert listed(api_dana, f"contact_id:{first.client_id},include_active:true") == {
        rows["first"].pk, rows["other_person"].pk, rows["running"].pk
    }  # fmt: skip
    assert listed(api_dana, "include_nil_contacts:true,state:all") == {
        rows["first"].pk, rows["second"].pk, rows["other_person"].pk
    }  # fmt: skip


def test_day_inside_filter_in_both_spellings(api_dana, dana, spread):
    _, rows = spread
    day = timezone.localtime(rows["first"].started_at, timezone.get_default_timezone()).date()
    dana.time_zone = str(timezone.get_default_timezone())
    dana.save()
    for text in (day.isoformat(), day.strftime("%Y%m%d")):
        assert rows["first"].pk in listed(api_dana, f"day:{text}")
    assert listed(api_dana, f"day:{(day - timedelta(days=2)).isoformat()}") == set()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("contact_id:999999", "contact_id"),
        ("contact_id:abc", "contact_id"),
        ("include_active:maybe", "include_active"),
        ("include_nil_contacts:maybe", "include_nil_contacts"),
        ("day:2026-02-30", "day"),
        ("colour:red", "colour"),
    ],
)
def test_bad_values_inside_filter_are_a_400_naming_them(api_dana, text, named):
    response = api_dana.get(URL, {"filter": text})
    assert response.status_code == 400 and named in response.json()["error"]["message"]


def test_a_filter_id_that_disagrees_with_the_parameter_is_a_400(api_dana, spread):
    first, _ = spread
    response = api_dana.get(
        URL, {"filter": f"contact_id:{first.client_id}", "client_id": first.client_id + 1}
    )
    assert response.status_code == 400


def test_filter_without_a_period_covers_this_year(api_dana, dana):
    task = TaskFactory()
    now = timezone.now()
    this_year = TimeEntryFactory(task=task, user=dana)
    last_year = TimeEntryFactory(task=task, user=dana, started_at=now.replace(year=now.year - 1))
    assert listed(api_dana, "state:all") == {this_year.pk}
    assert listed(api_dana, "period:prev_year") == {last_year.pk}
    every = api_dana.get(URL, {"per_page": 100}).json()["results"]
    assert {row["id"] for row in every} == {this_year.pk, last_year.pk}  # no filter=, no default period
    day = timezone.localtime(last_year.started_at).date().isoformat()
    assert listed(api_dana, f"state:all,day:{day}") == {last_year.pk}  # a day chooses the dates itself


def test_the_literal_note_in_its_wrapper(api_dana, dana):
    entry = TimeEntryFactory(task=TaskFactory(), user=dana)
    body = {"note": {"note": "Client approved the extra hour.", "todo": False, "assignee_id": None}}
    response = api_dana.post(f"{URL}/{entry.pk}/notes", body, format="json")
    assert response.status_code == 201, response.content
    assert Note.objects.get(entry=entry).body == "Client approved the extra hour."


def test_a_note_as_a_form(api_dana, dana):
    entry = TimeEntryFactory(task=TaskFactory(), user=dana)
    response = form(api_dana, "post", f"{URL}/{entry.pk}/notes", [("note[note]", "Called them")])
    assert response.status_code == 201 and response.json()["body"] == "Called them"


def test_a_todo_note_for_an_assignee(api_dana, dana, bob):
    entry = TimeEntryFactory(task=TaskFactory(), user=dana)
    body = {"note": {"note": "Send the hours", "todo": True, "assignee_id": bob.pk}}
    response = api_dana.post(f"{URL}/{entry.pk}/notes", body, format="json")
    assert response.status_code == 201, response.content
    shown = response.json()
    assert (shown["todo"], shown["assignee_id"], shown["done_at"]) == (True, bob.pk, None)
    note = Note.objects.get(entry=entry)
    assert (note.todo, note.assignee, note.done_at) == (True, bob, None)
    listed = api_dana.get(f"{URL}/{entry.pk}/notes").json()["results"]
    assert [(n["todo"], n["assignee_id"]) for n in listed] == [(True, bob.pk)]


def test_a_todo_as_a_form_without_assignee(api_dana, dana):
    entry = TimeEntryFactory(task=TaskFactory(), user=dana)
    response = form(
        api_dana, "post", f"{URL}/{entry.pk}/notes", [("note[note]", "Call"), ("note[todo]", "true")]
    )
    assert response.status_code == 201 and response.json()["todo"] is True
    assert response.json()["assignee_id"] is None


def test_staff_may_not_assign_someone_they_cannot_see(api_bob, bob, dana):
    entry = TimeEntryFactory(task=TaskFactory(assignee=bob), user=bob)
    body = {"note": "x", "todo": True, "assignee_id": dana.pk}
    response = api_bob.post(f"{URL}/{entry.pk}/notes", body, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["assignee_id"] == [
        f"There is no user {dana.pk} that you can see."
    ]
    assert not Note.objects.exists()
    body["assignee_id"] = bob.pk  # themselves: fine
    assert api_bob.post(f"{URL}/{entry.pk}/notes", body, format="json").status_code == 201


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"todo": True, "assignee_id": 999_999}, "There is no user 999999 that you can see."),
        ({"assignee_id": 1}, "Only a to-do has an assignee: send todo=true with it."),
    ],
)
def test_a_bad_assignee_is_refused_clearly(api_dana, dana, extra, message):
    entry = TimeEntryFactory(task=TaskFactory(), user=dana)
    response = api_dana.post(f"{URL}/{entry.pk}/notes", {"note": {"note": "x", **extra}}, format="json")
    assert response.status_code == 422 and response.json()["error"]["fields"]["assignee_id"] == [message]
    assert not Note.objects.filter(entry=entry).exists()


def test_the_notes_list_still_reads(api_dana, dana):
    entry = TimeEntryFactory(task=TaskFactory(), user=dana)
    NoteFactory(entry=entry, body="First")
    assert [n["body"] for n in api_dana.get(f"{URL}/{entry.pk}/notes").json()["results"]] == ["First"]


def test_nothing_is_written_for_a_refused_form(api_dana, project):
    form(api_dana, "post", URL, [("time_entry[project_id]", project.pk), ("time_entry[started_at]", "x")])
    assert not TimeEntry.objects.exists() and not Task.objects.exists()
