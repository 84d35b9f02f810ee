from django.core.management.base import BaseCommand
from django.db import transaction

from timetracker.automation.models import WebhookEndpoint
from timetracker.integrations import secrets
from timetracker.integrations.models import Connection

# Every secret sealed with CREDENTIALS_KEY: the model and its sealed field.
SEALED = [(Connection, "sealed_credentials"), (WebhookEndpoint, "sealed_secret")]


class Command(BaseCommand):
    help = (
        "Re-encrypt every saved secret (connection tokens, webhook signing secrets) under the first key of "
        "CREDENTIALS_KEY. Rotate a key by putting the new one first, running this, then dropping the old one."
    )

    def handle(self, *args, **options):
        resealed, unreadable = 0, []
        for model, field in SEALED:
            with transaction.atomic():
                for row in model.objects.select_for_update().exclude(**{field: ""}).order_by("pk"):
                    try:
                        setattr(row, field, secrets.reseal(getattr(row, field)))
                    except secrets.Unreadable:
                        unreadable.append(f"{model._meta.verbose_name} {row.pk} ({row})")
                        continue
                    row.save(update_fields=[field])
                    resealed += 1
        self.stdout.write(f"Re-encrypted {resealed} secret(s) under the newest key.")
        if unreadable:
            self.stderr.write(
                "Not readable with any key of CREDENTIALS_KEY, left as they were (enter them again): "
                + ", ".join(unreadable)
            )
