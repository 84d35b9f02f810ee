"""Turning unbilled time into invoices, numbering them, and following them to paid, canceled or written off.

The pages and the API call these functions; the rules live here once. Every change is one transaction, and
the entries and the year's number sequence are locked while an invoice is made, so an entry can never land
on two invoices and a number is never used twice or skipped. Entries are locked with their users and tasks
in the write path's one order (tasks/entries.py); an invoice's own row, where one is locked, comes after the
users and before the tasks.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from timetracker.billing.choices import Grouping, PaymentStatus, RoundingScope
from timetracker.billing.models import Invoice, InvoiceLine, InvoiceSequence, Payment, Settings
from timetracker.billing.numbering import format_invoice_number
from timetracker.lib import dates
from timetracker.lib.money import format_money
from timetracker.tasks import entries as write
from timetracker.tasks.models import Task, TimeEntry

CENT = Decimal("0.01")
# Statuses a person may set by hand on a sent invoice; Paid, Partially Paid and Overdue are derived.
MANUAL_STATUSES = (
    PaymentStatus.PENDING,
    PaymentStatus.DISPUTED,
    PaymentStatus.REFUNDED,
    PaymentStatus.WRITE_OFF,
)


class InvoicingError(Exception):
    """Something an invoice cannot do; the message says why in words a bookkeeper understands."""


@dataclass
class DraftLine:
    description: str
    seconds: int
    unit_price: Decimal
    amount: Decimal
    entry_ids: list = field(default_factory=list)
    task_id: int | None = None
    project_id: int | None = None
    user_id: int | None = None


@dataclass
class Draft:
    """What an invoice would say, before anything is written."""

    client: object
    grouping: str
    rounding_scope: str
    lines: list
    subtotal: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    total: Decimal
    unrated_entries: int

    @property
    def entry_ids(self):
        return sorted(pk for line in self.lines for pk in line.entry_ids)

    @property
    def seconds(self):
        return sum(line.seconds for line in self.lines)


def billable_entries(*, client, start=None, end=None, project=None):
    """The client's stopped, billable, not yet invoiced entries that started in [start, end] (local dates)."""
    entries = TimeEntry.objects.filter(task__client=client).unbilled_billable()
    if start:
        entries = entries.filter(started_at__gte=_midnight(start))
    if end:
        entries = entries.filter(started_at__lt=_midnight(end + timedelta(days=1)))
    if project:
        entries = entries.filter(task__project=project)
    return entries.order_by("started_at", "pk")


def preview(
    *, client, start=None, end=None, project=None, grouping=Grouping.TASK, rounding_scope=RoundingScope.ENTRY
):
    entries = billable_entries(client=client, start=start, end=end, project=project)
    entries = entries.select_related("task__project", "user")
    return build_draft(list(entries), client=client, grouping=grouping, rounding_scope=rounding_scope)


