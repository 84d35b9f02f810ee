from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from timetracker.accounts.models import ApiKey


class BearerKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer tt_...`: the key acts as its user, with that user's role."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as `Authorization: Bearer <key>`.")
        key = ApiKey.authenticate(header[1])
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is unknown or revoked.")
        return key.user, key

    def authenticate_header(self, request):
        return self.keyword


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "timetracker.api.authentication.BearerKeyAuthentication"
    name = "bearerKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key created on your profile page."}
