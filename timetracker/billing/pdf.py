"""An invoice as a PDF, rendered by WeasyPrint from its own print template."""

from django.conf import settings as django_settings
from django.db.models import Count
from django.template.loader import render_to_string
from weasyprint import HTML

from timetracker.billing.models import Settings


def invoice_document_context(invoice):
    """What the invoice page and its PDF both show: the agency, the client, lines, totals and payments."""
    merged = Settings.load().for_client(invoice.client)
    return {
        "invoice": invoice,
        "client": invoice.client,
        "lines": list(invoice.lines.annotate(entry_count=Count("entries"))),
        "payments": list(invoice.payments.all()),
        "money": merged.money_format(),
        "status": invoice.derived_status(),
        # There is no agency address setting yet; a deployment may add AGENCY_ADDRESS to its settings.
        "agency_name": django_settings.SITE_NAME,
        "agency_address": getattr(django_settings, "AGENCY_ADDRESS", ""),
    }


def render_invoice_pdf(invoice):
    """The invoice as PDF bytes (A4, DejaVu Sans; the table header repeats on every page)."""
    html = render_to_string("billing/invoice_pdf.html", invoice_document_context(invoice))
    return HTML(string=html).write_pdf()
