"""Map a file's names onto ours: clients, projects, tasks and people, matched case- and space-insensitively,
or marked to be created when the import is confirmed.

A name that matches nothing becomes a key `("new", name)`; `create()` turns those into rows (inside the import's
transaction) and `task()` / `user()` then hand back real objects for both kinds of key.
"""

import re

from django.contrib.auth import get_user_model
from django.utils.text import slugify

from timetracker.clients.models import Client, Project
from timetracker.imports.parsers.base import norm
from timetracker.tasks.models import Task

NO_CLIENT = "No client"
NO_TITLE = "Imported time"
CREATE = "create"


def person_key(row):
    """Who a row belongs to in the source: the e-mail where the export has one, else the name."""
    return row.email.strip().casefold() or norm(row.person)


class Directory:
    def __init__(self, *, by, people=None, unknown=None):
        User = get_user_model()
        self.by = by
        self.choices = {key: str(value) for key, value in (people or {}).items()}
        self.unknown = str(unknown or by.pk)
        self.clients = {norm(name): pk for pk, name in Client.objects.values_list("pk", "name")}
        self.projects = {
            (client, norm(name)): pk
            for pk, client, name in Project.objects.values_list("pk", "client_id", "name")
        }
        self.tasks, self.loaded_clients = {}, set()
        self.users, self.by_email, self.by_name = {}, {}, {}
        # Inactive people too: a placeholder an earlier import created takes its person's later time.
        for user in User.objects.only("pk", "username", "first_name", "last_name", "email"):
            self.users[user.pk] = user
            if user.email:
                self.by_email.setdefault(user.email.casefold(), user.pk)
            for name in (user.get_full_name(), user.username):
                if name:
                    self.by_name.setdefault(norm(name), user.pk)
        self.new_clients, self.new_projects, self.new_tasks, self.new_people = {}, {}, {}, {}
        self.people = {}  # person key -> {"name", "email", "rows", "match", "choice"}
        self.used_clients, self.used_tasks = set(), set()
        self.created, self.resolved = {}, {}

    # --- resolving one row ----------------------------------------------------------------------------------

    def resolve(self, row):
        """(task key, user key) for a row; keys are a pk or ("new", ...)."""
        # A file repeats a few combinations of names on every row: each is worked out once.
        names = (row.client, row.project, row.task)
        task = self.resolved.get(names)
        if task is None:
            client = self._client(row.client.strip() or NO_CLIENT)
            project = self._project(client, row.project.strip()) if row.project.strip() else None
            title = (row.task.strip() or row.project.strip() or NO_TITLE)[:200]
            task = self.resolved[names] = self._task(client, project, title)
        return task, self._user(row)

    def _client(self, name):
        key = norm(name)
        found = self.clients.get(key) or ("new", key)
        self.used_clients.add(found)
        if key not in self.clients:
            self.new_clients.setdefault(key, name[:200])
        return found

    def _project(self, client, name):
        key = (client, norm(name))
        if key in self.projects:
            return self.projects[key]
        self.new_projects.setdefault(key, name[:200])
        return ("new", key)

    def _task(self, client, project, title):
        if not isinstance(client, tuple) and client not in self.loaded_clients:
            # A client's tasks are read once, when a row first names the client.
            self.loaded_clients.add(client)
            for pk, project_id, task_title in (
                Task.objects.filter(client_id=client).order_by("pk").values_list("pk", "project_id", "title")
            ):
                self.tasks.setdefault((client, project_id, norm(task_title)), pk)
        key = (client, project, norm(title))
        if key in self.tasks:
            self.used_tasks.add(self.tasks[key])
            return self.tasks[key]
        self.new_tasks.setdefault(key, title)
        return ("new", key)

    def _user(self, row):
        key = person_key(row)
        person = self.people.get(key)
        if person is None:
            match = self.by_email.get(row.email.strip().casefold()) if row.email.strip() else None
            match = match or self.by_name.get(norm(row.person)) if row.person.strip() else match
            person = self.people[key] = {
                "key": key,
                "name": row.person.strip() or row.email.strip() or "(no name)",
                "email": row.email.strip(),
                "rows": 0,
                "match": match,
                "choice": self.choices.get(key) or (str(match) if match else self.unknown),
            }
        person["rows"] += 1
        choice = person["choice"]
        if choice == CREATE:
            self.new_people.setdefault(key, person)
            return ("new", key)
        if not choice.isdigit() or int(choice) not in self.users:
            # A mapping to someone who left or never existed: the importing person takes the time.
            person["choice"] = str(self.by.pk)
            return self.by.pk
        return int(choice)

    # --- the preview's lists -------------------------------------------------------------------------------

    def summary(self, limit=50):
        """What the preview lists: the clients and projects to create, and every person with their choice."""
        existing = [client for client, _ in self.new_projects if not isinstance(client, tuple)]
        names = dict(Client.objects.filter(pk__in=existing).values_list("pk", "name")) if existing else {}
        projects = sorted(
            f"{self.new_clients[client[1]] if isinstance(client, tuple) else names[client]} / {name}"
            for (client, _), name in self.new_projects.items()
        )
        people = sorted(self.people.values(), key=lambda person: (-person["rows"], person["name"]))
        return {
            "clients": sorted(self.new_clients.values())[:limit],
            "projects": projects[:limit],
            "tasks": len(self.new_tasks),
            # Copies: the commit walks the file again and would count each person's rows twice.
            "people": [dict(person) for person in people[:500]],
            "new_counts": {
                "clients": len(self.new_clients),
                "projects": len(self.new_projects),
                "tasks": len(self.new_tasks),
                "people": len(self.new_people),
            },
        }

    def existing_users(self):
        return {person["match"] for person in self.people.values() if person["match"]} | {
            int(p["choice"]) for p in self.people.values() if p["choice"].isdigit()
        }

    # --- creating what is new (inside the import's transaction) ---------------------------------------------

    def create(self):
        """Create what the rows seen so far need and is not made yet (the commit calls it as new names come
        up while it walks the file)."""
        made = self.created
        for key, name in self.new_clients.items():
            if ("new", key) not in made:
                # Another import may have made it meanwhile; the name is unique.
                made[("new", key)] = (
                    Client.objects.filter(name__iexact=name).values_list("pk", flat=True).first()
                    or Client.objects.create(name=name).pk
                )
        for (client, key), name in self.new_projects.items():
            if ("new", (client, key)) not in made:
                client_pk = made.get(client, client)
                made[("new", (client, key))] = (
                    Project.objects.filter(client_id=client_pk, name__iexact=name)
                    .values_list("pk", flat=True)
                    .first()
                    or Project.objects.create(client_id=client_pk, name=name).pk
                )
        pending = {key: title for key, title in self.new_tasks.items() if ("new", key) not in made}
        projects = Project.objects.in_bulk([made.get(p, p) for (_, p, _) in pending if p is not None])
        for (client, project, key), title in pending.items():
            project_pk = made.get(project, project)
            task = Task.objects.create(
                title=title,
                client_id=made.get(client, client),
                project_id=project_pk,
                billable=Task.billable_default(projects.get(project_pk)),
                created_by=self.by,
            )
            made[("new", (client, project, key))] = task.pk
        for key, person in self.new_people.items():
            if ("new", key) not in made:
                made[("new", key)] = _placeholder(person).pk
        return made

    def pk(self, key):
        return self.created.get(key, key) if isinstance(key, tuple) else key


def _placeholder(person):
    """Someone from the file who is not one of us: an inactive account without a role, holding their time."""
    User = get_user_model()
    base = slugify(person["email"].split("@")[0] if person["email"] else person["name"])[:100] or "imported"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    first, _, last = person["name"].partition(" ")
    return User.objects.create(
        username=username,
        first_name=first[:150],
        last_name=last[:150],
        email=person["email"] if re.fullmatch(r"[^@\s]+@[^@\s]+", person["email"]) else "",
        is_active=False,
    )
