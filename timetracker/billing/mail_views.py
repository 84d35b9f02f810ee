"""E-mailing an invoice, or a payment reminder, from its page (billing/mailing.py does the sending)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from timetracker.accounts import once
from timetracker.billing import invoicing, mailing
from timetracker.billing.choices import PaymentStatus
from timetracker.billing.invoice_views import _invoice


class MailForm(forms.Form):
    to = forms.CharField(
        label="To",
        max_length=2000,
        help_text="The client's billing contacts; separate addresses with commas. You get a copy (Bcc).",
    )
    note = forms.CharField(
        label="Message", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean_to(self):
        try:
            return mailing.recipients(self.cleaned_data["to"])
        except mailing.MailError as error:
            raise forms.ValidationError(str(error)) from None


def invoice_email(request, pk, kind="invoice"):
    """The e-mail form (To prefilled with the client's address); sending it e-mails the PDF."""
    invoice = _invoice(request, pk)
    reminder = kind == "reminder"
    form = MailForm(request.POST or None, initial={"to": mailing.default_recipients(invoice)})
    if request.method == "POST" and form.is_valid():
        send = mailing.send_reminder if reminder else mailing.send_invoice
        to = form.cleaned_data["to"]
        try:
            log = send(
                invoice,
                to=",".join(to),
                by=request.user,
                note=form.cleaned_data["note"],
                token=once.posted(request),
            )
        except (mailing.MailError, invoicing.InvoicingError) as error:
            form.add_error(None, str(error))
        else:
            if log is None:  # a double click: the first post sent it
                messages.info(request, f"{invoice.number} was e-mailed once; the second click sent nothing.")
            else:
                messages.success(
                    request, f"{log.get_kind_display()} {invoice.number} e-mailed to {', '.join(to)}."
                )
            return redirect("billing:invoice_detail", invoice.pk)
    ctx = {
        "invoice": invoice,
        "form": form,
        "reminder": reminder,
        "marks_sent": invoice.status == PaymentStatus.DRAFT and not reminder,
        "once_token": once.token_for(request),
    }
    return render(request, "billing/invoice_email.html", ctx)


def invoice_remind(request, pk):
    return invoice_email(request, pk, kind="reminder")
