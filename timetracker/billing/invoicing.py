"""Turning unbilled time into invoices, numbering them, and following them to paid, canceled or written off.

The pages and the API call these functions; the rules live here once. Every change is one transaction, and
the entries and the year's number sequence are locked while an invoice is made, so an entry can never land
on two invoices and a number is never used twice or skipped. Entries are locked with their users and tasks
in the write path's one order (tasks/locks.py); an invoice's own row, where one is locked, comes after the
users and before the tasks.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from timetracker.automation import hooks as automation_hooks
from timetracker.billing.choices import Grouping, PaymentStatus, RoundingScope

# The invoice process builds on its drafts; callers that only preview use billing.drafts directly.
from timetracker.billing.drafts import CENT, InvoicingError, billable_entries, build_draft
from timetracker.billing.models import Invoice, InvoiceLine, InvoiceSequence, Payment, Settings
from timetracker.billing.numbering import format_invoice_number
from timetracker.lib.money import format_money
from timetracker.tasks import entries as write
from timetracker.tasks import locks
from timetracker.tasks.models import Task, TimeEntry

# Statuses a person may set by hand on a sent invoice; Paid, Partially Paid and Overdue are derived.
MANUAL_STATUSES = (
    PaymentStatus.PENDING,
    PaymentStatus.DISPUTED,
    PaymentStatus.REFUNDED,
    PaymentStatus.WRITE_OFF,
)


def create_invoice(
    *,
    client,
    by,
    start=None,
    end=None,
    project=None,
    grouping=Grouping.TASK,
    rounding_scope=RoundingScope.ENTRY,
    expected_entry_ids=None,
    expected_fingerprint=None,
    issue_date=None,
    notes="",
):
    """Confirm a preview: number the invoice, write its lines and attach every entry, all or nothing.

    `expected_fingerprint` (the page) or `expected_entry_ids` (the API) is what the person saw in the preview;
    if the unbilled time changed since (someone else invoiced it, or new time arrived), nothing is written and
    they are asked to look again."""
    settings = Settings.load().for_client(client)
    issue_date = issue_date or timezone.localdate()
    with transaction.atomic():
        # Lock the entries (their users and tasks first): a second confirmation waits here, then no longer
        # finds them unbilled when it reads them again.
        tasks = locks.lock_owners_and_tasks(
            billable_entries(client=client, start=start, end=end, project=project), by=by
        )
        # Read again after the locks, on the tasks held: what another confirmation took meanwhile is no longer
        # unbilled, and time recorded meanwhile on another task waits for the next invoice.
        selected = billable_entries(client=client, start=start, end=end, project=project).filter(
            task_id__in=tasks
        )
        locks.lock_rows(selected)
        draft = build_draft(selected, client=client, grouping=grouping, rounding_scope=rounding_scope)
        if not draft.lines:
            raise InvoicingError(f"{client} has no unbilled billable time in that period.")
        if expected_fingerprint is not None and expected_fingerprint != draft.fingerprint:
            then = expected_fingerprint.split("-")[0]
            raise InvoicingError(
                f"The unbilled time changed since the preview ({then} entries then, {draft.entry_count} now, "
                "or other entries or rates). Look at the preview again before confirming."
            )
        if expected_entry_ids is not None and sorted(expected_entry_ids) != draft.entry_ids:
            raise InvoicingError(
                f"The unbilled time changed since the preview ({len(expected_entry_ids)} entries then, "
                f"{draft.entry_count} now). Look at the preview again before confirming."
            )
        task_ids = set(selected.order_by().values_list("task_id", flat=True).distinct())
        invoice = Invoice.objects.create(
            client=client,
            number=take_number(settings.invoice_number_format, issue_date),
            status=PaymentStatus.DRAFT,
            grouping=grouping,
            rounding_scope=rounding_scope,
            issue_date=issue_date,
            due_date=issue_date + timedelta(days=settings.payment_terms_days),
            period_start=start,
            period_end=end,
            currency_code=settings.currency_code,
            tax_rate=draft.tax_rate,
            subtotal=draft.subtotal,
            tax_amount=draft.tax_amount,
            total=draft.total,
            notes=notes,
            created_by=by,
        )
        for position, line in enumerate(draft.lines):
            saved = InvoiceLine.objects.create(
                invoice=invoice,
                position=position,
                description=line.description[:500],
                quantity_seconds=line.seconds,
                unit_price=line.unit_price,
                amount=line.amount,
                task_id=line.task_id,
                project_id=line.project_id,
                user_id=line.user_id,
            )
            attached = write.attach(selected.filter(line.selection), invoice_line=saved, by=by)
            if attached != line.entry_count:
                # A line's quantity must be exactly its entries; anything else is a bug to stop on, not bill.
                raise InvoicingError(
                    f"Line {position + 1} would bill {attached} entries where it counts {line.entry_count}; "
                    "nothing was written."
                )
        _sync_tasks(task_ids)
        automation_hooks.invoice_created(invoice, by=by)
    return invoice


def take_number(number_format, issue_date):
    """The next number for the issue date's year, taken under a row lock (call inside a transaction).

    A format without a year would repeat numbers if the sequence restarted each year, so it counts on."""
    year = issue_date.year if any(token in number_format for token in ("{Y}", "{y}")) else 0
    InvoiceSequence.objects.bulk_create([InvoiceSequence(year=year)], ignore_conflicts=True)
    sequence = InvoiceSequence.objects.select_for_update().get(year=year)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return format_invoice_number(
        number_format, year=issue_date.year, month=issue_date.month, seq=sequence.last_value
    )


def send(invoice, *, by=None):
    with transaction.atomic():
        invoice = _locked(invoice)
        if invoice.status != PaymentStatus.DRAFT:
            raise InvoicingError(f"{invoice} was already sent.")
        invoice.status = PaymentStatus.SENT
        invoice.sent_at = timezone.now()
        invoice.save(update_fields=["status", "sent_at"])
        automation_hooks.invoice_sent(invoice, by=by)
        refresh_status(invoice)
        _sync_tasks(_task_ids(invoice))
    return invoice


def set_status(invoice, status, *, by=None):
    """Explicit statuses: Pending, Disputed, Refunded, Write-Off (Paid and Overdue follow from the facts)."""
    if status not in MANUAL_STATUSES:
        names = ", ".join(PaymentStatus(s).label for s in MANUAL_STATUSES)
        raise InvoicingError(f'"{status}" cannot be set by hand; choose {names}, or record a payment.')
    with transaction.atomic():
        invoice = _locked(invoice)
        if invoice.status in (PaymentStatus.DRAFT, PaymentStatus.CANCELED):
            raise InvoicingError(f"{invoice} is {invoice.get_status_display().lower()}; send it first.")
        if status == PaymentStatus.REFUNDED and not invoice.amount_paid():
            raise InvoicingError(f"Nothing was paid on {invoice}, so there is nothing to refund.")
        invoice.status = status
        invoice.save(update_fields=["status"])
        _sync_tasks(_task_ids(invoice))
    return invoice


def cancel(invoice, *, by=None):
    """Cancel instead of delete: the number stays used, the lines stay on record, the time is billable again."""
    with transaction.atomic():
        _lock_owners(TimeEntry.objects.filter(invoice_line__invoice=invoice), by)
        invoice = _locked(invoice)
        if invoice.status == PaymentStatus.CANCELED:
            return invoice
        if invoice.amount_paid():
            raise InvoicingError(f"{invoice} has payments; refund them before canceling.")
        task_ids = _task_ids(invoice)
        _release(TimeEntry.objects.filter(invoice_line__invoice=invoice), by=by)
        invoice.status = PaymentStatus.CANCELED
        invoice.canceled_at = timezone.now()
        invoice.save(update_fields=["status", "canceled_at"])
        _sync_tasks(task_ids)
    return invoice


def void_line(line, *, by=None):
    """Take a line off a draft: its entries become unbilled again and the totals are recomputed."""
    with transaction.atomic():
        _lock_owners(TimeEntry.objects.filter(invoice_line=line), by)
        invoice = _locked(line.invoice)
        if invoice.status != PaymentStatus.DRAFT:
            raise InvoicingError(f"{invoice} was sent; cancel it instead of changing its lines.")
        task_ids = set(line.entries.values_list("task", flat=True))
        write.delete_line(line, by=by)
        _recompute_totals(invoice)
        _sync_tasks(task_ids)
    return invoice


FUTURE_PAYMENT = "A payment cannot be received in the future."


def record_payment(invoice, *, amount, paid_on=None, method="", reference="", notes="", by=None):
    amount = Decimal(amount)
    if amount <= 0:
        raise InvoicingError("A payment must be more than zero.")
    paid_on = paid_on or timezone.localdate()
    if paid_on > timezone.localdate():
        raise InvoicingError(FUTURE_PAYMENT)
    with transaction.atomic():
        invoice = _locked(invoice)
        if invoice.status in (PaymentStatus.DRAFT, PaymentStatus.CANCELED):
            raise InvoicingError(
                f"{invoice} is {invoice.get_status_display().lower()} and takes no payments."
            )
        outstanding = invoice.outstanding()
        if amount > outstanding:
            money = Settings.load().for_client(invoice.client).money_format()
            raise InvoicingError(
                f"{format_money(amount, money)} is more than the {format_money(outstanding, money)} still open on {invoice}."
            )
        payment = Payment.objects.create(
            invoice=invoice,
            amount=amount,
            paid_on=paid_on,
            method=method,
            reference=reference,
            notes=notes,
            recorded_by=by,
        )
        automation_hooks.payment_recorded(payment, by=by)
        return refresh_status(invoice)


def refresh_status(invoice, *, today=None):
    """Store the derived status (Paid, Partially Paid, Overdue) and let the invoice's tasks follow it."""
    derived = invoice.derived_status(today=today)
    if derived != invoice.status:
        invoice.status = derived
        invoice.save(update_fields=["status"])
        automation_hooks.invoice_status(invoice)
        _sync_tasks(_task_ids(invoice))
    return invoice


