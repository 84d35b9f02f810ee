"""Favourite tasks: the ones a person starred, listed first in the New Task modal. Imported by tasks/models.py,
so Django registers the model with the tasks app."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from timetracker.tasks.models import Task


class FavouriteTask(models.Model):
    """A task someone starred: the New Task modal lists favourites above their recent tasks."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "task"], name="one_favourite_per_task")]

    def __str__(self):
        return f"{self.user} ★ {self.task}"

    @classmethod
    def toggle(cls, user, task):
        """Star the task for the user, or unstar it; returns whether it is a favourite now. A double click
        races harmlessly: the unique constraint keeps one row, and get_or_create reads it back."""
        removed, _ = cls.objects.filter(user=user, task=task).delete()
        if removed:
            return False
        cls.objects.get_or_create(user=user, task=task)
        return True

    @classmethod
    def ids_of(cls, user, tasks=None):
        """The ids of the user's favourite tasks (among `tasks` when given): one query."""
        favourites = cls.objects.filter(user=user)
        if tasks is not None:
            favourites = favourites.filter(task__in=tasks)
        return set(favourites.values_list("task", flat=True))
