from django.apps import AppConfig
from django.db.models.signals import post_save


class AutomationConfig(AppConfig):
    name = "timetracker.automation"
    verbose_name = "Automation"

    def ready(self):
        from timetracker.buckets.models import Bucket

        # Buckets are made by a page, the API and the admin alike: a signal catches all three, inside the
        # save (the event is rolled back with the bucket).
        post_save.connect(bucket_saved, sender=Bucket, dispatch_uid="automation.bucket_created")


def bucket_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from timetracker.automation import hooks

        hooks.bucket_created(instance)
