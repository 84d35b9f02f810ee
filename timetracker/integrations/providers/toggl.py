"""Toggl Track API v9, and Reports API v3 for a whole workspace.

Without a workspace id the connection reads the token owner's own entries (`GET /api/v9/me/time_entries` with
`meta=true` for client, project and person names). With one it reads everybody's through the detailed report
(`POST /reports/api/v3/workspace/{id}/search/time_entries`), paged by the `X-Next-ID` / `X-Next-Row-Number`
headers, with the workspace's projects and clients looked up once for their names.
Auth: HTTP Basic with the token as user name and the literal password `api_token`.
"""

import base64
from datetime import UTC

from timetracker.integrations.providers.base import RUNNING, moment, money, row, text

DEFAULT_BASE = "https://api.track.toggl.com"
PAGE = 200  # rows per report page (the API's default is 50)


def headers(connection, credentials):
    pair = base64.b64encode(f"{credentials['token']}:api_token".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def rows(api, connection, window):
    if connection.workspace:
        yield from _workspace_rows(api, connection.workspace, window)
    else:
        yield from _own_rows(api, window)


def _own_rows(api, window):
    # Instants, not dates: Toggl would read dates in UTC or the profile's zone, not the connection's.
    listed = api.get(
        "api/v9/me/time_entries",
        start_date=_rfc3339(window.start),
        end_date=_rfc3339(window.end),  # exclusive
        meta="true",
    ).json()
    for number, item in enumerate(listed or [], start=1):
        if item.get("server_deleted_at"):
            continue  # deleted upstream: absent, so removed here
        running = item.get("stop") is None or (item.get("duration") or 0) < 0
        yield row(
            number,
            person=text(item.get("user_name")),
            client=text(item.get("client_name")),
            project=text(item.get("project_name")),
            description=text(item.get("description")),
            billable=bool(item.get("billable")),
            start=moment(item["start"]),
            end=None if running else moment(item["stop"]),
            source_id=str(item["id"]),
            skip=RUNNING if running else "",
        )


def _workspace_rows(api, workspace, window):
    projects = {p["id"]: p for p in api.get(f"api/v9/workspaces/{workspace}/projects").json() or []}
    clients = {c["id"]: c["name"] for c in api.get(f"api/v9/workspaces/{workspace}/clients").json() or []}
    wide = window.widened()  # the report takes dates, in the workspace's zone
    body = {
        "start_date": wide.first.isoformat(),
        "end_date": wide.last.isoformat(),
        "page_size": PAGE,
        "order_by": "date",
        "order_dir": "asc",
    }
    number = 0
    while True:
        response = api.post(f"reports/api/v3/workspace/{workspace}/search/time_entries", body)
        for group in response.json() or []:
            project = projects.get(group.get("project_id")) or {}
            rate = money(group.get("hourly_rate_in_cents"), cents=True)
            for item in group.get("time_entries") or []:
                number += 1
                running = not item.get("stop") or (item.get("seconds") or 0) < 0
                yield row(
                    number,
                    person=text(group.get("username")),
                    client=text(clients.get(project.get("client_id"))),
                    project=text(project.get("name")),
                    description=text(group.get("description")),
                    billable=bool(group.get("billable")),
                    start=moment(item["start"]),
                    end=None if running else moment(item["stop"]),
                    rate=rate,
                    source_id=str(item["id"]),
                    skip=RUNNING if running else "",
                )
        next_id = response.headers.get("X-Next-ID")
        if not next_id:
            return
        body = {
            **body,
            "first_id": int(next_id),
            "first_row_number": int(response.headers["X-Next-Row-Number"]),
        }


def _rfc3339(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
