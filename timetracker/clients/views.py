from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from timetracker.accounts import once
from timetracker.accounts.decorators import require_manager
from timetracker.billing.models import Settings
from timetracker.clients import overview
from timetracker.clients.forms import ClientForm, ProjectForm, SiteForm
from timetracker.clients.models import Client, Project, Site
from timetracker.tasks.models import Task

PER_PAGE = 50


MANAGERS_ONLY = "Only Managers and Admins can change clients, sites and projects."


def client_list(request):
    clients = Client.objects.for_user(request.user)
    return _table(request, clients, link="client", template="clients/client_list.html")


def site_list(request):
    sites = Site.objects.for_user(request.user).select_related("client")
    return _table(request, sites, link="sites", template="clients/site_list.html")


def _table(request, queryset, *, link, template):
    show_archived = request.GET.get("archived") == "1"
    if not show_archived:
        queryset = queryset.active()
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(name__icontains=query)
    rows = overview.with_figures(queryset.order_by("name"), user=request.user, link=link)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    settings = Settings.load()
    client_ids = {getattr(row, "client_id", row.pk) for row in page}
    formats = {pk: merged.money_format() for pk, merged in settings.for_clients(client_ids).items()}
    for row in page:
        row.money_format = formats[getattr(row, "client_id", row.pk)]
    ctx = {
        "page": page,
        "query": query,
        "show_archived": show_archived,
        "show_amounts": settings.can_see_rates(request.user),
    }
    return render(request, f"{template}#table" if request.htmx else template, ctx)


def client_detail(request, pk):
    client = get_object_or_404(Client.objects.for_user(request.user), pk=pk)
    tasks = Task.objects.for_user(request.user).filter(client=client)
    ctx = {
        "client": client,
        "sites": client.sites.active(),
        "projects": client.projects.active(),
        "money_format": Settings.load().for_client(client).money_format(),
        "logs_query": f"client={client.pk}",
        # The "E-mail usage report" form's one-time token: a double click sends one e-mail.
        "once_token": once.token_for(request),
        **overview.widget(user=request.user, tasks=tasks, buckets=overview.client_buckets(client)),
    }
    return render(request, "clients/client_detail.html", ctx)


def site_detail(request, pk):
    site = get_object_or_404(Site.objects.for_user(request.user).select_related("client"), pk=pk)
    tasks = Task.objects.for_user(request.user).filter(sites=site)
    ctx = {
        "site": site,
        "client": site.client,
        "money_format": Settings.load().for_client(site.client).money_format(),
        "logs_query": f"site={site.pk}",
        **overview.widget(user=request.user, tasks=tasks, buckets=overview.client_buckets(site.client)),
    }
    return render(request, "clients/site_detail.html", ctx)


def client_form(request, pk=None):
    require_manager(request.user, MANAGERS_ONLY)
    client = get_object_or_404(Client, pk=pk) if pk else None
    return _edit(request, ClientForm, client, noun="client", back="clients:detail")


def site_form(request, pk=None):
    require_manager(request.user, MANAGERS_ONLY)
    site = get_object_or_404(Site, pk=pk) if pk else None
    initial = {"client": request.GET.get("client")}
    return _edit(request, SiteForm, site, noun="site", back="clients:site_detail", initial=initial)


def project_form(request, pk=None):
    require_manager(request.user, MANAGERS_ONLY)
    project = get_object_or_404(Project, pk=pk) if pk else None
    initial = {"client": request.GET.get("client")}
    return _edit(request, ProjectForm, project, noun="project", back=None, initial=initial)


def _edit(request, form_class, instance, *, noun, back, initial=None):
    form = form_class(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Saved {noun} {saved}.")
        if back:
            return redirect(back, saved.pk)
        return redirect("clients:detail", saved.client_id)
    ctx = {"form": form, "noun": noun, "instance": instance}
    return render(request, "clients/form.html", ctx)


@require_POST
def archive(request, kind, pk):
    """Delete what nothing depends on; archive what has tasks or time so its history stays whole."""
    require_manager(request.user, MANAGERS_ONLY)
    model = {"client": Client, "site": Site, "project": Project}[kind]
    obj = get_object_or_404(model, pk=pk)
    if request.POST.get("restore"):
        model.objects.filter(pk=pk).update(archived_at=None)
        messages.success(request, f"Restored {obj}.")
        return redirect(*_page_of(obj, kind))
    try:
        with transaction.atomic():
            obj.delete()
        messages.success(request, f"Deleted {kind} {obj}.")
    except ProtectedError:
        obj.archive()
        messages.info(request, f"{obj} has tasks or sites attached, so it was archived instead of deleted.")
    return redirect("clients:site_list" if kind == "site" else "clients:list")


def _page_of(obj, kind):
    if kind == "site":
        return "clients:site_detail", obj.pk
    return "clients:detail", obj.client_id if kind == "project" else obj.pk
