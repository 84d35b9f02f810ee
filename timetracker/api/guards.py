"""What every API request passes besides its role: the key's scope, its request rate, and `If-Match`.

- Scope (ApiKey.scope): a read-only key may only read (403 on any write); a time-only key may also write time
  entries and timers (views that say `time_writes = True`); a full key may do what its user's role allows.
  Session logins (the dashboard's own calls) have no scope.
- Rate: each key has its own window (accounts/throttle.py, rule api_key_requests); over it, 429 with
  Retry-After.
- ETag / If-Match: a view with `etag = True` serves single resources. Its GET (and a successful PATCH/PUT)
  carries an ETag, a hash of what GET shows; a PATCH, PUT or DELETE with If-Match runs only while that hash
  still matches (412 otherwise), so a client cannot overwrite a change it has not seen.
"""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from rest_framework import exceptions, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import BaseThrottle

from timetracker.accounts import throttle
from timetracker.accounts.models import ApiKey, ApiKeyScope

CONDITIONAL = ("patch", "put", "delete")


class TooManyRequests(exceptions.Throttled):
    default_detail = "Too many requests with this API key."
    extra_detail_singular = "Try again in {wait} second."
    extra_detail_plural = "Try again in {wait} seconds."


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "This resource changed since you read it (If-Match does not match its ETag); GET it again and "
        "redo your change on what it is now."
    )
    default_code = "precondition_failed"


class KeyThrottle(BaseThrottle):
    """Per API key: DRF turns a refusal into a 429 whose Retry-After is `wait()`."""

    def allow_request(self, request, view):
        key = request.auth
        self.seconds = throttle.api_key_request(key) if isinstance(key, ApiKey) else 0
        return self.seconds == 0

    def wait(self):
        return self.seconds


def check_scope(view, request):
    key = request.auth
    if not isinstance(key, ApiKey):
        return
    write = request.method not in SAFE_METHODS
    if key.allows(write=write, time_write=getattr(view, "time_writes", False)):
        return
    if key.scope == ApiKeyScope.READ:
        raise exceptions.PermissionDenied(
            f"The API key “{key.name}” is read-only; it cannot change anything."
        )
    raise exceptions.PermissionDenied(
        f"The API key “{key.name}” may only write time entries and timers; this needs a key with full access."
    )


def etag_of(data, volatile=()):
    """A strong ETag for what GET shows: the hash of its JSON, without fields that change by themselves
    (a running entry's duration so far)."""
    if isinstance(data, dict):
        data = {key: value for key, value in data.items() if key not in volatile}
    text = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _matches(header, current):
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    # A weak tag (W/"...") never matches for a write (RFC 9110, strong comparison).
    return "*" in tags or current in tags


def if_match(view, handler):
    """`handler` (a PATCH, PUT or DELETE) run only if If-Match matches the resource's current ETag."""

    def run(request, *args, **kwargs):
        # Check and write as one step: the resource's rows are locked (in the one order) before its ETag is
        # read, so a write committed by someone else between the two cannot slip under a stale If-Match.
        with transaction.atomic():
            view.get(request, *args, **kwargs)  # a 404 (an unknown id, one out of range) stays a 404
            view.lock_for_write(request, *args, **kwargs)
            current = view.get(request, *args, **kwargs)
            if not _matches(request.headers["If-Match"], etag_of(current.data, view.etag_volatile)):
                raise PreconditionFailed()
            return handler(request, *args, **kwargs)

    return run


def tag(view, request, response):
    """Set the ETag on a single resource's successful GET, PATCH or PUT."""
    if (
        view.etag
        and response.status_code == status.HTTP_200_OK
        and request.method in ("GET", "HEAD", "PATCH", "PUT")
        and isinstance(getattr(response, "data", None), dict)
    ):
        response["ETag"] = etag_of(response.data, view.etag_volatile)
    return response
