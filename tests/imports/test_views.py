"""The Imports page: upload, preview, confirm, history, undo; who may use it; its queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.imports.conftest import import_file, make_run, sample
from tests.imports.test_pipeline import BAD
from timetracker.imports.models import ImportRun
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
LIST = reverse("imports:list")


def upload(client, content, name="export.csv", **fields):
    data = {"file": SimpleUploadedFile(name, content), "time_zone": "UTC", "date_order": "auto", **fields}
    return client.post(LIST, data)


def test_the_page_needs_a_login(client):
    assert client.get(LIST).status_code == 302


def test_staff_may_not_import(bob_client):
    assert bob_client.get(LIST).status_code == 403
    assert bob_client.post(LIST, {}).status_code == 403


def test_upload_preview_confirm_puts_the_time_in(alice_client, alice):
    response = upload(alice_client, sample("toggl/timesheet2invoice_toggl.csv"))
    run = ImportRun.objects.get()
    assert response.url == reverse("imports:detail", args=[run.pk])
    assert (run.source, run.status, run.count("new")) == ("toggl", "preview", 7)
    page = alice_client.get(response.url).content.decode()
    assert "Import 7 new entries" in page and "Acme Corp" in page and "Alex &lt;alex@example.com&gt;" in page
    assert not TimeEntry.objects.exists()

    person = run.preview["people"][0]["choice"]
    response = alice_client.post(
        reverse("imports:confirm", args=[run.pk]),
        {"on_error": "refuse", "person_0": person, "action": "import"},
        follow=True,
    )
    assert "Imported 7 new entries and updated 0 from export.csv." in response.content.decode()
    assert TimeEntry.objects.count() == 7
    run.refresh_from_db()
    assert run.status == "done"
    history = alice_client.get(LIST).content.decode()
    assert "export.csv" in history and "Imported" in history


def test_the_same_file_again_is_flagged_and_creates_nothing(alice_client, alice):
    import_file(alice, "toggl", sample("toggl/timba_toggl.csv"))
    upload(alice_client, sample("toggl/timba_toggl.csv"))
    run = ImportRun.objects.first()
    page = alice_client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert "This exact file was imported before" in page
    assert (run.count("new"), run.count("unchanged")) == (0, 11)


def test_people_are_mapped_on_the_preview(alice_client, alice, bob):
    upload(alice_client, sample("toggl/timba_toggl.csv"))
    run = ImportRun.objects.get()
    url = reverse("imports:confirm", args=[run.pk])
    alice_client.post(url, {"on_error": "refuse", "person_0": "create", "action": "preview"})
    run.refresh_from_db()
    assert run.preview["new_counts"]["people"] == 1 and run.status == "preview"
    alice_client.post(url, {"on_error": "refuse", "person_0": str(bob.pk), "action": "import"})
    assert set(TimeEntry.objects.values_list("user__username", flat=True)) == {"bob"}


def test_bad_rows_are_listed_and_refused_unless_left_out(alice_client):
    upload(alice_client, BAD)
    run = ImportRun.objects.get()
    page = alice_client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert "Rows that cannot be imported" in page and "2026-02-30" in page
    url = reverse("imports:confirm", args=[run.pk])
    person = run.preview["people"][0]["choice"]
    response = alice_client.post(
        url, {"on_error": "refuse", "person_0": person, "action": "import"}, follow=True
    )
    assert "2 rows cannot be imported" in response.content.decode()
    assert not TimeEntry.objects.exists()
    alice_client.post(url, {"on_error": "skip", "person_0": person, "action": "import"})
    assert list(TimeEntry.objects.values_list("description", flat=True)) == ["Good"]


def test_an_unknown_layout_asks_for_its_columns(alice_client):
    upload(alice_client, b"When,Hours worked,Notes\n2026-03-02,1.5,Design\n2026-03-03,2,Build\n")
    run = ImportRun.objects.get()
    assert (run.source, run.counts) == ("generic", {})
    page = alice_client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert "Which column holds what?" in page
    response = alice_client.post(reverse("imports:mapping", args=[run.pk]), {"date": "When"})
    assert "Choose the column with the end or the duration" in response.content.decode()
    alice_client.post(
        reverse("imports:mapping", args=[run.pk]),
        {"date": "When", "duration": "Hours worked", "description": "Notes"},
    )
    run.refresh_from_db()
    assert run.count("new") == 2 and run.preview["clients"] == ["No client"]


def test_undo_from_the_page(alice_client, alice):
    run = import_file(alice, "toggl", sample("toggl/timba_toggl.csv"))
    response = alice_client.post(reverse("imports:undo", args=[run.pk]), follow=True)
    assert f"Import #{run.pk} is undone" in response.content.decode()
    assert not TimeEntry.objects.exists()
    response = alice_client.post(reverse("imports:undo", args=[run.pk]), follow=True)
    assert "Only a finished import can be undone." in response.content.decode()


def test_a_run_that_does_not_exist_is_a_404(alice_client):
    assert alice_client.get(reverse("imports:detail", args=[999])).status_code == 404


def test_htmx_gets_only_the_history_or_the_progress(alice_client, alice):
    run = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    response = alice_client.get(LIST, headers={"HX-Request": "true"})
    assert (
        response.content.decode().lstrip().startswith('<section class="card table-card" id="import-history"')
    )
    ImportRun.objects.filter(pk=run.pk).update(status="checking", rows_total=100, rows_done=40)
    detail = reverse("imports:detail", args=[run.pk])
    response = alice_client.get(detail, headers={"HX-Request": "true", "HX-Target": "import-progress"})
    body = response.content.decode()
    assert (
        body.lstrip().startswith('<section class="card" id="import-progress"')
        and 'aria-valuenow="40"' in body
    )
    ImportRun.objects.filter(pk=run.pk).update(status="done")
    response = alice_client.get(detail, headers={"HX-Request": "true", "HX-Target": "import-progress"})
    assert response.headers["HX-Refresh"] == "true"


def test_the_pages_take_the_same_queries_for_many_runs(alice_client, alice, django_assert_max_num_queries):
    for _ in range(2):
        make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    with django_assert_max_num_queries(20) as few:
        alice_client.get(LIST)
    for _ in range(8):
        make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    with django_assert_max_num_queries(len(few)):
        alice_client.get(LIST)
    run = ImportRun.objects.first()
    with django_assert_max_num_queries(20):
        alice_client.get(reverse("imports:detail", args=[run.pk]))


def test_the_column_mapping_never_guesses_the_id_column():
    from timetracker.imports.forms import MappingForm

    form = MappingForm(header=["ID", "Date", "Duration", "Description"])
    assert form["date"].initial == "Date" and form["description"].initial == "Description"
    assert form["id"].initial in (None, "")


def test_a_run_taken_by_another_confirmation_meanwhile_is_not_started_again(
    alice_client, alice, monkeypatch, django_capture_on_commit_callbacks
):
    from timetracker.imports import pipeline, tasks

    monkeypatch.setattr(tasks, "BACKGROUND_ROWS", 10)
    run = make_run(alice, "harvest", sample("harvest/sauce_harvest_2018-08_to_10.csv"))
    real = pipeline.refusal

    def taken_meanwhile(run):
        # Another tab confirmed it between this request's look at the run and its start.
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.QUEUED)
        return real(run)

    monkeypatch.setattr(pipeline, "refusal", taken_meanwhile)
    data = {"on_error": "refuse", "action": "import"}
    data.update({f"person_{i}": person["choice"] for i, person in enumerate(run.preview["people"])})
    with django_capture_on_commit_callbacks() as queued:
        response = alice_client.post(reverse("imports:confirm", args=[run.pk]), data, follow=True)
    page = response.content.decode()
    assert f"Import #{run.pk} was not started again: This import is already under way or finished." in page
    assert "Nothing was imported" not in page
    assert queued == [] and ImportRun.objects.get(pk=run.pk).status == "queued"


def test_the_preview_says_why_a_conflict_is_left_alone(alice_client, alice):
    from tests.imports.test_pipeline import ID_COLUMNS, generic_file

    first = generic_file("1,2026-03-02 09:00,2026-03-02 10:00,Ann,Acme,Design")
    import_file(alice, "generic", first, time_zone="UTC", mapping=ID_COLUMNS)
    other = generic_file("1,2026-03-02 09:00,2026-03-02 10:00,Ann,Other Co,Someone else's")
    run = make_run(alice, "generic", other, time_zone="UTC", mapping=ID_COLUMNS)
    page = alice_client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert "1 conflict, left alone" in page
    assert "Its id belongs to an entry of another task or person" in page
