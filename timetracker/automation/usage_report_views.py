"""The client page's "E-mail usage report" button (automation/usage_report.py does the work)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from timetracker.accounts import once
from timetracker.accounts.decorators import manager_required
from timetracker.automation.usage_report import LINK_DAYS, MailError, send_usage_report
from timetracker.clients.models import Client


@require_POST
@manager_required("Usage reports are sent by Managers and Admins.")
def client_usage_report(request, pk):
    client = get_object_or_404(Client.objects.for_user(request.user), pk=pk)
    try:
        sent = send_usage_report(client, by=request.user, token=once.posted(request))
    except MailError as error:
        messages.error(request, str(error))
    else:
        if sent is None:
            messages.info(request, "The usage report was sent once; the second click sent nothing.")
        else:
            messages.success(
                request,
                f"E-mailed {client}'s usage report for {sent.month.label} to {', '.join(sent.to)} "
                f"(PDF and a link for {LINK_DAYS} days).",
            )
    return redirect("clients:detail", client.pk)
