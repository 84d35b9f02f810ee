"""Unsubscribing from a scheduled report: each recipient's e-mail carries a signed link that takes their address
off the schedule, with no login (most recipients have no account)."""

from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from timetracker.reports.models import ReportSchedule

SALT = "reports.unsubscribe"


def unsubscribe_token(schedule, address):
    """A token naming (schedule, address), signed with SECRET_KEY: nobody can make one for another address."""
    return signing.dumps([schedule.pk, address], salt=SALT, compress=True)


def read_token(token):
    """(schedule id, address), or None for a token that was not signed here."""
    try:
        schedule_id, address = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(schedule_id, int) or not isinstance(address, str):
        return None
    return schedule_id, address


def remove(schedule_id, address):
    """Take `address` off the schedule, typed in or an agency user's; returns the schedule or None if gone."""
    with transaction.atomic():
        schedule = (
            ReportSchedule.objects.select_for_update().select_related("report").filter(pk=schedule_id).first()
        )
        if schedule is None:
            return None
        kept = [line for line in schedule.external_addresses() if line.lower() != address.lower()]
        if len(kept) != len(schedule.external_addresses()):
            schedule.emails = "\n".join(kept)
            schedule.save(update_fields=["emails"])
        schedule.users.remove(*schedule.users.filter(email__iexact=address))
    return schedule


# Mail clients' one-click button POSTs without a CSRF token (RFC 8058); the signed token is the proof.
# A GET only asks: mail scanners and link previews open every link in a message, and must not unsubscribe.
@csrf_exempt
@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    found = read_token(token)
    schedule = None
    if found and request.method == "POST":
        schedule = remove(*found)
    elif found:
        schedule = ReportSchedule.objects.select_related("report").filter(pk=found[0]).first()
    if schedule is None:
        raise Http404("No such subscription.")
    ctx = {"address": found[1], "name": schedule.report.name, "done": request.method == "POST"}
    response = render(request, "reports/unsubscribed.html", ctx)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
