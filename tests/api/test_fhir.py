"""FHIR R4 export: every demo plan's bundle validates with fhir.resources' R4 (4.0.1) models."""

import pytest
from django.core.management import call_command

from accounts.models import User
from notes.models import TherapySession
from plans.lifecycle import transitions
from plans.models import TreatmentPlan
from records.fhir import ACTIVITY_STATUS, ENCOUNTER_CLASS, ENCOUNTER_STATUS, GOAL_LIFECYCLE, PLAN_STATUS
from tests.api.conftest import validate_bundle

pytestmark = pytest.mark.django_db

# R4 value sets (required bindings) the mapping must stay inside.
CAREPLAN_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
GOAL_LIFECYCLE_STATUS = {
    "proposed",
    "planned",
    "accepted",
    "active",
    "on-hold",
    "completed",
    "cancelled",
    "entered-in-error",
    "rejected",
}
ENCOUNTER_STATUSES = {
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
}
ACTIVITY_STATUSES = {"not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled", "stopped"}
ACHIEVEMENT = {
    "in-progress",
    "improving",
    "worsening",
    "no-change",
    "achieved",
    "sustaining",
    "not-achieved",
    "no-progress",
    "not-attainable",
}


def test_the_mapping_uses_only_r4_codes():
    assert set(PLAN_STATUS.values()) <= CAREPLAN_STATUS
    assert set(GOAL_LIFECYCLE.values()) <= GOAL_LIFECYCLE_STATUS
    assert set(ACTIVITY_STATUS.values()) <= ACTIVITY_STATUSES
    assert set(PLAN_STATUS) == set(TreatmentPlan.Status.values)
    assert set(ENCOUNTER_STATUS.values()) <= ENCOUNTER_STATUSES
    assert set(ENCOUNTER_STATUS) == set(TherapySession.Attendance.values)
    assert set(ENCOUNTER_CLASS) == set(TherapySession.Modality.values)
    assert {code for code, _ in ENCOUNTER_CLASS.values()} <= {"AMB", "VR"}


@pytest.fixture
def demo_exports(api, settings):
    """Every plan of the demo, with its clinician's answer from the FHIR endpoint."""
    settings.DEBUG = True
    call_command("seed_demo")
    # Beyond the demo's drafts, active and in-review plans: an activated amendment (superseding
    # its original, with `replaces`) and a closed plan.
    active = [p for p in TreatmentPlan.objects.filter(status="active") if not p.author.membership.requires_cosignature]
    author = active[0].author
    amendment = transitions.amend_plan(actor=author, plan=active[0])
    transitions.submit_plan(actor=author, plan=amendment)
    if len(active) > 1:
        transitions.close_plan(actor=active[1].author, plan=active[1], reason="Therapy ended well.")
    _record_sessions(TreatmentPlan.objects.filter(status="active").select_related("client").first())
    exports = []
    for plan in TreatmentPlan.objects.select_related("client__primary_clinician"):
        caller = api(User.objects.get(pk=plan.client.primary_clinician_id))
        exports.append((plan, caller.get(f"/api/v1/plans/{plan.pk}/fhir/")))
    return exports


def _record_sessions(plan):
    """An attended video session and a late cancellation, whether or not the demo has sessions."""
    import datetime as dt

    from notes import services as notes
    from notes.models import ServiceType

    clinician = User.objects.get(pk=plan.client.primary_clinician_id)
    individual = ServiceType.objects.get(practice=None, code="individual")
    common = {"actor": clinician, "client": plan.client, "duration_minutes": 50, "service_type": individual}
    common["start_time"] = dt.time(10, 0)
    notes.record_session(date=plan.start_date, modality="video", **common)
    notes.record_session(date=plan.start_date, attendance="late_cancellation", reason="Unwell.", **common)


def _bundles(exports):
    for plan, response in exports:
        assert response.status_code == 200, response.content
        bundle = response.json()
        resources = [e["resource"] for e in bundle["entry"]]
        care_plan = next(r for r in resources if r["resourceType"] == "CarePlan")
        yield plan, bundle, resources, care_plan


