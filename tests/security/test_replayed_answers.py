"""A stored first answer (Idempotency-Key, one-time form id) is replayed only to the person who got it.

The stored answers hold client data (a created goal, a client record): someone else who sends the
same key to the same route, as an outsider or a colleague without the caseload, gets their own
answer and never the stored one.
"""

import pytest
from rest_framework.test import APIClient

from core.idempotency import FORM_ID_FIELD
from tests.factories import make_plan

CANARY = "canary-goal-replayed-5521"
KEY = "shared-key-0001"


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("attacker_name", ["outsider", "colleague"])
def test_someone_else_sending_the_owners_idempotency_key_gets_nothing_of_the_owners_answer(
    attacker_name, request, clinician, own_client
):
    plan = make_plan(own_client)
    body = {"plan": plan.pk, "statement": CANARY}
    owner = _api(clinician).post("/api/v1/goals/", body, format="json", headers={"Idempotency-Key": KEY})
    assert owner.status_code == 201 and CANARY in owner.content.decode()

    attacker = _api(request.getfixturevalue(attacker_name))
    response = attacker.post("/api/v1/goals/", body, format="json", headers={"Idempotency-Key": KEY})
    assert response.status_code in (400, 403, 404)
    assert CANARY not in response.content.decode()
    assert "Idempotent-Replayed" not in response


@pytest.mark.parametrize("attacker_name", ["outsider", "colleague"])
def test_someone_else_sending_the_owners_form_id_gets_nothing_of_the_owners_answer(
    attacker_name, request, clinician, own_client, login
):
    plan = make_plan(own_client)
    data = {"goal-new-statement": CANARY, FORM_ID_FIELD: "a-form-id-the-attacker-learned"}
    owner = login(clinician).post(f"/plans/{plan.pk}/goal/add/", data, headers={"HX-Request": "true"})
    assert CANARY in owner.content.decode()

    web = login(request.getfixturevalue(attacker_name))
    web.raise_request_exception = False
    response = web.post(f"/plans/{plan.pk}/goal/add/", data, headers={"HX-Request": "true"})
    assert response.status_code in (403, 404)
    assert CANARY not in response.content.decode()
