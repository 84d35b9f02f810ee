"""The events of each process, called from where the process writes (one line there), inside its transaction.

Each function knows what its event is about, what makes it the same event when its cause is retried (the key)
and what a webhook receiver needs to know of it (the payload). Amounts are strings: JSON has no decimals.
"""

from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import Sum

from timetracker.automation.events import EventType, record


def _money(value):
    return None if value is None else str(value)


def _invoice_payload(invoice):
    return {
        "number": invoice.number,
        "status": invoice.status,
        "client": str(invoice.client),
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "currency": invoice.currency_code,
        "total": _money(invoice.total),
    }


# --- buckets and project budgets (the write path) ----------------------------------------------------------


def bucket_usage(bucket, current, new_alerts):
    """After a write changed a bucket's use: an event per threshold newly reached this period (the same
    BucketAlert rows that e-mail the managers), and "used up" once a period when nothing remains."""
    figures = {
        "bucket": bucket.title,
        "period": current.period.label,
        "period_start": current.period.start.isoformat(),
        "used_seconds": current.used_seconds,
        "available_seconds": current.available_seconds,
        "percent_used": current.percent_used,
    }
    for alert in new_alerts:
        record(
            EventType.BUCKET_THRESHOLD,
            key=f"{bucket.pk}:{alert.period_start}:{alert.threshold}",
            payload={**figures, "threshold": alert.threshold},
            bucket=bucket,
        )
    if current.available_seconds and current.remaining_seconds <= 0:
        key = f"{bucket.pk}:{current.period.start}"
        from timetracker.automation.models import Event

        # Every write to a used-up bucket comes here: look before inserting, so only the first one writes.
        if not Event.objects.filter(dedupe_key=f"{EventType.BUCKET_USED_UP}:{key}").exists():
            record(EventType.BUCKET_USED_UP, key=key, payload=figures, bucket=bucket)


def bucket_created(bucket):
    record(
        EventType.BUCKET_CREATED,
        key=str(bucket.pk),
        payload={"bucket": bucket.title, "hours": str(bucket.hours), "recurrence": bucket.recurrence},
        bucket=bucket,
    )


def bucket_renewed(bucket, period):
    record(
        EventType.BUCKET_RENEWED,
        key=f"{bucket.pk}:{period.start}",
        payload={"bucket": bucket.title, "period": period.label, "period_start": period.start.isoformat()},
        bucket=bucket,
    )


def project_budget(project):
    """After a write changed a project's time: an event per budget threshold its kept totals have reached.

    Budgets count all the project's time (rounded hours, and the amount for a money budget), read from the kept
    per-task totals in the same transaction as the write. The key holds the budget, so raising the budget
    arms its thresholds again; lowering the time below a threshold and crossing it again does not.

    Two writes on different tasks of the project hold no common lock: each transaction sees only its own time,
    and together they may cross a threshold neither sees. So the project is looked at again once the write
    commits, in a transaction of its own (the last write to commit sees all the time; the key keeps one event)."""
    if project is None or (project.budget_hours is None and project.budget_amount is None):
        return []
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(partial(_recheck_project_budget, project.pk), robust=True)
    return _budget_thresholds_reached(project)


def _recheck_project_budget(project_id):
    from timetracker.clients.models import Project

    with transaction.atomic():
        project = Project.objects.select_related("client").filter(pk=project_id).first()
        if project is not None:
            _budget_thresholds_reached(project)


