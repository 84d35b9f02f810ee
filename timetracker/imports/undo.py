"""Taking back a whole import: the entries it created are deleted, the ones it changed restored."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from timetracker.imports.models import ImportedEntry, ImportRun
from timetracker.imports.pipeline import ImportRefused, imported
from timetracker.tasks import entries
from timetracker.tasks.locks import lock_entries


def undo(run, *, by):
    """Take back a whole import: delete the entries it created and restore the ones it changed. Refused while
    any of them is invoiced, or a later import changed them again (undo that one first).

    Everything is checked under the locks: the run's row first (a second undo of the same run, a double click
    or another worker, waits here and then finds it undone), then its entries with their people and tasks."""
    with transaction.atomic():
        status = (
            ImportRun.objects.select_for_update().filter(pk=run.pk).values_list("status", flat=True).first()
        )
        if status != ImportRun.Status.DONE:
            raise ImportRefused("Only a finished import can be undone.")
        idents = run.entries.values("external_id")
        touched = imported(idents)
        lock_entries(touched, by=by)
        # What the import itself marked billed elsewhere (the time the source said was invoiced there) may go
        # back with it: `before` of its links holds that reference.
        marked = {
            link.external_id: link.before["billed_elsewhere"]
            for link in run.entries.filter(before__has_key="billed_elsewhere")
        }
        for ident, line, reference in touched.invoiced().values_list(
            "external_id", "invoice_line", "billed_elsewhere"
        ):
            if line is not None or marked.get(ident) != reference:
                raise ImportRefused(
                    "Some of this import's time is invoiced, so the import can no longer be undone."
                )
        later = (
            ImportedEntry.objects.filter(
                external_id__in=idents, run__pk__gt=run.pk, run__status=ImportRun.Status.DONE
            )
            .values_list("run_id", flat=True)
            .first()
        )
        if later:
            raise ImportRefused(f"Import #{later} changed this import's entries since; undo it first.")
        if marked:
            unmark = list(touched.filter(external_id__in=list(marked)).exclude(billed_elsewhere=""))
            entries.set_billing(unmark, billed_elsewhere="", by=by)
        reason = f"Undo of import #{run.pk}"
        # What it created goes in one bulk removal through the write path (kept totals moved once); what it
        # changed (few) is restored entry by entry.
        created = run.entries.filter(action=ImportedEntry.Action.CREATED).values("external_id")
        entries.remove_many(imported(created), by=by, reason=reason)
        changed = {link.external_id: link for link in run.entries.filter(action=ImportedEntry.Action.CHANGED)}
        for entry in imported(list(changed)).select_related("task"):
            restored = _restore(changed[entry.external_id].before)
            if restored:
                entries.change(entry, by=by, reason=reason, **restored)
        run.status, run.undone_at, run.undone_by = ImportRun.Status.UNDONE, timezone.now(), by
        run.save(update_fields=["status", "undone_at", "undone_by"])
        transaction.on_commit(run.discard_file)  # nothing needs the upload any more
    return run


def _restore(before):
    """The fields a change replaced, as change() takes them (the billing mark is taken back separately)."""
    restored = {name: value for name, value in before.items() if name != "billed_elsewhere"}
    for name in ("started_at", "ended_at"):
        if name in restored:
            restored[name] = datetime.fromisoformat(restored[name])
    if restored.get("hourly_rate") is not None:
        restored["hourly_rate"] = Decimal(restored["hourly_rate"])
    return restored
