"""The default task of a project or client: where time goes that names no task.

Moneybird files time on a contact and a project, Agency OS on a project; we file every entry on a task. Time
naming a project (or only a client) and no task goes on that project's (client's) task called "General",
made the first time it is needed. The API uses it today; any other writer that receives such time (an import,
a sync) calls the same function.
"""

from django.db import transaction

from timetracker.tasks.errors import EntryError
from timetracker.tasks.models import Task

DEFAULT_TITLE = "General"


class Archived(EntryError):
    """The project or client is archived and takes no new time."""


def default_task(*, client, project, by):
    """The project's (or, without one, the client's) "General" task, made on first use.

    `client` is the project's client when a project is given. An archived client or project is refused
    (Archived, whose `field` is client_id or project_id)."""
    for owner, field in ((client, "client_id"), (project, "project_id")):
        if owner is not None and owner.is_archived:
            raise Archived(f'"{owner}" is archived; it takes no new time.', field=field)
    with transaction.atomic():
        # Two first entries at once make one task: the second waits for the first's row lock, then finds it.
        owner = project or client
        type(owner).objects.select_for_update().filter(pk=owner.pk).first()
        task = Task.objects.filter(client=client, project=project, title=DEFAULT_TITLE).order_by("pk").first()
        if task is None:
            task = Task.objects.create(
                title=DEFAULT_TITLE,
                client=client,
                project=project,
                billable=Task.billable_default(project),
                created_by=by,
            )
    return task
