"""Posting the payment form twice (a double click) records the payment once."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.billing.invoice_support import detail, sent_invoice
from tests.concurrency import run_together
from timetracker.accounts.once import new_token
from timetracker.billing.models import Payment

pytestmark = pytest.mark.django_db


def pay(invoice, amount, token):
    today = timezone.localdate().isoformat()
    return {
        "amount": amount,
        "paid_on": today,
        "method": "",
        "reference": "",
        "notes": "",
        "once_token": token,
    }


def url(invoice):
    return reverse("billing:invoice_payment", args=[invoice.pk])


def rendered_token(response):
    return re.search(r'name="once_token" value="([0-9a-f]{32})"', response.text).group(1)


def test_a_partial_payment_posted_twice_is_recorded_once(alice_client, alice, acme):
    invoice = sent_invoice(acme, alice)  # $100.00
    token = rendered_token(alice_client.get(detail(invoice)))
    first = alice_client.post(url(invoice), pay(invoice, "40.00", token))
    second = alice_client.post(url(invoice), pay(invoice, "40.00", token), follow=True)
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal("40.00")]
    assert first.status_code == 302 and first["Location"] == detail(invoice)
    assert second.redirect_chain == [(detail(invoice), 302)]
    assert "Already recorded" in second.text and "Partially Paid" in second.text


def test_a_payment_that_settled_the_invoice_posted_twice_is_no_error(alice_client, alice, acme):
    """The repeat would fail the "more than is still open" check; it was recorded, so it answers as such."""
    invoice = sent_invoice(acme, alice)
    token = new_token()
    alice_client.post(url(invoice), pay(invoice, "100.00", token))
    second = alice_client.post(url(invoice), pay(invoice, "100.00", token), follow=True)
    assert Payment.objects.count() == 1
    assert "Already recorded" in second.text and "Nothing is left to pay" not in second.text


def test_two_payment_forms_record_two_payments(alice_client, alice, acme):
    invoice = sent_invoice(acme, alice)
    alice_client.post(url(invoice), pay(invoice, "30.00", new_token()))
    alice_client.post(url(invoice), pay(invoice, "30.00", new_token()))
    assert Payment.objects.count() == 2


def test_a_payment_shown_again_with_errors_keeps_its_token(alice_client, alice, acme):
    invoice = sent_invoice(acme, alice)
    token = new_token()
    response = alice_client.post(url(invoice), pay(invoice, "abc", token))
    assert "Enter the amount as a number" in response.text and rendered_token(response) == token
    alice_client.post(url(invoice), pay(invoice, "10.00", token))
    assert Payment.objects.count() == 1


def test_a_refused_payment_leaves_the_token_free(alice_client, alice, acme):
    invoice = sent_invoice(acme, alice)
    token = new_token()
    refused = alice_client.post(url(invoice), pay(invoice, "150.00", token))
    assert "still open" in refused.text and not Payment.objects.exists()
    alice_client.post(url(invoice), pay(invoice, "50.00", token))
    assert Payment.objects.count() == 1


def test_a_token_that_was_never_handed_out_is_explained(alice_client, alice, acme):
    invoice = sent_invoice(acme, alice)
    response = alice_client.post(url(invoice), pay(invoice, "10.00", "not-a-token"))
    assert response.status_code == 200 and "once_token: this form was out of date" in response.text
    assert not Payment.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_racing_in_two_workers_records_once(alice, acme):
    invoice = sent_invoice(acme, alice)
    token = new_token()

    def post(_):
        browser = Client()
        browser.force_login(alice)
        return browser.post(url(invoice), pay(invoice, "25.00", token)).status_code

    assert run_together(2, post) == [302, 302]
    assert Payment.objects.count() == 1
