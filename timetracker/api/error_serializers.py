"""The documented error shape (see errors.py), shared by every module's schema as the component "Error"."""

from drf_spectacular.utils import OpenApiResponse, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

DESCRIPTIONS = {
    400: "A malformed request or filter (an unknown parameter, an id that does not exist).",
    401: "No valid API key or session.",
    403: "The key's user lacks the role or permission.",
    404: "No such object, or one the key may not see.",
    409: "The request conflicts with the current state.",
    415: "The body is not JSON, form-encoded or multipart.",
    422: "The body is understood but its content is invalid.",
}


ERROR_BODY = {
    "type": "object",
    "properties": {
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "ids": {
            "type": "array",
            "items": {"type": "integer"},
            "description": "Bulk requests only: the entries that were refused (or not found).",
        },
    },
    "required": ["status", "code", "message"],
}


@extend_schema_field(ERROR_BODY)
class ErrorBodyField(serializers.DictField):
    pass


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """Every failure: `{"error": {"status", "code", "message", "fields"?, "ids"?}}` (see errors.py)."""

    error = ErrorBodyField()


def errors(*statuses):
    """OpenAPI responses for these error statuses, plus 401 and 403, which any API call can answer."""
    wanted = sorted({401, 403, *statuses})
    return {code: OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[code]) for code in wanted}


def with_errors(success, *statuses):
    """{success status: serializer} merged with the error responses."""
    return {**success, **errors(*statuses)}
