"""Invoiced time and sent invoices are locked in the Django admin too."""

from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import (
    BucketFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.billing import invoicing
from timetracker.billing.models import Invoice, InvoiceLine, Payment
from timetracker.tasks import entries
from timetracker.tasks.models import Task, TimeEntry

pytestmark = pytest.mark.django_db


class FormData(HTMLParser):
    """What a browser would post for the page's main form: enabled fields with their current values."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "disabled" in attrs or (not attrs.get("name") and tag != "option"):
            return
        if tag == "input" and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.append((attrs["name"], attrs.get("value", "on")))
            else:
                self.data.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.data.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea:
            # Browsers drop the newline that follows <textarea>.
            text = self.data[-1][1] + data
            self.data[-1] = (self._textarea, text.removeprefix("\n"))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False


def form_data(response, form_id, **changes):
    parser = FormData(form_id)
    parser.feed(response.text)
    data = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    data.update({name: [value] for name, value in changes.items()})
    return data


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


@pytest.fixture
def sent_invoice():
    invoice = InvoiceFactory(status="sent", total=Decimal("100.00"), subtotal=Decimal("100.00"))
    InvoiceLineFactory(invoice=invoice)
    return invoice


@pytest.fixture
def invoiced(sent_invoice):
    return TimeEntryFactory(description="Invoiced work", invoice_line=sent_invoice.lines.get())


@pytest.fixture
def free():
    return TimeEntryFactory(description="Free work")


# Time entries


def test_an_invoiced_entry_page_is_read_only_and_a_post_changes_nothing(alice_client, invoiced):
    change = url("tasks_timeentry_change", invoiced.pk)
    page = alice_client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert 'name="description"' not in page.text
    assert "Invoiced work" in page.text

    response = alice_client.post(change, {"description": "Rewritten", "hourly_rate": "1.00"})
    assert response.status_code == 403
    invoiced.refresh_from_db()
    assert (invoiced.description, invoiced.hourly_rate) == ("Invoiced work", None)


def test_an_entry_billed_elsewhere_is_locked_as_well(alice_client):
    entry = TimeEntryFactory(billed_elsewhere="EXT-7")
    assert 'name="_save"' not in alice_client.get(url("tasks_timeentry_change", entry.pk)).text
    assert alice_client.get(url("tasks_timeentry_delete", entry.pk)).status_code == 403


def test_a_free_entry_stays_editable(alice_client, free):
    page = alice_client.get(url("tasks_timeentry_change", free.pk))
    assert 'name="_save"' in page.text and 'name="description"' in page.text


def test_an_invoiced_entry_cannot_be_deleted(alice_client, invoiced):
    delete = url("tasks_timeentry_delete", invoiced.pk)
    assert alice_client.get(delete).status_code == 403
    assert alice_client.post(delete, {"post": "yes"}).status_code == 403
    assert TimeEntry.objects.filter(pk=invoiced.pk).exists()


def test_reverting_an_invoiced_entry_to_an_old_version_is_refused(alice_client, free, sent_invoice):
    old_version = free.history.first().history_id
    entries.set_billing([free], invoice_line=sent_invoice.lines.get())
    revert = url("tasks_timeentry_simple_history", free.pk, old_version)
    assert alice_client.post(revert, {"description": "x"}).status_code == 403
    free.refresh_from_db()
    assert free.invoice_line_id == sent_invoice.lines.get().pk


@pytest.mark.parametrize("confirmed", [False, True])
def test_the_delete_action_refuses_a_selection_with_invoiced_entries(alice_client, invoiced, free, confirmed):
    """Nothing is half-written: one invoiced entry in the selection refuses the whole action, so the
    user sees what was refused and nothing is deleted behind their back."""
    data = {"action": "delete_selected", "_selected_action": [invoiced.pk, free.pk]}
    if confirmed:
        data["post"] = "yes"
    response = alice_client.post(url("tasks_timeentry_changelist"), data)
    assert response.status_code == 302
    assert TimeEntry.objects.filter(pk__in=[invoiced.pk, free.pk]).count() == 2
    [message] = messages_of(response)
    assert message.startswith("Nothing was deleted: invoiced entries cannot be deleted:")
    assert str(invoiced) in message and str(free) not in message


def test_the_delete_action_still_deletes_free_entries(alice_client, free):
    changelist = url("tasks_timeentry_changelist")
    data = {"action": "delete_selected", "_selected_action": [free.pk]}
    confirm = alice_client.post(changelist, data)
    assert confirm.status_code == 200 and "Delete multiple objects" in confirm.text
    assert alice_client.post(changelist, {**data, "post": "yes"}).status_code == 302
    assert not TimeEntry.objects.filter(pk=free.pk).exists()


# Tasks and their entries inline


def test_the_task_page_shows_invoiced_entries_read_only(alice_client, invoiced):
    task = invoiced.task
    free = TimeEntryFactory(
        task=task, user=invoiced.user, started_at=invoiced.started_at - timedelta(hours=2)
    )
    change = url("tasks_task_change", task.pk)
    page = alice_client.get(change)
    forms = {form.instance.pk: form for form in page.context["inline_admin_formsets"][0].formset.forms}
    editable = ["user", "started_at", "ended_at", "billable", "hourly_rate", "DELETE"]
    assert all(forms[invoiced.pk].fields[name].disabled for name in editable)
    assert not any(forms[free.pk].fields[name].disabled for name in editable)
    assert "Yes (locked)" in page.text

    # A forged post cannot change or delete the invoiced entry (its fields are disabled).
    index = next(
        i
        for i, form in enumerate(page.context["inline_admin_formsets"][0].formset.forms)
        if form.instance.pk == invoiced.pk
    )
    data = form_data(
        page,
        "task_form",
        **{f"entries-{index}-hourly_rate": "1.00", f"entries-{index}-DELETE": "on", "title": "Renamed"},
    )
    response = alice_client.post(change, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    invoiced.refresh_from_db()
    assert invoiced.hourly_rate is None
    assert Task.objects.get(pk=task.pk).title == "Renamed"


def test_a_task_with_invoiced_time_cannot_be_deleted(alice_client, invoiced):
    task = invoiced.task
    change = url("tasks_task_change", task.pk)
    assert "deletelink" not in alice_client.get(change).text
    delete = url("tasks_task_delete", task.pk)
    for send in (alice_client.get, lambda path: alice_client.post(path, {"post": "yes"})):
        response = send(delete)
        assert response.status_code == 302 and response["Location"] == change
        assert messages_of(response) == [
            f'"{task}" has invoiced time, which cannot be deleted. Nothing was deleted.'
        ]
        alice_client.get(change)  # shows (and so consumes) the message
    assert Task.objects.filter(pk=task.pk).exists()


def test_the_task_delete_action_refuses_tasks_with_invoiced_time(alice_client, invoiced):
    empty = TaskFactory(title="Nothing tracked")
    data = {"action": "delete_selected", "_selected_action": [invoiced.task.pk, empty.pk], "post": "yes"}
    response = alice_client.post(url("tasks_task_changelist"), data)
    assert response.status_code == 302
    assert Task.objects.filter(pk__in=[invoiced.task.pk, empty.pk]).count() == 2
    [message] = messages_of(response)
    assert (
        "have invoiced time" in message and str(invoiced.task) in message and "Nothing tracked" not in message
    )


# Invoices


def test_a_sent_invoice_is_read_only_except_status_and_notes(alice_client, sent_invoice):
    page = alice_client.get(url("billing_invoice_change", sent_invoice.pk))
    assert page.status_code == 200
    assert set(page.context["adminform"].form.fields) == {"status", "notes"}
    assert {"number", "client", "total", "subtotal", "issue_date"} <= set(
        page.context["adminform"].readonly_fields
    )
    lines, payments = page.context["inline_admin_formsets"]
    assert (lines.has_add_permission, lines.has_change_permission, lines.has_delete_permission) == (
        False,
    ) * 3
    assert (payments.has_add_permission, payments.has_change_permission) == (True, True)
    # Going back to Draft would unlock it: not offered.
    assert "draft" not in [value for value, _ in page.context["adminform"].form.fields["status"].choices]


def test_a_post_cannot_change_a_sent_invoice_total_or_lines(alice_client, sent_invoice):
    change = url("billing_invoice_change", sent_invoice.pk)
    line = sent_invoice.lines.get()
    data = form_data(alice_client.get(change), "invoice_form", status="paid", notes="Paid by wire")
    data.update(
        {
            "total": ["1.00"],
            "number": ["HACKED"],
            "lines-0-amount": ["1.00"],
            "lines-0-description": ["Forged"],
            "lines-0-DELETE": ["on"],
            # A forged extra line.
            "lines-TOTAL_FORMS": ["2"],
            "lines-1-description": ["Extra"],
            "lines-1-quantity_seconds": ["60"],
            "lines-1-unit_price": ["1.00"],
            "lines-1-amount": ["1.00"],
            "lines-1-invoice": [str(sent_invoice.pk)],
            # Payments are still recorded after sending.
            "payments-TOTAL_FORMS": ["1"],
            "payments-0-amount": ["40.00"],
            "payments-0-paid_on": ["2026-01-15"],
            "payments-0-method": ["Wire"],
            "payments-0-invoice": [str(sent_invoice.pk)],
        }
    )
    response = alice_client.post(change, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    sent_invoice.refresh_from_db()
    assert (sent_invoice.status, sent_invoice.notes) == ("paid", "Paid by wire")
    assert (sent_invoice.total, sent_invoice.number) == (Decimal("100.00"), sent_invoice.number)
    assert list(sent_invoice.lines.values_list("pk", "description", "amount")) == [
        (line.pk, "Website care", Decimal("100.00"))
    ]
    assert list(Payment.objects.filter(invoice=sent_invoice).values_list("amount", flat=True)) == [
        Decimal("40.00")
    ]


def test_a_sent_invoice_cannot_go_back_to_draft(alice_client, sent_invoice):
    change = url("billing_invoice_change", sent_invoice.pk)
    data = form_data(alice_client.get(change), "invoice_form", status="draft")
    response = alice_client.post(change, data)
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    sent_invoice.refresh_from_db()
    assert sent_invoice.status == "sent"


def test_a_draft_invoice_stays_editable(alice_client):
    draft = InvoiceFactory(status="draft")
    line = InvoiceLineFactory(invoice=draft)
    change = url("billing_invoice_change", draft.pk)
    page = alice_client.get(change)
    assert {"number", "total", "status", "notes"} <= set(page.context["adminform"].form.fields)
    lines = page.context["inline_admin_formsets"][0]
    assert (lines.has_add_permission, lines.has_change_permission, lines.has_delete_permission) == (True,) * 3
    data = form_data(page, "invoice_form", total="250.00", **{"lines-0-amount": "150.00"})
    response = alice_client.post(change, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    draft.refresh_from_db()
    line.refresh_from_db()
    assert (draft.total, line.amount) == (Decimal("250.00"), Decimal("150.00"))
    assert 'name="_save"' in page.text


@pytest.mark.parametrize("status", ["draft", "sent", "canceled"])
def test_invoices_are_never_deleted_in_the_admin(alice_client, status):
    invoice = InvoiceFactory(status=status)
    assert alice_client.get(url("billing_invoice_delete", invoice.pk)).status_code == 403
    assert alice_client.post(url("billing_invoice_delete", invoice.pk), {"post": "yes"}).status_code == 403
    # No action is left on the invoice list, so it shows no action form at all.
    assert alice_client.get(url("billing_invoice_changelist")).context["action_form"] is None
    response = alice_client.post(
        url("billing_invoice_changelist"),
        {"action": "delete_selected", "_selected_action": [invoice.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_reverting_a_sent_invoice_to_its_draft_version_is_refused(alice_client):
    invoice = InvoiceFactory(status="draft", total=Decimal("10.00"))
    draft_version = invoice.history.first().history_id
    invoice.status = "sent"
    invoice.save()
    revert = url("billing_invoice_simple_history", invoice.pk, draft_version)
    assert alice_client.post(revert, {"status": "draft", "total": "1.00"}).status_code == 403
    invoice.refresh_from_db()
    assert (invoice.status, invoice.total) == ("sent", Decimal("10.00"))


def test_a_line_of_a_sent_invoice_is_read_only_and_not_deletable(alice_client, sent_invoice):
    line = sent_invoice.lines.get()
    page = alice_client.get(url("billing_invoiceline_change", line.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.text
    assert (
        alice_client.post(url("billing_invoiceline_change", line.pk), {"amount": "1.00"}).status_code == 403
    )
    assert alice_client.get(url("billing_invoiceline_delete", line.pk)).status_code == 403
    response = alice_client.post(
        url("billing_invoiceline_changelist"),
        {"action": "delete_selected", "_selected_action": [line.pk], "post": "yes"},
    )
    assert response.status_code == 302 and "sent invoices" in messages_of(response)[0]
    line.refresh_from_db()
    assert line.amount == Decimal("100.00")


def test_a_line_cannot_be_added_to_a_sent_invoice(alice_client, sent_invoice):
    add = url("billing_invoiceline_add")
    data = {
        "invoice": sent_invoice.pk,
        "position": 1,
        "description": "Sneaked in",
        "quantity_seconds": 60,
        "unit_price": "1.00",
        "amount": "1.00",
    }
    response = alice_client.post(add, data)
    assert response.status_code == 200
    assert "its lines are locked" in str(response.context["adminform"].form.errors["invoice"])
    assert not InvoiceLine.objects.filter(description="Sneaked in").exists()


def test_a_line_of_a_draft_invoice_stays_editable(alice_client):
    line = InvoiceLineFactory(invoice=InvoiceFactory(status="draft"))
    assert 'name="_save"' in alice_client.get(url("billing_invoiceline_change", line.pk)).text
    assert alice_client.get(url("billing_invoiceline_delete", line.pk)).status_code == 200


def test_payments_of_a_sent_invoice_stay_editable(alice_client, sent_invoice):
    payment = PaymentFactory(invoice=sent_invoice)
    assert 'name="_save"' in alice_client.get(url("billing_payment_change", payment.pk)).text


def test_lengthening_an_entry_on_a_used_up_hard_stop_bucket_is_a_form_error_on_the_task_page(
    alice_client, alice
):
    bucket = BucketFactory(hours=Decimal("1"), hard_stop=True)
    entry = TimeEntryFactory(task__bucket=bucket)  # the hour the bucket holds
    change = url("tasks_task_change", entry.task_id)
    later = (entry.ended_at + timedelta(hours=1)).astimezone(ZoneInfo(alice.time_zone))
    fields = {"entries-0-ended_at_0": f"{later:%Y-%m-%d}", "entries-0-ended_at_1": f"{later:%H:%M:%S}"}
    response = alice_client.post(change, form_data(alice_client.get(change), "task_form", **fields))
    assert response.status_code == 200 and "is used up" in response.text
    entry.refresh_from_db()
    assert entry.duration_seconds == 3600


def test_deleting_a_draft_line_in_the_admin_releases_its_time_with_history(alice_client, alice):
    entry = TimeEntryFactory(hourly_rate=Decimal("100"))
    invoice = invoicing.create_invoice(client=entry.task.client, by=alice)
    line = invoice.lines.get()
    response = alice_client.post(url("billing_invoiceline_delete", line.pk), {"post": "yes"})
    assert response.status_code == 302
    entry.refresh_from_db()
    invoice.refresh_from_db()
    assert entry.invoice_line is None and not InvoiceLine.objects.filter(pk=line.pk).exists()
    assert invoice.total == 0
    assert entry.history.order_by("-history_date").first().history_user == alice
    assert Task.objects.get(pk=entry.task_id).payment_status == "unbilled"