def build_draft(entries, *, client, grouping, rounding_scope):
    """Group entries into lines. A line holds one rate only, so quantity x unit price is always its amount."""
    if grouping not in Grouping.values:
        raise InvoicingError(
            f'"{grouping}" is not a way to group lines; use one of {", ".join(Grouping.values)}.'
        )
    if rounding_scope not in RoundingScope.values:
        raise InvoicingError(f'"{rounding_scope}" is not a rounding choice; use "entry" or "line".')
    settings = Settings.load().for_client(client)
    policy = settings.rounding_policy()
    groups = {}
    for entry in entries:
        rate = entry.hourly_rate if entry.hourly_rate is not None else Decimal("0")
        groups.setdefault((_group_key(entry, grouping), rate), []).append(entry)
    rates_per_group = {}
    for key, rate in groups:
        rates_per_group.setdefault(key, set()).add(rate)
    money = settings.money_format()
    lines = []
    for (key, rate), members in groups.items():
        if rounding_scope == RoundingScope.LINE:
            seconds = policy.apply(sum(e.duration_seconds for e in members))
        else:
            seconds = sum(e.rounded_seconds for e in members)
        first = members[0]
        lines.append(
            DraftLine(
                # Two lines of one task at different rates must still be told apart.
                description=_describe(first, grouping)
                + (f" at {format_money(rate, money)}/h" if len(rates_per_group[key]) > 1 else ""),
                seconds=seconds,
                unit_price=rate,
                amount=(Decimal(seconds) * rate / 3600).quantize(CENT, rounding=ROUND_HALF_UP),
                entry_ids=[e.pk for e in members],
                task_id=first.task_id if grouping in (Grouping.ENTRY, Grouping.TASK) else None,
                project_id=first.task.project_id if grouping != Grouping.USER else None,
                user_id=first.user_id if grouping in (Grouping.ENTRY, Grouping.USER) else None,
            )
        )
    subtotal = sum((line.amount for line in lines), Decimal("0"))
    tax_amount = (subtotal * settings.tax_rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return Draft(
        client=client,
        grouping=grouping,
        rounding_scope=rounding_scope,
        lines=lines,
        subtotal=subtotal,
        tax_rate=settings.tax_rate,
        tax_amount=tax_amount,
        total=subtotal + tax_amount,
        unrated_entries=sum(1 for e in entries if e.hourly_rate is None),
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
    issue_date=None,
    notes="",
):
    """Confirm a preview: number the invoice, write its lines and attach every entry, all or nothing.

    `expected_entry_ids` are the entries the person saw in the preview; if the unbilled time changed since
    (someone else invoiced it, or new time arrived), nothing is written and they are asked to look again."""
    settings = Settings.load().for_client(client)
    issue_date = issue_date or timezone.localdate()
    with transaction.atomic():
        # Lock the entries (their users and tasks first): a second confirmation waits here, then no longer
        # finds them unbilled when it reads them again.
        write.lock_entries(billable_entries(client=client, start=start, end=end, project=project), by=by)
        ids = list(
            billable_entries(client=client, start=start, end=end, project=project).values_list(
                "pk", flat=True
            )
        )
        if not ids:
            raise InvoicingError(f"{client} has no unbilled billable time in that period.")
        if expected_entry_ids is not None and sorted(ids) != sorted(expected_entry_ids):
            raise InvoicingError(
                f"The unbilled time changed since the preview ({len(expected_entry_ids)} entries then, "
                f"{len(ids)} now). Look at the preview again before confirming."
            )
        entries = list(
            TimeEntry.objects.filter(pk__in=ids)
            .select_related("task__project", "user")
            .order_by("started_at", "pk")
        )
        draft = build_draft(entries, client=client, grouping=grouping, rounding_scope=rounding_scope)
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
        by_id = {entry.pk: entry for entry in entries}
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
            write.set_billing([by_id[pk] for pk in line.entry_ids], invoice_line=saved, by=by)
        _sync_tasks({entry.task_id for entry in entries})
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
        Payment.objects.create(
            invoice=invoice,
            amount=amount,
            paid_on=paid_on,
            method=method,
            reference=reference,
            notes=notes,
            recorded_by=by,
        )
        return refresh_status(invoice)


def refresh_status(invoice, *, today=None):
    """Store the derived status (Paid, Partially Paid, Overdue) and let the invoice's tasks follow it."""
    derived = invoice.derived_status(today=today)
    if derived != invoice.status:
        invoice.status = derived
        invoice.save(update_fields=["status"])
        _sync_tasks(_task_ids(invoice))
    return invoice


def refresh_all(*, today=None):
    """Daily: invoices past their due date become Overdue. Returns how many changed."""
    changed = 0
    for invoice in Invoice.objects.exclude(
        status__in=[PaymentStatus.DRAFT, PaymentStatus.CANCELED]
    ).with_paid():
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


def _group_key(entry, grouping):
    return {
        Grouping.ENTRY: entry.pk,
        Grouping.TASK: entry.task_id,
        Grouping.PROJECT: entry.task.project_id,
        Grouping.USER: entry.user_id,
    }[grouping]


def _describe(entry, grouping):
    task = entry.task
    if grouping == Grouping.ENTRY:
        day = timezone.localtime(entry.started_at).strftime("%d %b %Y")
        return f"{day} · {task.title}" + (f": {entry.description}" if entry.description else "")
    if grouping == Grouping.TASK:
        return f"{task.project.name}: {task.title}" if task.project_id else task.title
    if grouping == Grouping.PROJECT:
        return task.project.name if task.project_id else "Other work"
    return str(entry.user)


def _midnight(day):
    return dates.local_midnight(day)
