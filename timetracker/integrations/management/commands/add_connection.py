from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from timetracker.integrations.forms import ConnectionForm
from timetracker.integrations.models import Connection, Provider


class Command(BaseCommand):
    help = "Add a sync connection to another tracker and print its id (the token is stored encrypted)."

    def add_arguments(self, parser):
        parser.add_argument("provider", choices=Provider.values)
        parser.add_argument("--name", required=True)
        parser.add_argument("--token", required=True, help="The API token or key (never printed).")
        parser.add_argument(
            "--base-url", default="", help="Another API address (a test server); default: the provider's."
        )
        parser.add_argument("--workspace", default="", help="Toggl/Clockify workspace id, ClickUp team id.")
        parser.add_argument("--account", default="", help="Harvest account id; ClickUp member ids.")
        parser.add_argument("--email", default="", help="A contact address for the provider (Harvest).")
        parser.add_argument(
            "--time-zone", default="", help="Zone of times sent without one (default: the agency's)."
        )
        parser.add_argument("--window-days", type=int, default=30)
        parser.add_argument("--every", type=int, default=60, help="Minutes between syncs.")
        parser.add_argument(
            "--unknown-user", default="", help="Username whose are the entries of unmatched people."
        )
        parser.add_argument(
            "--by", default="", help="Username of the Admin adding it (default: the first Admin)."
        )

    def handle(self, *args, **options):
        User = get_user_model()
        by = self._user(options["by"]) if options["by"] else User.objects.filter(is_superuser=True).first()
        if by is None:
            raise CommandError("No Admin to add it as: give --by USERNAME.")
        # The page's form, so the command checks exactly what the page checks (e.g. Harvest's account id).
        data = {
            "provider": options["provider"],
            "name": options["name"],
            "token": options["token"],
            "base_url": options["base_url"],
            "workspace": options["workspace"],
            "account": options["account"],
            "email": options["email"],
            "time_zone": options["time_zone"] or Connection._meta.get_field("time_zone").default,
            "window_days": options["window_days"],
            "every_minutes": options["every"],
            "unknown_user": self._user(options["unknown_user"]).pk if options["unknown_user"] else "",
            "enabled": True,
        }
        form = ConnectionForm(data)
        if not form.is_valid():
            problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in form.errors.items())
            raise CommandError(problems)
        form.instance.created_by = by
        self.stdout.write(str(form.save().pk))

    @staticmethod
    def _user(username):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f'No user "{username}".')
        return user