def refresh_all(*, today=None):
    """Daily: invoices past their due date become Overdue. Returns how many changed."""
    return _refresh(Invoice.objects.exclude(status__in=[PaymentStatus.DRAFT, PaymentStatus.CANCELED]), today)


def refresh_overdue(*, today=None):
    """The sent and pending invoices that fell due become Overdue (derived_status's rule): the minute's tick
    asks, so the invoice.overdue event and its triggers come the day an invoice falls due. Bounded by those
    few invoices, not every invoice ever sent."""
    falling_due = Invoice.objects.filter(
        status__in=[PaymentStatus.SENT, PaymentStatus.PENDING], due_date__lt=today or timezone.localdate()
    )
    return _refresh(falling_due, today)


def _refresh(invoices, today):
    changed = 0
    for invoice in invoices.with_paid():
        before = invoice.status
        with transaction.atomic():
            refresh_status(invoice, today=today)
        changed += invoice.status != before
    return changed


def mark_invoiced(entries, *, reference, by=None):
    """Time billed outside the app: lock it as invoiced under the outside invoice's reference."""
    reference = reference.strip()
    if not reference:
        raise InvoicingError("Give the reference of the invoice this time was billed on.")
    with transaction.atomic():
        ids = write.lock_entries(TimeEntry.objects.filter(pk__in=[e.pk for e in entries]), by=by)
        entries = list(TimeEntry.objects.filter(pk__in=ids).order_by("pk"))
        taken = [e for e in entries if e.is_invoiced or e.is_running]
        if taken:
            raise InvoicingError(
                f"{len(taken)} of these entries are running or already invoiced; nothing was marked."
            )
        write.set_billing(entries, billed_elsewhere=reference[:100], by=by)
    return entries


