"""`Idempotency-Key` on POST: a retried request gets the first one's answer instead of doing the work again.

The key is stored (accounts.IdempotencyKey) in the same transaction as the work, with the answer. A second
request with the same key (same user) either waits for the first to commit (PostgreSQL holds its insert on the
unique (user, key) pair) and then replays its answer, or, if the first was refused, runs itself. Only
successful (2xx) answers are kept: a refusal leaves nothing, so the caller can fix the body and retry with the
same key. The same key with another body or route is a 422. Keys expire after 24 hours.
"""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from rest_framework import exceptions
from rest_framework.response import Response

from timetracker.accounts.models import IdempotencyKey
from timetracker.api.errors import Conflict, Unprocessable

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


class _NotKept(Exception):
    """A non-2xx answer returned (not raised) by a handler: rolls the key back with the work."""

    def __init__(self, response):
        self.response = response


def _key(request):
    key = request.headers[HEADER]
    if not (0 < len(key) <= MAX_LENGTH and key.isascii() and key.isprintable() and key.strip() == key):
        raise exceptions.ParseError(
            f"{HEADER} must be 1 to {MAX_LENGTH} printable ASCII characters without surrounding spaces."
        )
    return key


def _fingerprint(request):
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(handler):
    """`handler` (a POST) made safe to retry under the request's Idempotency-Key."""

    def run(request, *args, **kwargs):
        key, fingerprint, user = _key(request), _fingerprint(request), request.user
        IdempotencyKey.forget_expired(user=user)
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        row = IdempotencyKey.objects.create(
                            user=user, key=key, fingerprint=fingerprint, status_code=0
                        )
                except IntegrityError:
                    row = None  # used before: answered below, outside this transaction
                if row is not None:
                    response = handler(request, *args, **kwargs)
                    if not 200 <= response.status_code < 300:
                        raise _NotKept(response)
                    row.status_code, row.response_body = response.status_code, response.data
                    row.save(update_fields=["status_code", "response_body"])
                    return response
        except _NotKept as refused:
            return refused.response
        return replay(user, key, fingerprint)

    return run


def replay(user, key, fingerprint):
    stored = IdempotencyKey.objects.filter(user=user, key=key).first()
    if stored is None or stored.status_code == 0:
        # Only without PostgreSQL's wait: the first request has not finished.
        raise Conflict(f"A request with this {HEADER} is still being processed; retry in a moment.")
    if stored.fingerprint != fingerprint:
        raise Unprocessable(
            f"This {HEADER} was already used for a different request (another body or route) in the last "
            "24 hours; send a new key for a new request."
        )
    response = Response(stored.response_body, status=stored.status_code)
    response["Idempotent-Replayed"] = "true"
    return response