def _budget_thresholds_reached(project):
    from timetracker.tasks.kept import TaskTotal

    thresholds = sorted({t for t in project.budget_thresholds or [] if isinstance(t, int) and t > 0})
    if not thresholds:
        return []
    kept = TaskTotal.objects.filter(task__project=project).aggregate(
        seconds=Sum("rounded_seconds", default=0), amount=Sum("amount", default=0)
    )
    budgets = []
    if project.budget_hours is not None:
        budgets.append(
            ("hours", int(project.budget_hours * 3600), kept["seconds"], str(project.budget_hours))
        )
    if project.budget_amount is not None:
        # SQLite sums decimals without their places: quantize, so the payload reads the same everywhere.
        used = Decimal(kept["amount"]).quantize(Decimal("0.01"))
        budgets.append(("amount", project.budget_amount, used, str(project.budget_amount)))
    recorded = []
    for kind, budget, used, shown in budgets:
        for threshold in thresholds:
            # Exact comparison, as for buckets: 79.99 % is not 80 %. A zero budget is reached by any use.
            if (used * 100 >= threshold * budget) if budget else used > 0:
                event = record(
                    EventType.PROJECT_BUDGET,
                    key=f"{project.pk}:{kind}:{shown}:{threshold}",
                    payload={
                        "project": project.name,
                        "budget": kind,
                        "budget_value": shown,
                        "used": str(used) if kind == "amount" else used,
                        "threshold": threshold,
                    },
                    client=project.client,
                    project=project,
                )
                if event:
                    recorded.append(event)
    return recorded


def project_budgets(tasks):
    """After a bulk write (an import, a sync): each affected project with a budget once, not once per row, read
    in one query (not one per task)."""
    from timetracker.clients.models import Project

    budgeted = Project.objects.filter(pk__in={task.project_id for task in tasks if task.project_id})
    return [
        event
        for project in budgeted.exclude(budget_hours=None, budget_amount=None)
        for event in project_budget(project)
    ]


# --- invoices and payments (billing/invoicing.py) ---------------------------------------------------------


def invoice_created(invoice, *, by=None):
    record(
        EventType.INVOICE_CREATED,
        key=str(invoice.pk),
        payload=_invoice_payload(invoice),
        client=invoice.client,
        invoice=invoice,
        actor=by,
    )


def invoice_sent(invoice, *, by=None):
    record(
        EventType.INVOICE_SENT,
        key=str(invoice.pk),
        payload=_invoice_payload(invoice),
        client=invoice.client,
        invoice=invoice,
        actor=by,
    )


def invoice_status(invoice):
    """A derived status change: Paid and Overdue are events (each once per invoice)."""
    kinds = {"paid": EventType.INVOICE_PAID, "overdue": EventType.INVOICE_OVERDUE}
    if invoice.status in kinds:
        record(
            kinds[invoice.status],
            key=str(invoice.pk),
            payload=_invoice_payload(invoice),
            client=invoice.client,
            invoice=invoice,
        )


def payment_recorded(payment, *, by=None):
    invoice = payment.invoice
    record(
        EventType.PAYMENT_RECORDED,
        key=str(payment.pk),
        payload={
            **_invoice_payload(invoice),
            "amount": _money(payment.amount),
            "paid_on": payment.paid_on.isoformat(),
            "method": payment.method,
            "reference": payment.reference,
        },
        client=invoice.client,
        invoice=invoice,
        actor=by,
    )


# --- syncs and imports --------------------------------------------------------------------------------------


def sync_ended(sync_run):
    """A sync run that finished or failed (a deferred one is neither yet)."""
    kinds = {"done": EventType.SYNC_FINISHED, "failed": EventType.SYNC_FAILED}
    if sync_run.status not in kinds:
        return
    record(
        kinds[sync_run.status],
        key=str(sync_run.pk),
        payload={
            "connection": sync_run.connection.name,
            "provider": sync_run.connection.provider,
            "status": sync_run.status,
            "message": sync_run.message,
            "window_start": sync_run.window_start.isoformat() if sync_run.window_start else None,
            "window_end": sync_run.window_end.isoformat() if sync_run.window_end else None,
            "counts": sync_run.counts,
        },
        actor=sync_run.requested_by,
    )


def import_finished(run):
    """An import (imports.ImportRun) written: call it in the commit's transaction, once the run is DONE.
    A sync commits through the same pipeline; its run records sync.finished instead."""
    from timetracker.imports.models import SYNC_SUFFIX

    if run.source.endswith(SYNC_SUFFIX):
        return
    record(
        EventType.IMPORT_FINISHED,
        key=str(run.pk),
        payload={
            "import": run.pk,
            "source": run.source,
            "file_name": run.file_name,
            "rows": run.rows_done,
            "counts": run.counts,
        },
        actor=run.created_by,
    )
