"""Clockify API v1: each person's entries (`GET /workspaces/{ws}/user/{id}/time-entries`, hydrated so project,
client and task names come along), for every member of the workspace (`GET /workspaces/{ws}/users`) or for the
member ids the connection names. Pages are bare JSON arrays: a short page is the last. Auth: `X-Api-Key`."""

from datetime import UTC

from timetracker.integrations.providers.base import RUNNING, moment, money, row, text

DEFAULT_BASE = "https://api.clockify.me"
PAGE = 200


def headers(connection, credentials):
    return {"X-Api-Key": credentials["token"]}


def _pages(api, path, **params):
    page = 1
    while True:
        items = api.get(path, page=page, **{"page-size": PAGE}, **params).json() or []
        yield from items
        if len(items) < PAGE:
            return
        page += 1


def rows(api, connection, window):
    workspace = connection.workspace
    wanted = {part.strip() for part in connection.account.split(",") if part.strip()}
    members = [
        member
        for member in _pages(api, f"api/v1/workspaces/{workspace}/users")
        if not wanted or member["id"] in wanted
    ]
    number = 0
    start, end = (_iso(bound) for bound in (window.start, window.end))
    for member in members:
        path = f"api/v1/workspaces/{workspace}/user/{member['id']}/time-entries"
        for item in _pages(api, path, start=start, end=end, hydrated="true"):
            number += 1
            interval = item.get("timeInterval") or {}
            project = item.get("project") or {}
            running = not interval.get("end")
            skip = RUNNING if running else ""
            if item.get("type") == "BREAK":
                skip = "A break, not work."
            yield row(
                number,
                person=text(member.get("name")),
                email=text(member.get("email")),
                client=text(project.get("clientName")),
                project=text(project.get("name")),
                task=text((item.get("task") or {}).get("name")),
                description=text(item.get("description")),
                billable=bool(item.get("billable")),
                start=moment(interval["start"]),
                end=None if running else moment(interval["end"]),
                rate=money((item.get("hourlyRate") or {}).get("amount"), cents=True),
                source_id=str(item["id"]),
                skip=skip,
            )


def _iso(bound):
    return bound.astimezone(UTC).isoformat().replace("+00:00", "Z")
