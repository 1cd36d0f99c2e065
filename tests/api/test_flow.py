"""The whole clinical flow through the API, as another system would drive it."""

import datetime as dt

import pytest

from plans.models import InterventionTechnique, TreatmentPlan
from tests.api.conftest import validate_bundle
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _ok(response, code=200):
    assert response.status_code == code, response.content
    return response.json()


def test_trainee_and_supervisor_take_a_plan_from_intake_to_review_and_amendment(api, trainee, supervisor):
    author = api(trainee)
    client = _ok(
        author.post(
            "/api/v1/clients/",
            {
                "chart_number": "API-1",
                "given_name": "Robin",
                "family_name": "Example",
                "date_of_birth": "1990-04-02",
                "intake_date": "2026-09-01",
            },
            format="json",
        ),
        201,
    )
    problem = _ok(
        author.post(
            "/api/v1/presenting-problems/",
            {
                "client": client["id"],
                "title": "Low mood",
                "clients_words": "Everything feels flat.",
                "diagnosis_code": "F33.1",
                "diagnosis_label": "Major depressive disorder, recurrent, moderate",
            },
            format="json",
        ),
        201,
    )
    plan = _ok(
        author.post(
            "/api/v1/plans/",
            {"client": client["id"], "start_date": "2026-09-07", "presenting_problems": [problem["id"]]},
            format="json",
        ),
        201,
    )
    assert plan["status"] == "draft" and plan["goals"] == []

    formulation_url = f"/api/v1/formulations/{plan['formulation']}/"
    etag = author.get(formulation_url)["ETag"]
    formulation = _ok(
        author.patch(
            formulation_url,
            {"narrative_hypothesis": "Early neglect; detachment protects against longing."},
            format="json",
            HTTP_IF_MATCH=etag,
        )
    )
    assert formulation["section_versions"]["narrative"] == 1

    goal = _ok(
        author.post("/api/v1/goals/", {"plan": plan["id"], "statement": "Increase self-awareness"}, format="json"),
        201,
    )
    objective = _ok(
        author.post(
            "/api/v1/objectives/",
            {
                "goal": goal["id"],
                "statement": "Name recurring patterns in relationships",
                "measure": "Patterns named in session",
                "target": "Names two patterns",
                "target_date": "2027-01-15",
                "presenting_problems": [problem["id"]],
            },
            format="json",
        ),
        201,
    )
    technique = InterventionTechnique.objects.get(name="Defense analysis")
    intervention = _ok(
        author.post(
            "/api/v1/interventions/",
            {"plan": plan["id"], "technique": technique.pk, "objectives": [objective["id"]], "frequency": "weekly"},
            format="json",
        ),
        201,
    )
    tree = _ok(author.get(f"/api/v1/plans/{plan['id']}/"))
    assert tree["goals"][0]["objectives"][0]["interventions"] == [intervention["id"]]

    submitted = _ok(author.post(f"/api/v1/plans/{plan['id']}/submit/", {"password": PASSWORD}, format="json"))
    assert submitted["status"] == "in_review"
    assert [s["meaning"] for s in submitted["signatures"]] == ["authored"]

    approved = _ok(api(supervisor).post(f"/api/v1/plans/{plan['id']}/approve/", {"password": PASSWORD}, format="json"))
    assert approved["status"] == "active"
    assert {s["meaning"] for s in approved["signatures"]} == {"authored", "reviewed_and_approved"}

    review = _ok(author.post("/api/v1/progress-reviews/", {"plan": plan["id"]}, format="json"), 201)
    completed = _ok(
        author.post(
            f"/api/v1/progress-reviews/{review['id']}/complete/",
            {
                "entries": [{"objective": objective["id"], "status": "progressing", "rating": 40, "evidence": "x"}],
                "measures": [{"definition": _phq9_id(), "items": [1, 1, 1, 1, 1, 1, 1, 1, 0]}],
                "alliance_bond": 4,
                "alliance_goals": 4,
                "alliance_tasks": 3,
                "summary": "Steady work.",
                "decision": "continue",
            },
            format="json",
        )
    )
    assert completed["review"]["status"] == "completed"
    assert completed["review"]["entries"][0]["rating"] == 40
    assert completed["amendment"] is None
    scores = _ok(author.get(f"/api/v1/measures/?client={client['id']}"))
    assert [s["total"] for s in scores["results"]] == [8]

    bundle = _ok(author.get(f"/api/v1/plans/{plan['id']}/fhir/"))
    parsed = validate_bundle(bundle)
    kinds = [entry.resource.resource_type for entry in parsed.entry]
    assert kinds.count("Goal") == 2 and "CarePlan" in kinds and kinds.count("Practitioner") == 2
    care_plan = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan")
    assert care_plan["status"] == "active" and care_plan["intent"] == "plan"
    objective_goal = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Goal" and e["resource"].get("target")
    )
    assert objective_goal["achievementStatus"]["coding"][0]["code"] == "in-progress"
    assert objective_goal["target"][0]["dueDate"] == "2027-01-15"
    condition = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    assert condition["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "F33.1",
        "display": "Major depressive disorder, recurrent, moderate",
    }

    amendment = _ok(author.post(f"/api/v1/plans/{plan['id']}/amend/"), 201)
    assert amendment["version_number"] == 2 and amendment["previous_version"] == plan["id"]
    amended_bundle = _ok(author.get(f"/api/v1/plans/{amendment['id']}/fhir/"))
    validate_bundle(amended_bundle)
    amended_care_plan = next(
        e["resource"] for e in amended_bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"
    )
    assert amended_care_plan["replaces"] == [{"reference": f"urn:uuid:{care_plan['id']}"}]
    assert amended_care_plan["status"] == "draft"

    pdf = author.get(f"/api/v1/plans/{plan['id']}/pdf/?audience=client")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert TreatmentPlan.objects.get(pk=plan["id"]).status == "active"
    assert dt.date.fromisoformat(amendment["start_date"]) == dt.date(2026, 9, 7)


def _phq9_id():
    from plans.models import MeasureDefinition

    return MeasureDefinition.objects.get(code="phq9", practice=None).pk