def test_the_demo_exports_plans_in_every_lifecycle_state_that_maps_differently(demo_exports):
    assert len(demo_exports) >= 5
    assert {"draft", "active", "in_review", "superseded"} <= {plan.status for plan, _ in demo_exports}


def test_every_demo_plans_export_answers_200_as_fhir_json(demo_exports):
    for _, response in demo_exports:
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/fhir+json"


def test_every_demo_plans_bundle_validates_as_fhir_r4(demo_exports):
    for _, bundle, _, _ in _bundles(demo_exports):
        assert validate_bundle(bundle).type == "collection"


def test_every_demo_care_plans_status_follows_the_plans_lifecycle(demo_exports):
    for plan, _, _, care_plan in _bundles(demo_exports):
        assert care_plan["status"] == PLAN_STATUS[plan.status] and care_plan["intent"] == "plan"


def test_every_reference_in_a_demo_bundle_resolves_inside_it_except_replaces(demo_exports):
    for _, bundle, resources, care_plan in _bundles(demo_exports):
        by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
        # `replaces` names the previous version's CarePlan, which is in that version's bundle.
        for ref in _references({k: v for k, v in care_plan.items() if k != "replaces"}):
            assert ref in by_url, ref
        for resource in resources:
            if resource["resourceType"] in ("Goal", "Encounter"):
                for ref in _references(resource):
                    assert ref in by_url, ref


def test_every_demo_goals_lifecycle_and_achievement_are_r4_codes(demo_exports):
    for _, _, resources, _ in _bundles(demo_exports):
        for resource in resources:
            if resource["resourceType"] == "Goal":
                assert resource["lifecycleStatus"] in GOAL_LIFECYCLE_STATUS
                for coding in resource.get("achievementStatus", {}).get("coding", []):
                    assert coding["code"] in ACHIEVEMENT


def test_a_demo_bundle_has_one_goal_resource_per_current_goal_and_objective(demo_exports):
    for plan, _, resources, _ in _bundles(demo_exports):
        goals = [r for r in resources if r["resourceType"] == "Goal"]
        objectives = sum(goal.objectives.filter(removed_at__isnull=True).count() for goal in plan.goals.current())
        assert len(goals) == plan.goals.current().count() + objectives


def test_a_demo_bundle_has_one_condition_per_presenting_problem_coded_with_its_diagnosis(demo_exports):
    for plan, _, resources, _ in _bundles(demo_exports):
        conditions = [r for r in resources if r["resourceType"] == "Condition"]
        assert len(conditions) == plan.presenting_problems.count()
        for condition, problem in zip(conditions, plan.presenting_problems.all(), strict=True):
            if problem.diagnosis_code:
                assert condition["code"]["coding"][0]["code"] == problem.diagnosis_code


def test_a_demo_bundle_has_one_encounter_per_session_of_its_plan_version(demo_exports):
    with_sessions = 0
    for plan, bundle, resources, _ in _bundles(demo_exports):
        encounters = [r for r in resources if r["resourceType"] == "Encounter"]
        sessions = list(TherapySession.objects.filter(plan=plan).order_by("starts_at", "pk"))
        assert [e["status"] for e in encounters] == [ENCOUNTER_STATUS[s.attendance] for s in sessions]
        conditions = [e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"]
        for encounter in encounters:
            assert [r["reference"] for r in encounter.get("reasonReference", [])] == conditions
            assert encounter["subject"]["reference"] == bundle["entry"][0]["fullUrl"]
        with_sessions += bool(sessions)
    assert with_sessions, "some demo plan has sessions, so the Encounters were checked"


def test_an_amendments_care_plan_replaces_its_previous_version(demo_exports):
    amendments = [(plan, care_plan) for plan, _, _, care_plan in _bundles(demo_exports) if plan.previous_version_id]
    assert amendments
    for _, care_plan in amendments:
        assert care_plan["replaces"]


def _references(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference":
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)
