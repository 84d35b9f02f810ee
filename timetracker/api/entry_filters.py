"""Query parameters of GET /api/v1/time-entries: read strictly, so a typo is a 400 that names it."""

import operator
import re
from functools import reduce

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from timetracker.accounts.models import visible_users
from timetracker.api.errors import BadFilter
from timetracker.billing.models import Settings
from timetracker.clients.models import Client, Project
from timetracker.lib.periods import resolve_period
from timetracker.tasks.models import UNBILLED, Task

# Paging, not filtering: the keyset cursor and the count switch are read by api/pagination.py.
PAGING = ("page", "per_page", "limit", "cursor", "count")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")
SORTS = {
    "started_at": "started_at",
    "duration": "duration_seconds",
    # The timesheets seed's names for the same two orders.
    "timer_created": "started_at",
    "timer_time": "duration_seconds",
}
STATES = {
    "all": Q(),
    "open": Q(billable=True) & UNBILLED,
    "non_billable": Q(billable=False),
    "invoiced": ~UNBILLED,
}
ALIASES = {
    "contact_id": "client_id",
    "date_start": "from_date",
    "date_end": "to_date",
    "modified_after": "updated_since",  # Kimai's name
}


def _p(name, type_, description, enum=None):
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=description, enum=enum)


# Ids as the filters read them: whole numbers from 1 below 2**31 (scoped_ids). Each id filter takes several,
# repeated (client_id=1&client_id=2) or comma-separated (client_id=1,2), and matches any of them.
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
MAX_IDS = 100
IDS = {"type": "array", "items": ID, "minItems": 1, "maxItems": MAX_IDS}
MULTI = " Several: repeat it or separate ids by commas (any of them matches)."


def _ids(name, description):
    return OpenApiParameter(
        name, IDS, OpenApiParameter.QUERY, description=description + MULTI, style="form", explode=True
    )


ID_PARAMETERS = [
    _ids("task_id", "Only this task's entries."),
    _ids("project_id", "Only entries on this project's tasks."),
    _ids("client_id", "Only entries on this client's tasks."),
    _ids("contact_id", "Alias of client_id (Moneybird)."),
]
ID_NAMES = frozenset({"task_id", "project_id", "client_id", "contact_id", "user_id", "site_id", "bucket_id"})
LIST_PARAMETERS = [
    *ID_PARAMETERS,
    _ids("user_id", "Only this user's entries (Staff keys only ever see their own)."),
    _p("billable", OpenApiTypes.BOOL, "true or false."),
    _p("from_date", OpenApiTypes.DATE, "Started on or after this local day (YYYY-MM-DD)."),
    _p("to_date", OpenApiTypes.DATE, "Started on or before this local day (YYYY-MM-DD)."),
    _p("date_start", OpenApiTypes.DATE, "Alias of from_date."),
    _p("date_end", OpenApiTypes.DATE, "Alias of to_date."),
    _p("day", OpenApiTypes.DATE, "Started on this local day (YYYY-MM-DD)."),
    _p(
        "updated_since",
        OpenApiTypes.DATETIME,
        "Only entries created or changed at or after this moment (ISO 8601), for incremental sync. "
        "Deleted entries are not listed.",
    ),
    _p("modified_after", OpenApiTypes.DATETIME, "Alias of updated_since (Kimai)."),
    _p(
        "status",
        OpenApiTypes.STR,
        "running or stopped; status=running includes running entries.",
        ["running", "stopped"],
    ),
    _p("billing_status", OpenApiTypes.STR, "Invoiced or not.", ["not_invoiced", "invoiced"]),
    _p("include_active", OpenApiTypes.BOOL, "Include running entries (default false)."),
    _p("query", OpenApiTypes.STR, "Search the descriptions."),
    _p(
        "sort",
        OpenApiTypes.STR,
        "Order by start or duration (timer_created / timer_time are aliases).",
        list(SORTS),
    ),
    _p("order", OpenApiTypes.STR, "asc or desc (default desc).", ["asc", "desc"]),
    _p(
        "filter",
        OpenApiTypes.STR,
        "Moneybird syntax, e.g. `period:this_year,state:open|non_billable`. period: this_/prev_/next_ "
        "month, quarter or year, YYYYMM..YYYYMM or YYYYMMDD..YYYYMMDD; state: all, open, non_billable, "
        "invoiced (several with |).",
    ),
]
LIST_NAMES = frozenset(p.name for p in LIST_PARAMETERS) | set(PAGING)
UNBILLED_NAMES = frozenset(p.name for p in ID_PARAMETERS if p.name != "task_id") | set(PAGING)


def refuse_unknown(params, allowed):
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise BadFilter(f'Unknown query parameter "{unknown[0]}". Known: {", ".join(sorted(allowed))}.')


