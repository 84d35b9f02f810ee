"""solidtime: its organization export (a ZIP of CSVs, format 1.0, UTC times, ids), its Detailed report CSV
(local times without an offset) and its "generic" time entries CSV (UTC times)."""

import posixpath
import zipfile
from datetime import datetime
from decimal import Decimal

from timetracker.imports.parsers.base import (
    Columns,
    FileError,
    Problem,
    Row,
    RowError,
    Table,
    cell,
    parse_bool,
)

LABEL = "solidtime export"
DETAILED = ("Description", "Task", "Project", "Client", "User", "Start", "End", "Billable")
GENERIC = ("description", "billable", "project", "start", "end", "user_name", "user_email")
# A ZIP is unpacked member by member; these limits keep a crafted one from filling the memory.
MAX_MEMBERS, MAX_MEMBER_BYTES = 200, 1024**3


def detect(columns: Columns):
    return columns.has(*DETAILED) or columns.has(*GENERIC)


def _utc(text, name):
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f'{name} "{text}" is not a UTC time like 2024-03-04T09:23:52Z.') from None
    if moment.tzinfo is None:
        raise RowError(f'{name} "{text}" has no UTC offset.')
    return moment


def _local(text, name):
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RowError(f'{name} "{text}" is not a time like 2024-03-04 09:23:52.') from None
    return moment.replace(tzinfo=None) if moment.tzinfo is None else moment


def rows(open_file, options):
    with open_file() as binary:
        table = Table(binary)
        c = table.columns
        generic = c.has(*GENERIC)
        names = GENERIC if generic else DETAILED
        positions = dict(zip(names, c.require(LABEL, *names), strict=True))
        client, task = c.find("client"), c.find("task")
        read = _utc if generic else _local
        for number, values in table:
            get = lambda name, values=values: cell(values, positions[name])  # noqa: E731
            try:
                start_name, end_name = ("start", "end") if generic else ("Start", "End")
                if not get(end_name):
                    yield Row(number, skip="The timer was still running when the file was exported.")
                    continue
                yield Row(
                    number,
                    person=get("user_name" if generic else "User"),
                    email=get("user_email") if generic else "",
                    client=cell(values, client),
                    project=get("project" if generic else "Project"),
                    task=cell(values, task),
                    description=values[positions["description" if generic else "Description"]],
                    billable=parse_bool(get("billable" if generic else "Billable")),
                    start=read(get(start_name), start_name),
                    end=read(get(end_name), end_name),
                )
            except RowError as error:
                yield Problem(number, str(error))


# --- the organization export ZIP ----------------------------------------------------------------------------


def _members(archive):
    """Base name -> member info; the files may sit in a folder inside the ZIP."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise FileError(f"The ZIP holds {len(infos)} files; a solidtime export holds about ten.")
    found = {}
    for info in infos:
        if info.is_dir():
            continue
        if info.file_size > MAX_MEMBER_BYTES:
            raise FileError(f"{info.filename} in the ZIP is larger than 1 GB.")
        found.setdefault(posixpath.basename(info.filename), info)
    return found


def _csv(archive, members, name):
    if name not in members:
        return
    with archive.open(members[name]) as raw:
        table = Table(raw)
        c = table.columns
        for number, values in table:
            yield number, {key: cell(values, c.find(key)) for key in c.index}, values, c


def _lookup(archive, members, name, key, *fields):
    return {
        record["id"]: tuple(record.get(field, "") for field in (key, *fields))
        for _, record, _, _ in _csv(archive, members, name)
    }


def zip_rows(open_file, options):
    with open_file() as binary:
        try:
            archive = zipfile.ZipFile(binary)
        except zipfile.BadZipFile:
            raise FileError("This is not a readable ZIP file.") from None
        with archive:
            members = _members(archive)
            if "time_entries.csv" not in members:
                raise FileError("This ZIP is not a solidtime export: it has no time_entries.csv.")
            people = _lookup(archive, members, "members.csv", "name", "email")
            clients = _lookup(archive, members, "clients.csv", "name")
            projects = _lookup(archive, members, "projects.csv", "name", "client_id")
            tasks = {}
            for _, record, _, _ in _csv(archive, members, "tasks.csv"):
                tasks.setdefault(record["id"], record["name"])  # the upstream fixture repeats a task id
            for number, record, values, c in _csv(archive, members, "time_entries.csv"):
                try:
                    yield _zip_row(number, record, values, c, people, clients, projects, tasks)
                except RowError as error:
                    yield Problem(number, str(error))


def _zip_row(number, record, values, c, people, clients, projects, tasks):
    if not record.get("id"):
        raise RowError("This entry has no id.")
    if not record.get("end"):
        return Row(number, source_id=record["id"], skip="The timer was still running when it was exported.")
    person, email = people.get(record.get("member_id"), ("", ""))
    project_name, project_client = projects.get(record.get("project_id"), ("", ""))
    client_name = clients.get(record.get("client_id") or project_client, ("",))[0]
    billable = parse_bool(record.get("billable", ""))
    cents = record.get("billable_rate", "")
    if cents and not cents.isdigit():
        raise RowError(f'billable_rate "{cents}" is not a whole number of cents.')
    description = values[c.find("description")] if c.find("description") is not None else ""
    return Row(
        number,
        source_id=record["id"],
        person=person,
        email=email,
        client=client_name,
        project=project_name,
        task=tasks.get(record.get("task_id"), ""),
        description=description,
        billable=billable,
        start=_utc(record["start"], "start"),
        end=_utc(record["end"], "end"),
        rate=(Decimal(cents) / 100 if billable and cents and int(cents) else None),
    )
