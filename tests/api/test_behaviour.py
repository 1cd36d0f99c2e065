"""Error format, optimistic concurrency, read-only fields, tokens and the nested plan read."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from clients.models import Client
from plans.lifecycle import transitions
from plans.models import Goal, Signature, TreatmentPlan
from tests.factories import PASSWORD, ClientFactory, make_plan

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"status", "code", "detail", "fields"}


def _error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS and body["status"] == status
    if code:
        assert body["code"] == code, body
    return body


def test_a_write_without_if_match_is_428_and_with_an_old_etag_412(api, clinician, own_client):
    caller = api(clinician)
    url = f"/api/v1/clients/{own_client.pk}/"
    etag = caller.get(url)["ETag"]
    assert etag == f'"client-{own_client.pk}-v1"'
    _error(caller.patch(url, {"phone": "1"}, format="json"), 428, "if_match_required")
    first = caller.patch(url, {"phone": "2"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first["ETag"] == f'"client-{own_client.pk}-v2"'
    stale = _error(caller.patch(url, {"phone": "3"}, format="json", HTTP_IF_MATCH=etag), 412, "stale")
    assert "changed" in stale["detail"]
    assert Client.objects.get(pk=own_client.pk).phone == "2"


def test_a_write_racing_past_the_if_match_check_is_still_412_from_the_service(api, clinician, own_client, monkeypatch):
    from plans.editor import services

    caller = api(clinician)
    goal = make_plan(own_client).goals.get()
    url = f"/api/v1/goals/{goal.pk}/"
    etag = caller.get(url)["ETag"]
    real_update = services.update_item

    def someone_else_saves_first(**kwargs):
        Goal.objects.filter(pk=goal.pk).update(version=goal.version + 1, statement="Theirs")
        return real_update(**kwargs)

    monkeypatch.setattr(services, "update_item", someone_else_saves_first)
    response = caller.patch(url, {"statement": "Mine"}, format="json", HTTP_IF_MATCH=etag)
    _error(response, 412, "stale")
    assert response["ETag"] == f'"goal-{goal.pk}-v{goal.version + 1}"'
    assert Goal.objects.get(pk=goal.pk).statement == "Theirs"


def test_validation_errors_are_400_with_field_messages(api, clinician, own_client):
    caller = api(clinician)
    body = _error(caller.post("/api/v1/goals/", {"statement": ""}, format="json"), 400, "invalid")
    assert set(body["fields"]) == {"plan", "statement"}
    problem = _error(
        caller.post(
            "/api/v1/presenting-problems/",
            {"client": own_client.pk, "title": "x", "clients_words": "y", "diagnosis_code": "nonsense"},
            format="json",
        ),
        400,
    )
    assert "ICD-10-CM" in problem["fields"]["diagnosis_code"][0]
    # A service's ValidationError (here: a chart number already in use) comes out the same way.
    clash = _error(
        caller.post(
            "/api/v1/clients/",
            {
                "chart_number": own_client.chart_number,
                "given_name": "A",
                "family_name": "B",
                "date_of_birth": "1980-01-01",
                "intake_date": "2026-09-01",
            },
            format="json",
        ),
        400,
    )
    assert clash["fields"] == {"chart_number": ["This chart number is already in use in your practice."]}


def test_request_changes_needs_a_comment(api, trainee, supervisor):
    from tests.factories import ClientFactory

    plan = make_plan(ClientFactory(primary_clinician=trainee))
    transitions.submit_plan(actor=trainee, plan=plan)
    body = _error(api(supervisor).post(f"/api/v1/plans/{plan.pk}/request-changes/", {}, format="json"), 400)
    assert "comment" in body["fields"]
    ok = api(supervisor).post(f"/api/v1/plans/{plan.pk}/request-changes/", {"comment": "Tighten 1.1"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "changes_requested"


def test_changing_a_signed_plan_is_409_saying_to_amend(api, clinician, own_client):
    caller = api(clinician)
    plan = make_plan(own_client)
    transitions.submit_plan(actor=clinician, plan=plan)
    goal = plan.goals.get()
    for response in [
        caller.patch(f"/api/v1/goals/{goal.pk}/", {"statement": "x"}, format="json", HTTP_IF_MATCH="*"),
        caller.patch(f"/api/v1/plans/{plan.pk}/", {"horizon_months": 6}, format="json", HTTP_IF_MATCH="*"),
        caller.patch(
            f"/api/v1/formulations/{plan.formulation.pk}/", {"strengths": "x"}, format="json", HTTP_IF_MATCH="*"
        ),
        caller.post("/api/v1/goals/", {"plan": plan.pk, "statement": "New"}, format="json"),
    ]:
        body = _error(response, 409, "plan_locked")
        assert "amend" in body["detail"]
    assert Goal.objects.get(pk=goal.pk).statement == "Goal 1"


def test_read_only_fields_in_a_new_clients_input_are_ignored_and_never_stored(
    api, clinician, colleague, other_practice
):
    caller = api(clinician)
    created = caller.post(
        "/api/v1/clients/",
        {
            "chart_number": "RO-1",
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "1980-01-01",
            "intake_date": "2026-09-01",
            "practice": other_practice.pk,
            "primary_clinician": colleague.pk,
            "status": "discharged",
            "version": 99,
        },
        format="json",
    ).json()
    stored = Client.objects.get(pk=created["id"])
    assert (stored.practice_id, stored.primary_clinician_id, stored.status, stored.version) == (
        clinician.membership.practice_id,
        clinician.pk,
        "active",
        1,
    )


def test_read_only_fields_in_a_plan_patch_are_ignored_and_never_stored(api, clinician, colleague, own_client):
    other_client = ClientFactory(primary_clinician=clinician)
    plan = make_plan(own_client)
    response = api(clinician).patch(
        f"/api/v1/plans/{plan.pk}/",
        {
            "horizon_months": 6,
            "status": "active",
            "author": colleague.pk,
            "client": other_client.pk,
            "signatures": [{"meaning": "authored", "content_hash": "0" * 64}],
            "lineage": "00000000-0000-0000-0000-000000000000",
            "version_number": 7,
        },
        format="json",
        HTTP_IF_MATCH="*",
    )
    assert response.status_code == 200
    plan = TreatmentPlan.objects.get(pk=plan.pk)
    assert (plan.horizon_months, plan.status, plan.author_id, plan.client_id, plan.version_number) == (
        6,
        "draft",
        clinician.pk,
        own_client.pk,
        1,
    )
    assert str(plan.lineage) != "00000000-0000-0000-0000-000000000000"
    assert not Signature.objects.filter(plan=plan).exists()


def test_a_token_is_issued_for_email_and_password_stored_hashed_and_revocable(clinician):
    anonymous = APIClient()
    bad = anonymous.post("/api/v1/auth/token/", {"email": clinician.email, "password": "wrong"}, format="json")
    _error(bad, 400, "invalid")
    response = anonymous.post("/api/v1/auth/token/", {"email": clinician.email, "password": PASSWORD}, format="json")
    assert response.status_code == 201, response.content
    token = response.json()["token"]
    stored = AuthToken.objects.get(user=clinician)
    assert token not in (stored.digest, stored.token_key) and stored.expiry is not None

    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert caller.get("/api/v1/clients/").status_code == 200
    assert caller.delete("/api/v1/auth/token/").status_code == 204
    assert caller.get("/api/v1/clients/").status_code == 401
    assert not AuthToken.objects.filter(user=clinician).exists()


def test_revoking_all_tokens_ends_every_one(clinician):
    tokens = [AuthToken.objects.create(clinician)[1] for _ in range(3)]
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    assert caller.delete("/api/v1/auth/tokens/").status_code == 204
    for token in tokens:
        caller.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert caller.get("/api/v1/clients/").status_code == 401


def test_an_inactive_person_gets_no_token(clinician):
    clinician.is_active = False
    clinician.save()
    response = APIClient().post("/api/v1/auth/token/", {"email": clinician.email, "password": PASSWORD}, format="json")
    assert response.status_code == 400


def test_the_nested_plan_read_takes_the_same_queries_for_a_small_and_a_large_plan(api, clinician):
    from tests.factories import ClientFactory

    small = make_plan(ClientFactory(primary_clinician=clinician), goals=1, objectives=1, interventions=1)
    large = make_plan(ClientFactory(primary_clinician=clinician), goals=10, objectives=5, interventions=3)
    caller = api(clinician)
    counts = {}
    for name, plan in [("small", small), ("large", large)]:
        caller.get(f"/api/v1/plans/{plan.pk}/")  # warm the per-user scope cache alike
        with CaptureQueriesContext(connection) as queries:
            response = caller.get(f"/api/v1/plans/{plan.pk}/")
        assert response.status_code == 200
        counts[name] = len(queries)
    body = response.json()
    assert len(body["goals"]) == 10 and all(len(g["objectives"]) == 5 for g in body["goals"])
    assert len(body["interventions"]) == 150
    assert counts["small"] == counts["large"], counts
