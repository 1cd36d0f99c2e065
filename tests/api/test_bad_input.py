"""Bad input to the API gets a 400 in the error format, never a 500."""

import pytest
from rest_framework.test import APIClient

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
    from config.api.parsers import MAX_DEPTH

    caller = api(clinician)
    url = f"/api/v1/clients/{own_client.pk}/"
    etag = caller.get(url)["ETag"]
    body = '{"phone": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    response = caller.patch(url, body, content_type="application/json", HTTP_IF_MATCH=etag)
    # Too deep for a phone number, but the serializer is the one saying so, on the field.
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "phone" in response.json()["fields"]
