"""The OpenAPI schema and its interactive docs."""

import pytest
import yaml
from bs4 import BeautifulSoup

pytestmark = pytest.mark.django_db

RESOURCES = [
    "clients",
    "presenting-problems",
    "plans",
    "formulations",
    "goals",
    "objectives",
    "interventions",
    "progress-reviews",
    "measures",
    "sessions",
    "process-notes",
    "client-links",
]


def test_the_schema_describes_every_resource_error_and_auth_scheme(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for resource in RESOURCES:
        assert f"/api/v1/{resource}/" in paths and f"/api/v1/{resource}/{{id}}/" in paths
    for action in ["submit", "request-changes", "approve", "amend", "close", "pdf", "fhir"]:
        assert f"/api/v1/plans/{{id}}/{action}/" in paths
    assert "/api/v1/progress-reviews/{id}/complete/" in paths
    for action in ["sign", "addenda"]:
        assert f"/api/v1/sessions/{{id}}/{action}/" in paths
    assert "/api/v1/process-notes/{id}/withdraw/" in paths
    assert "/api/v1/client-links/{id}/revoke/" in paths
    created = paths["/api/v1/client-links/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"].endswith("/ClientLinkCreated")
    assert {"url", "url_shown"} <= set(schema["components"]["schemas"]["ClientLinkCreated"]["properties"])
    assert "url" not in schema["components"]["schemas"]["ClientLink"]["properties"]
    assert "source" in schema["components"]["schemas"]["MeasureScore"]["properties"]
    assert {"get", "post"} <= set(paths["/api/v1/sessions/{id}/addenda/"])
    assert "409" in paths["/api/v1/sessions/{id}/"]["patch"]["responses"]
    assert set(schema["components"]["securitySchemes"]) == {"knoxApiToken", "cookieAuth"}
    patch = paths["/api/v1/goals/{id}/"]["patch"]
    assert {"400", "401", "403", "404", "409", "412", "428"} <= set(patch["responses"])
    if_match = next(p for p in patch["parameters"] if p["name"] == "If-Match")
    assert if_match["in"] == "header" and if_match["required"] is True
    assert "ETag" in paths["/api/v1/goals/{id}/"]["get"]["responses"]["200"]["headers"]
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"status", "code", "detail", "fields"}


def test_a_get_taking_query_parameters_documents_the_400_it_answers_for_a_bad_one(client):
    # The PDF refuses an unknown audience with a 400 (schemathesis found it undocumented); a plain
    # detail read takes no query parameters of its own and documents none.
    paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]
    assert "400" in paths["/api/v1/plans/{id}/pdf/"]["get"]["responses"]
    assert "400" not in paths["/api/v1/plans/{id}/"]["get"]["responses"]


def test_the_docs_page_loads_only_our_own_scripts_with_none_inline(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    scripts = soup.find_all("script")
    assert scripts
    for script in scripts:
        assert script.get("src", "").startswith(("/static/", "/api/docs/")), script
        assert not script.string or not script.string.strip()
    for link in soup.find_all("link"):
        assert link["href"].startswith("/static/")
    assert client.get("/api/docs/?script=").status_code == 200
