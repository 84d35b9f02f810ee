"""POST /api/v1/imports: the same pipeline as the page, in the API's shapes and statuses."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import client_for
from tests.imports.conftest import make_run, sample
from tests.imports.test_pipeline import BAD
from timetracker.imports.models import ImportRun
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(alice):
    return client_for(alice)


def post_file(api, content, name="export.csv", **fields):
    return api.post(
        "/api/v1/imports", {"file": SimpleUploadedFile(name, content), **fields}, format="multipart"
    )


def test_upload_answers_with_the_preview_and_confirm_imports(api):
    response = post_file(api, sample("harvest/sauce_harvest_2018-08.csv"), time_zone="UTC")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["source"], body["counts"]["new"]) == ("preview", "harvest", 18)
    assert body["preview"]["new_counts"] == {"clients": 1, "projects": 1, "tasks": 2, "people": 0}
    assert not TimeEntry.objects.exists()

    response = api.post(f"/api/v1/imports/{body['id']}/confirm", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert TimeEntry.objects.count() == 18
    assert api.post(f"/api/v1/imports/{body['id']}/confirm", {}, format="json").status_code == 409

    again = post_file(api, sample("harvest/sauce_harvest_2018-08.csv"), confirm="true").json()
    assert (again["status"], again["counts"]["new"], again["counts"]["unchanged"]) == ("done", 0, 18)


def test_the_api_and_the_page_preview_a_file_alike(api, alice):
    by_api = post_file(api, sample("toggl/tuttle_test_time_tracking_toggl.csv"), time_zone="UTC").json()
    by_page = make_run(alice, "toggl", sample("toggl/tuttle_test_time_tracking_toggl.csv"), time_zone="UTC")
    assert by_api["counts"] == by_page.counts and by_api["preview"] == by_page.preview


def test_bad_rows_are_a_422_naming_them_unless_skipped(api):
    body = post_file(api, BAD).json()
    assert body["errors"][0] == {
        "row": 3,
        "message": 'Start date "2026-02-30" is not a date (read as YYYY-MM-DD or MM/DD/YYYY).',
    }
    response = api.post(f"/api/v1/imports/{body['id']}/confirm", {}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("2 rows cannot be imported")
    response = api.post(f"/api/v1/imports/{body['id']}/confirm", {"on_error": "skip"}, format="json")
    assert response.status_code == 200 and TimeEntry.objects.count() == 1


def test_people_can_be_mapped_when_confirming(api, bob):
    body = post_file(api, sample("toggl/timba_toggl.csv")).json()
    key = body["preview"]["people"][0]["key"]
    response = api.post(
        f"/api/v1/imports/{body['id']}/confirm", {"people": {key: str(bob.pk)}}, format="json"
    )
    assert response.status_code == 200
    assert set(TimeEntry.objects.values_list("user", flat=True)) == {bob.pk}


def test_an_unreadable_file_is_a_422_and_undo_works(api):
    response = post_file(api, b"Project,Hours\nX,1\n", format="harvest")
    assert response.status_code == 422 and '"Date"' in response.json()["error"]["message"]
    done = post_file(api, sample("toggl/timba_toggl.csv"), confirm="true").json()
    assert api.post(f"/api/v1/imports/{done['id']}/undo").json()["status"] == "undone"
    assert not TimeEntry.objects.exists()
    assert api.post(f"/api/v1/imports/{done['id']}/undo").status_code == 409


def test_staff_keys_may_not_import_and_runs_list(api, bob):
    assert post_file(client_for(bob), sample("toggl/timba_toggl.csv")).status_code == 403
    post_file(api, sample("toggl/timba_toggl.csv"))
    listed = api.get("/api/v1/imports").json()
    assert listed["count"] == 1 and listed["results"][0]["file_name"] == "export.csv"
    run = ImportRun.objects.get()
    assert api.get(f"/api/v1/imports/{run.pk}").json()["id"] == run.pk
    assert api.get("/api/v1/imports/999").status_code == 404


def test_a_run_taken_by_another_confirmation_meanwhile_is_a_409(api, alice, monkeypatch):
    from timetracker.imports import pipeline, tasks

    monkeypatch.setattr(tasks, "BACKGROUND_ROWS", 10)
    body = post_file(api, sample("harvest/sauce_harvest_2018-08_to_10.csv")).json()
    real = pipeline.refusal

    def taken_meanwhile(run):
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.QUEUED)
        return real(run)

    monkeypatch.setattr(pipeline, "refusal", taken_meanwhile)
    response = api.post(f"/api/v1/imports/{body['id']}/confirm", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "This import is already under way or finished."
