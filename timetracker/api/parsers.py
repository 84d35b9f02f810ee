"""Request bodies: JSON, form-encoded or multipart, read into one shape (a dict) before any view sees them.

The seeds' own requests are form posts as often as JSON: the Timesheets API's `curl -d task_id=43 -d hours=1`,
Moneybird's `time_entry[started_at]=...`. Every view reads `request.data` as the dict a JSON body gives, so
the normalising happens once, here, for all of them:
- `name[key]=v` nests (`{"name": {"key": "v"}}`), to any depth Rails, PHP and Moneybird use;
- `name[]=v` and a name given more than once are lists; every other value is a single string;
- a resource's wrapper (`{"time_entry": {...}}`, `note[...]`) is taken off by `unwrap`, JSON or form alike.

Form values stay strings: the serializers read "1", "true" and "2026-03-02" as they read 1, true and dates.
A form cannot send null; a list of one needs `name[]=`.
"""

import re

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.request import Empty, Request

# The media types every API view reads; imports (a file upload) lists its own.
ACCEPTED = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_PART = re.compile(r"\[([^\[\]]*)\]")
MAX_DEPTH = 5


class JSONParser(parsers.JSONParser):
    """DRF's parser, except that a body nested deeper than Python's json can follow is a 400, not a 500.

    json raises RecursionError there (not the ValueError DRF turns into a ParseError), e.g. for "[" * 100000.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


PARSERS = [JSONParser, parsers.FormParser, parsers.MultiPartParser]


class ApiRequest(Request):
    """DRF's request, with a form or multipart body (or an empty one sent as a form) read as a dict.

    Only `request.data` changes: `request.POST` and `request.FILES` stay Django's QueryDicts. Uploaded files
    join the dict under their names (DRF's own merge would keep them as one-item lists)."""

    def _load_data_and_files(self):
        first = self._data is Empty
        super()._load_data_and_files()
        if first and isinstance(self._data, QueryDict):
            form = self._data.copy()
            for key, uploads in self._files.lists() if self._files else ():
                form.setlist(key, [*form.getlist(key), *uploads])
            self._full_data = nest(form)


def nest(form):
    """A QueryDict as the dict a JSON body would give: bracketed names nested, repeated names as lists."""
    data = {}
    for key, values in form.lists():
        match = _KEY.fullmatch(key)
        path = [match[1], *_PART.findall(match[2])] if match else [key]  # an odd name stays as it is
        if len(path) > MAX_DEPTH + 1:
            raise ParseError(f'The form field "{key}" is nested more than {MAX_DEPTH} levels deep.')
        # `name[]`: always a list; a plain name only when given more than once.
        listed = len(path) > 1 and path[-1] == ""
        *parents, last = path[:-1] if listed else path
        node = data
        for name in parents:
            node = node.setdefault(name, {}) if name else None
            if not isinstance(node, dict):
                raise ParseError(f'The form field "{key}" clashes with another field of the same name.')
        value = values if listed or len(values) > 1 else values[0]
        if last in node:
            raise ParseError(f'The form field "{key}" clashes with another field of the same name.')
        node[last] = value
    return data


def unwrap(data, wrapper):
    """The body inside a resource's wrapper (`{"time_entry": {...}}`, as Moneybird sends), else the body.

    Only a body made of the wrapper alone is unwrapped: next to other fields the name is a field of its own
    (a note's text is called `note` too)."""
    if isinstance(data, dict) and set(data) == {wrapper} and isinstance(data[wrapper], dict):
        return data[wrapper]
    return data
