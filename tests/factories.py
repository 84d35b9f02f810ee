import datetime
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from timetracker.accounts.models import ApiKey, OnceToken, User
from timetracker.billing.models import ClientSettings, Invoice, InvoiceLine, InvoiceSequence, Payment
from timetracker.buckets.models import Bucket, BucketAlert
from timetracker.clients.models import Client, Project, Site
from timetracker.lib.rounding import RoundingPolicy
from timetracker.tasks import totals
from timetracker.tasks.models import Note, Task, TimeEntry, write_path

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@agency.example")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role="Staff") puts the user in that role's group; no role makes an outsider."""
        if create and extracted:
            # get_or_create: transactional (browser) tests flush the groups the data migration made.
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")
    email = factory.LazyAttribute(lambda c: f"office{c.name.split()[-1]}@client.example")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"site{n}.example")
    url = factory.LazyAttribute(lambda s: f"https://{s.name}/")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Project {n}")


class BucketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bucket
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Bucket {n}")
    # Well in the past: entries the factories date "hours ago" must count whatever the time of day.
    start_date = datetime.date(2020, 1, 1)
    hours = Decimal("10")
    hourly_price = Decimal("100.00")

    @factory.post_generation
    def clients(self, create, extracted, **kwargs):
        if create and extracted:
            self.clients.set(extracted)


class BucketAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BucketAlert

    bucket = factory.SubFactory(BucketFactory)
    threshold = 80
    period_start = factory.LazyFunction(timezone.localdate)
    used_seconds = 8 * 3600


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Task {n}")
    client = factory.SubFactory(ClientFactory)

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.set(extracted)


class TimeEntryFactory(factory.django.DjangoModelFactory):
    """A stopped entry of one hour, computed as the timer would (no rounding unless a policy is given)."""

    class Meta:
        model = TimeEntry
        exclude = ["worked"]

    task = factory.SubFactory(TaskFactory)
    user = factory.SubFactory(UserFactory, role="Staff")
    recorded_by = factory.SelfAttribute("user")
    started_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) - timedelta(hours=3))
    worked = timedelta(hours=1)
    policy = RoundingPolicy()
    ended_at = factory.LazyAttribute(lambda e: e.started_at + e.worked)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Test set-up writes the row as given (invoiced, odd rates, no locks): the one place besides the
        write path that opens it. Tests of behaviour go through timetracker.tasks.entries."""
        policy = kwargs.pop("policy", RoundingPolicy())
        entry = model_class(*args, **kwargs)
        entry.compute(policy=policy)
        with write_path():
            entry.save()
        totals.move(after=entry)  # as the write path keeps them, so pages that read totals agree
        return entry

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        kwargs.pop("policy", None)
        return model_class(*args, **kwargs)


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    task = factory.SubFactory(TaskFactory)
    author = factory.SubFactory(UserFactory, role="Staff")
    body = "Client asked to keep the old banner until Monday."


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    client = factory.SubFactory(ClientFactory)
    number = factory.Sequence(lambda n: f"2026-{n + 1:04d}")
    issue_date = factory.LazyFunction(timezone.localdate)
    due_date = factory.LazyAttribute(lambda i: i.issue_date + timedelta(days=30))


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    description = "Website care"
    quantity_seconds = 3600
    unit_price = Decimal("100.00")
    amount = Decimal("100.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    amount = Decimal("50.00")


class InvoiceSequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceSequence
        django_get_or_create = ["year"]

    year = 2026
    last_value = 0


class ClientSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientSettings

    client = factory.SubFactory(ClientFactory)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiKey

    user = factory.SubFactory(UserFactory, role="Staff")
    name = "Laptop script"
    lookup = factory.Sequence(lambda n: f"tt_{n:09d}")
    hashed_key = factory.LazyAttribute(lambda k: ApiKey.hash(k.lookup + "secret"))


class OnceTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OnceToken

    user = factory.SubFactory(UserFactory, role="Staff")
    token = factory.Sequence(lambda n: f"{n:032x}")
