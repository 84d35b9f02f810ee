"""The one lock order for time: users, then tasks, then entries, each by ascending id.

Every writer of time takes its row locks in this order (the write path in entries.py, invoicing, re-rating,
task deletion; an invoice's own row, where one is locked, after the users and before the tasks). A writer that
held an entry and then waited for its task would deadlock against one that went top-down, so callers that
touch rows of several levels lock them all first. tests/tasks/test_lock_order.py checks the order from the SQL.
"""

from timetracker.accounts.models import User
from timetracker.tasks.models import Task, TimeEntry


def lock(*, users=(), tasks=(), entries=()):
    """Row locks in the one order: users, then tasks, then entries, each by ascending id.

    Locking a row again in the same transaction costs nothing, so a caller that touches several rows takes
    them all here first and the functions below re-take their own without waiting."""
    for model, items in ((User, users), (Task, tasks), (TimeEntry, entries)):
        ids = sorted({getattr(item, "pk", item) for item in items} - {None})
        if ids:
            list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def lock_entries(queryset, *, by=None):
    """Lock the entries of a queryset with their users and tasks (in the one order); return their ids.

    `by`, the person acting, is locked with the users: rows written later name them (history, created_by),
    and PostgreSQL's key-share lock for that reference must not come after the other locks."""
    tasks = lock_owners_and_tasks(queryset, by=by)
    # Only entries of the tasks now held: one recorded meanwhile on another task is not this writer's.
    return lock_rows(queryset.filter(task_id__in=tasks))


def lock_owners_and_tasks(queryset, *, by=None):
    """The first two levels for a queryset of entries: its users (and `by`), then its tasks; returns the
    task ids, so the caller can keep to the entries of tasks it holds."""
    users = set(queryset.order_by().values_list("user_id", flat=True).distinct())
    tasks = set(queryset.order_by().values_list("task_id", flat=True).distinct())
    lock(users=users | {by}, tasks=tasks)
    return tasks


def lock_rows(queryset):
    """The entries of a queryset, locked by id through the queryset itself (a client's whole history is no
    list of ids in the SQL); call after `lock_owners_and_tasks`."""
    return list(queryset.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
