"""API resources: invoices and their payments (the reports summary is in reports.py).

Invoices call the same `billing.invoicing` functions as the pages; its refusals become 409 (the invoice's state
forbids it) or 422 (the request's content is wrong)."""

from datetime import date
from decimal import Decimal

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from timetracker.api.base import ApiMixin, ApiView
from timetracker.api.error_serializers import ErrorSerializer
from timetracker.api.errors import BadFilter, Conflict, Unprocessable
from timetracker.api.permissions import IsManager
from timetracker.api.work_serializers import id_field
from timetracker.billing import drafts, invoicing
from timetracker.billing.choices import Grouping, PaymentStatus, RoundingScope
from timetracker.billing.invoice_views import _derived_status_q
from timetracker.billing.models import Invoice
from timetracker.clients.models import Client, Project
from timetracker.lib.dates import FIRST_YEAR, LAST_YEAR, check_supported
from timetracker.lib.durations import format_duration

# The error shape (errors.py), as one schema component other API modules name the same way. ----------------

ERROR_TEXT = {
    400: "A malformed filter or parameter; the message names it.",
    401: "No valid API key.",
    403: "The key's user may not do this.",
    404: "No such object (or not one this key may see), or no such page.",
    409: "The invoice's state does not allow this.",
    422: "The request's content is invalid; `fields` says where.",
}


def errors(*codes):
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[code]) for code in codes}


def _date_param(request, name):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadFilter(f'{name} must be a date like 2026-01-31, not "{raw}".') from None
    try:
        check_supported(day)
    except ValueError:
        raise BadFilter(f"{name} must be between {FIRST_YEAR} and {LAST_YEAR}.") from None
    return day


def _id_param(request, name, queryset):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdecimal()) or not queryset.filter(pk=int(raw)).exists():
        raise BadFilter(f'{name} "{raw}" does not exist.')
    return int(raw)


def _supported(value):
    if value:
        try:
            check_supported(value)
        except ValueError as problem:
            raise serializers.ValidationError(str(problem)) from None
    return value


# Invoices ---------------------------------------------------------------------------------------------------


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    paid_on = serializers.DateField(required=False, validators=[_supported])
    method = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    recorded_by_id = serializers.IntegerField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class InvoiceLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    description = serializers.CharField()
    quantity_seconds = serializers.IntegerField()
    time_readable = serializers.SerializerMethodField()
    hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    task_id = serializers.IntegerField(allow_null=True)
    project_id = serializers.IntegerField(allow_null=True)
    user_id = serializers.IntegerField(allow_null=True)
    entry_count = serializers.IntegerField()

    def get_time_readable(self, line) -> str:
        return format_duration(line.quantity_seconds)


INVOICE_STATUSES = [s for s in PaymentStatus.values if s != PaymentStatus.UNBILLED]
# More entries than this on one invoice is a mistake, not a preview.
MAX_PREVIEWED = 100_000
MONEY = {"max_digits": 12, "decimal_places": 2, "read_only": True}


class InvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    client_id = serializers.IntegerField(read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    status = serializers.SerializerMethodField(
        help_text="As it stands today: paid, overdue… follow the facts."
    )
    grouping = serializers.CharField(read_only=True)
    rounding = serializers.CharField(source="rounding_scope", read_only=True)
    issue_date = serializers.DateField(read_only=True)
    due_date = serializers.DateField(read_only=True)
    period_start = serializers.DateField(read_only=True, allow_null=True)
    period_end = serializers.DateField(read_only=True, allow_null=True)
    currency_code = serializers.CharField(read_only=True)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    subtotal = serializers.DecimalField(**MONEY)
    tax_amount = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    amount_paid = serializers.DecimalField(source="paid", **MONEY)
    outstanding = serializers.SerializerMethodField()
    notes = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    sent_at = serializers.DateTimeField(read_only=True, allow_null=True)
    canceled_at = serializers.DateTimeField(read_only=True, allow_null=True)

    @extend_schema_field({"type": "string", "enum": INVOICE_STATUSES})
    def get_status(self, invoice):
        return invoice.derived_status(today=self.context.get("today"))

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_outstanding(self, invoice):
        return f"{invoice.outstanding():.2f}"


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(source="lines_list", many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)


class InvoiceCreateSerializer(serializers.Serializer):
    client_id = id_field()
    start = serializers.DateField(required=False, allow_null=True, validators=[_supported])
    end = serializers.DateField(required=False, allow_null=True, validators=[_supported])
    project_id = id_field(required=False, allow_null=True)
    grouping = serializers.ChoiceField(choices=Grouping.choices, default=Grouping.TASK)
    rounding = serializers.ChoiceField(choices=RoundingScope.choices, default=RoundingScope.ENTRY)
    expected_entry_ids = serializers.ListField(
        child=id_field(),
        required=False,
        allow_null=True,
        max_length=MAX_PREVIEWED,
        help_text="The entries you previewed: if the unbilled time changed since, nothing is made (409).",
    )
    issue_date = serializers.DateField(required=False, allow_null=True, validators=[_supported])
    notes = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, data):
        data["client"] = Client.objects.filter(pk=data["client_id"]).first()
        if data["client"] is None:
            raise serializers.ValidationError({"client_id": [f"Client {data['client_id']} does not exist."]})
        data["project"] = None
        if data.get("project_id") is not None:
            data["project"] = Project.objects.filter(pk=data["project_id"], client=data["client"]).first()
            if data["project"] is None:
                raise serializers.ValidationError({"project_id": [f"{data['client']} has no such project."]})
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise serializers.ValidationError({"end": ["The end comes before the start."]})
        return data


