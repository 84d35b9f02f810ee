"""Tempo (Jira) REST API v4: `GET /4/worklogs?from=&to=` (Tempo refuses one without the other), paged by
`offset` / `limit` with `metadata.next`. Auth: `Authorization: Bearer`. A worklog names its author by Atlassian
account id only and its issue by number only: people are matched through the connection's people map (account
id -> user), issues become tasks "Issue 10001" on a "Jira" project. Start dates and times carry no zone: they are
read in the connection's zone."""

from datetime import datetime

from timetracker.integrations.http import SyncError
from timetracker.integrations.providers.base import linked_pages, row, text

DEFAULT_BASE = "https://api.tempo.io"
PAGE = 1000


def headers(connection, credentials):
    return {"Authorization": f"Bearer {credentials['token']}"}


def rows(api, connection, window):
    window = window.widened()  # dates in the account's own zone: a day more each side lists all of ours
    response = api.get(
        "4/worklogs",
        **{"from": window.first.isoformat(), "to": window.last.isoformat(), "offset": 0, "limit": PAGE},
    )
    for number, item in enumerate(linked_pages(api, response, "results", "metadata"), start=1):
        yield _row(number, item)


def _row(number, item):
    try:
        start = datetime.fromisoformat(f"{item['startDate']}T{item.get('startTime') or '09:00:00'}")
    except ValueError:
        raise SyncError(f"Tempo worklog {item.get('tempoWorklogId')}: unreadable start.") from None
    issue = item.get("issue") or {}
    account = text((item.get("author") or {}).get("accountId"))
    return row(
        number,
        person=account,
        project="Jira",
        task=text(issue.get("key")) or f"Issue {issue.get('id')}",
        description=text(item.get("description")),
        billable=(item.get("billableSeconds") or 0) > 0,
        start=start,
        seconds=int(item.get("timeSpentSeconds") or 0),
        source_id=str(item["tempoWorklogId"]),
    )
