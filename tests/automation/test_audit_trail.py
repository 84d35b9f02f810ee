"""The audit trail: an invoiced entry linked to its bucket, invoice line, invoice and payments, with its edits
(who and when); the CSV says what the page says; Managers only; queries do not grow with the entries."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import BucketFactory, ClientFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.automation import audit
from timetracker.billing import invoicing
from timetracker.billing.models import Settings
from timetracker.tasks import entries as write
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db

WORKED_AT = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def acme():
    return ClientFactory(name="Acme", email="office@acme.example")


@pytest.fixture
def invoiced(acme, dana, bob):
    """Bob's entry on a bucket's task, edited by Dana, invoiced, sent and partly paid."""
    bucket = BucketFactory(title="Care retainer", clients=[acme])
    task = TaskFactory(title="Fix the contact form", client=acme, bucket=bucket)
    entry = write.record(
        task=task,
        user=bob,
        by=bob,
        started_at=WORKED_AT,
        ended_at=WORKED_AT + timedelta(hours=2),
        hourly_rate=Decimal("100.00"),
        description="first try",
    )
    entry = write.change(entry, by=dana, reason="client call", description="Fixed the SMTP settings")
    invoice = invoicing.create_invoice(client=acme, by=dana)
    invoicing.send(invoice, by=dana)
    invoicing.record_payment(invoice, amount=Decimal("50.00"), method="bank transfer", by=dana)
    entry.refresh_from_db()
    return {"bucket": bucket, "task": task, "entry": entry, "invoice": invoice}


def trail_url(name, pk, **query):
    url = reverse(f"automation:{name}", args=[pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_an_invoiced_entry_shows_its_bucket_invoice_payment_and_edits(client, dana, acme, invoiced):
    client.force_login(dana)
    response = client.get(trail_url("client_audit", acme.pk, month="2026-11"))
    assert response.status_code == 200
    page = response.content.decode()
    row = page[page.index(f'id="entry-{invoiced["entry"].pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Care retainer" in row
    assert invoiced["invoice"].number in row and "line 1" in row
    assert "Partially Paid" in row
    assert "bank transfer" in row and "recorded by Dana" in row
    # The edit: which field, old -> new, who and when (and the reason given).
    assert "Recorded by Bob" in row
    assert "Changed by Dana" in row and "client call" in row
    assert "Description: first try → Fixed the SMTP settings" in row
    # Invoicing it is a change too: the invoice line it was put on, by whom.
    assert f"Invoice line: — → Invoice {invoiced['invoice'].number}, line 1" in row


def test_the_builder_links_the_chain_and_lists_changes_in_order(dana, acme, invoiced):
    month, error = audit.month_of("2026-11")
    assert error == ""
    result = audit.trail(audit.client_entries(acme, month), money_format=Settings.load().money_format())
    [row] = result.rows
    assert row.bucket == invoiced["bucket"] and row.counted
    assert row.invoice == invoiced["invoice"] and row.line_position == 1
    assert [p.amount for p in row.payments] == [Decimal("50.00")]
    assert [(c.kind, c.who) for c in row.changes] == [
        ("Recorded", invoiced["entry"].user),
        ("Changed", dana),
        ("Changed", dana),
    ]
    assert row.changes[1].fields == [("Description", "first try", "Fixed the SMTP settings")]


def test_the_bucket_trail_marks_time_the_bucket_does_not_count(client, dana, acme, invoiced):
    TimeEntryFactory(task=invoiced["task"], started_at=WORKED_AT + timedelta(days=1), billable=False)
    client.force_login(dana)
    page = client.get(trail_url("bucket_audit", invoiced["bucket"].pk, month="2026-11")).content.decode()
    assert invoiced["invoice"].number in page
    assert "not counted: non-billable" in page


def test_a_task_moved_between_buckets_shows_in_the_trail(client, dana, acme, invoiced):
    other = BucketFactory(title="Project hours", clients=[acme])
    task = invoiced["task"]
    task.bucket = other
    task._history_user = dana
    task.save()
    client.force_login(dana)
    page = client.get(trail_url("client_audit", acme.pk, month="2026-11")).content.decode()
    assert "Changes to these tasks" in page
    assert "Bucket Care retainer → Project hours" in page


def test_the_csv_matches_the_page(client, dana, acme, invoiced):
    TimeEntryFactory(task=invoiced["task"], started_at=WORKED_AT + timedelta(days=2), description="later")
    client.force_login(dana)
    page = client.get(trail_url("client_audit", acme.pk, month="2026-11")).content.decode()
    response = client.get(trail_url("client_audit_csv", acme.pk, month="2026-11"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    entry = invoiced["entry"]
    # The same entries as the page, each change a line, the links repeated on each.
    assert {int(r["Entry"]) for r in rows} == {int(pk) for pk in re.findall(r'id="entry-(\d+)"', page)}
    mine = [r for r in rows if int(r["Entry"]) == entry.pk]
    assert {r["Invoice"] for r in mine} == {invoiced["invoice"].number}
    assert {r["Bucket"] for r in mine} == {"Care retainer"}
    assert all("bank transfer" in r["Payments"] and "Dana" in r["Payments"] for r in mine)
    edits = [(r["Changed by"], r["Field"], r["Old"], r["New"]) for r in mine if r["Change"] == "Changed"]
    assert (str(dana), "Description", "first try", "Fixed the SMTP settings") in edits
    for _, field, old, new in edits:
        assert f"{field}: {old} → {new}" in page


def test_the_invoice_trail_lists_each_lines_entries_and_their_history(client, dana, acme, invoiced):
    client.force_login(dana)
    invoice = invoiced["invoice"]
    response = client.get(trail_url("invoice_audit", invoice.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="entry-{invoiced["entry"].pk}"' in page
    assert "Description: first try → Fixed the SMTP settings" in page
    rows = csv_rows(client.get(trail_url("invoice_audit_csv", invoice.pk)))
    assert {int(r["Entry"]) for r in rows} == {invoiced["entry"].pk}


def test_a_canceled_invoice_still_shows_the_entries_it_once_billed(client, dana, acme):
    entry = TimeEntryFactory(task=TaskFactory(client=acme), started_at=WORKED_AT, hourly_rate=Decimal("80"))
    invoice = invoicing.create_invoice(client=acme, by=dana)
    invoicing.cancel(invoice, by=dana)
    client.force_login(dana)
    page = client.get(trail_url("invoice_audit", invoice.pk)).content.decode()
    assert f'id="entry-{entry.pk}"' in page
    assert "(1 once)" in page
    assert f"Invoice line: Invoice {invoice.number}, line 1 → —" in page


def test_only_managers_see_the_trail(client, bob, acme, invoiced):
    client.force_login(bob)
    for name, pk in [
        ("client_audit", acme.pk),
        ("client_audit_csv", acme.pk),
        ("bucket_audit", invoiced["bucket"].pk),
        ("bucket_audit_csv", invoiced["bucket"].pk),
        ("invoice_audit", invoiced["invoice"].pk),
        ("invoice_audit_csv", invoiced["invoice"].pk),
    ]:
        assert client.get(trail_url(name, pk)).status_code == 403, name


def test_the_trail_needs_a_login(client, acme):
    response = client.get(trail_url("client_audit", acme.pk))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_bad_month_says_so_and_shows_this_month(client, dana, acme, invoiced):
    client.force_login(dana)
    page = client.get(trail_url("client_audit", acme.pk, month="November")).content.decode()
    assert "is not a month; write it as YYYY-MM" in page
    assert "November 2026" in page  # this month (the tests' clock)
    page = client.get(trail_url("client_audit", acme.pk, month="3000-01")).content.decode()
    assert "Choose a month between 1970 and 2999" in page


def test_the_trail_reads_only_the_month_asked_for(client, dana, acme, invoiced):
    october = TimeEntryFactory(task=invoiced["task"], started_at=datetime(2026, 10, 5, 9, tzinfo=UTC))
    client.force_login(dana)
    november = client.get(trail_url("client_audit", acme.pk, month="2026-11")).content.decode()
    assert f'id="entry-{october.pk}"' not in november
    page = client.get(trail_url("client_audit", acme.pk, month="2026-10")).content.decode()
    assert f'id="entry-{october.pk}"' in page and f'id="entry-{invoiced["entry"].pk}"' not in page


def test_htmx_gets_only_the_rows(client, dana, acme, invoiced):
    client.force_login(dana)
    response = client.get(trail_url("client_audit", acme.pk, month="2026-11"), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="trail"')
    assert "<html" not in page


def _edited_invoiced_entries(acme, dana, count):
    task = TaskFactory(client=acme, bucket=BucketFactory(clients=[acme]))
    for number in range(count):
        user = UserFactory(role="Staff")
        entry = write.record(
            task=task,
            user=user,
            by=user,
            started_at=WORKED_AT + timedelta(hours=3 * number),
            ended_at=WORKED_AT + timedelta(hours=3 * number + 1),
            hourly_rate=Decimal("90"),
        )
        write.change(entry, by=dana, description=f"edit {number}")
    invoice = invoicing.create_invoice(client=acme, by=dana)
    invoicing.send(invoice, by=dana)
    invoicing.record_payment(invoice, amount=Decimal("10"), by=dana)
    return invoice


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "name", ["client_audit", "client_audit_csv", "bucket_audit", "invoice_audit", "invoice_audit_csv"]
)
def test_queries_do_not_grow_with_the_entries(client, dana, name):
    client.force_login(dana)
    counts = []
    for size in (2, 12):
        acme = ClientFactory()
        invoice = _edited_invoiced_entries(acme, dana, size)
        pk = {"client": acme.pk, "bucket": acme.buckets.get().pk, "invoice": invoice.pk}[name.split("_")[0]]
        counts.append(_queries(client, trail_url(name, pk, month="2026-11")))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 20, counts


def test_task_changes_are_read_for_the_month_shown(client, dana, acme, invoiced):
    task = invoiced["task"]
    task.bucket = BucketFactory(title="Project hours", clients=[acme])
    task._history_user = dana
    task.save()
    entries = list(audit.client_entries(acme, audit.month_of("2026-11")[0]))
    money_format = Settings.load().money_format()
    october, _ = audit.month_of("2026-10")
    assert (
        audit.trail(entries, money_format=money_format, task_changes_in=october.bounds()).task_changes == []
    )
    november, _ = audit.month_of("2026-11")
    [(task_shown, changes)] = audit.trail(
        entries, money_format=money_format, task_changes_in=november.bounds()
    ).task_changes
    assert task_shown == task and ("Bucket", "Care retainer", "Project hours") in changes[-1].fields


def test_unknown_objects_are_404(client, dana):
    client.force_login(dana)
    for name in ("client_audit", "bucket_audit", "invoice_audit", "client_audit_csv", "invoice_audit_csv"):
        assert client.get(trail_url(name, 999999)).status_code == 404, name


def test_time_loaded_without_history_still_has_its_line_in_the_csv(client, dana, acme):
    entry = TimeEntryFactory(task=TaskFactory(client=acme), started_at=WORKED_AT)
    # Bulk loading (imports, the demo seed) writes no history rows.
    TimeEntry.history.filter(id=entry.pk).delete()
    client.force_login(dana)
    page = client.get(trail_url("client_audit", acme.pk, month="2026-11")).content.decode()
    assert "No history recorded." in page
    [row] = csv_rows(client.get(trail_url("client_audit_csv", acme.pk, month="2026-11")))
    assert int(row["Entry"]) == entry.pk and row["Change"] == "" and row["Invoice"] == ""


def test_the_trail_counts_against_a_bucket_what_the_bucket_counts(dana, acme):
    from timetracker.buckets import usage

    bucket = BucketFactory(clients=[acme], billable_only=True)
    task = TaskFactory(client=acme, bucket=bucket)
    for hours, billable in ((1, True), (2, False), (3, True)):
        TimeEntryFactory(task=task, started_at=WORKED_AT + timedelta(hours=4 * hours), billable=billable)
    month, _ = audit.month_of("2026-11")
    rows = audit.trail(audit.bucket_entries(bucket, month), money_format=Settings.load().money_format()).rows
    counted = {row.entry.pk for row in rows if row.counted}
    period = usage.Period(month.first, month.next.first)
    assert counted == set(usage.counted_entries(bucket, period).values_list("pk", flat=True))
    assert len(counted) == 2
