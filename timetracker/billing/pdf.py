"""An invoice as a PDF, rendered by WeasyPrint from its own print template."""

from django.conf import settings as django_settings
from django.db.models import Count
from django.template.loader import render_to_string
from weasyprint import HTML

from timetracker.billing.models import QuantityFormat, Settings


def invoice_document_context(invoice):
    """What the invoice page and its PDF both show: the agency, the client, lines, totals and payments."""
    agency = Settings.load()
    merged = agency.for_client(invoice.client)
    return {
        "invoice": invoice,
        "client": invoice.client,
        "lines": list(invoice.lines.annotate(entry_count=Count("entries"))),
        "payments": list(invoice.payments.all()),
        "money": merged.money_format(),
        "status": invoice.derived_status(),
        # Who sends it: Settings' agency details (the site's name until they are filled in).
        "agency": agency,
        "agency_name": agency.agency_name or django_settings.SITE_NAME,
        "agency_address": agency.agency_address,
        "quantity_style": quantity_style(agency),
    }


def quantity_style(agency):
    """How invoice lines write their hours beside a rate per hour: 20.50 reads as a quantity, 20:30 as a
    clock time (Settings decides; the `duration` filter's style)."""
    return "decimal" if agency.quantity_format == QuantityFormat.DECIMAL else "clock"


def render_invoice_pdf(invoice):
    """The invoice as PDF bytes (A4, DejaVu Sans; the table header repeats on every page)."""
    html = render_to_string("billing/invoice_pdf.html", invoice_document_context(invoice))
    return HTML(string=html).write_pdf()
