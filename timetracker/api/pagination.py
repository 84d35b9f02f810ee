from rest_framework.pagination import PageNumberPagination

from timetracker.api.errors import BadFilter


class PerPagePagination(PageNumberPagination):
    """`?page=` and `?per_page=` (default 25, at most 100; asking for more is a 400, as Moneybird does)."""

    page_size = 25
    page_size_query_param = "per_page"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdecimal()) or int(raw) < 1:
            raise BadFilter(f'per_page must be a whole number from 1 to {self.max_page_size}, not "{raw}".')
        if int(raw) > self.max_page_size:
            raise BadFilter(f"per_page can be at most {self.max_page_size}; {raw} was asked for.")
        return int(raw)
