from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import ClientFactory, ProjectFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.billing import drafts, invoicing, rerating
from timetracker.billing.invoicing import InvoicingError
from timetracker.billing.models import Invoice, InvoiceSequence, Settings
from timetracker.lib.rounding import RoundingPolicy
from timetracker.tasks import entries
from timetracker.tasks.models import Task, TimeEntry

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 10, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings_row():
    settings = Settings.load()
    settings.rounding_enabled, settings.rounding_mode, settings.rounding_interval = True, "up", 15
    settings.save()
    return settings


@pytest.fixture
def acme(settings_row):
    return ClientFactory(name="Acme")


def entry(client, *, minutes, rate="95.50", user=None, task=None, at=DAY, policy=None, **extra):
    task = task or TaskFactory(client=client)
    return TimeEntryFactory(
        task=task,
        user=user or UserFactory(role="Staff"),
        started_at=at,
        worked=timedelta(minutes=minutes),
        hourly_rate=Decimal(rate) if rate is not None else None,
        policy=policy or Settings.load().rounding_policy(),
        **extra,
    )


def test_seven_minutes_at_95_50_per_entry_and_per_line(acme, bob):
    task = TaskFactory(client=acme)
    for _ in range(3):
        entry(acme, minutes=7, task=task, user=bob)
    per_entry = drafts.preview(client=acme, grouping="task", rounding_scope="entry")
    # Each 7-minute entry was rounded up to 15 minutes when stopped: 45 minutes at 95.50.
    (line,) = per_entry.lines
    assert (line.seconds, line.unit_price, line.amount) == (45 * 60, Decimal("95.50"), Decimal("71.63"))
    per_line = drafts.preview(client=acme, grouping="task", rounding_scope="line")
    # 21 minutes of work rounded up once: 30 minutes at 95.50.
    assert (per_line.lines[0].seconds, per_line.lines[0].amount) == (30 * 60, Decimal("47.75"))


def test_without_rounding_seven_minutes_is_eleven_fourteen(acme, settings_row):
    settings_row.rounding_enabled = False
    settings_row.save()
    entry(acme, minutes=7, policy=RoundingPolicy())
    draft = drafts.preview(client=acme)
    assert draft.lines[0].amount == Decimal("11.14") and draft.total == Decimal("11.14")


@pytest.mark.parametrize(
    ("grouping", "lines"),
    [("entry", 4), ("task", 3), ("project", 2), ("user", 2)],
)
def test_each_grouping_makes_its_lines_and_they_add_up(acme, grouping, lines):
    alice_, bob_ = UserFactory(role="Staff"), UserFactory(role="Staff")
    project = ProjectFactory(client=acme, name="Rebrand")
    design = TaskFactory(client=acme, project=project, title="Design")
    build = TaskFactory(client=acme, project=project, title="Build")
    care = TaskFactory(client=acme, title="Care")
    entry(acme, minutes=50, task=design, user=alice_, rate="120.00")
    entry(acme, minutes=35, task=design, user=bob_, rate="120.00")
    entry(acme, minutes=20, task=build, user=bob_, rate="120.00")
    entry(acme, minutes=10, task=care, user=alice_, rate="120.00")
    draft = drafts.preview(client=acme, grouping=grouping)
    assert len(draft.lines) == lines
    assert sum(line.amount for line in draft.lines) == draft.subtotal == draft.total
    assert sorted(draft.entry_ids) == sorted(TimeEntry.objects.values_list("pk", flat=True))


def test_a_line_never_mixes_rates(acme):
    task = TaskFactory(client=acme)
    entry(acme, minutes=60, task=task, rate="100.00")
    entry(acme, minutes=60, task=task, rate="80.00")
    draft = drafts.preview(client=acme, grouping="task")
    assert sorted((line.unit_price, line.amount) for line in draft.lines) == [
        (Decimal("80.00"), Decimal("80.00")),
        (Decimal("100.00"), Decimal("100.00")),
    ]
    assert sorted(line.description for line in draft.lines) == [
        f"{task.title} at $100.00/h",
        f"{task.title} at $80.00/h",
    ]


def test_tax_is_added_and_rounded_once(acme, settings_row):
    settings_row.tax_rate = Decimal("21")
    settings_row.save()
    entry(acme, minutes=60, rate="33.33")
    draft = drafts.preview(client=acme)
    assert (draft.subtotal, draft.tax_amount, draft.total) == (
        Decimal("33.33"),
        Decimal("7.00"),
        Decimal("40.33"),
    )


