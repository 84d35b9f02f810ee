"""One rule for removing a bucket, on the model: the page and the API give the same outcome."""

from datetime import timedelta

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from tests.api.conftest import client_for
from tests.factories import BucketFactory, ClientFactory, TaskFactory, TimeEntryFactory
from timetracker.buckets.models import Bucket

pytestmark = pytest.mark.django_db


def unused(bucket):
    return []


def with_a_task(bucket):
    return [TaskFactory(bucket=bucket, client=bucket.clients.first())]


def with_time(bucket):
    task = TaskFactory(bucket=bucket, client=bucket.clients.first())
    TimeEntryFactory(task=task, worked=timedelta(minutes=30))
    return [task]


def archived(setup):
    def archived_setup(bucket):
        tasks = setup(bucket)
        bucket.archive()
        return tasks

    archived_setup.__name__ = f"archived_{setup.__name__}"
    return archived_setup


SETUPS = {
    # setup: what both the page and the API must leave behind
    unused: "deleted",
    with_a_task: "archived",
    with_time: "archived",
    archived(unused): "deleted",
    archived(with_a_task): "archived",
}


def outcome(bucket, tasks):
    row = Bucket.objects.filter(pk=bucket.pk).first()
    if row is None:
        return "deleted"
    # Archiving never lets go of a task.
    assert all(task.__class__.objects.get(pk=task.pk).bucket_id == bucket.pk for task in tasks)
    return "archived" if row.is_archived else "kept active"


def removed_on_the_page(client, setup):
    bucket = BucketFactory(clients=[ClientFactory()])
    tasks = setup(bucket)
    assert client.post(reverse("buckets:delete", args=[bucket.pk])).status_code == 302
    return outcome(bucket, tasks)


def removed_through_the_api(api, setup):
    bucket = BucketFactory(clients=[ClientFactory()])
    tasks = setup(bucket)
    assert api.delete(f"/api/v1/buckets/{bucket.pk}").status_code == 204
    return outcome(bucket, tasks)


@pytest.mark.parametrize("setup", SETUPS, ids=lambda setup: setup.__name__)
def test_the_page_and_the_api_remove_a_bucket_alike(client, dana, setup):
    client.force_login(dana)
    on_the_page = removed_on_the_page(client, setup)
    through_the_api = removed_through_the_api(client_for(dana), setup)
    assert on_the_page == through_the_api == SETUPS[setup]


def test_remove_reports_what_it_did():
    bucket = BucketFactory(clients=[ClientFactory()])
    task = TaskFactory(bucket=bucket, client=bucket.clients.first())
    assert bucket.remove() == "archived"
    assert bucket.remove() == "kept"
    task.delete()
    assert bucket.remove() == "deleted" and not Bucket.objects.exists()


def test_a_task_that_chose_the_bucket_at_the_last_moment_makes_remove_archive(monkeypatch):
    bucket = BucketFactory(clients=[ClientFactory()])
    TaskFactory(bucket=bucket, client=bucket.clients.first())

    def protected(self, *args, **kwargs):
        raise ProtectedError("a task uses it", set())

    # As if the task arrived between the check and the delete: the delete is refused, so it archives.
    monkeypatch.setattr(Bucket.tasks.related_manager_cls, "exists", lambda self: False)
    monkeypatch.setattr(Bucket, "delete", protected)
    assert bucket.remove() == "archived"
    assert Bucket.objects.get(pk=bucket.pk).is_archived
