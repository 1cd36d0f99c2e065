"""The API reads and writes a goal's and an objective's text in the client's words, and the FHIR
export carries it as a Goal note (R4 Goal.note: Annotation, "comments about the goal")."""

import pytest

from plans.lifecycle import canonical, transitions
from plans.models import Goal, Objective
from records.fhir import plan_bundle
from tests.api.conftest import validate_bundle
from tests.factories import make_plan

pytestmark = pytest.mark.django_db


def _ok(response, status=200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def test_a_goal_and_an_objective_are_created_and_changed_in_the_clients_words(api, clinician, own_client):
    caller = api(clinician)
    plan = make_plan(own_client)
    goal = _ok(
        caller.post(
            "/api/v1/goals/",
            {"plan": plan.pk, "statement": "Increase self-awareness", "clients_words": "Understand myself"},
            format="json",
        ),
        201,
    )
    assert goal["clients_words"] == "Understand myself"
    objective = _ok(
        caller.post(
            "/api/v1/objectives/",
            {"goal": goal["id"], "statement": "Name recurring patterns", "clients_words": "See what I repeat"},
            format="json",
        ),
        201,
    )
    assert objective["clients_words"] == "See what I repeat"

    url = f"/api/v1/objectives/{objective['id']}/"
    etag = caller.get(url)["ETag"]
    changed = _ok(caller.patch(url, {"clients_words": "See what keeps happening"}, format="json", HTTP_IF_MATCH=etag))
    assert changed["clients_words"] == "See what keeps happening"
    assert Objective.objects.get(pk=objective["id"]).clients_words == "See what keeps happening"

    tree = _ok(caller.get(f"/api/v1/plans/{plan.pk}/"))
    added = next(g for g in tree["goals"] if g["id"] == goal["id"])
    assert added["clients_words"] == "Understand myself"
    assert added["objectives"][0]["clients_words"] == "See what keeps happening"
    # Left out, it is empty: optional, like the description.
    assert next(g for g in tree["goals"] if g["id"] != goal["id"])["clients_words"] == ""


def test_the_clients_words_over_the_limit_are_a_field_error_and_nothing_is_saved(api, clinician, own_client):
    plan = make_plan(own_client)
    response = api(clinician).post(
        "/api/v1/goals/", {"plan": plan.pk, "statement": "A goal", "clients_words": "x" * 1001}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"clients_words"}
    assert Goal.objects.filter(plan=plan).count() == 1


def test_the_clients_words_of_a_signed_version_cannot_be_changed_through_the_api(api, clinician, own_client):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(own_client))
    goal = Goal.objects.get(plan=plan)
    caller = api(clinician)
    url = f"/api/v1/goals/{goal.pk}/"
    response = caller.patch(url, {"clients_words": "Too late"}, format="json", HTTP_IF_MATCH=caller.get(url)["ETag"])
    assert response.status_code == 409
    assert Goal.objects.get(pk=goal.pk).clients_words == ""
    assert canonical.verify(plan).matches


def test_the_fhir_goals_carry_the_clients_words_as_a_note_and_the_bundle_is_valid_r4(clinician, own_client):
    from plans.editor import services

    plan = make_plan(own_client)
    goal, objective = Goal.objects.get(plan=plan), Objective.objects.get(goal__plan=plan)
    for item, words in [(goal, "Feel less alone"), (objective, "See the pattern")]:
        services.update_item(actor=clinician, item=item, expected_version=item.version, values={"clients_words": words})
    bundle = plan_bundle(plan)
    validate_bundle(bundle)
    notes = {
        r["description"]["text"]: [n["text"] for n in r.get("note", [])]
        for r in (e["resource"] for e in bundle["entry"])
        if r["resourceType"] == "Goal"
    }
    assert notes["Goal 1"] == ["In the client's words: Feel less alone"]
    assert notes["Identify pattern 1.1 in relationships"] == ["In the client's words: See the pattern"]


def test_a_fhir_goal_without_the_clients_words_has_no_such_note(clinician, own_client):
    bundle = plan_bundle(make_plan(own_client))
    goals = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Goal"]
    assert goals and not any("client's words" in n["text"] for g in goals for n in g.get("note", []))
