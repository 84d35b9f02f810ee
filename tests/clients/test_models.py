import pytest
from django.db import IntegrityError, transaction

from tests.factories import ClientFactory, ProjectFactory, SiteFactory
from timetracker.clients.models import Client

pytestmark = pytest.mark.django_db


def test_archiving_hides_a_client_from_active_but_keeps_it(bob):
    kept = ClientFactory()
    gone = ClientFactory()
    gone.archive()
    assert list(Client.objects.for_user(bob).active()) == [kept]
    assert Client.objects.filter(pk=gone.pk).exists()
    assert gone.is_archived


def test_outsiders_see_no_clients(charlie):
    ClientFactory()
    assert not Client.objects.for_user(charlie).exists()


def test_site_and_project_names_are_unique_per_client():
    client = ClientFactory()
    SiteFactory(client=client, name="acme.com")
    SiteFactory(name="acme.com")  # the same name for another client is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteFactory(client=client, name="acme.com")
    ProjectFactory(client=client, name="Care")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectFactory(client=client, name="Care")


def test_a_client_with_sites_cannot_be_deleted():
    from django.db.models import ProtectedError

    site = SiteFactory()
    with pytest.raises(ProtectedError):
        site.client.delete()


def test_rates_cannot_be_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientFactory(hourly_rate=-1)
