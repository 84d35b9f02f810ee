"""What every format's parser shares: reading the file as a stream of rows, finding columns by name, and reading
the dates, clock times, hours, money and yes/no values that the exports write in their many ways.

A parser turns a file into `Row`s (one per data row, numbered as a spreadsheet numbers them: the header is row 1)
or `Problem`s (a row that cannot be read, and why). It knows nothing about our clients, users or the database.
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# A quoted note may hold a whole README; the csv module's default limit (128 KiB) would refuse it.
csv.field_size_limit(16 * 1024 * 1024)


class FileError(ValueError):
    """The file as a whole cannot be read (wrong format, missing columns, not text)."""


class RowError(ValueError):
    """One row cannot be read; the message names the column and the value."""


@dataclass(slots=True)
class Row:
    number: int
    person: str = ""
    email: str = ""
    client: str = ""
    project: str = ""
    task: str = ""
    description: str = ""
    billable: bool | None = None
    # Either a span (aware, or naive wall-clock times read later in the chosen time zone) ...
    start: datetime | None = None
    end: datetime | None = None
    # ... or, for exports without clock times (Harvest), a day and a number of seconds.
    day: date | None = None
    seconds: int | None = None
    rate: Decimal | None = None
    source_id: str = ""
    invoiced: str = ""  # a reference when the source says the time is already invoiced there
    skip: str = ""  # why a readable row is still not time to import (a break, a running timer)


@dataclass(slots=True)
class Problem:
    number: int
    message: str


# --- reading text files ------------------------------------------------------------------------------------


def text_stream(binary):
    """The file as text: UTF-8 with or without a BOM, else Windows-1252 (what Excel re-saves in)."""
    head = binary.read(65536)
    binary.seek(0)
    encoding = "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        encoding = "cp1252"
    return io.TextIOWrapper(binary, encoding=encoding, newline="")


def sniff_delimiter(first_line):
    """`,`, `;` or a tab: whichever occurs most in the header outside quotes (European Excel writes `;`)."""
    outside = re.sub(r'"[^"]*"', "", first_line)
    return max((",", ";", "\t"), key=outside.count)


class Table:
    """A CSV file read row by row: the header, then each row padded to the header's length (some exports drop
    a trailing empty field) with its spreadsheet row number."""

    def __init__(self, binary):
        self.stream = text_stream(binary)
        first = self.stream.readline()
        if not first.strip():
            raise FileError("The file is empty.")
        self.delimiter = sniff_delimiter(first)
        self.reader = csv.reader(
            _chain(first, self.stream),
            delimiter=self.delimiter,
            doublequote=True,
            escapechar=None,
            strict=False,
        )
        try:
            self.header = [name.strip().lstrip("\ufeff").strip() for name in next(self.reader)]
        except (csv.Error, StopIteration) as error:
            raise FileError(f"The header row cannot be read: {error}") from None
        self.columns = Columns(self.header)

    def __iter__(self):
        width, number = len(self.header), 1
        try:
            for values in self.reader:
                number += 1
                if not "".join(values).strip():
                    continue  # a blank line, often the last one
                if len(values) < width:
                    values += [""] * (width - len(values))
                yield number, values
        except UnicodeDecodeError:
            raise FileError(
                f"Row {number + 1} is not UTF-8 text; save the file as UTF-8 and try again."
            ) from None
        except csv.Error as error:
            raise FileError(f"Row {number + 1} cannot be read as CSV: {error}") from None


def _chain(first, rest):
    yield first
    yield from rest


@lru_cache(maxsize=65536)  # a file repeats its few names on every row
def norm(name):
    """A header or a name compared the way people mean it: case- and space-insensitive."""
    return " ".join(str(name).split()).casefold()


class Columns:
    """Header names to positions, found by any of their aliases, case-insensitively, or by a prefix such as
    `Billable Rate (` whose end names the currency."""

    def __init__(self, header):
        self.header = header
        self.index = {}
        for position, name in enumerate(header):
            self.index.setdefault(norm(name), position)

    def find(self, *names, prefix=False):
        for name in names:
            key = norm(name)
            if key in self.index:
                return self.index[key]
            if prefix:
                for header, position in self.index.items():
                    if header.startswith(key):
                        return position
        return None

    def has(self, *names):
        return all(self.find(name) is not None for name in names)

    def require(self, label, *required):
        """Positions of the required columns (each a name or a tuple of aliases), or a FileError naming the
        missing ones."""
        found, missing = [], []
        for names in required:
            names = (names,) if isinstance(names, str) else names
            position = self.find(*names)
            (missing.append(names[0]) if position is None else found.append(position))
        if missing:
            names = [f'"{name}"' for name in missing]
            listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
            raise FileError(f"This is not a {label} file: it has no {listed} column.")
        return found


def cell(values, position):
    return values[position].strip() if position is not None and position < len(values) else ""


# --- values ------------------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")
_DOT_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([AaPp])\.?[Mm]\.?)?")


# A file repeats its dates on row after row, and its clock times too: each distinct text is read once.
_DATES, _CLOCKS = {}, {}
_REMEMBERED = 100_000  # distinct texts kept; a file with more starts again (a cache, not a leak)


def parse_date(text, order="mdy", column="date"):
    """`2024-03-04`, `03/04/2024` or `3/4/24` (month first unless `order` is "dmy"), `04.03.2024`."""
    found = _DATES.get((text, order))
    if found is None:
        found = _read_date(text, order, column)
        if len(_DATES) >= _REMEMBERED:
            _DATES.clear()
        _DATES[(text, order)] = found
    return found


def _read_date(text, order, column):
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text)  # the common case, and the quickest
        except ValueError:
            pass
    try:
        if match := _ISO_DATE.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
        elif match := _SLASH_DATE.fullmatch(text):
            first, second, year = (int(part) for part in match.groups())
            month, day = (second, first) if order == "dmy" else (first, second)
            if len(match.group(3)) == 2:
                year += 2000 if year < 70 else 1900
        elif match := _DOT_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
        else:
            raise ValueError
        return date(year, month, day)
    except ValueError:
        shown = "DD/MM/YYYY" if order == "dmy" else "MM/DD/YYYY"
        raise RowError(
            f'{column} "{text}" is not a date (read as YYYY-MM-DD or {shown}).'
            if text
            else f"{column} is empty."
        ) from None


def parse_clock(text, column="time"):
    """`14:05`, `14:05:09`, `2:05 PM`, `02:05:09 pm`: a wall-clock time."""
    found = _CLOCKS.get(text)
    if found is None:
        found = _read_clock(text, column)
        if len(_CLOCKS) >= _REMEMBERED:
            _CLOCKS.clear()
        _CLOCKS[text] = found
    return found


def _read_clock(text, column):
    if len(text) == 8 and text[2] == ":" and text[5] == ":":
        try:
            return time.fromisoformat(text)
        except ValueError:
            pass
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        raise RowError(f'{column} "{text}" is not a time of day.' if text.strip() else f"{column} is empty.")
    hour, minute, second, half = match.groups()
    hour, minute, second = int(hour), int(minute), int(second or 0)
    if half:
        if not 1 <= hour <= 12:
            raise RowError(f'{column} "{text}" is not a 12-hour time.')
        hour = hour % 12 + (12 if half in "Pp" else 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        raise RowError(f'{column} "{text}" is not a time of day.') from None


def parse_number(text, column="number"):
    """A decimal in either notation: `1.5`, `1,5`, `2.000,0`, `1,234.50`, ` EUR 84.00 `."""
    cleaned = re.sub(r"[^0-9.,\-]", "", text)
    if "," in cleaned and "." in cleaned:
        # Whichever comes last is the decimal mark; the other groups thousands.
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise RowError(f'{column} "{text}" is not a number.') from None
    if not value.is_finite():
        raise RowError(f'{column} "{text}" is not a number.')
    return value


def hours_to_seconds(text, column="Hours"):
    hours = parse_number(text, column)
    if hours < 0:
        raise RowError(f'{column} "{text}" is negative.')
    return int((hours * 3600).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


_YES = {"yes", "y", "true", "1", "ja", "oui", "si", "sí", "x"}
_NO = {"no", "n", "false", "0", "nein", "non", ""}


def parse_bool(text, column="Billable"):
    value = text.strip().casefold()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise RowError(f'{column} "{text}" is neither yes nor no.')


def parse_rate(text, column="rate"):
    """A rate from the file, or None when the cell is empty or zero (exports write 0.00 for "no rate")."""
    if not text.strip():
        return None
    rate = parse_number(text, column)
    if rate < 0:
        raise RowError(f'{column} "{text}" is negative.')
    return rate if rate else None


def person_name(*parts):
    return " ".join(part.strip() for part in parts if part and part.strip())


def infer_date_order(values):
    """ "dmy" when some first number is above 12, "mdy" otherwise (Clockify's default)."""
    firsts = seconds = 0
    for text in values:
        if match := _SLASH_DATE.fullmatch(text.strip()):
            firsts = max(firsts, int(match.group(1)))
            seconds = max(seconds, int(match.group(2)))
    return "dmy" if firsts > 12 >= seconds else "mdy"
