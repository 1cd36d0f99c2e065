"""Client search goes in a POST body: names and chart numbers never travel in an API URL."""

import datetime as dt

import pytest
import yaml

from clients.models import Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
SEARCH = "/api/v1/clients/search/"


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["given_name"] for row in response.json()["results"]]


def test_clients_are_searched_by_a_post_body_by_name_or_exact_chart_number(api, clinician):
    ClientFactory(primary_clinician=clinician, given_name="Findable", family_name="Ames", chart_number="Q-1")
    ClientFactory(primary_clinician=clinician, given_name="Other", family_name="Byrd", chart_number="Q-2")
    caller = api(clinician)
    assert _names(caller.post(SEARCH, {"q": "findab"}, format="json")) == ["Findable"]
    assert _names(caller.post(SEARCH, {"q": "byrd"}, format="json")) == ["Other"]
    assert _names(caller.post(SEARCH, {"q": "Q-2"}, format="json")) == ["Other"]
    assert _names(caller.post(SEARCH, {"q": "Q-"}, format="json")) == [], "chart numbers match exactly"


def test_the_search_is_paginated_like_the_list_and_its_links_carry_no_term(api, clinician):
    for given in ["Ann", "Anna", "Annie"]:
        ClientFactory(primary_clinician=clinician, given_name=given, family_name="Searchable")
    caller = api(clinician)
    first = caller.post(f"{SEARCH}?page_size=2", {"q": "searchable"}, format="json")
    body = first.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3 and len(body["results"]) == 2
    assert "searchable" not in body["next"].lower() and "page=2" in body["next"]
    second = caller.post(body["next"], {"q": "searchable"}, format="json")
    assert len(second.json()["results"]) == 1


def test_the_search_keeps_the_lists_non_name_filters(api, clinician):
    ClientFactory(primary_clinician=clinician, given_name="Still", family_name="Here")
    ClientFactory(
        primary_clinician=clinician,
        given_name="Gone",
        family_name="Here",
        status=Client.Status.DISCHARGED,
        discharged_on=dt.date(2026, 10, 1),
        discharge_reason="Moved away.",
    )
    caller = api(clinician)
    assert _names(caller.post(f"{SEARCH}?status=discharged", {"q": "here"}, format="json")) == ["Gone"]
    assert _names(caller.post(f"{SEARCH}?ordering=-given_name", {"q": "here"}, format="json")) == ["Still", "Gone"]


def test_the_search_finds_only_clients_in_the_callers_view(api, clinician, colleague, supervisor, outsider):
    ClientFactory(primary_clinician=clinician, given_name="Hidden", family_name="Person")
    assert _names(api(supervisor).post(SEARCH, {"q": "hidden"}, format="json")) == ["Hidden"]
    for stranger in (colleague, outsider):
        assert _names(api(stranger).post(SEARCH, {"q": "hidden"}, format="json")) == []


@pytest.mark.parametrize("param", ["search", "q", "name"])
def test_a_name_search_in_the_query_string_is_refused_not_ignored(api, clinician, param):
    ClientFactory(primary_clinician=clinician, given_name="Findable")
    response = api(clinician).get(f"/api/v1/clients/?{param}=Findable")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "POST /api/v1/clients/search/" in body["fields"][param][0]


@pytest.mark.parametrize(
    ("body", "message"),
    [({}, "required"), ({"q": ""}, "blank"), ({"q": "x" * 151}, "150"), ({"q": {"a": 1}}, "Not a valid string")],
)
def test_a_malformed_search_is_a_field_level_400(api, clinician, body, message):
    response = api(clinician).post(SEARCH, body, format="json")
    assert response.status_code == 400
    assert message in response.json()["fields"]["q"][0]


def test_the_search_needs_credentials_and_only_answers_post(api, clinician):
    anonymous = api().post(SEARCH, {"q": "x"}, format="json")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"
    assert api(clinician).get(SEARCH).status_code == 405


def test_the_schema_documents_the_search_body_and_no_name_filter_in_any_query(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/clients/search/"]["post"]
    assert operation["operationId"] == "clients_search"
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][body]["required"] == ["q"]
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page.endswith("/PaginatedClientList")
    for path, item in schema["paths"].items():
        for method, op in item.items():
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            assert not names & {"search", "q", "name"}, f"{method.upper()} {path}"
