import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests import factories
from timetracker.accounts.models import IdempotencyKey
from timetracker.billing.models import InvoiceMail, Settings
from timetracker.tasks.models import FavouriteTask, TimerReminder

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "clients", "buckets", "tasks", "billing"}
FACTORIES = {
    "user": lambda: factories.UserFactory(role="Staff"),
    "apikey": factories.ApiKeyFactory,
    "oncetoken": factories.OnceTokenFactory,
    # Written by API POSTs with an Idempotency-Key, never in the admin.
    "idempotencykey": lambda: IdempotencyKey.objects.create(
        user=factories.UserFactory(role="Staff"), key="retry-1", fingerprint="f" * 64, status_code=201
    ),
    "client": factories.ClientFactory,
    "site": factories.SiteFactory,
    "project": factories.ProjectFactory,
    "bucket": factories.BucketFactory,
    "bucketalert": factories.BucketAlertFactory,
    "task": factories.TaskFactory,
    "timeentry": factories.TimeEntryFactory,
    # Kept by the write path (and the entry factory), never made on their own.
    "tasktotal": lambda: factories.TimeEntryFactory().task.totals.get(),
    "daytotal": lambda: factories.TimeEntryFactory().task.day_totals.get(),
    "note": factories.NoteFactory,
    "favouritetask": lambda: FavouriteTask.objects.create(
        task=factories.TaskFactory(), user=factories.UserFactory(role="Staff")
    ),
    "invoice": factories.InvoiceFactory,
    "invoiceline": factories.InvoiceLineFactory,
    "payment": factories.PaymentFactory,
    "settings": Settings.load,
    "clientsettings": factories.ClientSettingsFactory,
    "invoicesequence": factories.InvoiceSequenceFactory,
    # Written by the reminder tick and the invoice e-mails, never in the admin.
    "timerreminder": lambda: TimerReminder.objects.create(
        entry_id=factories.TimeEntryFactory().pk, user=factories.UserFactory(role="Staff")
    ),
    "invoicemail": lambda: InvoiceMail.objects.create(
        invoice=factories.InvoiceFactory(), recipients="billing@client.example", subject="Invoice"
    ),
}
OUR_MODELS = [
    model
    for model in apps.get_models()
    if model._meta.app_label in OUR_APPS and not model.__name__.startswith("Historical")
]


def test_every_model_is_registered_in_the_admin():
    missing = [m.__name__ for m in OUR_MODELS if m not in admin.site._registry]
    assert missing == []


def test_every_model_has_a_factory():
    assert {m._meta.model_name for m in OUR_MODELS} == set(FACTORIES)


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_changelist_change_and_history_pages_open(alice_client, model):
    obj = FACTORIES[model._meta.model_name]()
    info = model._meta.app_label, model._meta.model_name
    changelist = alice_client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1
    assert alice_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200
    assert alice_client.get(reverse("admin:{}_{}_history".format(*info), args=[obj.pk])).status_code == 200


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_changelist_search_works(alice_client, model):
    model_admin = admin.site._registry[model]
    if not model_admin.search_fields:
        pytest.skip(f"{model.__name__} has no search")
    FACTORIES[model._meta.model_name]()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert alice_client.get(url, {"q": "zzz-nothing"}).status_code == 200


def test_a_staff_member_without_admin_access_is_sent_to_the_admin_login(bob_client):
    response = bob_client.get(reverse("admin:tasks_timeentry_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_global_settings_row_cannot_be_deleted_or_doubled(alice_client):
    Settings.load()
    assert alice_client.get(reverse("admin:billing_settings_add")).status_code == 403
    assert alice_client.get(reverse("admin:billing_settings_delete", args=[1])).status_code == 403


def test_invoice_page_shows_lines_and_payments_inline(alice_client):
    line = factories.InvoiceLineFactory(description="Quarterly audit")
    factories.PaymentFactory(invoice=line.invoice, reference="BANK-778")
    response = alice_client.get(reverse("admin:billing_invoice_change", args=[line.invoice.pk]))
    assert "Quarterly audit" in response.text
    assert "BANK-778" in response.text


def test_task_page_shows_its_entries_inline(alice_client):
    entry = factories.TimeEntryFactory(description="Checked the error log")
    response = alice_client.get(reverse("admin:tasks_task_change", args=[entry.task.pk]))
    assert (
        "Checked the error log" in response.text
        or f"/admin/tasks/timeentry/{entry.pk}/change/" in response.text
    )
