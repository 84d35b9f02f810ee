"""The API's JSON parser."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's parser, except that a body nested deeper than Python's json can follow is a 400, not a 500.

    json raises RecursionError there (not the ValueError DRF turns into a ParseError), e.g. for "[" * 100000.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