def _invoices(request):
    return Invoice.objects.for_user(request.user).select_related("client").with_paid()


INVOICE_FILTERS = [
    OpenApiParameter("client_id", int),
    OpenApiParameter("status", str, enum=INVOICE_STATUSES),
    OpenApiParameter("from_date", date, description="Issued on or after."),
    OpenApiParameter("to_date", date, description="Issued on or before."),
]


class InvoiceListView(ApiMixin, generics.ListAPIView):
    """Invoices, newest first (Managers and Admins); create one from a client's unbilled time."""

    permission_classes = [IsManager]
    serializer_class = InvoiceSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def get_queryset(self):
        invoices = _invoices(self.request)
        client_id = _id_param(self.request, "client_id", Client.objects.all())
        if client_id:
            invoices = invoices.filter(client_id=client_id)
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in PaymentStatus.values or wanted == PaymentStatus.UNBILLED:
                raise BadFilter(f'status "{wanted}" is not an invoice status.')
            invoices = invoices.filter(_derived_status_q(wanted, timezone.localdate()))
        if start := _date_param(self.request, "from_date"):
            invoices = invoices.filter(issue_date__gte=start)
        if end := _date_param(self.request, "to_date"):
            invoices = invoices.filter(issue_date__lte=end)
        return invoices.order_by("-issue_date", "-number")

    @extend_schema(
        parameters=INVOICE_FILTERS,
        responses={200: InvoiceSerializer(many=True), **errors(400, 401, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InvoiceCreateSerializer,
        responses={201: InvoiceDetailSerializer, **errors(400, 401, 403, 409, 422)},
    )
    def post(self, request):
        form = InvoiceCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        period = {"client": data["client"], "start": data.get("start"), "end": data.get("end")}
        if not drafts.billable_entries(**period, project=data["project"]).exists():
            raise Unprocessable(f"{data['client']} has no unbilled billable time in that period.")
        try:
            invoice = invoicing.create_invoice(
                **period,
                by=request.user,
                project=data["project"],
                grouping=data["grouping"],
                rounding_scope=data["rounding"],
                expected_entry_ids=data.get("expected_entry_ids"),
                issue_date=data.get("issue_date"),
                notes=data["notes"],
            )
        except invoicing.InvoicingError as error:
            # The time changed under the request (the preview is stale, or someone else just billed it).
            raise Conflict(str(error)) from None
        return Response(_detail(request, invoice.pk), status=status.HTTP_201_CREATED)


def _detail(request, pk):
    invoice = get_object_or_404(_invoices(request).prefetch_related("payments"), pk=pk)
    invoice.lines_list = list(invoice.lines.annotate(entry_count=Count("entries")))
    return InvoiceDetailSerializer(invoice, context={"today": timezone.localdate()}).data


class InvoiceDetailView(ApiView):
    permission_classes = [IsManager]

    @extend_schema(responses={200: InvoiceDetailSerializer, **errors(401, 403, 404)})
    def get(self, request, pk):
        return Response(_detail(request, pk))


class PaymentListView(ApiMixin, generics.ListAPIView):
    """Payments received on an invoice; record one (its status follows: partially paid, paid)."""

    permission_classes = [IsManager]
    serializer_class = PaymentSerializer

    def invoice(self):
        return get_object_or_404(_invoices(self.request), pk=self.kwargs["pk"])

    def get_queryset(self):
        return self.invoice().payments.order_by("-paid_on", "-id")

    @extend_schema(responses={200: PaymentSerializer(many=True), **errors(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=PaymentSerializer,
        responses={201: PaymentSerializer, **errors(400, 401, 403, 404, 409, 422)},
    )
    def post(self, request, pk):
        invoice = self.invoice()
        form = PaymentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if invoice.status in (PaymentStatus.DRAFT, PaymentStatus.CANCELED):
            raise Conflict(f"{invoice} is {invoice.get_status_display().lower()} and takes no payments.")
        if data["amount"] > invoice.outstanding():
            raise serializers.ValidationError(
                {"amount": [f"That is more than the {invoice.outstanding():.2f} still open on {invoice}."]}
            )
        try:
            invoicing.record_payment(invoice, **data, by=request.user)
        except invoicing.InvoicingError as error:
            raise Unprocessable(str(error)) from None
        payment = invoice.payments.order_by("-id").first()
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("invoices", InvoiceListView.as_view(), name="invoices"),
    path("invoices/<int:pk>", InvoiceDetailView.as_view(), name="invoice"),
    path("invoices/<int:pk>/payments", PaymentListView.as_view(), name="invoice_payments"),
]
