"""A trigger's firing, run by the worker: each chosen action in turn, its outcome logged on the firing.

A firing runs once: the worker claims it (queued -> running) with one conditional update, so a second hand-over
of the same firing finds it taken. An action that fails does not stop the others; the firing then says which
failed and why. Firings are not retried: an e-mail half-sent must not go out twice (webhook deliveries, which
a receiver can drop by their id, retry on their own).
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import transaction
from django.tasks import task
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone

from timetracker.automation import webhooks
from timetracker.automation.models import TriggerFiring
from timetracker.lib.dates import localdate

log = logging.getLogger(__name__)


@task
def run_firing(firing_id):
    return run(firing_id)


def run(firing_id):
    claimed = TriggerFiring.objects.filter(pk=firing_id, status=TriggerFiring.Status.QUEUED).update(
        status=TriggerFiring.Status.RUNNING
    )
    if not claimed:
        return None
    firing = TriggerFiring.objects.select_related(
        "trigger__send_report__owner", "trigger__webhook", "trigger__client", "trigger__created_by", "event"
    ).get(pk=firing_id)
    outcomes, failed = [], False
    for name, action in chosen(firing.trigger):
        try:
            outcomes.append(f"{name}: {action(firing)}")
        except Exception as error:  # each action's failure is the firing's outcome, not the worker's crash
            log.exception("Trigger %s: %s failed on firing %s", firing.trigger_id, name, firing.pk)
            failed = True
            outcomes.append(f"{name}: failed ({error.__class__.__name__}: {str(error)[:300]})")
    firing.status = TriggerFiring.Status.FAILED if failed else TriggerFiring.Status.DONE
    firing.outcome = "\n".join(outcomes) or "No action is chosen: nothing was done."
    firing.finished_at = timezone.now()
    firing.save(update_fields=["status", "outcome", "finished_at"])
    return firing.status


def chosen(trigger):
    actions = []
    if trigger.send_report_id:
        actions.append(("E-mail report", email_report))
    if trigger.notify:
        actions.append(("Notification", notify))
    if trigger.webhook_id:
        actions.append(("Webhook", call_webhook))
    if trigger.draft_invoice:
        actions.append(("Invoice draft", draft_invoice))
    return actions


def _addresses(trigger):
    addresses = trigger.emails()
    if not addresses:
        raise ValueError("The trigger has no recipients.")
    return addresses


def _context(firing):
    """What a notification template may read: plain values, never models (a template could walk from a model
    to anything it links to, e.g. a user's password hash)."""
    event, trigger = firing.event, firing.trigger
    return {
        "trigger": {"name": trigger.name, "created_by": str(trigger.created_by)},
        "event": {"type": event.type, "occurred_at": event.occurred_at} if event else None,
        "event_type": event.get_type_display() if event else "Schedule",
        "data": event.payload if event else {},
        "due_at": firing.due_at,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
    }


def email_report(firing):
    """The saved report as its owner sees it (their scope), for its own range as of the firing's day, with the
    PDF; one e-mail per address, so nobody sees the others."""
    from timetracker.reports import display, engine, exports

    trigger = firing.trigger
    saved = trigger.send_report
    owner = saved.owner
    if not owner.has_role:
        raise ValueError(f"The report's owner, {owner}, is no longer active.")
    addresses = _addresses(trigger)
    moment = firing.due_at or (firing.event.occurred_at if firing.event else timezone.now())
    tz = engine.viewer_zone(owner)
    report = engine.run(saved.report_spec, owner, today=localdate(moment, tz.key))
    table = display.report_table(report, drill=False)
    pdf = exports.report_pdf_bytes(report, table=table, chart=display.chart_context(report))
    ctx = {
        **_context(firing),
        "saved": saved,
        "report": report,
        "table": table,
        "bars": display.email_bars(report),
    }
    text = render_to_string("automation/email/report.txt", ctx)
    html = render_to_string("automation/email/report.html", ctx)
    for address in addresses:
        mail = EmailMultiAlternatives(subject=f"{saved.name}: {report.period}", body=text, to=[address])
        mail.attach_alternative(html, "text/html")
        mail.attach(f"{saved.name} {report.period}.pdf".replace("/", "-"), pdf, "application/pdf")
        mail.send()
    return f'"{saved.name}" ({report.period}) sent to {", ".join(addresses)}.'


def render_text(source, ctx):
    """A Manager's notification template, rendered as plain text (no HTML escaping in an e-mail's text)."""
    return engines["django"].from_string("{% autoescape off %}" + source + "{% endautoescape %}").render(ctx)


def notify(firing):
    trigger = firing.trigger
    addresses = _addresses(trigger)
    ctx = _context(firing)
    subject = " ".join(render_text(trigger.subject or "{{ event_type }}: {{ trigger.name }}", ctx).split())
    message = render_text(trigger.message or DEFAULT_MESSAGE, ctx)
    send_mail(subject[:200], message, None, addresses)
    return f"sent to {', '.join(addresses)}."


DEFAULT_MESSAGE = """{{ event_type }} ({{ trigger.name }})
{% for name, value in data.items %}
{{ name }}: {{ value }}{% endfor %}
"""


def call_webhook(firing):
    trigger = firing.trigger
    endpoint = trigger.webhook
    if firing.event is not None:
        delivery = webhooks.queue(endpoint, event=firing.event)
    else:
        delivery = webhooks.queue(
            endpoint,
            event_type="trigger.scheduled",
            payload={"trigger": trigger.name, "due_at": firing.due_at.isoformat()},
            message_id=f"msg_firing_{firing.pk}",  # the same message if this firing ever ran again
        )
    state = "" if endpoint.enabled else " (the endpoint is disabled: it waits until enabled again)"
    return f"delivery {delivery.message_id} to {endpoint.url} queued{state}."


def draft_invoice(firing):
    """A draft invoice of all the client's unbilled billable time (the trigger's client, else the event's)."""
    from timetracker.billing import invoicing

    trigger = firing.trigger
    client = trigger.client or (firing.event.client if firing.event else None)
    if client is None:
        raise ValueError("The trigger names no client, and the event is about none.")
    try:
        with transaction.atomic():
            invoice = invoicing.create_invoice(client=client, by=trigger.created_by)
    except invoicing.InvoicingError as refused:
        return f"nothing drafted: {refused}"
    return f"draft invoice {invoice.number} for {client} ({invoice.total} {invoice.currency_code})."
