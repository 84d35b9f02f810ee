"""Uploaded exports: refused early when too big, and not kept longer than something needs them.

Django reads a request's whole body (spooling a file to disk) the first time anything asks for `request.POST`
or `request.FILES`, and the CSRF check asks before the view runs; a size check on the uploaded file comes
after all of that. So the upload views check the declared length first, before the CSRF check reads the body,
and `SizeLimit` stops a body that turns out longer than it said (or said nothing) as it streams in.
"""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

MAX_UPLOAD = 200 * 1024 * 1024  # bytes; a year of a big agency's time is well under it


def too_big_message(limit=None):
    limit = MAX_UPLOAD if limit is None else limit
    return (
        f"The file is larger than {limit // (1024 * 1024) or 1} MB, the most an import takes. Export a "
        "shorter period (a few months at a time) and import each file."
    )


def declared_too_big(request):
    """Whether the request says its body is over the limit (read from the header: no body is read)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPLOAD
    except ValueError:
        return False


class SizeLimit(FileUploadHandler):
    """Stops reading an upload once it passes MAX_UPLOAD and marks the request, so the view can say why."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > MAX_UPLOAD:
            self.request.upload_too_big = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def limit(request):
    """Put SizeLimit in front of the request's upload handlers (before anything reads the body)."""
    request.upload_handlers.insert(0, SizeLimit(request))
