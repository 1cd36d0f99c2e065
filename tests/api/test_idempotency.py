"""`Idempotency-Key` on API POSTs (core/api/idempotency.py), and 409 for writes to locked records."""

import datetime as dt
import json

import pytest
import time_machine
from django.db.models.signals import post_save
from rest_framework.test import APIClient

from audit.models import AccessLog
from core.dbfailure import MESSAGE as UNAVAILABLE
from core.models import IdempotencyRecord
from plans.lifecycle import transitions
from plans.models import Goal, Signature, TreatmentPlan
from tests.factories import PASSWORD, make_plan

SIGNER = {"password": PASSWORD}

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"


@pytest.fixture
def plan(own_client):
    return make_plan(own_client)


def _error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"status", "code", "detail", "fields"} and body["code"] == code, body
    return body


def _post(caller, url, data, key=KEY, **headers):
    return caller.post(url, data, format="json", headers={"Idempotency-Key": key, **headers})


# --- The retry after "committed, then the database went away" --------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_goal_created_just_before_the_database_went_away_is_answered_not_created_again_on_retry(
    clinician, login, plan, database_gone_after_commit
):
    """Through the session (the browser's way into the API): the session save after the commit fails."""
    web = login(clinician)
    web.raise_request_exception = False
    body = json.dumps({"plan": plan.pk, "statement": "Keep a sleep diary"})
    headers = {"Idempotency-Key": f'"{KEY}"'}

    database_gone_after_commit.after_commit_of(Goal)
    first = web.post("/api/v1/goals/", body, content_type="application/json", headers=headers)
    database_gone_after_commit.end()
    assert first.status_code == 503 and first.json()["detail"] == UNAVAILABLE
    goal = Goal.objects.get(statement="Keep a sleep diary")

    retry = web.post("/api/v1/goals/", body, content_type="application/json", headers=headers)
    assert retry.status_code == 201
    assert retry.json()["id"] == goal.pk
    assert retry["ETag"] == f'"goal-{goal.pk}-v1"'
    assert retry["Idempotent-Replayed"] == "true"
    assert Goal.objects.filter(statement="Keep a sleep diary").count() == 1


def test_a_repeat_with_the_same_key_returns_the_first_answer_without_acting_again(api, clinician, plan):
    caller = api(clinician)
    first = _post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Once"})
    Goal.objects.filter(statement="Once").update(description="changed since")
    second = _post(caller, "/api/v1/goals/", {"statement": "Once", "plan": plan.pk})
    assert first.status_code == second.status_code == 201
    assert second.content == first.content, "status and body as first given"
    assert second["ETag"] == first["ETag"]
    assert "Idempotent-Replayed" not in first and second["Idempotent-Replayed"] == "true"
    assert Goal.objects.filter(statement="Once").count() == 1