def test_only_billable_stopped_unbilled_time_in_the_period_is_taken(acme, bob):
    wanted = entry(acme, minutes=30, user=bob)
    entry(acme, minutes=30, billable=False)
    entry(acme, minutes=30, at=DAY - timedelta(days=40))
    entry(acme, minutes=30, billed_elsewhere="EXT-1")
    TimeEntryFactory(task=TaskFactory(client=acme), ended_at=None)
    entry(ClientFactory(), minutes=30)
    draft = drafts.preview(client=acme, start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert draft.entry_ids == [wanted.pk]


def test_create_numbers_the_invoice_attaches_entries_and_tasks_follow(acme, bob):
    first = entry(acme, minutes=60, user=bob)
    second = entry(acme, minutes=30, user=bob, task=first.task)
    invoice = invoicing.create_invoice(client=acme, by=bob, issue_date=date(2026, 11, 1))
    assert invoice.number == "2026-0001" and invoice.status == "draft"
    assert invoice.due_date == date(2026, 12, 1)
    line = invoice.lines.get()
    assert set(line.entries.all()) == {first, second}
    assert Task.objects.get(pk=first.task_id).payment_status == "draft"
    assert not drafts.billable_entries(client=acme).exists()
    # The entries' history records that they were invoiced.
    assert first.history.latest().invoice_line_id == line.pk


def test_a_stale_preview_writes_nothing(acme, bob):
    seen = entry(acme, minutes=60)
    entry(acme, minutes=30)  # arrived after the preview
    with pytest.raises(InvoicingError, match="changed since the preview"):
        invoicing.create_invoice(client=acme, by=bob, expected_entry_ids=[seen.pk])
    assert not Invoice.objects.exists() and InvoiceSequence.objects.filter(last_value__gt=0).count() == 0


def test_nothing_to_bill_is_explained(acme, bob):
    with pytest.raises(InvoicingError, match="no unbilled billable time"):
        invoicing.create_invoice(client=acme, by=bob)


def test_numbering_restarts_each_year_and_never_repeats(acme, bob):
    numbers = []
    for issue in [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1)]:
        entry(acme, minutes=60, at=datetime.combine(issue, datetime.min.time(), tzinfo=UTC))
        numbers.append(invoicing.create_invoice(client=acme, by=bob, issue_date=issue).number)
    assert numbers == ["2026-0001", "2026-0002", "2027-0001"]


def test_a_format_without_a_year_keeps_counting_across_years(acme, bob, settings_row):
    settings_row.invoice_number_format = "INV-{seq:5}"
    settings_row.save()
    numbers = []
    for issue in [date(2026, 12, 31), date(2027, 1, 1)]:
        entry(acme, minutes=60)
        numbers.append(invoicing.create_invoice(client=acme, by=bob, issue_date=issue).number)
    assert numbers == ["INV-00001", "INV-00002"]


def make_sent(client, by, *, minutes=60, rate="100.00", issue=None):
    entry(client, minutes=minutes, rate=rate)
    invoice = invoicing.create_invoice(client=client, by=by, issue_date=issue or timezone.localdate())
    return invoicing.send(invoice, by=by)


def test_status_follows_payments_and_the_due_date(acme, bob):
    invoice = make_sent(acme, bob)
    assert invoice.total == Decimal("100.00")
    assert invoice.derived_status(today=invoice.due_date) == "sent"
    assert invoice.derived_status(today=invoice.due_date + timedelta(days=1)) == "overdue"
    invoicing.record_payment(invoice, amount="40.00", by=bob)
    invoice.refresh_from_db()
    assert invoice.status == "partially_paid" and invoice.outstanding() == Decimal("60.00")
    task = Task.objects.get(entries__invoice_line__invoice=invoice)
    assert task.payment_status == "partially_paid"
    invoicing.record_payment(invoice, amount="60.00", by=bob)
    invoice.refresh_from_db()
    assert invoice.status == "paid" and task.__class__.objects.get(pk=task.pk).payment_status == "paid"


def test_overpaying_and_paying_drafts_are_refused(acme, bob):
    entry(acme, minutes=60, rate="100.00")
    draft = invoicing.create_invoice(client=acme, by=bob)
    with pytest.raises(InvoicingError, match="takes no payments"):
        invoicing.record_payment(draft, amount="10", by=bob)
    invoicing.send(draft, by=bob)
    with pytest.raises(InvoicingError, match=r"\$100\.01 is more than the \$100\.00 still open"):
        invoicing.record_payment(draft, amount="100.01", by=bob)
    with pytest.raises(InvoicingError, match="more than zero"):
        invoicing.record_payment(draft, amount="0", by=bob)


def test_refresh_all_marks_overdue_invoices_and_their_tasks(acme, bob):
    invoice = make_sent(acme, bob, issue=timezone.localdate())
    later = invoice.due_date + timedelta(days=1)
    assert invoice.status == "sent"
    assert invoicing.refresh_all(today=later) == 1
    invoice.refresh_from_db()
    assert invoice.status == "overdue"
    assert Task.objects.get(entries__invoice_line__invoice=invoice).payment_status == "overdue"
    assert invoicing.refresh_all(today=later) == 0


