import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from timetracker.accounts.decorators import require_manager
from timetracker.imports import pipeline, tasks, undo, uploads
from timetracker.imports.forms import ConfirmForm, MappingForm, UploadForm
from timetracker.imports.models import ImportRun
from timetracker.imports.parsers import FileError, generic

RUNS_PER_PAGE = 25
MANAGERS_ONLY = "Imports write everyone's time: only Managers and Admins may import."


def _run(request, pk):
    return get_object_or_404(ImportRun.objects.for_user(request.user).select_related("created_by"), pk=pk)


@csrf_exempt  # checked below, once the size is known to be fine: the CSRF check reads the whole body
def import_list(request):
    """The upload form and the history of imports."""
    require_manager(request.user, MANAGERS_ONLY)
    if request.method == "POST":
        if uploads.declared_too_big(request):
            return _history(request, UploadForm(user=request.user), error=uploads.too_big_message())
        uploads.limit(request)
    return _upload(request)


@csrf_protect
def _upload(request):
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if getattr(request, "upload_too_big", False):
        return _history(request, UploadForm(user=request.user), error=uploads.too_big_message())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = pipeline.receive(
            request.user,
            data["file"],
            source=data["source"],
            time_zone=data["time_zone"],
            date_order=data["date_order"],
        )
        return redirect("imports:detail", run.pk)
    return _history(request, form)


def _history(request, form, error=""):
    ImportRun.objects.fail_stale()
    runs = ImportRun.objects.for_user(request.user).of_files().select_related("created_by", "undone_by")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    ctx = {"form": form, "page": page, "runs": page.object_list, "upload_error": error}
    if request.htmx and request.method == "GET":
        return render(request, "imports/import_list.html#import-history", ctx)
    return render(request, "imports/import_list.html", ctx, status=413 if error else 200)


def import_detail(request, pk):
    """The preview (with the choices to make before confirming), the progress, or the outcome of a run."""
    require_manager(request.user, MANAGERS_ONLY)
    ImportRun.objects.fail_stale()
    run = _run(request, pk)
    ctx = _ctx(run)
    if run.status == ImportRun.Status.PREVIEW:
        if run.source == "generic" and not run.options.get("mapping"):
            ctx["mapping_form"] = _mapping_form(request, run)
        else:
            ctx["form"] = ConfirmForm(run=run)
            ctx["refusal"] = pipeline.refusal(run)
    if request.htmx and run.in_progress:
        return render(request, "imports/import_detail.html#import-progress", ctx)
    if request.htmx and request.htmx.target == "import-progress":
        # Finished while the page was polling: load the whole page with the outcome.
        return HttpResponseClientRefresh()
    return render(request, "imports/import_detail.html", ctx)


def _ctx(run, **extra):
    # The name split after _ - . so the page can let a long file name wrap.
    parts = re.split(r"(?<=[_.-])", run.file_name)
    return {"run": run, "same_file": _same_file(run), "name_parts": parts, **extra}


def _mapping_form(request, run):
    try:
        header = generic.header(run.open_file)
    except FileError as error:
        return {"error": str(error)}
    return MappingForm(header=header)


def _same_file(run):
    """An earlier import of exactly this file: worth a warning (it will only find unchanged rows)."""
    return (
        ImportRun.objects.filter(file_hash=run.file_hash, status=ImportRun.Status.DONE, pk__lt=run.pk)
        .order_by("-pk")
        .first()
    )


@require_POST
def import_mapping(request, pk):
    require_manager(request.user, MANAGERS_ONLY)
    run = _run(request, pk)
    if run.status != ImportRun.Status.PREVIEW:
        return redirect("imports:detail", run.pk)
    form = MappingForm(request.POST, header=generic.header(run.open_file))
    if not form.is_valid():
        return render(request, "imports/import_detail.html", _ctx(run, mapping_form=form))
    run.options = {**run.options, "mapping": form.mapping()}
    pipeline.preview(run)
    return redirect("imports:detail", run.pk)


@require_POST
def import_confirm(request, pk):
    """Apply the preview's choices; "Update preview" checks the file again with them, "Import" commits."""
    require_manager(request.user, MANAGERS_ONLY)
    run = _run(request, pk)
    if run.status != ImportRun.Status.PREVIEW:
        messages.error(request, f"Import #{run.pk} is already {run.get_status_display().lower()}.")
        return redirect("imports:detail", run.pk)
    form = ConfirmForm(request.POST, run=run)
    if not form.is_valid():
        return render(request, "imports/import_detail.html", _ctx(run, form=form))
    run.options = {**run.options, **form.options()}
    if request.POST.get("action") == "preview":
        pipeline.preview(run)
        return redirect("imports:detail", run.pk)
    run.save(update_fields=["options"])
    refusal = pipeline.refusal(run)
    if refusal:
        messages.error(request, refusal)
        return redirect("imports:detail", run.pk)
    try:
        tasks.run_import(run)
    except pipeline.ImportRefused as refused:
        # Confirmed twice (a double click, another tab): the other confirmation's outcome is on the page.
        messages.error(request, f"Import #{run.pk} was not started again: {refused}")
        return redirect("imports:detail", run.pk)
    run.refresh_from_db()
    if run.status == ImportRun.Status.DONE:
        messages.success(request, _done_message(run))
    elif run.status == ImportRun.Status.FAILED:
        messages.error(request, f"Nothing was imported: {run.message}")
    return redirect("imports:detail", run.pk)


def _done_message(run):
    new, changed = run.count("new"), run.count("changed")
    return f"Imported {new} new entr{'y' if new == 1 else 'ies'} and updated {changed} from {run.file_name}."


@require_POST
def import_undo(request, pk):
    require_manager(request.user, MANAGERS_ONLY)
    run = _run(request, pk)
    try:
        undo.undo(run, by=request.user)
    except pipeline.ImportRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Import #{run.pk} is undone: its entries are deleted or restored.")
    return redirect("imports:detail", run.pk)


@require_POST
def import_retry(request, pk):
    """A failed run (its worker stopped, or the file or the data changed) checked again, to be confirmed anew.
    Whatever it had begun was rolled back with its transaction."""
    require_manager(request.user, MANAGERS_ONLY)
    run = _run(request, pk)
    again = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.FAILED).exclude(file="")
    if not again.update(status=ImportRun.Status.PREVIEW, message="", rows_done=0, heartbeat_at=None):
        messages.error(
            request, f"Import #{run.pk} is {run.get_status_display().lower()}; there is nothing to retry."
        )
        return redirect("imports:detail", run.pk)
    run.refresh_from_db()
    pipeline.preview(run)
    return redirect("imports:detail", run.pk)


@require_POST
def import_discard(request, pk):
    """Drop a run that wrote nothing (a preview not wanted, a failed run): its record and its stored file."""
    require_manager(request.user, MANAGERS_ONLY)
    run = _run(request, pk)
    unwritten = ImportRun.objects.filter(
        pk=run.pk, status__in=[ImportRun.Status.PREVIEW, ImportRun.Status.FAILED]
    )
    if not unwritten.delete()[0]:
        messages.error(
            request, f"Import #{run.pk} is {run.get_status_display().lower()}; it cannot be discarded."
        )
        return redirect("imports:detail", run.pk)
    if run.file:
        run.file.delete(save=False)
    messages.success(request, f"Import #{run.pk} ({run.file_name}) is discarded.")
    return redirect("imports:list")
