from functools import partial

from django.core import signing
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from timetracker.api.errors import BadFilter


class PerPagePagination(PageNumberPagination):
    """`?page=` and `?per_page=` (default 25, at most 100; asking for more is a 400, as Moneybird does).

    `limit` is the Timesheets API's name for `per_page`. A page that is not a whole number, or lies past the
    end, is the query string's fault: a 400 naming `page`, on every list (never a 404: the list exists)."""

    page_size = 25
    page_size_query_param = "per_page"
    page_size_alias = "limit"
    max_page_size = 100

    def get_page_size(self, request):
        params = request.query_params
        raw, alias = params.get(self.page_size_query_param), params.get(self.page_size_alias)
        if raw is not None and alias is not None and raw != alias:
            raise BadFilter("per_page and its alias limit were both given, with different values.")
        raw = alias if raw is None else raw
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdecimal()) or int(raw) < 1:
            raise BadFilter(f'per_page must be a whole number from 1 to {self.max_page_size}, not "{raw}".')
        if int(raw) > self.max_page_size:
            raise BadFilter(f"per_page can be at most {self.max_page_size}; {raw} was asked for.")
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise page_error(request, getattr(self, "page", None)) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        alias = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        parameters.append(
            {"name": self.page_size_alias, "required": False, "in": "query", "description": "Alias of per_page.",
             "schema": alias}
        )  # fmt: skip
        return parameters


def page_error(request, page=None):
    """The 400 for a page that is not a whole number from 1, or lies past the end."""
    raw = request.query_params.get("page")
    if raw is None or not (raw.isascii() and raw.isdecimal()) or int(raw) < 1:
        return BadFilter(f'page must be a whole number from 1 (or "last"), not "{raw}".')
    return BadFilter(f"page: there is no page {raw}; the list ends before it.")


CURSOR_HELP = (
    "Opaque position from a previous answer's `next_cursor`: the rows after it, in the same sort and order, "
    "without counting (`count` is null). Not with `page`."
)
COUNT_HELP = "false skips counting the matches (`count` is null): cheaper on long lists. Default true."
CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY, description=CURSOR_HELP),
    OpenApiParameter("count", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description=COUNT_HELP),
]
_SALT = "timetracker.api.cursor"
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


class KeysetPagination(PerPagePagination):
    """`page` as before, or `cursor`: keyset pagination on the queryset's order, `(field, pk)` both one way.

    A page costs a COUNT(*) and an OFFSET that grow with the table; a cursor is `WHERE (field, pk) > (x, n)`
    on an index of the same order, so the millionth row costs what the first does. The cursor is the last
    row's sort key and the order it belongs to, signed: a forged or edited one is a 400, and one made for
    another order is refused rather than silently skipping rows."""

    def paginate_queryset(self, queryset, request, view=None, count=None):
        """`count`: the number of matches when the caller knows it without counting rows (from kept totals)."""
        self.request = request
        if count is not None:
            self.django_paginator_class = partial(KnownCountPaginator, count=count)
        self.size = self.get_page_size(request)
        self.field, self.descending = _keyset_order(queryset)
        self.count = self.page_number = None
        counting, raw = _counting(request), request.query_params.get("cursor")
        if raw is not None:
            if request.query_params.get(self.page_query_param) is not None:
                raise BadFilter("cursor: give either cursor or page, not both.")
            value, pk = self._decode(raw, queryset.model)
            rows = list(queryset.filter(self._after(value, pk))[: self.size + 1])
        elif counting:
            rows = super().paginate_queryset(queryset, request, view)
            self.count, self.page_number = self.page.paginator.count, self.page.number
            self.has_next, self.rows = self.page.has_next(), rows
            return rows
        else:
            self.page_number = self._page_number(request)
            start = (self.page_number - 1) * self.size
            rows = list(queryset[start : start + self.size + 1])
            if not rows and self.page_number > 1:
                raise page_error(request)
        # One row more than the page tells whether there is a next one, without counting.
        self.has_next, self.rows = len(rows) > self.size, rows[: self.size]
        return self.rows

    def _after(self, value, pk):
        # The first bound repeats what the OR says, so PostgreSQL reads the index from (value) on instead of
        # from its start (it does not derive a range from an OR: 850k rows filtered for one page of 1M); SQLite
        # finds the range either way.
        way = "lt" if self.descending else "gt"
        bound = {f"{self.field}__{way}e": value}
        return Q(**bound) & (
            Q(**{f"{self.field}__{way}": value}) | Q(**{self.field: value, f"pk__{way}": pk})
        )

    def _order(self):
        return ("-" if self.descending else "") + self.field

    def _decode(self, raw, model):
        try:
            order, value, pk = signing.loads(raw, salt=_SALT)
            value = model._meta.get_field(self.field).to_python(value)
        except (signing.BadSignature, ValueError, TypeError, ValidationError):
            raise BadFilter("cursor: not a cursor this API gave out; use next_cursor as it came.") from None
        if order != self._order():
            raise BadFilter(
                f'cursor: it belongs to the order "{order}", not "{self._order()}"; keep sort and order.'
            )
        if type(pk) is not int or value is None:
            raise BadFilter("cursor: not a cursor this API gave out; use next_cursor as it came.")
        return value, pk

    def _encode(self, row):
        value = getattr(row, self.field)
        value = value.isoformat() if hasattr(value, "isoformat") else value
        return signing.dumps([self._order(), value, row.pk], salt=_SALT)

    def _page_number(self, request):
        raw = request.query_params.get(self.page_query_param) or "1"
        if not (raw.isascii() and raw.isdecimal()) or int(raw) < 1:
            raise page_error(request)
        return int(raw)

    def get_next_link(self):
        url = self.request.build_absolute_uri()
        if not self.has_next:
            return None
        if self.page_number is None:
            return replace_query_param(url, "cursor", self.next_cursor)
        return replace_query_param(url, self.page_query_param, self.page_number + 1)

    def get_previous_link(self):
        # A cursor walks forward only; page users keep their previous link.
        if not self.page_number or self.page_number == 1:
            return None
        url = self.request.build_absolute_uri()
        if self.page_number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.page_number - 1)

    def get_paginated_response(self, data):
        self.next_cursor = self._encode(self.rows[-1]) if self.has_next else None
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "next_cursor": self.next_cursor,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": "All matches; null when a cursor or count=false is used.",
        }
        properties["next_cursor"] = {
            "type": "string",
            "nullable": True,
            "description": "Pass as `cursor` for the rows after these; null on the last page.",
        }
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for name, type_, description in (("cursor", "string", CURSOR_HELP), ("count", "boolean", COUNT_HELP)):
            parameters.append(
                {
                    "name": name,
                    "required": False,
                    "in": "query",
                    "description": description,
                    "schema": {"type": type_},
                }
            )
        return parameters


class KnownCountPaginator(Paginator):
    """A Django paginator told its count (Paginator.count is a cached property: this fills the cache)."""

    def __init__(self, *args, count, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__["count"] = count


def _counting(request):
    raw = request.query_params.get("count")
    if raw is None or raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise BadFilter(f'count must be true or false, not "{raw}".')


def _keyset_order(queryset):
    """(field, descending) of a queryset ordered by a field then pk, both the same way."""
    order = [str(term) for term in queryset.query.order_by]
    if len(order) == 2 and order[1].lstrip("-") in ("pk", "id"):
        descending = order[0].startswith("-")
        if order[1].startswith("-") == descending:
            return order[0].lstrip("-"), descending
    raise ImproperlyConfigured(f"Keyset pagination needs an order by one field and then pk, not {order}.")
