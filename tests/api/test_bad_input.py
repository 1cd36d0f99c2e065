"""Bad input to the API gets a 400 in the error format, never a 500."""

import pytest
from rest_framework.test import APIClient

from tests.factories import make_plan

RANGE_WORDS = "between 1900-01-01 and 2200-12-31"

pytestmark = pytest.mark.django_db


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [100, 5000, 100_000])
def test_deeply_nested_json_to_the_token_endpoint_is_a_400_in_the_error_format(depth):
    caller = APIClient()
    caller.raise_request_exception = False
    response = caller.post("/api/v1/auth/token/", _nested(depth), content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "parse_error"
    assert "nested" in body["detail"]


def test_deeply_nested_json_to_an_authenticated_endpoint_is_a_400_and_changes_nothing(api, clinician, own_client):
    caller = api(clinician)
    caller.raise_request_exception = False
    url = f"/api/v1/clients/{own_client.pk}/"
    etag = caller.get(url)["ETag"]
    body = '{"phone": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = caller.patch(url, body, content_type="application/json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert caller.get(url)["ETag"] == etag


def test_json_nested_to_the_allowed_depth_still_reaches_the_serializer(api, clinician, own_client):
    from core.api.parsers import MAX_DEPTH

    caller = api(clinician)
    url = f"/api/v1/clients/{own_client.pk}/"
    etag = caller.get(url)["ETag"]
    body = '{"phone": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    response = caller.patch(url, body, content_type="application/json", HTTP_IF_MATCH=etag)
    # Too deep for a phone number, but the serializer is the one saying so, on the field.
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "phone" in response.json()["fields"]


@pytest.fixture
def plan(own_client):
    return make_plan(own_client)


@pytest.mark.parametrize(
    ("url", "field", "value"),
    [
        ("/api/v1/plans/", "start_date", "9999-12-31"),
        ("/api/v1/clients/", "date_of_birth", "1800-01-01"),
        ("/api/v1/measures/", "recorded_on", "2999-01-01"),
    ],
)
def test_the_api_refuses_a_date_outside_the_range_on_the_field(api, clinician, own_client, plan, url, field, value):
    caller = api(clinician)
    caller.raise_request_exception = False
    body = {"client": own_client.pk, field: value}
    response = caller.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert RANGE_WORDS in str(response.json()["fields"][field])


def test_changing_a_plan_start_date_through_the_api_to_9999_is_a_400(api, clinician, plan):
    caller = api(clinician)
    caller.raise_request_exception = False
    url = f"/api/v1/plans/{plan.pk}/"
    response = caller.patch(url, {"start_date": "9999-12-31"}, format="json", HTTP_IF_MATCH=caller.get(url)["ETag"])
    assert response.status_code == 400, response.content
    assert RANGE_WORDS in str(response.json()["fields"]["start_date"])


@pytest.mark.parametrize("days_outside", [-1, 1])
def test_the_api_refuses_an_objective_dated_outside_the_plan_span_on_the_field(
    api, clinician, own_client, days_outside
):
    import datetime as dt

    plan = make_plan(own_client)
    edge = plan.start_date if days_outside < 0 else plan.horizon_date
    caller = api(clinician)
    caller.raise_request_exception = False
    response = caller.post(
        "/api/v1/objectives/",
        {
            "goal": plan.goals.get().pk,
            "statement": "Name anger when it arises",
            "target_date": (edge + dt.timedelta(days=days_outside)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "target_date" in response.json()["fields"]
    assert plan.goals.get().objectives.count() == 1
