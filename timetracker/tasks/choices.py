from django.db import models


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    WORKING = "working", "Working"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"


class TimerMode(models.TextChoices):
    UP = "up", "Count up"
    DOWN = "down", "Count down from the bucket's remaining time"


class EntrySource(models.TextChoices):
    TIMER = "timer", "Timer"
    MANUAL = "manual", "Manual"
    API = "api", "API"
    IMPORT = "import", "Import"


class RateSource(models.TextChoices):
    """Where an entry's hourly rate came from, in order of precedence."""

    ENTRY = "entry", "Entry override"
    TASK = "task", "Task"
    PROJECT = "project", "Project"
    BUCKET = "bucket", "Bucket price"
    CLIENT = "client", "Client"
    USER = "user", "User's default rate"
    GLOBAL = "global", "Global default"
    NONE = "none", "No rate"
