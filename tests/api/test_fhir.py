"""FHIR R4 export: every demo plan's bundle validates with fhir.resources' R4 (4.0.1) models."""

import pytest
from django.core.management import call_command

from accounts.models import User
from plans import lifecycle
from plans.fhir import ACTIVITY_STATUS, GOAL_LIFECYCLE, PLAN_STATUS
from plans.models import TreatmentPlan
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


def test_every_demo_plans_bundle_validates_as_fhir_r4(api, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    # Beyond the demo's drafts, active and in-review plans: an activated amendment (superseding
    # its original, with `replaces`) and a closed plan.
    active = [p for p in TreatmentPlan.objects.filter(status="active") if not p.author.membership.requires_cosignature]
    author = active[0].author
    amendment = lifecycle.amend_plan(actor=author, plan=active[0])
    lifecycle.submit_plan(actor=author, plan=amendment)
    if len(active) > 1:
        lifecycle.close_plan(actor=active[1].author, plan=active[1], reason="Therapy ended well.")
    plans = list(TreatmentPlan.objects.select_related("client__primary_clinician"))
    assert len(plans) >= 5
    statuses = set()
    for plan in plans:
        caller = api(User.objects.get(pk=plan.client.primary_clinician_id))
        response = caller.get(f"/api/v1/plans/{plan.pk}/fhir/")
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/fhir+json"
        bundle = response.json()
        parsed = validate_bundle(bundle)
        assert parsed.type == "collection"
        resources = [e["resource"] for e in bundle["entry"]]
        by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
        care_plan = next(r for r in resources if r["resourceType"] == "CarePlan")
        statuses.add(plan.status)
        assert care_plan["status"] == PLAN_STATUS[plan.status] and care_plan["intent"] == "plan"
        # Every reference inside the bundle resolves inside it, except `replaces` (the previous version's bundle).
        for ref in _references({k: v for k, v in care_plan.items() if k != "replaces"}):
            assert ref in by_url, ref
        for resource in resources:
            if resource["resourceType"] == "Goal":
                assert resource["lifecycleStatus"] in GOAL_LIFECYCLE_STATUS
                for ref in _references(resource):
                    assert ref in by_url, ref
                for coding in resource.get("achievementStatus", {}).get("coding", []):
                    assert coding["code"] in ACHIEVEMENT
        goals = [r for r in resources if r["resourceType"] == "Goal"]
        objectives = sum(goal.objectives.filter(removed_at__isnull=True).count() for goal in plan.goals.current())
        assert len(goals) == plan.goals.current().count() + objectives
        conditions = [r for r in resources if r["resourceType"] == "Condition"]
        assert len(conditions) == plan.presenting_problems.count()
        for condition, problem in zip(conditions, plan.presenting_problems.all(), strict=True):
            if problem.diagnosis_code:
                assert condition["code"]["coding"][0]["code"] == problem.diagnosis_code
        if plan.previous_version_id:
            assert care_plan["replaces"]
    assert {"draft", "active", "in_review", "superseded"} <= statuses


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
