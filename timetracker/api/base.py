"""What every API view shares: key or session auth, role scoping, the error shape, pagination, one body reader."""

from django.contrib.auth.decorators import login_not_required
from drf_spectacular.openapi import AutoSchema
from rest_framework import viewsets
from rest_framework.views import APIView

from timetracker.api.parsers import PARSERS, ApiRequest
from timetracker.api.permissions import HasRole


class ApiSchema(AutoSchema):
    """The schema as strict as the routes: an id in a path is a whole number from 1."""

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"].get("type") == "integer":
                parameter["schema"]["minimum"] = 1
        return parameters


class ApiMixin:
    permission_classes = [HasRole]
    schema = ApiSchema()
    # JSON, form-encoded and multipart alike: ApiRequest reads the last two as the dict JSON gives.
    parser_classes = PARSERS

    @classmethod
    def as_view(cls, *args, **kwargs):
        # The site-wide login requirement redirects to the login page; the API answers 401 itself instead.
        return login_not_required(super().as_view(*args, **kwargs))

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
