"""Invoices by e-mail: the invoice with its PDF to the client's billing contacts, and a payment reminder for
an overdue one. Templated mail (templates/email/invoice*.{txt,html}) from the agency, replies to the agency's
address, a Bcc to the sender; each e-mail is logged on the invoice (InvoiceMail).

A draft is marked sent in the same transaction as its e-mail: a failed send leaves the invoice as it was."""

import smtplib

from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from timetracker.accounts import once
from timetracker.billing import invoicing
from timetracker.billing.choices import PaymentStatus
from timetracker.billing.models import InvoiceMail, Settings
from timetracker.billing.pdf import invoice_document_context, render_invoice_pdf
from timetracker.lib.emails import addresses
from timetracker.lib.money import format_money

MAX_RECIPIENTS = 20


class MailError(ValueError):
    """The e-mail cannot be sent as asked; the message says why."""


def recipients(text):
    """Addresses from a field (commas, semicolons, spaces or lines between them), each checked."""
    try:
        found = addresses(text, at_most=MAX_RECIPIENTS)
    except ValueError as error:
        raise MailError(str(error)) from None
    if not found:
        raise MailError("Give at least one e-mail address.")
    return found


def default_recipients(invoice):
    return invoice.client.email or ""


def agency_name():
    return Settings.load().agency_name or django_settings.SITE_NAME


def send_invoice(invoice, *, to, by, note="", token=""):
    """E-mail the invoice with its PDF; a draft becomes Sent. Returns the InvoiceMail logged, or None when
    `token` (the form's one-time token) was used already: a double click sends one e-mail.

    One transaction: a draft is marked sent first, so the PDF says Sent (not Draft), and an e-mail that cannot
    be sent rolls that back."""
    if invoice.status == PaymentStatus.CANCELED:
        raise MailError(f"{invoice} is canceled; it cannot be sent.")
    subject = f"Invoice {invoice.number} from {agency_name()}"
    with once.first_time(by, token) as first:
        if not first:
            return None
        if invoice.status == PaymentStatus.DRAFT:
            invoice = invoicing.send(invoice, by=by)
        return _send(invoice, InvoiceMail.Kind.INVOICE, subject, "email/invoice", to=to, by=by, note=note)


def send_reminder(invoice, *, to, by, note="", token=""):
    """A payment reminder for an invoice that is overdue, with the PDF again (None: sent already)."""
    if invoice.derived_status() != PaymentStatus.OVERDUE:
        raise MailError(f"{invoice} is not overdue; a reminder is for invoices past their due date.")
    subject = f"Reminder: invoice {invoice.number} from {agency_name()} is overdue"
    with once.first_time(by, token) as first:
        if not first:
            return None
        return _send(
            invoice, InvoiceMail.Kind.REMINDER, subject, "email/invoice_reminder", to=to, by=by, note=note
        )


def _send(invoice, kind, subject, template, *, to, by, note):
    addresses = recipients(to)
    agency = Settings.load()
    ctx = {
        **invoice_document_context(invoice),
        "note": note.strip(),
        "agency_name": agency_name(),
        "sender": by,
        "outstanding": format_money(invoice.outstanding(), agency.for_client(invoice.client).money_format()),
        "today": timezone.localdate(),
    }
    mail = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", ctx),
        to=addresses,
        bcc=[by.email] if by.email else [],
        reply_to=[agency.agency_email or by.email] if (agency.agency_email or by.email) else [],
    )
    mail.attach_alternative(render_to_string(f"{template}.html", ctx), "text/html")
    mail.attach(f"Invoice {invoice.number}.pdf", render_invoice_pdf(invoice), "application/pdf")
    try:
        mail.send()
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(
            f"The e-mail could not be sent ({error}); nothing was changed. Try again later."
        ) from None
    return InvoiceMail.objects.create(
        invoice=invoice, kind=kind, recipients="\n".join(addresses), subject=subject, sent_by=by
    )
