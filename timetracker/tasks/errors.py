"""What the write path (tasks/entries.py) refuses, as exceptions whose message says why in a user's words.
Importable from entries too (`entries.EntryError`), where every caller meets them."""


class EntryError(Exception):
    """Time that cannot be written as asked; the message says why in words a user understands.

    `field` names the input at fault where there is one, so forms and the API can point at it."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class TooShort(EntryError):
    """Less than one minute of work."""


class BucketUsedUp(EntryError):
    """The task's bucket is used up and set to stop new time."""


class Locked(EntryError):
    """The entry is invoiced (on our invoice or billed elsewhere)."""


class Gone(EntryError):
    """The entry was deleted, stopped or moved by someone else meanwhile."""


class Overlaps(EntryError):
    """The agency does not allow a person's entries to overlap, and this one would."""
