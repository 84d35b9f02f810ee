"""Fake provider servers on 127.0.0.1 (pytest-httpserver) that answer as the documented APIs do: their auth
headers, pagination and envelopes, with switches for the faults a sync must survive (`faults`: answers given
before the real one, e.g. a 429 with Retry-After, a 500, Toggl's 402).

Entries are kept in each provider's own shape, so a test edits or deletes one between two syncs as a user of
that tracker would. Shapes follow ../shared/research/sync-reports-imports.md section 1."""

import base64
import json
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from werkzeug import Response


def _instant(text):
    if "T" not in text:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _json(body, status=200, headers=None):
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


class Fake:
    def __init__(self, token="secret-token-0001", entries=None):
        self.token = token
        self.entries = list(entries or [])
        self.faults = []  # (status, headers, body) answered before the real answer, one per request
        self.requests = []

    def _fault(self, request):
        self.requests.append(request.full_path)
        if self.faults:
            status, headers, body = self.faults.pop(0)
            return _json(body, status, headers)
        return None

    def handler(self, answer):
        def handle(request):
            return self._fault(request) or self.refuse(request) or answer(request)

        return handle

    def refuse(self, request):
        return None


# --- Toggl Track v9 / Reports v3 --------------------------------------------------------------------------------


class Toggl(Fake):
    workspace = 2230580

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.projects = [{"id": 63334409, "name": "AGL Social Media", "client_id": 901}]
        self.clients = [{"id": 901, "name": "AGL"}]

    def install(self, server):
        server.expect_request("/api/v9/me/time_entries", method="GET").respond_with_handler(
            self.handler(self.me_entries)
        )
        server.expect_request(f"/api/v9/workspaces/{self.workspace}/projects").respond_with_handler(
            self.handler(lambda request: _json(self.projects))
        )
        server.expect_request(f"/api/v9/workspaces/{self.workspace}/clients").respond_with_handler(
            self.handler(lambda request: _json(self.clients))
        )
        server.expect_request(
            f"/reports/api/v3/workspace/{self.workspace}/search/time_entries", method="POST"
        ).respond_with_handler(self.handler(self.report))
        return self

    def refuse(self, request):
        expected = "Basic " + base64.b64encode(f"{self.token}:api_token".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return Response("Incorrect username and/or password", status=403)
        return None

    @staticmethod
    def entry(ident, start, seconds, description="Inbox Zero", **extra):
        stop = None if seconds is None else start + timedelta(seconds=seconds)
        return {
            "id": ident,
            "workspace_id": Toggl.workspace,
            "project_id": 63334409,
            "task_id": None,
            "billable": True,
            "start": start.isoformat(),
            "stop": stop.isoformat() if stop else None,
            "duration": seconds if seconds is not None else -int(start.timestamp()),
            "description": description,
            "tags": [],
            "at": (stop or start).isoformat(),
            "server_deleted_at": None,
            "user_id": 2166261,
            "client_name": "AGL",
            "project_name": "AGL Social Media",
            "user_name": "Marco",
            **extra,
        }

    def _in(self, entry, first, last):
        return first <= datetime.fromisoformat(entry["start"]).date() < last

    def me_entries(self, request):
        """`start_date` / `end_date` as RFC 3339 instants, or as dates read as UTC days (as Toggl does)."""
        if "since" in request.args and "before" in request.args:
            return _json("'since' and 'before' can not be present simultaneously", 400)
        first, last = (_instant(request.args[name]) for name in ("start_date", "end_date"))
        return _json([e for e in self.entries if first <= datetime.fromisoformat(e["start"]) < last])

    def report(self, request):
        body = request.get_json()
        first = date.fromisoformat(body["start_date"])
        last = date.fromisoformat(body["end_date"]) + timedelta(days=1)
        listed = [e for e in self.entries if self._in(e, first, last) and not e["server_deleted_at"]]
        start = body.get("first_row_number", 1) - 1
        size = body.get("page_size", 50)
        page = listed[start : start + size]
        rows = [
            {
                "user_id": e["user_id"],
                "username": e["user_name"],
                "project_id": e["project_id"],
                "task_id": None,
                "billable": e["billable"],
                "description": e["description"],
                "tag_ids": [],
                "hourly_rate_in_cents": 7500,
                "currency": "EUR",
                "row_number": start + n + 1,
                "time_entries": [
                    {
                        "id": e["id"],
                        "seconds": e["duration"],
                        "start": e["start"],
                        "stop": e["stop"],
                        "at": e["at"],
                    }
                ],
            }
            for n, e in enumerate(page)
        ]
        headers = {}
        if start + size < len(listed):
            headers = {
                "X-Next-ID": str(listed[start + size]["id"]),
                "X-Next-Row-Number": str(start + size + 1),
            }
        return _json(rows, headers=headers)


# --- Clockify v1 ------------------------------------------------------------------------------------------------


class Clockify(Fake):
    workspace = "79d95471c93cff26089752cc"

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = users or [
            {"id": "b4de890ff78038db26859c0a", "email": "zoe@example.com", "name": "Zoë Ødegård"}
        ]

    def install(self, server):
        server.expect_request(f"/api/v1/workspaces/{self.workspace}/users").respond_with_handler(
            self.handler(lambda request: self._page(request, self.users))
        )
        server.expect_request(
            re.compile(rf"/api/v1/workspaces/{self.workspace}/user/\w+/time-entries")
        ).respond_with_handler(self.handler(self.time_entries))
        return self

    def refuse(self, request):
        if request.headers.get("X-Api-Key") != self.token:
            return _json({"message": "Full authentication is required", "code": 401}, 401)
        return None

    @staticmethod
    def _page(request, items):
        page, size = int(request.args.get("page", 1)), int(request.args.get("page-size", 50))
        return _json(items[(page - 1) * size : page * size])

    @staticmethod
    def entry(ident, user, start, seconds, description="Design review", **extra):
        end = None if seconds is None else start + timedelta(seconds=seconds)
        return {
            "id": ident,
            "description": description,
            "tagIds": [],
            "userId": user,
            "billable": True,
            "taskId": "863f50306dd734f7f70a5327",
            "projectId": "97210bf336f73c996f45f6e1",
            "workspaceId": Clockify.workspace,
            "timeInterval": {
                "start": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "end": end.astimezone(UTC).isoformat().replace("+00:00", "Z") if end else None,
                "duration": f"PT{seconds // 60}M" if seconds else None,
            },
            "project": {"name": "Website relaunch", "clientName": "Café Münster"},
            "task": {"name": "Wireframes"},
            "type": "REGULAR",
            "hourlyRate": {"amount": 4500, "currency": "EUR"},
            "isLocked": False,
            **extra,
        }

    def time_entries(self, request):
        user = request.path.split("/user/")[1].split("/")[0]
        start = datetime.fromisoformat(request.args["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(request.args["end"].replace("Z", "+00:00"))
        mine = [
            e
            for e in self.entries
            if e["userId"] == user
            and start <= datetime.fromisoformat(e["timeInterval"]["start"].replace("Z", "+00:00")) < end
        ]
        return self._page(request, mine)


# --- Harvest v2 -------------------------------------------------------------------------------------------------


class Harvest(Fake):
    account = "1121001"

    def install(self, server):
        server.expect_request("/v2/time_entries").respond_with_handler(self.handler(self.time_entries))
        return self

    def refuse(self, request):
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"error": "invalid_token", "error_description": "The access token is invalid"}, 401)
        if request.headers.get("Harvest-Account-Id") != self.account:
            return _json({"error": "Account-Id header missing or wrong"}, 403)
        if not request.headers.get("User-Agent", "").startswith("Timetracker"):
            return _json({"error": "A User-Agent is required"}, 400)
        return None

    @staticmethod
    def entry(ident, day, hours, notes="Adding CSS styling", **extra):
        return {
            "id": ident,
            "spent_date": day.isoformat(),
            "user": {"id": 1782959, "name": "Kim Allen"},
            "client": {"id": 5735774, "name": "ABC Corp"},
            "project": {"id": 14307913, "name": "Marketing Website"},
            "task": {"id": 8083365, "name": "Graphic Design"},
            "hours": hours,
            "rounded_hours": hours,
            "notes": notes,
            "is_locked": False,
            "is_billed": False,
            "timer_started_at": None,
            "started_time": None,
            "ended_time": None,
            "is_running": False,
            "invoice": None,
            "billable": True,
            "billable_rate": 100.0,
            "cost_rate": 50.0,
            **extra,
        }

    def time_entries(self, request):
        first, last = date.fromisoformat(request.args["from"]), date.fromisoformat(request.args["to"])
        listed = [e for e in self.entries if first <= date.fromisoformat(e["spent_date"]) <= last]
        page, size = int(request.args.get("page", 1)), int(request.args.get("per_page", 2000))
        pages = max(1, -(-len(listed) // size))
        query = {key: request.args[key] for key in ("from", "to")}

        def link(number):
            return (
                f"{request.host_url}v2/time_entries?{urlencode({**query, 'page': number, 'per_page': size})}"
            )

        return _json(
            {
                "time_entries": listed[(page - 1) * size : page * size],
                "per_page": size,
                "total_pages": pages,
                "total_entries": len(listed),
                "next_page": page + 1 if page < pages else None,
                "page": page,
                "links": {
                    "first": link(1),
                    "next": link(page + 1) if page < pages else None,
                    "last": link(pages),
                },
            }
        )


# --- Tempo v4 ---------------------------------------------------------------------------------------------------


class Tempo(Fake):
    def install(self, server):
        server.expect_request("/4/worklogs").respond_with_handler(self.handler(self.worklogs))
        return self

    def refuse(self, request):
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"errors": [{"message": "Authentication failed"}]}, 401)
        return None

    @staticmethod
    def entry(ident, day, clock, seconds, account="abc123", description="Working on task", issue=10001):
        return {
            "tempoWorklogId": ident,
            "issue": {"id": issue},
            "timeSpentSeconds": seconds,
            "billableSeconds": seconds,
            "startDate": day.isoformat(),
            "startTime": clock,
            "description": description,
            "author": {"accountId": account},
            "createdAt": "2026-11-02T10:00:00Z",
            "updatedAt": "2026-11-02T10:00:00Z",
        }

    def worklogs(self, request):
        if "from" in request.args and "to" not in request.args:
            return _json({"errors": [{"message": "Non valid period from ... to 'null'"}]}, 400)
        first, last = date.fromisoformat(request.args["from"]), date.fromisoformat(request.args["to"])
        listed = [e for e in self.entries if first <= date.fromisoformat(e["startDate"]) <= last]
        offset, limit = int(request.args.get("offset", 0)), int(request.args.get("limit", 50))
        page = listed[offset : offset + limit]
        following = None
        if offset + limit < len(listed):
            query = urlencode({"from": first, "to": last, "offset": offset + limit, "limit": limit})
            following = f"{request.host_url}4/worklogs?{query}"
        metadata = {"count": len(page), "offset": offset, "limit": limit}
        if following:
            metadata["next"] = following
        return _json({"self": request.url, "metadata": metadata, "results": page})


# --- ClickUp v2 -------------------------------------------------------------------------------------------------


class ClickUp(Fake):
    team = "300702"
    owner = 1

    def install(self, server):
        server.expect_request(f"/api/v2/team/{self.team}/time_entries").respond_with_handler(
            self.handler(self.time_entries)
        )
        return self

    def refuse(self, request):
        if request.headers.get("Authorization") != self.token:
            return _json({"err": "Token invalid", "ECODE": "OAUTH_025"}, 401)
        return None

    @staticmethod
    def entry(ident, user, start, seconds, description="", as_strings=False):
        begin = int(start.timestamp() * 1000)
        end = None if seconds is None else begin + seconds * 1000
        duration = str(seconds * 1000 if seconds is not None else -begin)
        return {
            "id": str(ident),
            "task": {"id": "1vwwavv", "custom_id": "JOSH-917", "name": "Homepage copy"},
            "wid": ClickUp.team,
            "user": {"id": user, "username": f"Person {user}", "email": f"person{user}@example.com"},
            "billable": False,
            "start": str(begin) if as_strings else begin,
            "end": (str(end) if as_strings else end) if end else None,
            "duration": duration,
            "description": description,
            "tags": [],
            "source": "clickup",
            "task_location": {
                "list_id": 1,
                "folder_id": 2,
                "space_id": 3,
                "list_name": "Website",
                "folder_name": "hidden",
                "space_name": "Nordlicht GmbH",
            },
        }

    def time_entries(self, request):
        first, last = int(request.args["start_date"]), int(request.args["end_date"])
        people = (
            {int(p) for p in request.args["assignee"].split(",")}
            if "assignee" in request.args
            else {self.owner}
        )
        listed = [e for e in self.entries if e["user"]["id"] in people and first <= int(e["start"]) <= last]
        return _json({"data": listed})
