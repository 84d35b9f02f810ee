import zoneinfo

from django.utils import timezone


class UserTimezoneMiddleware:
    """Times are stored in UTC and shown in the signed-in user's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # override() puts back whatever was active before: a worker thread must not carry one user's zone
        # into the next request or task it runs.
        with timezone.override(self._zone(getattr(request, "user", None))):
            return self.get_response(request)

    @staticmethod
    def _zone(user):
        if user is None or not user.is_authenticated:
            return None
        try:
            return zoneinfo.ZoneInfo(user.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None
