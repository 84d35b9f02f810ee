"""ClickUp API v2: `GET /api/v2/team/{team}/time_entries?start_date=&end_date=` in Unix milliseconds, with no
paging (the window is the page). Without `assignee` ClickUp lists only the token owner's entries; the
connection's member ids (an owner's or admin's token) read the others'. Auth: `Authorization: pk_...` for a
personal token. Times and durations arrive as numbers or strings; a negative duration is a running timer.
The project is the entry's List and the client its Space."""

from datetime import UTC

from timetracker.integrations.providers.base import RUNNING, millis, row, text

DEFAULT_BASE = "https://api.clickup.com"


def headers(connection, credentials):
    return {"Authorization": credentials["token"]}


def rows(api, connection, window):
    params = {
        "start_date": int(window.start.astimezone(UTC).timestamp() * 1000),
        "end_date": int(window.end.astimezone(UTC).timestamp() * 1000) - 1,
    }
    members = ",".join(part.strip() for part in connection.account.split(",") if part.strip())
    if members:
        params["assignee"] = members
    listed = api.get(f"api/v2/team/{connection.workspace}/time_entries", **params).json()
    for number, item in enumerate(listed.get("data") or [], start=1):
        running = int(str(item.get("duration") or 0)) < 0 or not item.get("end")
        user = item.get("user") or {}
        place = item.get("task_location") or {}
        yield row(
            number,
            person=text(user.get("username")),
            email=text(user.get("email")),
            client=text(place.get("space_name")),
            project=text(place.get("list_name")),
            task=text((item.get("task") or {}).get("name")),
            description=text(item.get("description")),
            billable=bool(item.get("billable")),
            start=millis(item["start"]),
            end=None if running else millis(item["end"]),
            source_id=str(item["id"]),
            skip=RUNNING if running else "",
        )
