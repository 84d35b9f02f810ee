"""Which task a new time entry is filed on: `task_id`, or the default task of the project or client it names.

Moneybird files time on a contact and a project, Agency OS on a project; we file every entry on a task. A body
with a project (or only a client) and no task goes on that project's (client's) task called "General", made the
first time it is needed. An id that names nothing the key may see is a 404, as the Timesheets API answers.
"""

from django.db import transaction
from rest_framework import exceptions, serializers

from timetracker.clients.models import Client, Project
from timetracker.tasks.models import Task

DEFAULT_TITLE = "General"


def _found(queryset, pk, label):
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise exceptions.NotFound(f"There is no {label} {pk} that you can see.")
    return found


def task_for(user, data):
    """The task for a create body, taking `task_id`, `project_id` and `client_id` out of `data`."""
    task_id, project_id, client_id = (data.pop(name, None) for name in ("task_id", "project_id", "client_id"))
    client = _found(Client.objects.for_user(user), client_id, "client") if client_id else None
    project = _found(Project.objects.for_user(user), project_id, "project") if project_id else None
    if project and client and project.client_id != client.pk:
        raise serializers.ValidationError(
            {"project_id": [f"Project {project.pk} is not one of client {client.pk}."]}
        )
    if task_id:
        task = _found(Task.objects.for_user(user), task_id, "task")
        for owner, name in ((project, "project_id"), (client, "client_id")):
            if owner is not None and getattr(task, name) != owner.pk:
                raise serializers.ValidationError({name: [f"Task {task.pk} is not on this {name[:-3]}."]})
    else:
        task = default_task(client=project.client if project else client, project=project, by=user)
    return Task.objects.select_related("client", "project", "bucket").get(pk=task.pk)


def default_task(*, client, project, by):
    """The project's (or, without one, the client's) "General" task, made on first use."""
    for owner, name in ((client, "client_id"), (project, "project_id")):
        if owner is not None and owner.is_archived:
            raise serializers.ValidationError({name: [f'"{owner}" is archived; it takes no new time.']})
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