def unmark_invoiced(entries, *, by=None):
    """Undo `mark_invoiced`: time marked as billed elsewhere is unbilled again. Time on one of our invoices
    is not: it comes off by voiding its line or canceling the invoice."""
    with transaction.atomic():
        ids = write.lock_entries(TimeEntry.objects.filter(pk__in=[e.pk for e in entries]), by=by)
        entries = list(TimeEntry.objects.filter(pk__in=ids).order_by("pk"))
        unmarked = [e for e in entries if not e.billed_elsewhere]
        if unmarked:
            raise InvoicingError(
                f"{len(unmarked)} of these entries are not marked as invoiced elsewhere; nothing was changed."
            )
        write.set_billing(entries, billed_elsewhere="", by=by)
    return entries


def _locked(invoice):
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def _lock_owners(entries, by):
    """Users come before an invoice in the one lock order: take the people whose time is released first."""
    write.lock(users={*entries.values_list("user_id", flat=True), by})


def _release(entries, *, by):
    ids = write.lock_entries(entries, by=by)
    write.set_billing(list(TimeEntry.objects.filter(pk__in=ids)), invoice_line=None, by=by)


def _recompute_totals(invoice):
    subtotal = sum((line.amount for line in invoice.lines.all()), Decimal("0"))
    invoice.subtotal = subtotal
    invoice.tax_amount = (subtotal * invoice.tax_rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    invoice.total = subtotal + invoice.tax_amount
    invoice.save(update_fields=["subtotal", "tax_amount", "total"])


def _task_ids(invoice):
    return set(TimeEntry.objects.filter(invoice_line__invoice=invoice).values_list("task", flat=True))


def _sync_tasks(task_ids):
    """Tasks whose time is invoiced follow the payment status of their latest live invoice."""
    write.lock(tasks=task_ids)  # by id, as every writer of tasks takes them
    for task in Task.objects.filter(pk__in=task_ids).order_by("pk"):
        latest = (
            Invoice.objects.filter(lines__entries__task=task)
            .exclude(status=PaymentStatus.CANCELED)
            .order_by("-issue_date", "-pk")
            .first()
        )
        status = latest.status if latest else PaymentStatus.UNBILLED
        if task.payment_status != status:
            task.payment_status = status
            task.save(update_fields=["payment_status", "updated_at"])