def test_explicit_statuses(acme, bob):
    invoice = make_sent(acme, bob)
    invoicing.set_status(invoice, "disputed", by=bob)
    assert Invoice.objects.get(pk=invoice.pk).status == "disputed"
    with pytest.raises(InvoicingError, match="nothing to refund"):
        invoicing.set_status(invoice, "refunded", by=bob)
    with pytest.raises(InvoicingError, match="cannot be set by hand"):
        invoicing.set_status(invoice, "paid", by=bob)
    invoicing.set_status(invoice, "write_off", by=bob)
    assert [h.status for h in invoice.history.order_by("history_date")][-2:] == ["disputed", "write_off"]


def test_cancel_keeps_the_number_and_frees_the_time(acme, bob):
    invoice = make_sent(acme, bob)
    invoicing.cancel(invoice, by=bob)
    invoice.refresh_from_db()
    assert invoice.status == "canceled" and Invoice.objects.filter(number=invoice.number).exists()
    assert drafts.billable_entries(client=acme).count() == 1
    assert Task.objects.get().payment_status == "unbilled"
    again = invoicing.create_invoice(client=acme, by=bob, issue_date=invoice.issue_date)
    assert again.number.endswith("-0002")


def test_voiding_a_draft_line_releases_its_entries_and_fixes_totals(acme, bob):
    one = entry(acme, minutes=60, rate="100.00")
    entry(acme, minutes=30, rate="100.00")
    invoice = invoicing.create_invoice(client=acme, by=bob, grouping="entry")
    line = one.__class__.objects.get(pk=one.pk).invoice_line
    invoicing.void_line(line, by=bob)
    invoice.refresh_from_db()
    assert invoice.total == Decimal("50.00") and invoice.lines.count() == 1
    assert TimeEntry.objects.get(pk=one.pk).invoice_line is None
    invoicing.send(invoice, by=bob)
    with pytest.raises(InvoicingError, match="cancel it instead"):
        invoicing.void_line(invoice.lines.get(), by=bob)


def test_mark_invoiced_locks_time_billed_elsewhere(acme, bob):
    free = entry(acme, minutes=60)
    invoicing.mark_invoiced([free], reference="Exact 2026-118", by=bob)
    free.refresh_from_db()
    assert free.is_invoiced and free.billed_elsewhere == "Exact 2026-118"
    with pytest.raises(InvoicingError, match="already invoiced"):
        invoicing.mark_invoiced([free], reference="again", by=bob)
    with pytest.raises(InvoicingError, match="reference"):
        invoicing.mark_invoiced([entry(acme, minutes=5)], reference="  ", by=bob)


def test_invoiced_entries_refuse_edits_and_deletes(acme, bob):
    billed = entry(acme, minutes=60, user=bob)
    invoicing.create_invoice(client=acme, by=bob)
    task = Task.objects.get(pk=billed.task_id)
    with pytest.raises(entries.Locked, match="invoiced time"):
        entries.remove_task(task, by=bob)
    assert "payment_status" in task.locked_fields(bob)[0]


def test_a_preview_is_grouped_in_the_database_not_in_memory(acme, bob, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(30):
        entry(acme, minutes=20, user=bob)
    with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(6):
        draft = drafts.preview(client=acme, grouping="task")
    rounded = sum(TimeEntry.objects.values_list("rounded_seconds", flat=True))
    assert draft.entry_count == 30 and draft.seconds == rounded > 0
    entry_reads = [q["sql"] for q in captured.captured_queries if 'FROM "tasks_timeentry"' in q["sql"]]
    # Every read of the entries adds up (GROUP BY or an aggregate); none fetches the rows themselves.
    assert entry_reads and all("GROUP BY" in sql or "COUNT(" in sql for sql in entry_reads)


def test_a_confirmation_whose_selection_changed_at_the_same_count_is_refused(acme, bob):
    first = entry(acme, minutes=60, user=bob)
    seen = drafts.preview(client=acme).fingerprint
    invoicing.mark_invoiced([first], reference="EXT", by=bob)
    entry(acme, minutes=60, user=bob)  # one entry again, but another one
    with pytest.raises(InvoicingError, match="changed since the preview"):
        invoicing.create_invoice(client=acme, by=bob, expected_fingerprint=seen)
    assert not Invoice.objects.exists()


def test_a_re_rate_between_preview_and_confirmation_is_noticed(acme, bob):
    entry(acme, minutes=60, user=bob)
    seen = drafts.preview(client=acme).fingerprint
    acme.hourly_rate = Decimal("150.00")
    acme.save()
    mine = TimeEntry.objects.all()
    rerating.apply(entries=mine, expected_count=rerating.preview(entries=mine).entries_changed)
    with pytest.raises(InvoicingError, match="changed since the preview"):
        invoicing.create_invoice(client=acme, by=bob, expected_fingerprint=seen)
    assert invoicing.create_invoice(
        client=acme, by=bob, expected_fingerprint=drafts.preview(client=acme).fingerprint
    )
