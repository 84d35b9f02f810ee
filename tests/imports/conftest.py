import hashlib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from tests.browser.conftest import log_in  # noqa: F401 (the browser tests' login fixture)
from timetracker.imports import pipeline
from timetracker.imports.commit import commit
from timetracker.imports.models import ImportRun

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "imports"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


def sample(name):
    return (SAMPLES / name).read_bytes()


def make_run(by, source, content, name="file.csv", **options):
    """An uploaded file checked as the Imports page does it (the preview)."""
    run = ImportRun(
        source=source,
        file_name=name,
        file_hash=hashlib.sha256(content).hexdigest(),
        created_by=by,
        options=pipeline.options_for(by, **options),
    )
    run.file.save(name, ContentFile(content), save=False)
    return pipeline.preview(run)


def import_file(by, source, content, name="file.csv", **options):
    run = make_run(by, source, content, name, **options)
    return commit(run)
