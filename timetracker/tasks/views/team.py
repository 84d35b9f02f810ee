"""The team's week, for Managers and Admins: who tracked how much on each day, with empty workdays flagged.

Days are the agency's (settings.TIME_ZONE), the days the kept DayTotal rows are filed under, so the grid is one
GROUP BY over at most people x 7 rows however many entries there are. Running timers show beside the name."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.shortcuts import render

from timetracker.accounts.models import User, people_with_roles
from timetracker.billing.models import Settings
from timetracker.lib import dates
from timetracker.tasks.models import DayTotal, TimeEntry

WORKDAYS = range(5)  # Monday to Friday: a weekday without time is flagged once it is over


@dataclass
class Person:
    user: User
    cells: list  # (day, seconds, missing) per day of the week
    total: int
    running: bool


def team_week(request):
    if not request.user.sees_everyone:
        raise PermissionDenied("The team's week is for Managers and Admins.")
    tz = dates.agency_zone()
    today = dates.localdate(tz=tz)
    day = dates.day_or_none(request.GET.get("week", "")) or today
    first = dates.week_first_day(day, int(Settings.load().week_start))
    days = [first + timedelta(days=n) for n in range(7)]
    people = team_grid(days, today)
    ctx = {
        "people": people,
        "days": days,
        "today": today,
        "zone": tz.key,
        "day_totals": [sum(p.cells[n][1] for p in people) for n in range(7)],
        "week_total": sum(p.total for p in people),
        "missing": sum(1 for p in people for cell in p.cells if cell[2]),
        "prev_week": first - timedelta(days=7),
        "next_week": first + timedelta(days=7),
    }
    return render(request, "team/week.html", ctx)


def team_grid(days, today):
    """Every active person with a role, with their tracked time per day of `days` from the kept day totals."""
    tracked = {
        (row["user"], row["day"]): row["seconds"]
        for row in DayTotal.objects.filter(day__gte=days[0], day__lte=days[-1])
        .values("user", "day")
        .annotate(seconds=Sum("tracked_seconds"))
        .order_by()
    }
    running = set(TimeEntry.objects.running().values_list("user", flat=True))
    people = []
    for user in people_with_roles().order_by("first_name", "last_name", "username"):
        cells = []
        for day in days:
            seconds = tracked.get((user.pk, day), 0)
            cells.append((day, seconds, not seconds and day < today and day.weekday() in WORKDAYS))
        people.append(Person(user, cells, sum(c[1] for c in cells), user.pk in running))
    return people
