"""The OpenAPI schema documents every time-entry route, its query parameters and its error statuses."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def paths(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)["paths"]


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/time-entries", "get", {"200", "400", "401", "403", "429"}),
        ("/api/v1/time-entries", "post", {"201", "400", "401", "403", "404", "409", "422", "429"}),
        ("/api/v1/time-entries/{id}", "get", {"200", "401", "403", "404", "429"}),
        (
            "/api/v1/time-entries/{id}",
            "patch",
            {"200", "400", "401", "403", "404", "409", "422", "429", "412"},
        ),
        ("/api/v1/time-entries/{id}", "delete", {"204", "401", "403", "404", "409", "429", "412"}),
        ("/api/v1/time-entries/unbilled", "get", {"200", "400", "401", "403", "429"}),
        (
            "/api/v1/time-entries/{id}/mark-invoiced",
            "put",
            {"200", "400", "401", "403", "404", "409", "422", "429"},
        ),
        ("/api/v1/time-entries/{id}/mark-invoiced", "delete", {"200", "401", "403", "404", "409", "429"}),
        ("/api/v1/time-entries/{id}/notes", "get", {"200", "400", "401", "403", "404", "429"}),
        ("/api/v1/time-entries/{id}/notes", "post", {"201", "400", "401", "403", "404", "422", "429"}),
    ],
)
def test_routes_document_their_statuses(paths, path, method, statuses):
    responses = paths[path][method]["responses"]
    assert set(responses) == statuses
    for status in statuses - {"200", "201", "204"}:
        assert responses[status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


def test_every_list_parameter_is_documented(paths):
    documented = {p["name"] for p in paths["/api/v1/time-entries"]["get"]["parameters"]}
    assert documented >= {
        "task_id", "project_id", "client_id", "contact_id", "user_id", "billable", "from_date", "to_date",
        "date_start", "date_end", "day", "status", "billing_status", "include_active", "query", "sort",
        "order", "filter", "page", "per_page",
    }  # fmt: skip
    unbilled = {p["name"] for p in paths["/api/v1/time-entries/unbilled"]["get"]["parameters"]}
    assert unbilled == {
        "client_id",
        "contact_id",
        "project_id",
        "page",
        "per_page",
        "limit",
        "cursor",
        "count",
    }