def _names(name):
    return (name, *(alias for alias, n in ALIASES.items() if n == name))


def _given(params, name):
    """The name the caller used for `name` (itself or an alias), so messages name what was sent."""
    return next((key for key in _names(name) if key in params), name)


def _raw(params, key):
    # An id filter may be repeated: its values are read as one comma-separated list.
    if key in ID_NAMES and hasattr(params, "getlist"):
        return ",".join(params.getlist(key))
    return params[key]


def _value(params, name):
    """The parameter or its alias; giving both with different values is refused."""
    values = {_raw(params, key) for key in _names(name) if key in params}
    if len(values) > 1:
        raise BadFilter(f"{name} and its alias were both given, with different values.")
    return values.pop() if values else None


def scoped_ids(params, name, label, visible):
    """The ids given as `name` (repeated or comma-separated), if `visible` (what the key may see) holds them all;
    None when the filter is not given.

    An id the key may not see answers exactly as one that does not exist, the same 400 with the same words,
    so a filter never tells a key whether someone else's task or user exists."""
    raw = _value(params, name)
    if raw is None:
        return None
    name = _given(params, name)
    ids = []
    for part in raw.split(","):
        part = part.strip()
        if not (part.isascii() and part.isdecimal()) or not 0 < int(part) < 2**31:
            raise BadFilter(
                f'{name} must be positive whole numbers (repeated or separated by commas), not "{part or raw}".'
            )
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) > MAX_IDS:
        raise BadFilter(f"{name}: at most {MAX_IDS} ids at once.")
    found = set(visible.filter(pk__in=ids).values_list("pk", flat=True))
    if missing := [pk for pk in ids if pk not in found]:
        raise BadFilter(f"{name}: there is no {label} {missing[0]}.")
    return ids


# The id filters of the time-entries list, unbilled time and the reports summary: one behaviour for all three.
def client_id(params, user):
    return scoped_ids(params, "client_id", "client", Client.objects.for_user(user))


def project_id(params, user):
    return scoped_ids(params, "project_id", "project", Project.objects.for_user(user))


def user_id(params, user):
    return scoped_ids(params, "user_id", "user", visible_users(user))


def _bool(params, name):
    raw = params.get(name)
    if raw is None:
        return None
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise BadFilter(f'{name} must be true or false, not "{raw}".')


def _choice(params, name, choices):
    raw = params.get(name)
    if raw is not None and raw not in choices:
        raise BadFilter(f'{name} must be one of {", ".join(choices)}, not "{raw}".')
    return raw


def _day(params, name, tz):
    """The local day as an aware [start, end) range."""
    raw = _value(params, name)
    if raw is None:
        return None
    match = _DATE.fullmatch(raw)
    if not match:
        raise BadFilter(f'{name} must be a date as YYYY-MM-DD, not "{raw}".')
    try:
        return resolve_period("".join(match.groups()), tz=tz)
    except ValueError:
        raise BadFilter(f'{name}: "{raw}" is not a valid date.') from None


def _moment(params, name, tz):
    raw = _value(params, name)
    if raw is None:
        return None
    try:
        moment = parse_datetime(raw.replace(" ", "+"))  # a "+" offset arrives as a space when not encoded
    except ValueError:
        moment = None
    if moment is None:
        raise BadFilter(f'{_given(params, name)} must be a moment as 2026-03-02T09:00:00+01:00, not "{raw}".')
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, tz)


def scope_ids(entries, params, user):
    """task_id, project_id, client_id (contact_id): each must name something the key may see."""
    tasks = scoped_ids(params, "task_id", "task", Task.objects.for_user(user))
    projects = project_id(params, user)
    clients = client_id(params, user)
    if tasks:
        entries = entries.filter(task_id__in=tasks)
    if projects:
        entries = entries.filter(task__project_id__in=projects)
    if clients:
        entries = entries.filter(task__client_id__in=clients)
    return entries


# Filters on the task or the person only: the kept totals (TaskTotal) carry the same fields, so what they
# select can be counted from a few rows per task instead of every entry.
KEPT_NAMES = frozenset(
    {"task_id", "project_id", "client_id", "contact_id", "user_id", "sort", "order"}
) | set(PAGING)


def kept(totals, params, *, user):
    """The kept totals (TaskTotal rows, already scoped to the user) that the list's filters select, or None
    when a filter looks inside entries (dates, billable, text, running ones): then only the entries tell."""
    stopped_only = params.get("status") == "stopped" or (
        params.get("status") is None and params.get("include_active", "false").lower() in _FALSE
    )
    if set(params) - KEPT_NAMES - {"status", "include_active"} or not stopped_only:
        return None
    totals = scope_ids(totals, params, user)
    if (owners := user_id(params, user)) is not None:
        totals = totals.filter(user_id__in=owners)
    return totals


