"""A saved report's e-mail schedules: create, pause or resume, delete, and each one's run history.

Schedules mail the report outside the agency indefinitely, so only Managers and Admins may set them up."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from timetracker.accounts.decorators import require_manager
from timetracker.reports import schedules
from timetracker.reports.forms import ScheduleForm
from timetracker.reports.models import ReportSchedule, SavedReport

SCHEDULES_ARE_FOR = "Only Managers and Admins can send reports on a schedule."


def _saved_for_manager(request, pk):
    require_manager(request.user, SCHEDULES_ARE_FOR)
    return get_object_or_404(SavedReport.objects.for_user(request.user), pk=pk)


@require_http_methods(["GET", "POST"])
def schedule_list(request, pk):
    saved = _saved_for_manager(request, pk)
    form = ScheduleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        schedule = form.save(commit=False)
        schedule.report, schedule.created_by = saved, request.user
        schedule.next_run_at = schedules.next_run(schedule, timezone.now())
        schedule.save()
        form.save_m2m()
        messages.success(
            request, f"Scheduled: the first e-mail goes out {schedule.next_run_at:%a %d %b %Y %H:%M}."
        )
        return redirect("reports:schedule_list", saved.pk)
    items = saved.schedules.prefetch_related("users", "runs")
    return render(request, "reports/schedule_list.html", {"saved": saved, "schedules": items, "form": form})


def _schedule(request, pk):
    require_manager(request.user, SCHEDULES_ARE_FOR)
    mine = ReportSchedule.objects.filter(report__in=SavedReport.objects.for_user(request.user))
    return get_object_or_404(mine, pk=pk)


@require_POST
def schedule_pause(request, pk):
    schedule = _schedule(request, pk)
    schedule.paused = not schedule.paused
    if not schedule.paused:  # resuming: from now on, not the runs missed while paused
        schedule.next_run_at = schedules.next_run(schedule, timezone.now())
    schedule.save(update_fields=["paused", "next_run_at"])
    return redirect("reports:schedule_list", schedule.report_id)


@require_POST
def schedule_delete(request, pk):
    schedule = _schedule(request, pk)
    schedule.delete()
    messages.success(request, "Schedule deleted.")
    return redirect("reports:schedule_list", schedule.report_id)
