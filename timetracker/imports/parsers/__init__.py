"""The formats we read: name -> (label, how to read it). `detect` picks one from the file's first bytes and
header, so people rarely have to choose."""

import zipfile

from timetracker.imports.parsers import clockify, generic, harvest, kimai, solidtime, toggl
from timetracker.imports.parsers.base import FileError, Problem, Row, Table  # noqa: F401


class Format:
    def __init__(self, name, label, read, detect=None):
        self.name, self.label, self.read, self.detect = name, label, read, detect


FORMATS = {
    f.name: f
    for f in (
        Format("toggl", toggl.LABEL, toggl.rows, toggl.detect),
        Format("toggl_json", toggl.JSON_LABEL, toggl.json_rows),
        Format("clockify", clockify.LABEL, clockify.rows, clockify.detect),
        Format("harvest", harvest.LABEL, harvest.rows, harvest.detect),
        Format("kimai", kimai.LABEL, kimai.rows, kimai.detect),
        Format("kimai_xlsx", "Kimai timesheet XLSX", kimai.xlsx_rows),
        Format("solidtime", "solidtime CSV", solidtime.rows, solidtime.detect),
        Format("solidtime_zip", "solidtime export ZIP", solidtime.zip_rows),
        Format("generic", generic.LABEL, generic.rows),
    )
}
CHOICES = [(f.name, f.label) for f in FORMATS.values()]


def detect(open_file):
    """The format's name, from the first bytes (ZIP, XLSX, JSON) or the CSV header; None if unknown."""
    with open_file() as binary:
        head = binary.read(4096)
        binary.seek(0)
        if head.startswith(b"PK\x03\x04"):
            try:
                names = zipfile.ZipFile(binary).namelist()
            except zipfile.BadZipFile:
                return None
            if "xl/workbook.xml" in names:
                return "kimai_xlsx"
            return "solidtime_zip" if any(n.rsplit("/", 1)[-1] == "time_entries.csv" for n in names) else None
        if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
            return "toggl_json"
        try:
            columns = Table(binary).columns
        except (FileError, UnicodeDecodeError):
            return None
    for f in FORMATS.values():
        if f.detect and f.detect(columns):
            return f.name
    return None


def read(name, open_file, options):
    """Rows and Problems of a file in the format `name`; a FileError when the file as a whole is wrong."""
    return FORMATS[name].read(open_file, options)
