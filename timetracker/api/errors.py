"""One error shape for every failure, with a real HTTP status (never 200 with success: false):

{"error": {"status": 422, "code": "validation_error", "message": "...", "fields": {"minutes": ["..."]}}}

A bulk request refused as a whole adds `"ids"`: the entries at fault.
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "throttled",
    500: "server_error",
}


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request could not be processed."
    default_code = "validation_error"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class BadFilter(exceptions.ParseError):
    """A malformed filter or an unknown filter key: 400 naming it."""


def error_body(status_code, message, fields=None):
    body = {"status": status_code, "code": CODES.get(status_code, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def error_response(status_code, message, fields=None):
    return Response(error_body(status_code, message, fields), status=status_code)


# Django's own error views (timetracker/urls.py) for what never reaches a DRF view, or escapes one: an unknown
# /api/ path, an unhandled exception. API callers get the error shape; people get the site's pages.


def _json_error(status_code, message):
    return JsonResponse(error_body(status_code, message), status=status_code)


def _is_api(request):
    return request.path_info.startswith("/api/")


def bad_request(request, exception):
    if _is_api(request):
        too_big = isinstance(exception, RequestDataTooBig)
        return _json_error(400, "The request body is too large." if too_big else "The request is malformed.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return _json_error(403, str(exception) or "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return _json_error(404, f"There is no API route {request.path}; the routes are listed at /api/docs/.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        # Nothing about the failure goes out: it is logged (and mailed to the admins) by Django.
        return _json_error(500, "Something went wrong on the server. The error has been logged.")
    return defaults.server_error(request)


def handle(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    # Field validation is 422 (the request was understood but its content is wrong); DRF says 400.
    if isinstance(exc, exceptions.ValidationError) and not isinstance(exc, BadFilter):
        fields, message = _fields(exc.detail)
        return error_response(422, message, fields)
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    fields, message = _fields(detail) if isinstance(detail, dict | list) else ({}, str(detail))
    reply = error_response(response.status_code, message, fields)
    if getattr(exc, "ids", None):  # a bulk request's refused entries (entry_bulk.BatchRefused)
        reply.data["error"]["ids"] = exc.ids
    for header in ("WWW-Authenticate", "Allow", "Retry-After"):
        if header in response:
            reply[header] = response[header]
    return reply


def _fields(detail):
    if isinstance(detail, list):
        messages = [str(item) for item in detail]
        return {}, " ".join(messages) or "Invalid input."
    fields = {
        key: [str(m) for m in (value if isinstance(value, list) else [value])]
        for key, value in detail.items()
    }
    general = fields.pop("non_field_errors", [])
    first = (
        general[0] if general else next((f"{k}: {v[0]}" for k, v in fields.items() if v), "Invalid input.")
    )
    return fields, first
