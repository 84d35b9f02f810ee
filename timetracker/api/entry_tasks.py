"""Which task a new time entry is filed on: `task_id`, or the default task of the project or client it names.

The rule for the default task is the tasks app's (tasks/default_tasks.py); here only the ids of a body are
read. An id that names nothing the key may see is a 404, as the Timesheets API answers.
"""

from rest_framework import exceptions, serializers

from timetracker.clients.models import Client, Project
from timetracker.tasks import default_tasks
from timetracker.tasks.models import Task


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
        try:
            task = default_tasks.default_task(
                client=project.client if project else client, project=project, by=user
            )
        except default_tasks.Archived as error:
            raise serializers.ValidationError({error.field: [str(error)]}) from None
    return Task.objects.select_related("client", "project", "bucket").get(pk=task.pk)
