"""One rule for "unbilled" (TimeEntryQuerySet.unbilled_billable): every page and the API show the same amount."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.api.conftest import client_for
from tests.factories import ClientFactory, ProjectFactory, SiteFactory, TaskFactory, TimeEntryFactory
from timetracker.billing import invoicing
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db

RATE = Decimal("100")


@pytest.fixture
def acme(alice):
    """Acme's time in every billing state; only the last two entries (1 h + 30 min at 100) are unbilled."""
    acme = ClientFactory(name="Acme")
    site = SiteFactory(client=acme, name="acme.com")
    invoiced_project = ProjectFactory(client=acme, name="Launch")
    on_site = TaskFactory(client=acme, sites=[site])

    def entry(task=on_site, **kwargs):
        return TimeEntryFactory(task=task, user=alice, hourly_rate=RATE, **kwargs)

    # On our invoice: the invoice takes all of the project's unbilled time at this moment.
    entry(TaskFactory(client=acme, sites=[site], project=invoiced_project), worked=timedelta(hours=4))
    invoicing.create_invoice(client=acme, by=alice, project=invoiced_project)
    invoicing.mark_invoiced([entry(worked=timedelta(hours=2))], reference="OLD-7", by=alice)
    entry(billable=False, worked=timedelta(hours=8))
    entry(ended_at=None)
    entry(worked=timedelta(hours=1))
    entry(worked=timedelta(minutes=30))
    return acme


def test_every_unbilled_figure_is_the_same_amount(alice_client, alice, acme):
    expected = Decimal("150.00")
    site = acme.sites.get()
    assert TimeEntry.objects.filter(task__client=acme).count() == 6  # the set-up is what it says

    clients = alice_client.get(reverse("clients:list"))
    (client_row,) = [row for row in clients.context["page"] if row.pk == acme.pk]
    sites = alice_client.get(reverse("clients:site_list"))
    (site_row,) = [row for row in sites.context["page"] if row.pk == site.pk]
    client_page = alice_client.get(reverse("clients:detail", args=[acme.pk]))
    site_page = alice_client.get(reverse("clients:site_detail", args=[site.pk]))
    dashboard = alice_client.get(reverse("dashboard"))
    (dashboard_row,) = [row for row in dashboard.context["unbilled"] if row["task__client"] == acme.pk]
    billing = alice_client.get(reverse("billing:unbilled"))
    (billing_row,) = [row for row in billing.context["rows"] if row["client_id"] == acme.pk]
    api = client_for(alice)
    api_unbilled = api.get("/api/v1/time-entries/unbilled", {"client_id": acme.pk}).json()
    api_client = api.get(f"/api/v1/clients/{acme.pk}").json()

    shown = {
        "clients list": client_row.unbilled_amount,
        "sites list": site_row.unbilled_amount,
        "client overview": client_page.context["unbilled_amount"],
        "site overview": site_page.context["unbilled_amount"],
        "dashboard": dashboard_row["amount"],
        "billing unbilled page": billing_row["amount"],
        "API unbilled": Decimal(api_unbilled["total_amount"]),
        "API client": Decimal(api_client["unbilled_amount"]),
    }
    assert shown == dict.fromkeys(shown, expected)
    assert api_unbilled["count"] == 2 and billing_row["entry_count"] == 2


def test_time_billed_elsewhere_leaves_the_overview_unbilled_amount(alice_client, alice):
    """The overview once summed everything not on our invoice, so time billed elsewhere still showed there."""
    acme = ClientFactory()
    task = TaskFactory(client=acme)
    TimeEntryFactory(task=task, user=alice, hourly_rate=RATE)
    elsewhere = TimeEntryFactory(task=task, user=alice, hourly_rate=RATE)
    invoicing.mark_invoiced([elsewhere], reference="EXT-1", by=alice)
    response = alice_client.get(reverse("clients:detail", args=[acme.pk]))
    assert response.context["unbilled_amount"] == Decimal("100.00")
