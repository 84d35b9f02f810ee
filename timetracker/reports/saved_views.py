"""Saved reports (name, reopen, rename, delete), their share links, and the public page a link opens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from timetracker.billing.models import Settings
from timetracker.reports import engine
from timetracker.reports.display import chart_context, report_table
from timetracker.reports.forms import SaveForm, ShareForm
from timetracker.reports.models import SavedReport, ShareLink

DETAIL_ROWS = 500


def _saved(request, pk):
    return get_object_or_404(SavedReport.objects.for_user(request.user), pk=pk)


@require_GET
def saved_list(request):
    reports = SavedReport.objects.for_user(request.user)
    return render(request, "reports/saved_list.html", {"saved": reports})


@require_POST
def saved_create(request):
    """Save the spec of the report on screen (its query string) under a name."""
    form = SaveForm(request.POST)
    spec = engine.ReportSpec.from_query(QueryDict(request.POST.get("query", "")))
    try:
        spec.validate()
    except engine.InvalidSpec as error:
        messages.error(request, f"This report cannot be saved: {error}")
        return redirect("reports:index")
    if not form.is_valid():
        messages.error(request, "Give the report a name (at most 120 characters).")
        return redirect(f"{reverse('reports:index')}?{spec.to_query().urlencode()}")
    saved = SavedReport.objects.create(
        owner=request.user, name=form.cleaned_data["name"], spec=spec.to_json()
    )
    messages.success(request, f'Saved "{saved.name}".')
    return redirect("reports:saved_list")


@require_GET
def saved_open(request, pk):
    saved = _saved(request, pk)
    return redirect(f"{reverse('reports:index')}?{saved.report_spec.to_query().urlencode()}")


@require_POST
def saved_rename(request, pk):
    saved = _saved(request, pk)
    form = SaveForm(request.POST)
    if form.is_valid():
        saved.name = form.cleaned_data["name"]
        saved.save(update_fields=["name", "updated_at"])
        messages.success(request, f'Renamed to "{saved.name}".')
    else:
        messages.error(request, "A name is needed (at most 120 characters).")
    return redirect("reports:saved_list")


@require_POST
def saved_delete(request, pk):
    saved = _saved(request, pk)
    saved.delete()
    messages.success(request, f'Deleted "{saved.name}" and its share links.')
    return redirect("reports:saved_list")


@require_http_methods(["GET", "POST"])
def saved_share(request, pk):
    """The report's share links; a POST makes one and shows its URL this once."""
    saved = _saved(request, pk)
    form = ShareForm(request.POST or None, initial={"days": 30})
    new_url = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _, token = ShareLink.issue(
            report=saved,
            by=request.user,
            days=data["days"],
            show_amounts=data["show_amounts"],
            show_rates=data["show_rates"],
            show_users=data["show_users"],
            show_descriptions=data["show_descriptions"],
        )
        new_url = request.build_absolute_uri(reverse("reports:shared", args=[token]))
        form = ShareForm(initial={"days": 30})
    ctx = {"saved": saved, "links": saved.share_links.all(), "form": form, "new_url": new_url}
    return render(request, "reports/saved_share.html", ctx)


@require_POST
def share_revoke(request, pk):
    link = get_object_or_404(
        ShareLink.objects.filter(report__in=SavedReport.objects.for_user(request.user)), pk=pk
    )
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        messages.success(request, "The link no longer opens the report.")
    return redirect("reports:saved_share", link.report_id)


def _hide_people(report):
    """Replace people's names with "Person 1", "Person 2"… in the order they appear."""
    numbers = {}
    for row in report.rows:
        for item in [row, *row.children]:
            if item.dimension == "user":
                item.label = f"Person {numbers.setdefault(item.key, len(numbers) + 1)}"


@login_not_required
@never_cache
@require_GET
def shared_report(request, token):
    """The public page of a share link: no login, never indexed, no referrer; expired or revoked is a 404."""
    link = ShareLink.open(token)
    if link is None:
        raise Http404("No such report.")
    owner = link.report.owner
    agency = Settings.load()
    show_amounts = link.show_amounts and agency.can_see_rates(owner)
    try:
        report = engine.run(link.spec, owner, show_amounts=show_amounts, agency=agency)
    except engine.InvalidSpec:
        # The owner's scope changed since (a filtered client was removed): nothing honest to show.
        raise Http404("This report can no longer run.") from None
    if not link.show_users:
        _hide_people(report)
    ctx = {
        "link": link,
        "report": report,
        "table": report_table(report, drill=False),
        "chart": chart_context(report),
        "dimension_names": [engine.DIMENSIONS[d] for d in report.dimensions],
        "show_rates": link.show_rates and show_amounts,
    }
    if link.show_descriptions:
        # The entries themselves, up to a page's worth; the full list is what an export is for.
        ctx["details"] = report.entries.select_related("task", "user").order_by("started_at", "pk")[
            :DETAIL_ROWS
        ]
    response = render(request, "reports/shared.html", ctx)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
