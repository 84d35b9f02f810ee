"""What every API view shares: key or session auth, role scoping, the key's scope and rate, ETag / If-Match,
Idempotency-Key, the error shape, pagination, one body reader."""

from django.contrib.auth.decorators import login_not_required
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import viewsets
from rest_framework.views import APIView

from timetracker.api import guards, idempotency
from timetracker.api.error_serializers import ErrorSerializer
from timetracker.api.parsers import PARSERS, ApiRequest
from timetracker.api.permissions import HasRole

IDEMPOTENCY_KEY = OpenApiParameter(
    idempotency.HEADER,
    {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_LENGTH},
    OpenApiParameter.HEADER,
    description="Optional. A retry with the same key (same user, within 24 hours) gets the first answer, "
    "status and body, instead of doing the work again; the same key with another body is a 422.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="Optional. The ETag from your last GET: the change is made only if the resource is unchanged "
    "since (412 otherwise).",
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description="A version of this resource; send it back as If-Match to change it safely.",
)
EXTRA_ERRORS = {
    "429": "Too many requests with this API key (or bad keys from this address); Retry-After says when to "
    "try again.",
    "412": "If-Match does not match the resource's current ETag: it changed since you read it.",
    "422": "The body is invalid, or its Idempotency-Key was used for a different request.",
    "400": "A malformed request (a bad Idempotency-Key header, an unknown parameter).",
}


class ApiSchema(AutoSchema):
    """The schema as strict as the routes: an id in a path is a whole number from 1; the headers and
    answers every view shares (Idempotency-Key, ETag / If-Match, 429) documented on each operation."""

    def _conditional(self):
        return getattr(self.view, "etag", False) and self.method in ("PATCH", "PUT", "DELETE")

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        if self._conditional():
            parameters.append(IF_MATCH)
        if getattr(self.view, "etag", False) and self.method in ("GET", "PATCH", "PUT"):
            parameters.append(ETAG)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        wanted = ["429"]
        if self.method == "POST":
            wanted += ["400", "422"]
        if self._conditional():
            wanted.append("412")
        for code in wanted:
            if code not in responses:
                error = OpenApiResponse(ErrorSerializer, description=EXTRA_ERRORS[code])
                responses[code] = self._get_response_for_code(error, code, direction=direction)
        return responses

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"].get("type") == "integer":
                parameter["schema"]["minimum"] = 1
        return parameters


class ApiMixin:
    permission_classes = [HasRole]
    throttle_classes = [guards.KeyThrottle]
    schema = ApiSchema()
    # JSON, form-encoded and multipart alike: ApiRequest reads the last two as the dict JSON gives.
    parser_classes = PARSERS
    # A time-only key may write here (time entries and timers); read-only keys write nowhere.
    time_writes = False
    # A single resource: GET answers with an ETag, PATCH/PUT/DELETE honour If-Match (api/guards.py). Fields
    # that change by themselves are left out of the hash.
    etag = False
    etag_volatile = ()

    def lock_for_write(self, request, pk):
        """Lock what a conditional write (If-Match) changes before its ETag is compared: the resource's row.
        Views whose writes lock more (time: users, tasks, entries) take those locks here, in the one order."""
        list(self.model.objects.select_for_update().filter(pk=pk).values_list("pk"))

    @classmethod
    def as_view(cls, *args, **kwargs):
        # The site-wide login requirement redirects to the login page; the API answers 401 itself instead.
        return login_not_required(super().as_view(*args, **kwargs))

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        guards.check_scope(self, request)
        # Wrapping the handler rather than checking here: a subclass's initial (EntryView's time zone) runs
        # after this, and the ETag must be computed as its GET computes it.
        method = request.method.lower()
        handler = getattr(self, method, None)
        if handler is None:
            return
        if self.etag and method in guards.CONDITIONAL and "If-Match" in request.headers:
            setattr(self, method, guards.if_match(self, handler))
        elif method == "post" and idempotency.HEADER in request.headers:
            setattr(self, method, idempotency.idempotent(handler))

    def throttled(self, request, wait):
        raise guards.TooManyRequests(wait=wait)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return guards.tag(self, request, response)

    def initialize_request(self, request, *args, **kwargs):
        return ApiRequest(
            request,
            parsers=self.get_parsers(),
            authenticators=self.get_authenticators(),
            negotiator=self.get_content_negotiator(),
            parser_context=self.get_parser_context(request),
        )


class ApiView(ApiMixin, APIView):
    pass


class ApiViewSet(ApiMixin, viewsets.GenericViewSet):
    pass
