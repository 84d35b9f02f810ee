"""The admin shows runs and their entries read-only: runs are made, committed and undone on the Imports page."""

import pytest
from django.urls import reverse

from tests.imports.conftest import import_file, sample
from timetracker.imports.models import ImportedEntry

pytestmark = pytest.mark.django_db


def test_runs_and_their_entries_open_read_only_in_the_admin(alice_client, alice):
    run = import_file(alice, "toggl", sample("toggl/timba_toggl.csv"))
    assert alice_client.get(reverse("admin:imports_importrun_changelist"), {"q": "timba"}).status_code == 200
    page = alice_client.get(reverse("admin:imports_importrun_change", args=[run.pk]))
    assert page.status_code == 200 and "toggl:" in page.content.decode()
    link = ImportedEntry.objects.first()
    assert alice_client.get(reverse("admin:imports_importedentry_change", args=[link.pk])).status_code == 200
    assert alice_client.get(reverse("admin:imports_importrun_add")).status_code == 403
    assert alice_client.post(reverse("admin:imports_importrun_delete", args=[run.pk])).status_code == 403
