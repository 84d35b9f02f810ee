import pytest

from timetracker.automation import webhooks
from timetracker.automation.models import Trigger, WebhookEndpoint


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run what the code queues for after its transaction commits (the worker's tasks, with the immediate
    backend), as production does once the request or task commits."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def make_trigger(dana):
    def make(**fields):
        recipients = fields.pop("recipients", [])
        fields.setdefault("name", "A trigger")
        fields.setdefault("created_by", dana)
        trigger = Trigger.objects.create(**fields)
        trigger.recipients.set(recipients)
        return trigger

    return make


@pytest.fixture
def make_endpoint(dana, httpserver):
    def make(path="/hook", **fields):
        secret = fields.pop("secret", webhooks.new_secret())
        endpoint = WebhookEndpoint(
            name="Our receiver", url=httpserver.url_for(path), created_by=dana, **fields
        )
        endpoint.set_secret(secret)
        endpoint.save()
        endpoint.plain_secret = secret
        return endpoint

    return make
