from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from timetracker.imports import parsers
from timetracker.imports.parsers import CHOICES

# A run at work reports at least every few seconds (tasks.py, commit.py); one silent for this long has lost its
# worker (a deploy, a crash, a killed request) and will never finish.
STALE_AFTER = timedelta(minutes=5)
STOPPED = "The import stopped without finishing (its worker ended). Nothing was written; try again."


SYNC_SUFFIX = "_sync"  # the source of a run a sync connection wrote (integrations/write.py)


class ImportRunQuerySet(models.QuerySet):
    def for_user(self, user):
        """Imports write everyone's time, so only Managers and Admins see them."""
        return self.all() if user.is_manager and user.has_role else self.none()

    def of_files(self):
        """Uploaded files only: the runs a sync wrote through are listed on their connection's page."""
        return self.exclude(source__endswith=SYNC_SUFFIX)

    def stale(self, now=None):
        """Runs that say they are at work but have not reported for STALE_AFTER. A queued run is not among
        them: it waits in the queue, which keeps it until a worker is free."""
        silent = (now or timezone.now()) - STALE_AFTER
        at_work = [ImportRun.Status.CHECKING, ImportRun.Status.WRITING]
        return self.filter(status__in=at_work, heartbeat_at__lt=silent)

    def fail_stale(self):
        """Mark the stale runs failed, so their page offers a retry instead of a progress bar for ever. The
        worker's transaction died with it, so nothing of theirs was written; should it still be alive after
        all, its final update finds the run failed and rolls its work back (commit.py)."""
        return self.stale().update(
            status=ImportRun.Status.FAILED, message=STOPPED, finished_at=timezone.now()
        )


class ImportRun(models.Model):
    """One uploaded file: checked (the preview), then written through the write path in one transaction."""

    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for confirmation"
        QUEUED = "queued", "Queued"
        CHECKING = "checking", "Importing rows"
        WRITING = "writing", "Writing entries"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"
        UNDONE = "undone", "Undone"

    IN_PROGRESS = (Status.QUEUED, Status.CHECKING, Status.WRITING)

    source = models.CharField(max_length=20, choices=CHOICES)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=200)
    file_name = models.CharField(max_length=200)
    file_hash = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the uploaded file.")
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PREVIEW)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0, help_text="Progress of a background import.")
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When the run at work last reported; a silent one is stale."
    )
    held = models.JSONField(
        default=dict,
        blank=True,
        help_text="The existing users and tasks the rows go to: locked by the commit.",
    )
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(
        default=list, blank=True, help_text="The first bad rows: row number and reason."
    )
    preview = models.JSONField(
        default=dict, blank=True, help_text="What the import creates, people, missing."
    )
    message = models.TextField(blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Import #{self.pk} ({self.file_name})"

    # The colours of the badges the other pages use for the same kind of state.
    BADGES = {"preview": "pending", "done": "completed", "failed": "overdue", "undone": "canceled"}

    @property
    def badge(self):
        return self.BADGES.get(self.status, "working")

    @property
    def in_progress(self):
        return self.status in self.IN_PROGRESS

    @property
    def percent(self):
        if self.status == self.Status.WRITING:
            return 100
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0

    @property
    def retriable(self):
        """A failed run whose file is still here can be checked again and confirmed anew."""
        return self.status == self.Status.FAILED and bool(self.file)

    def count(self, name):
        return self.counts.get(name, 0)

    def discard_file(self):
        """Delete the stored upload; the run's record (counts, rows, errors, links) stays. Called once nothing
        needs the file any more: the run undone or discarded, or (`manage.py clean_imports`) old enough."""
        if self.file:
            self.file.delete(save=False)
            ImportRun.objects.filter(pk=self.pk).update(file="")

    def rows(self):
        """The run's rows: parsed from its file as they are read, or the rows a sync pulled from a provider's
        API and handed in (`pulled`: the same Row objects a parser yields; integrations/write.py)."""
        pulled = getattr(self, "pulled", None)
        if pulled is not None:
            return iter(pulled)
        return parsers.read(self.source, self.open_file, self.options)

    def open_file(self):
        """The uploaded file, opened for reading from the start (a dry run hands in its own `opener`)."""
        opener = getattr(self, "opener", None)
        if opener is not None:
            return opener()
        return self.file.storage.open(self.file.name, "rb").file


class ImportedEntry(models.Model):
    """Which entries a run created or changed, by their unique external id (entries belong to the tasks
    app; a deleted entry leaves this row behind, harmlessly). `before` holds what a change replaced, for undo."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="entries")
    external_id = models.CharField(max_length=100)
    row_number = models.PositiveIntegerField()
    action = models.CharField(max_length=8, choices=Action, default=Action.CREATED)
    before = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["external_id"]), models.Index(fields=["run", "action"])]

    def __str__(self):
        return f"{self.external_id} ({self.action} by run {self.run_id})"
