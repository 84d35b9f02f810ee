"""Harvest API v2: `GET /v2/time_entries?from=&to=`, following `links.next` (page numbers today, cursors on the
other lists already). Auth: `Authorization: Bearer`, `Harvest-Account-Id`, and a `User-Agent` with a contact
address, which Harvest requires. Hours are decimals on a day; clock times ("3:00pm") only on accounts that track
them, read in the connection's zone. Time billed in Harvest comes in marked, so it is never billed twice."""

from datetime import datetime

from timetracker.imports.parsers.base import RowError, parse_clock
from timetracker.integrations.http import SyncError
from timetracker.integrations.providers.base import RUNNING, linked_pages, money, row, text

DEFAULT_BASE = "https://api.harvestapp.com"


def headers(connection, credentials):
    return {
        "Authorization": f"Bearer {credentials['token']}",
        "Harvest-Account-Id": connection.account,
        "User-Agent": f"Timetracker ({connection.email or 'no contact given'})",
    }


def rows(api, connection, window):
    window = window.widened()  # dates in the account's own zone: a day more each side lists all of ours
    response = api.get(
        "v2/time_entries",
        **{"from": window.first.isoformat(), "to": window.last.isoformat(), "per_page": 2000},
    )
    for number, item in enumerate(linked_pages(api, response, "time_entries", "links"), start=1):
        yield _row(number, item)


def _row(number, item):
    day = datetime.strptime(item["spent_date"], "%Y-%m-%d").date()
    start = None
    if item.get("started_time"):
        try:
            start = datetime.combine(day, parse_clock(item["started_time"], "started_time"))
        except RowError as error:
            raise SyncError(f"Harvest entry {item['id']}: {error}") from None
    invoice = item.get("invoice") or {}
    billed = ""
    if item.get("is_billed"):
        billed = f"Harvest invoice {invoice['number']}" if invoice.get("number") else "Billed in Harvest"
    return row(
        number,
        person=text((item.get("user") or {}).get("name")),
        client=text((item.get("client") or {}).get("name")),
        project=text((item.get("project") or {}).get("name")),
        task=text((item.get("task") or {}).get("name")),
        description=text(item.get("notes")),
        billable=bool(item.get("billable")),
        start=start,
        day=None if start else day,
        seconds=round((money(item.get("hours")) or 0) * 3600),
        rate=money(item.get("billable_rate")),
        source_id=str(item["id"]),
        invoiced=billed,
        skip=RUNNING if item.get("is_running") else "",
    )
