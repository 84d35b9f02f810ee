"""Schemathesis over /api/schema/: no operation answers 5xx, and every status it answers is documented.

The schema is loaded eagerly at import: `schemathesis.pytest.from_fixture` breaks on pytest 9.2 (it reads
`Node._nodeid`). Requests go straight into the WSGI app, which fires request_started/request_finished and so
`close_old_connections`; on PostgreSQL that closes the test's own connection. Django's test Client disconnects
it for the same reason, and so does the fixture below."""

import os
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.accounts.models import ApiKey
from timetracker.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# The coverage phase (every boundary value, missing auth, unexpected methods) quadruples the run time; it runs
# when API_SCHEMA_COVERAGE=1, the random examples always do.
schema.config.phases.coverage.enabled = os.environ.get("API_SCHEMA_COVERAGE") == "1"


@pytest.fixture
def keep_connection():
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_headers(db, keep_connection):
    admin = UserFactory(username="schema-admin", role="Admin")
    # A little data, so list, detail and report operations have rows to answer with.
    task = TaskFactory(client=ClientFactory(name="Schema client"))
    TimeEntryFactory(task=task, user=admin)
    _, raw = ApiKey.issue(user=admin, name="schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case, admin_headers):
    response = case.call(headers=admin_headers)
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance])


# The stateful run: schemathesis chains operations through the links it infers from the schema (a created
# entry's id into GET / PATCH / DELETE of that entry, ...), so deeper paths than random ids reach are tried.
Workflow = schema.as_state_machine()


def test_api_conforms_to_its_schema_statefully(admin_headers):
    answered = Counter()

    class AsAdmin(Workflow):
        def get_call_kwargs(self, case):
            return {"headers": admin_headers}

        def validate_response(self, response, case, **kwargs):
            answered[(case.operation.label, response.status_code)] += 1
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

    AsAdmin.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    # It ran sequences, not one call: lists, creates and the operations on the ids they give.
    assert sum(answered.values()) > 50 and any("{id}" in label for label, _ in answered)