def test_the_same_key_with_a_different_body_is_422(api, clinician, plan):
    caller = api(clinician)
    _post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "First"})
    _error(_post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Other"}), 422, "idempotency_key_reused")
    assert not Goal.objects.filter(statement="Other").exists()


def test_a_duplicate_while_the_first_is_still_running_is_409(api, clinician, plan):
    caller = api(clinician)
    answers = []

    def _duplicate(sender, **kwargs):
        # The first request is inside its transaction: the goal is saved, not yet committed.
        post_save.disconnect(_duplicate, sender=Goal)
        answers.append(_post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Racing"}))

    post_save.connect(_duplicate, sender=Goal, weak=False)
    try:
        first = _post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Racing"})
    finally:
        post_save.disconnect(_duplicate, sender=Goal)
    assert first.status_code == 201
    _error(answers[0], 409, "idempotency_key_in_flight")
    assert Goal.objects.filter(statement="Racing").count() == 1
    # Once the first has finished, a repeat gets its answer.
    assert _post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Racing"}).content == first.content


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_that_misses_the_in_flight_marker_waits_for_the_first_and_gets_its_answer(clinician, plan):
    """Another worker process has its own cache, so it does not see the marker: the unique key in
    the database still holds. Its request waits on the first's uncommitted row, then replays it."""
    import threading
    import time

    from django.core.cache import cache
    from django.db import connection

    answers = {}

    def _other_worker():
        try:
            caller = APIClient()
            caller.force_authenticate(clinician)
            answers["second"] = _post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Two workers"})
        finally:
            connection.close()

    second = threading.Thread(target=_other_worker)

    def _meanwhile(sender, **kwargs):
        post_save.disconnect(_meanwhile, sender=Goal)
        cache.clear()  # the other process's cache: no marker there
        second.start()
        time.sleep(1)  # it reaches the key's row and waits for this transaction

    post_save.connect(_meanwhile, sender=Goal, weak=False)
    caller = APIClient()
    caller.force_authenticate(clinician)
    try:
        first = _post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Two workers"})
    finally:
        post_save.disconnect(_meanwhile, sender=Goal)
    second.join(timeout=30)
    assert first.status_code == 201
    assert answers["second"].status_code == 201
    assert answers["second"].content == first.content
    assert answers["second"]["Idempotent-Replayed"] == "true"
    assert Goal.objects.filter(statement="Two workers").count() == 1


def test_keys_are_scoped_to_the_user_and_the_route(api, clinician, supervisor, own_client, plan):
    caller = api(clinician)
    _post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Mine"})
    # The same key on another route is another operation.
    problem = _post(
        caller, "/api/v1/presenting-problems/", {"client": own_client.pk, "title": "Worry", "clients_words": "I worry."}
    )
    assert problem.status_code == 201, problem.content
    # Another person's same key neither sees nor blocks the first person's answer.
    other = _post(api(supervisor), "/api/v1/goals/", {"plan": plan.pk, "statement": "Mine"})
    assert other.status_code == 403
    assert IdempotencyRecord.objects.filter(user=clinician).count() == 2
    record = IdempotencyRecord.objects.get(scope="POST /api/v1/goals/")
    assert record.key_hash != KEY and KEY not in record.key_hash


def test_a_refused_request_is_not_kept_so_the_key_can_be_used_again(api, clinician, plan):
    caller = api(clinician)
    _error(_post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": ""}), 400, "invalid")
    assert _post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Fixed"}).status_code == 201
    assert Goal.objects.filter(statement="Fixed").count() == 1


def test_a_key_older_than_24_hours_counts_as_new(api, clinician, plan):
    caller = api(clinician)
    _post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Daily"})
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=24, minutes=1)):
        again = _post(caller, "/api/v1/goals/", {"plan": plan.pk, "statement": "Daily"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Goal.objects.filter(statement="Daily").count() == 2


def test_a_plan_action_repeated_with_its_key_answers_as_the_first_time(api, clinician, plan):
    caller = api(clinician)
    first = _post(caller, f"/api/v1/plans/{plan.pk}/submit/", SIGNER)
    second = _post(caller, f"/api/v1/plans/{plan.pk}/submit/", SIGNER)
    assert first.status_code == second.status_code == 200
    assert second.json()["status"] == "active"
    assert Signature.objects.filter(plan=plan).count() == 1
    # Without the key, the repeat is refused: the plan is no longer a draft.
    assert caller.post(f"/api/v1/plans/{plan.pk}/submit/", SIGNER, format="json").status_code == 400


def test_a_wrong_password_with_a_key_is_refused_logged_and_leaves_the_key_free(api, clinician, plan):
    caller = api(clinician)
    wrong = _post(caller, f"/api/v1/plans/{plan.pk}/submit/", {"password": "guess"})
    assert wrong.status_code == 400 and "password" in wrong.json()["fields"]
    # The refusal's access-log row survives the key's transaction, and the key may be sent again.
    assert AccessLog.objects.filter(action="signer_check", outcome="failed").count() == 1
    assert not IdempotencyRecord.objects.exists()
    right = _post(caller, f"/api/v1/plans/{plan.pk}/submit/", SIGNER)
    assert right.status_code == 200 and right.json()["status"] == "active"
    stored = IdempotencyRecord.objects.get()
    assert PASSWORD not in json.dumps([stored.fingerprint, bytes(stored.body).decode()])


def test_an_amendment_repeated_with_its_key_is_the_same_new_version(api, clinician, plan):
    transitions.submit_plan(actor=clinician, plan=plan)
    caller = api(clinician)
    first = _post(caller, f"/api/v1/plans/{plan.pk}/amend/", None)
    second = _post(caller, f"/api/v1/plans/{plan.pk}/amend/", None)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert TreatmentPlan.objects.filter(lineage=plan.lineage).count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_a_field_level_400(api, clinician, plan, key):
    if key == "":
        # An empty header is no key: the request runs as without one.
        assert _post(api(clinician), "/api/v1/goals/", {"plan": plan.pk, "statement": "x"}, key=key).status_code == 201
        return
    client = APIClient()
    client.force_authenticate(clinician)
    response = client.post(
        "/api/v1/goals/", {"plan": plan.pk, "statement": "x"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    body = _error(response, 400, "invalid")
    assert "Idempotency-Key" in body["fields"]
    assert not Goal.objects.filter(statement="x").exists()


def test_the_schema_documents_the_header_and_its_answers_on_every_post(api, clinician):
    schema = api(clinician).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    posts = [(path, ops["post"]) for path, ops in schema["paths"].items() if "post" in ops]
    assert any(path.endswith("/submit/") for path, _ in posts)
    for path, op in posts:
        if path.startswith("/api/v1/auth/"):
            continue  # signing in: no user yet to scope a key to
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path
        assert {"409", "422"} <= set(op["responses"]), path


# --- A write to a locked record is 409, whatever If-Match says --------------------------------


def test_a_patch_of_a_signed_plan_without_if_match_is_409_not_428(api, clinician, plan):
    transitions.submit_plan(actor=clinician, plan=plan)
    caller = api(clinician)
    goal = plan.goals.get()
    for url, data in [
        (f"/api/v1/plans/{plan.pk}/", {"review_interval": 30}),
        (f"/api/v1/goals/{goal.pk}/", {"statement": "Changed"}),
        (f"/api/v1/formulations/{plan.formulation.pk}/", {"strengths": "Changed"}),
    ]:
        body = _error(caller.patch(url, data, format="json"), 409, "plan_locked")
        assert "amend" in body["detail"]
    _error(caller.delete(f"/api/v1/goals/{goal.pk}/"), 409, "plan_locked")
    # With a stale If-Match too, the lock is the reason given.
    _error(
        caller.patch(f"/api/v1/goals/{goal.pk}/", {"statement": "x"}, format="json", HTTP_IF_MATCH='"old"'),
        409,
        "plan_locked",
    )
    assert Goal.objects.get(pk=goal.pk).statement != "Changed"


def test_a_patch_of_a_draft_without_if_match_is_still_428(api, clinician, plan):
    _error(
        api(clinician).patch(f"/api/v1/goals/{plan.goals.get().pk}/", {"statement": "x"}, format="json"),
        428,
        "if_match_required",
    )