def apply(entries, params, *, user):
    """Filter and order `entries` (already scoped to the user) by the list's query parameters."""
    refuse_unknown(params, LIST_NAMES)
    tz = timezone.get_current_timezone()
    pairs = None
    if raw := params.get("filter", "").strip():
        pairs = moneybird_pairs(raw)
        params = with_filter_parameters(params, pairs)
    entries = scope_ids(entries, params, user)
    if (owners := user_id(params, user)) is not None:
        entries = entries.filter(user_id__in=owners)
    if (billable := _bool(params, "billable")) is not None:
        entries = entries.filter(billable=billable)
    start, end = _day(params, "from_date", tz), _day(params, "to_date", tz)
    if start and end and start[0] > end[0]:
        raise BadFilter("from_date comes after to_date.")
    if start:
        entries = entries.filter(started_at__gte=start[0])
    if end:
        entries = entries.filter(started_at__lt=end[1])
    if day := _day(params, "day", tz):
        entries = entries.in_period(*day)
    if since := _moment(params, "updated_since", tz):
        entries = entries.filter(updated_at__gte=since)
    status = _choice(params, "status", ["running", "stopped"])
    include_active = _bool(params, "include_active")
    if status == "running":
        entries = entries.running()
    elif status == "stopped" or not include_active:
        entries = entries.stopped()
    billing = _choice(params, "billing_status", ["not_invoiced", "invoiced"])
    if billing == "not_invoiced":
        entries = entries.unbilled()
    elif billing == "invoiced":
        entries = entries.invoiced()
    if query := params.get("query", "").strip():
        entries = entries.filter(description__icontains=query)
    if pairs is not None:
        entries = entries.filter(moneybird_filter(pairs, tz, dated=any(params.get(n) for n in DATED)))
    sort = SORTS[_choice(params, "sort", list(SORTS)) or "started_at"]
    prefix = "" if _choice(params, "order", ["asc", "desc"]) == "asc" else "-"
    return entries.order_by(prefix + sort, prefix + "pk")


# Keys of `filter=` that are the list's own parameters in Moneybird's syntax (`filter=contact_id:4,day:...`).
FILTER_PARAMETERS = ("contact_id", "project_id", "user_id", "day", "include_active", "include_nil_contacts")
DATED = ("from_date", "to_date", "date_start", "date_end", "day")


def moneybird_pairs(text):
    """`period:this_year,state:open|non_billable,contact_id:4` as {key: value}; an unknown key is a 400."""
    pairs = {}
    for part in text.split(","):
        key, sep, value = (piece.strip() for piece in part.partition(":"))
        key = key.lower()
        if not sep or not key or not value:
            raise BadFilter(f'filter: cannot read "{part}"; use key:value pairs such as period:this_year.')
        if key in pairs:
            raise BadFilter(f'filter: "{key}" is given twice.')
        if key not in ("period", "state", *FILTER_PARAMETERS):
            raise BadFilter(
                f'filter: unknown key "{key}"; use period, state, {", ".join(FILTER_PARAMETERS)}.'
            )
        pairs[key] = value
    return pairs


def with_filter_parameters(params, pairs):
    """The query parameters with the filter's own (ids, day, include_active) added, as if given plainly."""
    merged = {key: _raw(params, key) for key in params}
    for key in FILTER_PARAMETERS:
        if key not in pairs:
            continue
        value = pairs[key]
        if key == "day" and re.fullmatch(r"[0-9]{8}", value):  # Moneybird also writes days as YYYYMMDD
            value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
        if merged.get(key, value) != value:
            raise BadFilter(f"{key} is given both in filter and as a parameter, with different values.")
        merged[key] = value
    # Every task has a client here, so entries without a contact never exist: the flag only has to be valid.
    _bool(merged, "include_nil_contacts")
    return merged


def moneybird_filter(pairs, tz, *, dated):
    """The period and state of `filter=` as one Q. Without a period, Moneybird's default (this_year) holds,
    unless the dates are chosen otherwise (`day`, `from_date`/`to_date`): `dated`."""
    condition = Q()
    period = pairs.get("period") or (None if dated else "this_year")
    if period:
        try:
            start, end = resolve_period(period, tz=tz, week_start=int(Settings.load().week_start))
        except ValueError as error:
            raise BadFilter(f"filter period: {error}") from None
        condition &= Q(started_at__gte=start, started_at__lt=end)
    if "state" in pairs:
        states = [state.strip().lower() for state in pairs["state"].split("|")]
        for state in states:
            if state not in STATES:
                raise BadFilter(f'filter state: unknown state "{state}"; use {", ".join(STATES)}.')
        if "all" not in states:
            condition &= reduce(operator.or_, (STATES[state] for state in states))
    return condition
