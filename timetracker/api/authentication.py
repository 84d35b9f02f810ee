import zoneinfo

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from timetracker.accounts import throttle
from timetracker.accounts.models import ApiKey


class TooManyBadKeys(exceptions.Throttled):
    """429, with the Retry-After header that DRF sets from `wait` (api/errors.py keeps it)."""

    default_detail = "Too many requests with a bad API key from this address."
    extra_detail_singular = "Try again in {wait} second."
    extra_detail_plural = "Try again in {wait} seconds."


class BearerKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer tt_...`: the key acts as its user, with that user's role."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        # Checked before the key, and good keys wait too: a locked address must not learn whether a guess was
        # right. A script sharing an address with a guesser waits with it (the Retry-After says how long).
        if seconds := throttle.api_key_wait(request):
            raise TooManyBadKeys(wait=seconds)
        if len(header) != 2:
            self._failed(request, "Send the key as `Authorization: Bearer <key>`.")
        key = ApiKey.authenticate(header[1])
        if key is None:
            self._failed(request, "This API key is unknown or revoked.")
        if key.is_expired():
            # Not a guess (the key is right), so not counted against the address.
            expired = timezone.localtime(key.expires_at, zoneinfo.ZoneInfo("UTC")).strftime(
                "%Y-%m-%d %H:%M UTC"
            )
            raise exceptions.AuthenticationFailed(
                f"This API key expired on {expired}; create a new one on your profile page."
            )
        return key.user, key

    def _failed(self, request, message):
        if seconds := throttle.api_key_failed(request):
            raise TooManyBadKeys(wait=seconds)
        raise exceptions.AuthenticationFailed(message)

    def authenticate_header(self, request):
        return self.keyword


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "timetracker.api.authentication.BearerKeyAuthentication"
    name = "bearerKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key created on your profile page."}
