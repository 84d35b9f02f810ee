import csv
import io

import pytest

from tests.api.conftest import client_for
from tests.factories import ClientFactory, TimeEntryFactory, UserFactory
from timetracker.reports.models import Export, SavedReport

pytestmark = pytest.mark.django_db
SPEC = {"group": "client", "sub_group": "month", "range": "this_month"}


@pytest.fixture
def time_this_month(bob):
    acme = ClientFactory(name="Acme")
    TimeEntryFactory(user=bob, task__client=acme)
    TimeEntryFactory(task__client=ClientFactory(name="Zeta"))
    return acme


def test_saved_reports_are_created_listed_renamed_run_and_deleted(api_alice, time_this_month):
    created = api_alice.post("/api/v1/reports/saved", {"name": "Month", "spec": SPEC}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["spec"] == {**SPEC, "v": 1, "filters": {}}
    assert [r["name"] for r in api_alice.get("/api/v1/reports/saved").json()] == ["Month"]
    renamed = api_alice.patch(f"/api/v1/reports/saved/{pk}", {"name": "This month"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "This month"
    run = api_alice.get(f"/api/v1/reports/saved/{pk}/run").json()
    assert [g["label"] for g in run["groups"]] == ["Acme", "Zeta"] and run["totals"]["entries"] == 2
    assert api_alice.delete(f"/api/v1/reports/saved/{pk}").status_code == 204
    assert not SavedReport.objects.exists()


def test_a_spec_that_cannot_run_is_a_422(api_bob, time_this_month):
    other = UserFactory(role="Staff")
    for spec in ({"group": "colour"}, {"filters": {"user": [str(other.pk)]}}, "client"):
        response = api_bob.post("/api/v1/reports/saved", {"name": "x", "spec": spec}, format="json")
        assert response.status_code == 422, response.json()


def test_someone_elses_saved_report_and_export_are_404s(api_bob, alice, time_this_month):
    saved = SavedReport.objects.create(owner=alice, name="Mine", spec=SPEC)
    export = Export.objects.create(requested_by=alice, spec=SPEC, fmt="csv", status="done")
    for url in (f"/api/v1/reports/saved/{saved.pk}", f"/api/v1/reports/saved/{saved.pk}/run"):
        assert api_bob.get(url).status_code == 404
    assert api_bob.get(f"/api/v1/reports/exports/{export.pk}").status_code == 404
    assert api_bob.get(f"/api/v1/reports/exports/{export.pk}/download").status_code == 404
    assert api_bob.get("/api/v1/reports/saved").json() == []


def test_an_export_starts_is_polled_and_downloads_with_the_pages_permissions(
    bob, time_this_month, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    api = client_for(bob)
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/api/v1/reports/exports", {"format": "csv", "spec": SPEC}, format="json")
    assert started.status_code == 202 and started.json()["rows_total"] == 1  # Staff: only bob's entry
    polled = api.get(f"/api/v1/reports/exports/{started.json()['id']}").json()
    assert polled["status"] == "done" and polled["percent"] == 100
    download = api.get(polled["download_url"])
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2 and rows[1][1] == "Acme" and "Amount" not in rows[0]


def test_an_export_needs_a_spec_or_a_saved_report(api_alice, time_this_month):
    assert api_alice.post("/api/v1/reports/exports", {"format": "csv"}, format="json").status_code == 422
    assert (
        api_alice.post("/api/v1/reports/exports", {"format": "pdf", "spec": SPEC}, format="json").status_code
        == 422
    )
